// `hikyaku start` on a terminal prints readable one-line logs, not JSON
// (issue 10, point 11); through a pipe, JSON lines as before; --log-format
// overrides both. The terminal is a real pseudo-terminal: util-linux's
// `script` runs the command with one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../helpers/hikyaku.js';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli.js');
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts the server (free ports), waits until it listens, stops it; all it printed. */
function runUntilListening(args: string[], underTerminal: boolean): Promise<string> {
  const dataDir = tempDir();
  const command = [process.execPath, cli, 'start', '--data-dir', dataDir, '--submission-listen', '127.0.0.1:0', '--submissions-listen', '127.0.0.1:0', '--http-listen', 'off', ...args];
  const child = underTerminal
    ? spawn('script', ['-qfec', command.map(shellQuote).join(' '), '/dev/null'], { env: { ...process.env, TERM: 'xterm', NO_COLOR: '1' } })
    : spawn(command[0] as string, command.slice(1), { env: process.env });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not start in 30 s:\n${output}`));
    }, 30_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (/submissions listening on/.test(output) && /Hikyaku started/.test(output)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', () => resolve(output));
  });
}

test('on a terminal: readable lines with time and level, no JSON objects', async () => {
  const out = await runUntilListening([], true);
  assert.match(out, /\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Hikyaku started/);
  assert.doesNotMatch(out, /\{"level":/);
});

test('through a pipe: JSON lines; --log-format pretty and json override the choice', async () => {
  const piped = await runUntilListening([], false);
  assert.match(piped, /\{"level":30,"time":"[^"]+","service":"hikyaku"[^\n]*"msg":"Hikyaku started"/);
  const forcedPretty = await runUntilListening(['--log-format', 'pretty'], false);
  assert.match(forcedPretty, /INFO: Hikyaku started/);
  const forcedJson = await runUntilListening(['--log-format', 'json'], true);
  assert.match(forcedJson, /"msg":"Hikyaku started"/);
});
