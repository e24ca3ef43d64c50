import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDmarcRecord, looksLikeDmarc, parseDmarc } from './dmarc-parse.js';

const problems = (record: string): string[] => parseDmarc(record).problems.map((p) => `${p.severity}:${p.text.en}`);

test('RFC 7489 §6.6.3: only records starting with v=DMARC1 count', () => {
  assert.equal(isDmarcRecord('v=DMARC1; p=none'), true);
  assert.equal(isDmarcRecord('v=DMARC1;p=reject'), true);
  assert.equal(isDmarcRecord('v = DMARC1 ; p=none'), true);
  assert.equal(isDmarcRecord('p=none; v=DMARC1'), false);
  assert.equal(isDmarcRecord('v=dmarc1; p=none'), false); // case matters for the version
  assert.equal(looksLikeDmarc('p=none; v=DMARC1'), true);
  assert.equal(looksLikeDmarc('google-site-verification=x'), false);
});

test('a complete record parses without problems', () => {
  const r = parseDmarc('v=DMARC1; p=quarantine; sp=reject; pct=50; adkim=s; aspf=r; rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=mailto:f@example.com; fo=1:d; rf=afrf; ri=86400');
  assert.deepEqual(r.problems, []);
  assert.equal(r.policy, 'quarantine');
  assert.equal(r.subdomainPolicy, 'reject');
  assert.equal(r.pct, 50);
  assert.equal(r.strictDkim, true);
  assert.equal(r.strictSpf, false);
  assert.equal(r.rua, 'mailto:a@example.com,mailto:b@example.net!10m');
});

test('defaults: pct 100, relaxed alignment', () => {
  const r = parseDmarc('v=DMARC1; p=none');
  assert.equal(r.pct, 100);
  assert.equal(r.strictSpf, false);
  assert.equal(r.strictDkim, false);
  assert.equal(r.rua, undefined);
});

test('missing p=, bad values, duplicates and unknown tags are reported', () => {
  assert.deepEqual(problems('v=DMARC1; rua=mailto:a@example.com'), ['error:the p= tag (the policy) is missing']);
  assert.deepEqual(problems('v=DMARC1; p=rejct'), ['error:p=rejct is not allowed (allowed: none, quarantine, reject)']);
  assert.deepEqual(problems('v=DMARC1; p=none; pct=101'), ['error:pct=101 is not allowed (allowed: 0-100)']);
  assert.deepEqual(problems('v=DMARC1; p=none; rua=dmarc@example.com'), ['error:rua=dmarc@example.com is not allowed (allowed: mailto:address, ...)']);
  assert.deepEqual(problems('v=DMARC1; p=none; p=reject'), ['error:the tag p= appears twice']);
  assert.deepEqual(problems('v=DMARC1; p=none; foo=bar'), ['warning:unknown tag foo= (a typo?); receivers ignore it']);
  assert.deepEqual(problems('p=none; v=DMARC1'), ['error:the record must start with v=DMARC1']);
});

test('the repaired record keeps the valid tags and guarantees p=', () => {
  assert.equal(parseDmarc('v=DMARC1; rua=mailto:a@example.com; pct=150; adkim=s').repaired, 'v=DMARC1; p=none; rua=mailto:a@example.com; adkim=s');
  assert.equal(parseDmarc('v=DMARC1; sp=none; p=reject').repaired, 'v=DMARC1; p=reject; sp=none');
});
