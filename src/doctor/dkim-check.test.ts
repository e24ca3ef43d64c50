import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeyRecord } from './dkim-check.js';

const rsa = { algorithm: 'rsa-sha256' } as const;
const ed = { algorithm: 'ed25519-sha256' } as const;
const problems = (text: string, key: { algorithm: 'rsa-sha256' | 'ed25519-sha256' } = rsa): string[] => parseKeyRecord(text, key).problems.map((p) => p.en);

test('RFC 6376 §3.6.1: a good record, whitespace inside p= ignored', () => {
  const parsed = parseKeyRecord('v=DKIM1; k=rsa; p=MIIBIjAN BgkqhkiG 9w0B', rsa);
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.publicKey, 'MIIBIjANBgkqhkiG9w0B');
  assert.equal(parsed.testing, false);
  assert.deepEqual(problems('p=MIIBIjANBgkqhkiG9w0B'), []); // v= and k= are optional (k defaults to rsa)
  assert.deepEqual(problems('v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=', ed), []);
});

test('each defect is named', () => {
  assert.deepEqual(problems('v=DKIM2; p=AAAA'), ['v= must be DKIM1 and come first']);
  assert.deepEqual(problems('k=rsa; v=DKIM1; p=AAAA'), ['v= must be DKIM1 and come first']);
  assert.deepEqual(problems('v=DKIM1; k=rsa'), ['there is no p= tag (the public key)']);
  assert.deepEqual(problems('v=DKIM1; p='), ['p= is empty: this means the key is revoked']);
  assert.deepEqual(problems('v=DKIM1; k=rsa; p=AAAA', ed), ['k=rsa but the key is ed25519']);
  assert.deepEqual(problems('v=DKIM1; p=AAA'), ['p= is not valid base64 (was the value cut or wrapped when pasted?)']);
  assert.deepEqual(problems('v=DKIM1; p=AAAA; p=BBBB'), ['the tag p= appears twice']);
});

test('t=y marks a key in testing', () => {
  assert.equal(parseKeyRecord('v=DKIM1; t=s:y; p=AAAA', rsa).testing, true);
});
