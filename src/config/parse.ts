// Turns the parsed YAML (plain data) into a validated, deep-frozen `Config`,
// driven entirely by the schema table. Every problem is collected and
// reported together: fixing a config file one error per start is tedious.
import { resolve } from 'node:path';
import { closest } from './suggest.js';
import { show, type ParseContext } from './kinds.js';
import { crossChecks, entries, sections, type SchemaEntry } from './schema-table.js';
import type { Config } from './types.js';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], source?: string) {
    const where = source === undefined ? '' : `${source}: `;
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${where}invalid configuration (${count}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

const sectionByKey = new Map(sections.map((s) => [s.key, s]));
const entryByKey = new Map(entries.map((e) => [e.key, e]));

/** Names allowed directly under `prefix` ('' = top level), in schema order. */
function childNames(prefix: string): string[] {
  const names = new Set<string>();
  for (const key of entryByKey.keys()) {
    const rest = prefix === '' ? key : key.startsWith(`${prefix}.`) ? key.slice(prefix.length + 1) : undefined;
    if (rest !== undefined) names.add(rest.split('.')[0] as string);
  }
  return [...names];
}

function unknownKeyProblem(prefix: string, name: string): string {
  const path = prefix === '' ? name : `${prefix}.${name}`;
  const siblings = childNames(prefix);
  const near = closest(name, siblings);
  if (near !== undefined) return `${path}: unknown key (did you mean "${prefix === '' ? near : `${prefix}.${near}`}"?)`;
  // Perhaps the right key in the wrong section, e.g. `connectTimeout` at the top level.
  const elsewhere = [...entryByKey.keys()].find((k) => k.slice(k.lastIndexOf('.') + 1).toLowerCase() === name.toLowerCase());
  if (elsewhere !== undefined) return `${path}: unknown key (did you mean "${elsewhere}"?)`;
  return `${path}: unknown key (allowed: ${siblings.join(', ')})`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The optional section an entry lives in, if any. */
function optionalSectionOf(entry: SchemaEntry): string | undefined {
  return sections.find((s) => s.optional && entry.key.startsWith(`${s.key}.`))?.key;
}

/** Entries that have a value whenever their section exists. */
function alwaysHasValue(entry: SchemaEntry): boolean {
  return entry.default !== undefined || entry.dynamicDefault !== undefined || entry.required === true;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (isMapping(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      node[part] = created;
      node = created;
    }
  }
  node[parts[parts.length - 1] as string] = value;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Validate `raw` (the YAML file's content as plain data; null/undefined for
 * an empty file) and build the configuration. Throws `ConfigError` listing
 * every problem. Relative paths are resolved against `baseDir` (the config
 * file's directory; default: the current directory).
 */
export function parseConfig(raw: unknown, options?: { baseDir?: string }): Config {
  const ctx: ParseContext = { baseDir: resolve(options?.baseDir ?? process.cwd()) };
  const problems: string[] = [];
  const given = new Map<string, unknown>();
  const sectionsPresent = new Set<string>();

  // 1. Walk the file: every key must be a known section or setting.
  const walk = (node: unknown, prefix: string): void => {
    if (node === null || node === undefined) return;
    if (!isMapping(node)) {
      problems.push(`${prefix === '' ? '(top level)' : prefix}: ${show(node)} is not allowed (allowed: a mapping of settings)`);
      return;
    }
    for (const [name, value] of Object.entries(node)) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      const section = sectionByKey.get(path);
      if (section) {
        // `smarthost:` with every child commented out means "no smarthost".
        if (section.optional && (value === null || value === undefined)) continue;
        sectionsPresent.add(path);
        walk(value, path);
      } else if (entryByKey.has(path)) {
        const entry = entryByKey.get(path) as SchemaEntry;
        // An empty optional setting (`certFile:`) means unset; an empty
        // setting that has a default is an error, not a silent default.
        if ((value === null || value === undefined) && !alwaysHasValue(entry)) continue;
        given.set(path, value ?? null);
      } else {
        problems.push(unknownKeyProblem(prefix, name));
      }
    }
  };
  walk(raw, '');

  // 2. Convert every setting in effect: given values, then defaults.
  const values = new Map<string, unknown>();
  for (const entry of entries) {
    const optional = optionalSectionOf(entry);
    if (optional !== undefined && !sectionsPresent.has(optional)) continue;
    if (given.has(entry.key)) {
      const parsed = entry.kind.parse(given.get(entry.key), ctx);
      if (parsed.ok) values.set(entry.key, parsed.value);
      else problems.push(...parsed.problems.map((p) => `${entry.key}${p.at}: ${p.message}`));
    } else if (entry.required) {
      problems.push(`${entry.key}: missing (required when ${optional ?? 'the section'} is set)`);
    } else if (entry.dynamicDefault) {
      values.set(entry.key, entry.dynamicDefault.value(ctx));
    } else if (entry.default !== undefined) {
      const parsed = entry.kind.parse(entry.default, ctx);
      if (!parsed.ok) throw new Error(`schema default of ${entry.key} is invalid: ${parsed.problems[0]?.message}`);
      values.set(entry.key, parsed.value);
    } else {
      values.set(entry.key, undefined);
    }
  }

  // 3. Rules that involve more than one setting.
  for (const check of crossChecks) problems.push(...check({ values, given: new Set(given.keys()), sectionsPresent }));

  if (problems.length > 0) throw new ConfigError(problems);

  // 4. Assemble. Several keys may fill one field (password / passwordFile):
  // the one that has a value wins (the cross checks allow at most one).
  const config: Record<string, unknown> = {};
  const assigned = new Set<string>();
  for (const entry of entries) {
    if (!values.has(entry.key)) continue;
    const value = values.get(entry.key);
    if (value !== undefined || !assigned.has(entry.target)) {
      setPath(config, entry.target, value);
      assigned.add(entry.target);
    }
  }
  for (const section of sections) {
    if (section.optional && !sectionsPresent.has(section.key)) setPath(config, section.key, undefined);
  }
  return deepFreeze(config as unknown as Config);
}
