// Every way the server is started passes SERVER_NODE_FLAGS: V8 reads them
// only from node's command line, so a start command that forgets one runs
// without it, silently (see node-flags.ts for what each flag is worth).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS, missingServerFlags } from './node-flags.js';
import { renderUnit } from '../service/systemd-unit.js';

// This file runs as dist/src/core/node-flags.test.js: the repository is three folders up.
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(repo + path, 'utf8');

/** The flags in a command line, in order, from the first `node` word up to the cli.js it runs. */
function nodeFlags(commandLine: string, where: string): string[] {
  const words = commandLine.split(/[\s",[\]]+/).filter((w) => w !== '');
  const node = words.findIndex((w) => w === 'node' || w.endsWith('/node'));
  // The split drops quotes: the bench script's "$CLI" is the word $CLI.
  const cli = words.findIndex((w) => w.endsWith('cli.js') || w === '$CLI');
  assert.ok(node >= 0 && cli > node, `${where}: no "node … cli.js" in ${JSON.stringify(commandLine)}`);
  return words.slice(node + 1, cli);
}

function lineWith(text: string, needle: string, where: string): string {
  const line = text.split('\n').find((l) => l.includes(needle));
  assert.ok(line !== undefined, `${where}: no line with ${needle}`);
  return line;
}

test('the hikyaku shebang (source and built), npm start, the Dockerfile, the unit and the shared-bench start script pass every server flag', () => {
  const starts: Array<[string, string]> = [
    // A shebang's script is the file itself, which the kernel adds after the flags.
    ['src/cli.ts shebang', `${read('src/cli.ts').split('\n')[0] ?? ''} cli.js`],
    ['dist/src/cli.js shebang', `${read('dist/src/cli.js').split('\n')[0] ?? ''} cli.js`],
    ['npm start', (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start'] ?? ''],
    ['Dockerfile ENTRYPOINT', lineWith(read('Dockerfile'), 'ENTRYPOINT', 'Dockerfile')],
    ['bench/shared-bench-start.sh', lineWith(read('bench/shared-bench-start.sh'), '"$CLI" start', 'shared-bench-start.sh')],
    [
      'systemd unit',
      lineWith(renderUnit({ user: 'hikyaku', group: 'hikyaku', nodePath: '/usr/bin/node', cliPath: '/opt/hikyaku/dist/src/cli.js', configPath: '/etc/hikyaku/hikyaku.yaml', dataDir: '/var/lib/hikyaku' }), 'ExecStart=', 'unit'),
    ],
  ];
  for (const [where, line] of starts) {
    assert.deepEqual(nodeFlags(line, where), [...SERVER_NODE_FLAGS], where);
  }
});

test('missingServerFlags names the flags a process was started without', () => {
  assert.deepEqual(missingServerFlags([...SERVER_NODE_FLAGS]), []);
  assert.deepEqual(missingServerFlags(['--max-semi-space-size=4']), ['--no-memory-reducer']);
  assert.deepEqual(missingServerFlags([]), [...SERVER_NODE_FLAGS]);
});
