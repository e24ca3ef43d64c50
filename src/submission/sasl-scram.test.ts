// SCRAM-SHA-256 server exchange against RFC 7677 §3, and its refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { deriveScramKeys, type ScramCredentials } from '../users/scram-keys.js';
import { ScramServer } from './sasl-scram.js';

// RFC 7677 §3: user "user", password "pencil".
const RFC = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
const fakeSaltKey = Buffer.alloc(32, 9);

async function rfcCredentials(): Promise<ScramCredentials> {
  const keys = await deriveScramKeys('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
  assert.ok(keys);
  return { user: 'user@example.com', ...keys };
}

/** A client as RFC 5802 §3 describes it, for exchanges the RFC does not list. */
function clientProof(password: string, salt: Buffer, iterations: number, authMessage: string): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  return Buffer.from(clientKey.map((b, i) => b ^ (signature[i] ?? 0))).toString('base64');
}

test('SCRAM-SHA-256: the RFC 7677 §3 exchange, message for message', async () => {
  const server = new ScramServer({ fakeSaltKey, serverNonce: RFC.serverNonce });
  assert.deepEqual(server.clientFirst(RFC.clientFirst), { ok: true, username: 'user' });
  assert.equal(server.serverFirst(await rfcCredentials()), RFC.serverFirst);
  assert.deepEqual(server.clientFinal(RFC.clientFinal), { ok: true, user: 'user@example.com', serverFinal: RFC.serverFinal });
  assert.deepEqual(server.clientFinal(RFC.clientFinal), { ok: false, error: 'out-of-order' }, 'an exchange is used once');
});

test('SCRAM-SHA-256: a wrong proof, a changed nonce or channel binding fail', async () => {
  const credentials = await rfcCredentials();
  const run = (final: string): unknown => {
    const server = new ScramServer({ fakeSaltKey, serverNonce: RFC.serverNonce });
    server.clientFirst(RFC.clientFirst);
    server.serverFirst(credentials);
    return server.clientFinal(final);
  };
  const wrongProof = RFC.clientFinal.replace('p=dHzb', 'p=dHzc');
  assert.deepEqual(run(wrongProof), { ok: false, error: 'invalid-proof' });
  assert.deepEqual(run(RFC.clientFinal.replace('k0,p=', 'k1,p=')), { ok: false, error: 'malformed' }, 'nonce');
  assert.deepEqual(run(RFC.clientFinal.replace('c=biws', 'c=eSws')), { ok: false, error: 'malformed' }, 'gs2 header y,, echoed for n,,');
  assert.deepEqual(run(RFC.clientFinal.replace(/,p=.*/, '')), { ok: false, error: 'malformed' }, 'no proof');
  assert.deepEqual(run(RFC.clientFinal.replace(/p=.*/, 'p=AAAA')), { ok: false, error: 'invalid-proof' }, 'short proof');
});

test('SCRAM-SHA-256: gs2 header y,, and a matching authzid work; p= and other identities do not', async () => {
  const credentials = await rfcCredentials();
  for (const gs2 of ['y,,', 'n,a=user,']) {
    const server = new ScramServer({ fakeSaltKey });
    const bare = 'n=user,r=abc';
    assert.deepEqual(server.clientFirst(gs2 + bare), { ok: true, username: 'user' }, gs2);
    const serverFirst = server.serverFirst(credentials);
    const nonce = /^r=([^,]+)/.exec(serverFirst)?.[1] ?? '';
    assert.ok(nonce.startsWith('abc') && nonce.length > 3, 'client nonce + server nonce');
    const withoutProof = `c=${Buffer.from(gs2).toString('base64')},r=${nonce}`;
    const proof = clientProof('pencil', credentials.salt, credentials.iterations, `${bare},${serverFirst},${withoutProof}`);
    const final = server.clientFinal(`${withoutProof},p=${proof}`);
    assert.equal(final.ok, true, gs2);
  }
  const refusals: [string, string][] = [
    ['p=tls-server-end-point,,n=user,r=abc', 'channel-binding-not-supported'],
    ['n,a=admin,n=user,r=abc', 'authzid-mismatch'],
    ['n,,m=ext,n=user,r=abc', 'extension-not-supported'],
    ['n,,n=user', 'malformed'],
    ['n,,r=abc,n=user', 'malformed'],
    ['n,,n=us=er,r=abc', 'malformed'],
    ['n,,n=user,r=a,bc', 'malformed'],
    ['x,,n=user,r=abc', 'malformed'],
    ['n,,n=,r=abc', 'malformed'],
    ['', 'malformed'],
  ];
  for (const [message, error] of refusals) assert.deepEqual(new ScramServer({ fakeSaltKey }).clientFirst(message), { ok: false, error }, message);
  // saslname escapes (RFC 5802 §5.1).
  assert.deepEqual(new ScramServer({ fakeSaltKey }).clientFirst('n,,n=a=2Cb=3Dc,r=x'), { ok: true, username: 'a,b=c' });
});

test('SCRAM-SHA-256: an unknown user gets a stable fake salt and fails only at the proof', () => {
  const first = (username: string): string => {
    const server = new ScramServer({ fakeSaltKey, serverNonce: 'N' });
    server.clientFirst(`n,,n=${username},r=c`);
    return server.serverFirst(undefined);
  };
  assert.equal(first('nobody'), first('nobody'), 'the same answer every time');
  assert.notEqual(first('nobody'), first('someone'));
  assert.match(first('nobody'), /^r=cN,s=[A-Za-z0-9+/]{22}==,i=\d+$/);

  const server = new ScramServer({ fakeSaltKey, serverNonce: 'N' });
  server.clientFirst('n,,n=nobody,r=c');
  server.serverFirst(undefined);
  assert.deepEqual(server.clientFinal(`c=biws,r=cN,p=${Buffer.alloc(32).toString('base64')}`), { ok: false, error: 'invalid-proof' });
  assert.throws(() => new ScramServer({ fakeSaltKey }).serverFirst(undefined), /out of order/);
});
