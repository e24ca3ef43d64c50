// Upgrades: a data directory of the previous release (test/fixtures/
// data-format-1/, written by that release's real `hikyaku`, see
// make-data-format-1.mjs) is migrated by `hikyaku start`, which says so, and
// everything in it works: the queued messages are delivered, the user logs
// in, the domain's DKIM key signs. A directory of a newer format is refused
// with both versions named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { runCli, spawnHikyaku, tempDir, writeConfigFile, type Raw } from '../helpers/hikyaku.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled tests run from dist/test/e2e/: the fixture stays in the source tree.
const fixture = join(here, here.includes(`${join('dist', 'test')}`) ? '../../../test/fixtures/data-format-1' : '../fixtures/data-format-1');

function fixtureConfig(dir: string, dataDir: string, over: Raw = {}): string {
  return writeConfigFile(dir, {
    hostname: 'mail.fixture.test',
    dataDir,
    listeners: {
      submission: { host: '127.0.0.1', port: 0 },
      submissions: { enabled: false },
      relay: { enabled: false },
      http: { enabled: false },
    },
    // The fixture's messages were queued on the day it was made: they must not expire in this test, years later.
    queue: { retry: { maxLifetime: '36500d' }, pollInterval: '100ms' },
    doctor: { interval: 'off' },
    ...over,
  });
}

test('a format-1 data directory is migrated at start, and its queue, user and DKIM key work', async (t) => {
  const dir = tempDir('hikyaku-format-');
  const dataDir = join(dir, 'data');
  cpSync(fixture, dataDir, { recursive: true });
  const sink = await startSmtpSink({ tls: false });
  t.after(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const configFile = fixtureConfig(dir, dataDir, { delivery: { smarthost: { host: sink.host, port: sink.port, tls: 'none' } } });
  const server = await spawnHikyaku(['--config', configFile]);
  try {
    assert.match(server.stderr(), /data directory .*data migrated from format 1 to 2/);
    assert.match(server.stderr(), /フォーマット 1 から 2 に移行しました/);
    assert.equal(readFileSync(join(dataDir, 'FORMAT'), 'utf8'), 'hikyaku data format 2\n');

    // Deferred an hour by the release that queued them: retried now, as an admin would.
    const retry = await runCli(['queue', 'retry', '--all', '--config', configFile]);
    assert.equal(retry.code, 0, retry.stderr);
    const delivered = await sink.waitForMessages(2);
    assert.deepEqual(delivered.map((m) => m.rcptTo[0]).sort(), ['bob1@example.net', 'bob2@example.net']);
    for (const m of delivered) {
      assert.equal(m.mailFrom, 'alice@fixture.test');
      assert.match(m.raw.toString(), /^DKIM-Signature:[^]*d=fixture\.test/m);
    }

    // The user of the old directory logs in; the old DKIM key signs new mail.
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: server.ports['submission'] as number,
      requireTLS: true,
      auth: { user: 'alice@fixture.test', pass: 'fixture-password-1' },
      tls: { rejectUnauthorized: false },
    });
    await transport.sendMail({ from: 'alice@fixture.test', to: 'carol@example.net', subject: 'after the upgrade', text: 'hello' });
    transport.close();
    const fresh = await sink.waitForMessage((m) => m.rcptTo.includes('carol@example.net'));
    const selector = (JSON.parse(readFileSync(join(dataDir, 'domains', 'fixture.test.json'), 'utf8')) as { keys: { selector: string }[] }).keys[0]?.selector;
    assert.ok(selector);
    assert.match(fresh.raw.toString(), new RegExp(`^DKIM-Signature:[^]*d=fixture\\.test;[^]*s=${selector};`, 'm'));
  } finally {
    server.process.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  }

  // Started again: nothing more to migrate, nothing said.
  const again = await spawnHikyaku(['--config', configFile]);
  again.process.kill('SIGTERM');
  await again.exited;
  assert.doesNotMatch(again.stderr(), /migrated/);
});

test('a data directory of a newer format is refused, naming both versions, and left untouched', async (t) => {
  const dir = tempDir('hikyaku-format-');
  const dataDir = join(dir, 'data');
  cpSync(fixture, dataDir, { recursive: true });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dataDir, 'FORMAT'), 'hikyaku data format 3\n');
  const configFile = fixtureConfig(dir, dataDir);
  const r = await runCli(['start', '--config', configFile]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the data directory .*data has format 3, written by a newer Hikyaku; this Hikyaku reads format 2 and older\. Install the newer Hikyaku again/);
  assert.match(r.stderr, /フォーマットは 3 で、より新しい Hikyaku が書いたものです。この Hikyaku が読めるのはフォーマット 2 まで/);
  assert.equal(readFileSync(join(dataDir, 'FORMAT'), 'utf8'), 'hikyaku data format 3\n');
  // The commands that open the stores refuse it too.
  const users = await runCli(['user', 'list', '--config', configFile]);
  assert.equal(users.code, 1);
  assert.match(users.stderr, /has format 3, written by a newer Hikyaku; this Hikyaku reads format 2 and older/);
});
