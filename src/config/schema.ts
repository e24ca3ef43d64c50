// The configuration schema and everything generated from it, in one import.
// The table itself (keys, kinds, defaults, descriptions) is in
// schema-table.ts; the parser and the documents are generated from it and
// live beside it, so that no module imports in a circle.
export { crossChecks, entries, sections, type ConfigLeafPath, type CrossCheckInput, type SchemaEntry, type SchemaSection, type Text } from './schema-table.js';
export { ConfigError, parseConfig } from './parse.js';
export { configReference, configToYaml, defaultConfigYaml } from './reference.js';
