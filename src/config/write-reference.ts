// Writes the configuration reference generated from the schema:
//   node --import tsx src/config/write-reference.ts
// docs/configuration.md (English) and docs/configuration.ja.md (Japanese).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configReference } from './reference.js';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');
mkdirSync(docs, { recursive: true });
for (const [file, lang] of [['configuration.md', 'en'], ['configuration.ja.md', 'ja']] as const) {
  writeFileSync(join(docs, file), configReference(lang));
  console.log(`wrote ${join(docs, file)}`);
}
