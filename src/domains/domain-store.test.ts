import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import readline from 'node:readline';
import { DomainStore, DomainStoreError } from './domain-store.js';
import { RECHECK_MS } from './directory-changes.js';
import { freeSelectorBase } from './dkim-key-generation.js';

// RSA-2048 generation costs a few hundred ms on a busy machine, so the
// read-only tests share one store made once.
const NOV_2026 = Date.UTC(2026, 10, 15, 12, 0, 0);
const DAY = 24 * 3600_000;
const dirs: string[] = [];

function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hikyaku-domains-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

let sharedDir: string;
let shared: DomainStore;
before(() => {
  sharedDir = tempDataDir();
  shared = DomainStore.open(sharedDir);
  assert.deepEqual(shared.list(), [], 'an empty (not yet created) store lists nothing');
  shared.add('Example.COM.', { ed25519: true, nowMs: NOV_2026 });
  shared.add('news.example.com', { nowMs: NOV_2026 });
});

test('add: RSA 2048 with a dated selector, Ed25519 with an "e" selector; p= matches each private key', () => {
  const domain = shared.get('example.com');
  assert.ok(domain);
  assert.equal(domain.name, 'example.com');
  assert.equal(domain.createdAtMs, NOV_2026);
  assert.equal(domain.returnPathDomain, undefined);
  assert.deepEqual(
    domain.keys.map((k) => [k.selector, k.algorithm, k.state, k.retireUntilMs]),
    [
      ['hk202611', 'rsa-sha256', 'active', undefined],
      ['hk202611e', 'ed25519-sha256', 'active', undefined],
    ],
  );
  const [rsa, ed] = domain.keys;
  const rsaKey = createPrivateKey(rsa!.privateKeyPem);
  assert.equal(rsaKey.asymmetricKeyDetails?.modulusLength, 2048);
  // RSA p= is the SubjectPublicKeyInfo; Ed25519 p= the raw 32-byte key (RFC 8463 §4.2).
  assert.equal(rsa!.publicKeyBase64, createPublicKey(rsaKey).export({ format: 'der', type: 'spki' }).toString('base64'));
  const jwk = createPublicKey(createPrivateKey(ed!.privateKeyPem)).export({ format: 'jwk' });
  assert.equal(Buffer.from(ed!.publicKeyBase64, 'base64').length, 32);
  assert.equal(Buffer.from(jwk.x as string, 'base64url').toString('base64'), ed!.publicKeyBase64);
  assert.deepEqual(
    shared.get('news.example.com')?.keys.map((k) => k.algorithm),
    ['rsa-sha256'],
  );
});

test('private keys are in files of mode 0600 inside a 0700 directory, no temporary files left', () => {
  const dir = path.join(sharedDir, 'domains');
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['example.com.json', 'news.example.com.json']);
  for (const file of fs.readdirSync(dir)) {
    assert.equal(fs.statSync(path.join(dir, file)).mode & 0o777, 0o600, file);
  }
  assert.ok(fs.readFileSync(path.join(dir, 'example.com.json'), 'utf8').includes('BEGIN PRIVATE KEY'));
});

test('list and get', () => {
  assert.deepEqual(
    shared.list().map((d) => d.name),
    ['example.com', 'news.example.com'],
  );
  assert.equal(shared.get('NEWS.example.com.')?.name, 'news.example.com');
  assert.equal(shared.get('other.example'), undefined);
  assert.equal(shared.get('not a name'), undefined);
});

test('invalid names and duplicates are refused', () => {
  for (const bad of ['', 'localhost', 'exa mple.com', '-bad.com', '../etc/passwd', 'a/b.com', '192.0.2.1', 'user@example.com']) {
    assert.throws(
      () => shared.add(bad),
      (err: unknown) => err instanceof DomainStoreError && err.code === 'invalid-name',
      `"${bad}" should be refused`,
    );
  }
  assert.throws(
    () => shared.add('EXAMPLE.com'),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'exists' && err.subject === 'example.com',
  );
  assert.throws(
    () => shared.add('example.info', { selector: 'bad_selector!' }),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'invalid-selector',
  );
  assert.equal(shared.get('example.info'), undefined, 'nothing stored after a refused add');
});

test('a custom selector; an internationalized name is stored as A-labels', () => {
  const store = DomainStore.open(tempDataDir());
  const domain = store.add('例え.jp', { selector: 'Mail2026', nowMs: NOV_2026 });
  assert.equal(domain.name, 'xn--r8jz45g.jp');
  assert.deepEqual(
    domain.keys.map((k) => k.selector),
    ['mail2026'],
  );
  assert.equal(store.get('例え.jp')?.name, 'xn--r8jz45g.jp');
  assert.equal(store.findForFromDomain('ユーザー.例え.jp')?.name, 'xn--r8jz45g.jp');
});

test('setReturnPathDomain sets, validates and clears', () => {
  assert.equal(shared.setReturnPathDomain('example.com', 'Bounces.Example.com').returnPathDomain, 'bounces.example.com');
  assert.equal(DomainStore.open(sharedDir).get('example.com')?.returnPathDomain, 'bounces.example.com');
  assert.throws(
    () => shared.setReturnPathDomain('example.com', 'not a domain'),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'invalid-return-path',
  );
  assert.equal(shared.setReturnPathDomain('example.com', undefined).returnPathDomain, undefined);
  assert.equal(shared.get('example.com')?.returnPathDomain, undefined);
  assert.equal(shared.get('example.com')?.keys.length, 2, 'keys untouched');
});

test('findForFromDomain: exact match, else the nearest registered parent', () => {
  assert.equal(shared.findForFromDomain('example.com')?.name, 'example.com');
  assert.equal(shared.findForFromDomain('EXAMPLE.COM.')?.name, 'example.com');
  assert.equal(shared.findForFromDomain('mail.example.com')?.name, 'example.com');
  assert.equal(shared.findForFromDomain('news.example.com')?.name, 'news.example.com');
  assert.equal(shared.findForFromDomain('a.b.news.example.com')?.name, 'news.example.com');
  assert.equal(shared.findForFromDomain('example.org'), undefined);
  assert.equal(shared.findForFromDomain('badexample.com'), undefined, 'only whole labels match');
  assert.equal(shared.findForFromDomain('com'), undefined);
  assert.equal(shared.findForFromDomain(''), undefined);
});

test('rotate and setReturnPathDomain refuse unknown domains', () => {
  assert.throws(
    () => shared.rotate('nope.example'),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'not-found',
  );
  assert.throws(
    () => shared.setReturnPathDomain('nope.example', undefined),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'not-found',
  );
});

test('freeSelectorBase skips every selector taken by any algorithm', () => {
  const both = ['rsa-sha256', 'ed25519-sha256'] as const;
  assert.equal(freeSelectorBase('hk202611', new Set(), both), 'hk202611');
  assert.equal(freeSelectorBase('hk202611', new Set(['hk202611']), both), 'hk202611b');
  // Only the Ed25519 name of the base is taken: the base is still not free.
  assert.equal(freeSelectorBase('hk202611', new Set(['hk202611e']), both), 'hk202611b');
  assert.equal(freeSelectorBase('hk202611', new Set(['hk202611', 'hk202611b', 'hk202611ce']), both), 'hk202611d');
  const many = new Set(['hk202611', ...'bcdefghijklmnopqrstuvwxyz'.split('').map((c) => `hk202611${c}`)]);
  assert.equal(freeSelectorBase('hk202611', many, ['rsa-sha256']), 'hk202611bb');
});

test('rotate makes pending keys; activate switches and retires the old ones until now + overlap; retireKey removes them', () => {
  const dataDir = tempDataDir();
  const store = DomainStore.open(dataDir);
  const original = store.add('example.com', { ed25519: true, nowMs: NOV_2026 });
  const at = NOV_2026 + DAY;
  const r1 = store.rotate('example.com', { nowMs: at });
  assert.deepEqual(
    r1.added.map((k) => [k.selector, k.algorithm, k.state, k.activatedAtMs]),
    [
      ['hk202611b', 'rsa-sha256', 'pending', undefined],
      ['hk202611be', 'ed25519-sha256', 'pending', undefined],
    ],
  );
  assert.deepEqual(
    r1.domain.keys.map((k) => `${k.selector}:${k.state}`),
    ['hk202611:active', 'hk202611e:active', 'hk202611b:pending', 'hk202611be:pending'],
    'the old keys still sign',
  );
  assert.notEqual(r1.added[0]!.publicKeyBase64, original.keys[0]!.publicKeyBase64);
  assert.deepEqual(DomainStore.open(dataDir).get('example.com'), r1.domain, 'the rotation is stored');
  assert.equal(fs.statSync(path.join(dataDir, 'domains', 'example.com.json')).mode & 0o777, 0o600);
  assert.throws(
    () => store.rotate('example.com', { nowMs: at + 1 }),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'pending-exists' && err.subject === 'hk202611b, hk202611be',
  );
  assert.throws(
    () => store.activate('example.com', { overlapMs: DAY, selector: 'hk202611' }),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'no-pending',
  );
  assert.throws(
    () => store.activate('example.com', { overlapMs: DAY, selector: 'nope' }),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'key-not-found',
  );

  const switchAt = at + DAY;
  // Naming one selector of a rotation activates all the keys that rotation made.
  const a = store.activate('example.com', { overlapMs: 7 * DAY, selector: 'HK202611B', nowMs: switchAt });
  assert.deepEqual(
    a.activated.map((k) => [k.selector, k.state, k.activatedAtMs]),
    [
      ['hk202611b', 'active', switchAt],
      ['hk202611be', 'active', switchAt],
    ],
  );
  assert.deepEqual(
    a.retiring.map((k) => [k.selector, k.state, k.activatedAtMs, k.retiredAtMs, k.retireUntilMs]),
    [
      ['hk202611', 'retiring', NOV_2026, switchAt, switchAt + 7 * DAY],
      ['hk202611e', 'retiring', NOV_2026, switchAt, switchAt + 7 * DAY],
    ],
  );
  assert.equal(a.retiring[0]!.privateKeyPem, original.keys[0]!.privateKeyPem, 'same key pair, new state');
  assert.deepEqual(
    a.domain.keys.map((k) => `${k.selector}:${k.state}`),
    ['hk202611b:active', 'hk202611be:active', 'hk202611:retiring', 'hk202611e:retiring'],
  );
  assert.throws(
    () => store.activate('example.com', { overlapMs: DAY }),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'no-pending',
  );

  // retireKey: never the signing key; a retiring one only after its overlap (or forced).
  assert.throws(
    () => store.retireKey('example.com', 'hk202611b', { nowMs: switchAt }),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'key-active',
  );
  assert.throws(
    () => store.retireKey('example.com', 'hk202611', { nowMs: switchAt + DAY }),
    (err: unknown) => err instanceof DomainStoreError && err.code === 'key-in-overlap' && err.subject === String(switchAt + 7 * DAY),
  );
  const gone = store.retireKey('example.com', 'hk202611', { nowMs: switchAt + 7 * DAY });
  assert.equal(gone.removed.selector, 'hk202611');
  const forced = store.retireKey('example.com', 'hk202611e', { nowMs: switchAt + DAY, force: true });
  assert.deepEqual(
    forced.domain.keys.map((k) => `${k.selector}:${k.state}`),
    ['hk202611b:active', 'hk202611be:active'],
  );

  // A pending key can be discarded (an abandoned rotation).
  const r2 = store.rotate('example.com', { nowMs: Date.UTC(2026, 11, 20) });
  assert.deepEqual(r2.added.map((k) => k.selector), ['hk202612', 'hk202612e']);
  store.retireKey('example.com', 'hk202612', { nowMs: Date.UTC(2026, 11, 20) });
  assert.deepEqual(
    store.get('example.com')?.keys.map((k) => `${k.selector}:${k.state}`),
    ['hk202611b:active', 'hk202611be:active', 'hk202612e:pending'],
  );
});

test('a version-1 domain file is read without loss, with its dates derived, and written back as version 2', () => {
  const dataDir = tempDataDir();
  const store = DomainStore.open(dataDir);
  const made = store.add('old.example', { nowMs: NOV_2026 });
  const [k1] = made.keys;
  const k2 = store.rotate('old.example', { nowMs: NOV_2026 + DAY }).added[0]!;
  const rotatedAt = NOV_2026 + 2 * DAY;
  // What Hikyaku 0.1's rotate-key wrote: the new key active at once, the old one retiring.
  const v1 = {
    version: 1,
    name: 'old.example',
    createdAtMs: NOV_2026,
    returnPathDomain: 'bounces.old.example',
    keys: [
      { selector: 'new1', algorithm: 'rsa-sha256', privateKeyPem: k2.privateKeyPem, publicKeyBase64: k2.publicKeyBase64, createdAtMs: rotatedAt, state: 'active', retireUntilMs: null },
      { selector: 'old1', algorithm: 'rsa-sha256', privateKeyPem: k1!.privateKeyPem, publicKeyBase64: k1!.publicKeyBase64, createdAtMs: NOV_2026, state: 'retiring', retireUntilMs: rotatedAt + 7 * DAY },
    ],
  };
  const file = path.join(dataDir, 'domains', 'old.example.json');
  fs.writeFileSync(file, JSON.stringify(v1));
  const read = DomainStore.open(dataDir).get('old.example');
  assert.ok(read);
  assert.equal(read.returnPathDomain, 'bounces.old.example');
  assert.deepEqual(
    read.keys.map((k) => [k.selector, k.state, k.privateKeyPem === (k.selector === 'new1' ? k2 : k1)!.privateKeyPem, k.createdAtMs, k.activatedAtMs, k.retiredAtMs, k.retireUntilMs]),
    [
      ['new1', 'active', true, rotatedAt, rotatedAt, undefined, undefined],
      ['old1', 'retiring', true, NOV_2026, NOV_2026, rotatedAt, rotatedAt + 7 * DAY],
    ],
  );
  // The next change writes version 2, with every key kept.
  store.setReturnPathDomain('old.example', 'bounces.old.example');
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: number; keys: { selector: string; retiredAtMs: number | null }[] };
  assert.equal(json.version, 2);
  assert.deepEqual(json.keys.map((k) => [k.selector, k.retiredAtMs]), [['new1', null], ['old1', rotatedAt]]);
  assert.deepEqual(DomainStore.open(dataDir).get('old.example'), read);
  // A file from a newer Hikyaku is refused, not misread.
  fs.writeFileSync(file, JSON.stringify({ ...v1, version: 3 }));
  assert.throws(() => DomainStore.open(dataDir).get('old.example'), /unsupported format version 3 \(written by a newer Hikyaku\)/);
});

test('another DomainStore instance in this process (the CLI code) sees add, rotate and remove at once', () => {
  const dataDir = tempDataDir();
  const server = DomainStore.open(dataDir);
  const cli = DomainStore.open(dataDir);
  assert.equal(server.findForFromDomain('example.com'), undefined);
  cli.add('example.com', { nowMs: NOV_2026 });
  assert.equal(server.findForFromDomain('example.com')?.keys[0]?.selector, 'hk202611');
  const first = server.get('example.com');
  assert.equal(server.get('example.com'), first, 'unchanged file: the cached object is reused');
  cli.rotate('example.com', { nowMs: NOV_2026 + 1 });
  assert.deepEqual(
    server.get('example.com')?.keys.map((k) => `${k.selector}:${k.state}`),
    ['hk202611:active', 'hk202611b:pending'],
  );
  cli.activate('example.com', { overlapMs: DAY, nowMs: NOV_2026 + 2 });
  assert.deepEqual(
    server.findForFromDomain('example.com')?.keys.filter((k) => k.state === 'active').map((k) => k.selector),
    ['hk202611b'],
  );
  assert.equal(cli.remove('example.com'), true);
  assert.equal(cli.remove('example.com'), false);
  assert.equal(server.get('example.com'), undefined);
  assert.deepEqual(server.list(), []);
});

test('a damaged domain file is reported with its path', () => {
  const dataDir = tempDataDir();
  fs.mkdirSync(path.join(dataDir, 'domains'));
  fs.writeFileSync(path.join(dataDir, 'domains', 'example.com.json'), '{"version":1,"name":');
  const store = DomainStore.open(dataDir);
  for (const read of [() => store.get('example.com'), () => store.list(), () => store.findForFromDomain('example.com')]) {
    assert.throws(read, (err: unknown) => err instanceof DomainStoreError && err.code === 'corrupt' && err.message.includes('example.com.json'));
  }
});

/** Polls `check` between turns of the event loop until it holds; fails after `limitMs`. */
async function eventually(what: string, check: () => boolean, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > limitMs) assert.fail(`not seen within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Another process (the `hikyaku domain` CLI's DomainStore code, run by a
 * child node), which performs one command per line read from stdin.
 */
function domainCommandProcess(dataDir: string): { run(command: string): Promise<void>; close(): Promise<void> } {
  // Compiled JS under `npm test`, TypeScript through tsx otherwise.
  const compiled = import.meta.url.endsWith('.js');
  const code = `
    import readline from 'node:readline';
    import { DomainStore } from ${JSON.stringify(new URL(compiled ? './domain-store.js' : './domain-store.ts', import.meta.url).href)};
    const store = DomainStore.open(process.env.HIKYAKU_TEST_DATA_DIR);
    for await (const line of readline.createInterface({ input: process.stdin })) {
      if (line === 'add') store.add('example.com', { ed25519: false });
      if (line === 'rotate') store.rotate('example.com');
      if (line === 'activate') store.activate('example.com', { overlapMs: 1 });
      if (line === 'remove') store.remove('example.com');
      console.log('done ' + line);
    }`;
  const child = spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', code], {
    env: { ...process.env, HIKYAKU_TEST_DATA_DIR: dataDir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async run(command) {
      child.stdin.write(`${command}\n`);
      const { value } = await lines.next();
      assert.equal(value, `done ${command}`);
    },
    async close() {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

test('changes made by another process are seen by a running store without a restart', async (t) => {
  const dataDir = tempDataDir();
  fs.mkdirSync(path.join(dataDir, 'domains'), { mode: 0o700 });
  const server = DomainStore.open(dataDir);
  t.after(() => server.close());
  const cli = domainCommandProcess(dataDir);
  t.after(() => cli.close());

  assert.equal(server.findForFromDomain('mail.example.com'), undefined);
  await cli.run('add');
  await eventually('domain add', () => server.findForFromDomain('mail.example.com')?.name === 'example.com');
  const before = server.findForFromDomain('mail.example.com');
  assert.equal(server.findForFromDomain('mail.example.com'), before, 'unchanged: the same object, no re-read');

  await cli.run('rotate');
  await eventually('domain rotate-key', () => server.findForFromDomain('mail.example.com')?.keys.length === 2);
  assert.equal(server.findForFromDomain('mail.example.com')?.keys.find((k) => k.state === 'active')?.selector, before?.keys[0]?.selector);
  await cli.run('activate');
  await eventually('domain activate-key', () => server.findForFromDomain('mail.example.com')?.keys[0]?.selector !== before?.keys[0]?.selector);
  assert.equal(server.findForFromDomain('mail.example.com')?.keys[0]?.state, 'active');

  await cli.run('remove');
  await eventually('domain remove', () => server.findForFromDomain('mail.example.com') === undefined);
});

test(`without a directory watch, a change outside the store is still seen within ${RECHECK_MS} ms`, async () => {
  const source = DomainStore.open(tempDataDir());
  source.add('example.com', { nowMs: NOV_2026 });
  // The domains directory does not exist yet, so nothing can be watched.
  const dataDir = tempDataDir();
  const server = DomainStore.open(dataDir);
  assert.equal(server.findForFromDomain('example.com'), undefined);
  // Written with plain file operations, as another program would: this
  // process's stores are not told.
  fs.mkdirSync(path.join(dataDir, 'domains'), { mode: 0o700 });
  fs.copyFileSync(path.join(source.dir, 'example.com.json'), path.join(dataDir, 'domains', 'example.com.json'));
  await new Promise((resolve) => setTimeout(resolve, RECHECK_MS + 50));
  assert.equal(server.findForFromDomain('example.com')?.name, 'example.com');
  server.close();
});

test('many distinct From domains: answers stay right after the oldest are forgotten', () => {
  for (let i = 0; i < 1500; i++) assert.equal(shared.findForFromDomain(`host${i}.example.org`), undefined);
  assert.equal(shared.findForFromDomain('host1.news.example.com')?.name, 'news.example.com');
  assert.equal(shared.findForFromDomain('host0.example.org'), undefined);
});
