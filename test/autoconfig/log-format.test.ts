// `hikyaku start` logs for the reader at hand (issue 10 point 11): under a
// pseudo-terminal (util-linux `script`) readable coloured one-line records,
// through a pipe JSON lines; log.format / --log-format override the choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cliCommand, tempDir, writeConfigFile } from '../helpers/hikyaku.js';

function configFile(extra: Record<string, unknown> = {}): string {
  const dir = tempDir('hikyaku-log-format-');
  return writeConfigFile(dir, {
    hostname: 'mail.hikyaku.test',
    dataDir: join(dir, 'data'),
    listeners: { submission: { host: '127.0.0.1', port: 0 }, submissions: { enabled: false }, http: { enabled: false } },
    ...extra,
  });
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Runs `hikyaku start` until it logs "Hikyaku started", then SIGTERM; what it wrote to stdout. */
function runUntilStarted(args: string[], tty: boolean): Promise<string> {
  const command = [...cliCommand(), 'start', ...args];
  // script gives the server a pseudo-terminal as stdout; -q: no banner, /dev/null: no typescript file.
  const child = tty ? spawn('script', ['-qec', command.map(quote).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] }) : spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "Hikyaku started" line; stdout:\n${out}\nstderr:\n${err}`));
    }, 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Hikyaku started')) child.kill('SIGTERM');
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

const logLines = (out: string): string[] => out.split(/\r?\n/).filter((l) => l.includes('configuration loaded') || l.includes('Hikyaku started') || l.includes('listening'));

test('on a terminal: coloured one-line records with time, level and message, not JSON', async () => {
  const out = await runUntilStarted(['--config', configFile()], true);
  const lines = logLines(out);
  assert.ok(lines.length >= 3, out);
  assert.match(out, ANSI, 'coloured');
  for (const line of lines) {
    if (line.startsWith('hikyaku:')) continue; // the human lines on stderr, merged by the terminal
    assert.doesNotMatch(line, /^\{/, 'not JSON');
    assert.match(line.replace(ANSI, ''), /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN)( \(on [^)]+\))?: /);
  }
  assert.ok(lines.some((l) => /INFO.*: .*Hikyaku started/.test(l.replace(ANSI, ''))), out);
});

test('through a pipe: one JSON object per line', async () => {
  const out = await runUntilStarted(['--config', configFile()], false);
  const records = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { msg?: string; level?: number; time?: string });
  assert.ok(records.some((r) => r.msg === 'Hikyaku started' && r.level === 30 && typeof r.time === 'string'), out);
  assert.doesNotMatch(out, ANSI);
});

test('log.format json on a terminal stays JSON; --log-format pretty in a pipe is readable without colour', async () => {
  const json = await runUntilStarted(['--config', configFile({ log: { format: 'json' } })], true);
  const started = json.split(/\r?\n/).find((l) => l.includes('Hikyaku started'));
  assert.ok(started, json);
  assert.equal((JSON.parse(started) as { msg: string }).msg, 'Hikyaku started');

  const pretty = await runUntilStarted(['--config', configFile(), '--log-format', 'pretty'], false);
  assert.doesNotMatch(pretty, ANSI);
  assert.ok(pretty.split('\n').some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(on mail\.hikyaku\.test\): Hikyaku started/.test(l)), pretty);
});

test('--log-format with a wrong value: the error names the setting and the allowed values', async () => {
  const command = [...cliCommand(), 'start', '--config', configFile(), '--log-format', 'fancy'];
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /log\.format: "fancy" is not allowed \(allowed: auto, json, pretty\)/);
});
