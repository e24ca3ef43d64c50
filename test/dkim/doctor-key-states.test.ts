// The doctor's DKIM check over real DNS knows the three key states: a
// pending key that is not published yet is a warning (nothing fails: it
// does not sign), a published one says how to activate it; a retiring key
// whose overlap is over says it may be removed, and how.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { checkDkim, checkKeysPublished } from '../../src/doctor/dkim-check.js';
import type { Finding } from '../../src/doctor/types.js';
import { generateDkimKeyPair } from '../../src/domains/dkim-key-generation.js';
import { dkimRecordValue } from '../../src/domains/records.js';
import type { DkimKey, SendingDomain } from '../../src/domains/domain-store.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

const NOW = Date.UTC(2026, 11, 20);
const DAY = 86_400_000;
let dns: TestDnsServer;
let resolver: Resolver;

function key(selector: string, state: DkimKey['state'], retireUntilMs?: number): DkimKey {
  return {
    selector,
    algorithm: 'ed25519-sha256',
    ...generateDkimKeyPair('ed25519-sha256'),
    createdAtMs: NOW - 30 * DAY,
    state,
    activatedAtMs: state === 'pending' ? undefined : NOW - 30 * DAY,
    retiredAtMs: state === 'retiring' ? NOW - 10 * DAY : undefined,
    retireUntilMs,
  };
}

const active = key('cur', 'active');
const waiting = key('next', 'pending');
const ready = key('ready', 'pending');
const overlapOver = key('old', 'retiring', NOW - 3 * DAY);
const overlapOverGone = key('older', 'retiring', NOW - 3 * DAY);
const domain: SendingDomain = {
  name: 'states.test',
  createdAtMs: NOW - 60 * DAY,
  returnPathDomain: undefined,
  keys: [active, waiting, ready, overlapOver, overlapOverGone],
};

before(async () => {
  const txt = (k: DkimKey): { TXT: string[] } => ({ TXT: [dkimRecordValue(k)] });
  dns = await startDnsServer({
    'cur._domainkey.states.test': txt(active),
    'ready._domainkey.states.test': txt(ready),
    'old._domainkey.states.test': txt(overlapOver),
  });
  resolver = new Resolver();
  resolver.setServers([dns.address]);
});

after(async () => {
  await dns?.close();
});

const input = () => ({ resolver, domain, nowMs: NOW, zoneLineFor: (k: DkimKey) => `${k.selector}._domainkey.states.test. 3600 IN TXT "${dkimRecordValue(k)}"` });

function about(findings: readonly Finding[], selector: string): Finding[] {
  return findings.filter((f) => f.title.en.includes(`DKIM key ${selector} `));
}

test('doctor: pending and retiring keys are reported for what they are', async () => {
  const findings = await checkDkim(input());
  assert.deepEqual(about(findings, 'cur').map((f) => [f.id, f.status]), [['dkim.key', 'ok']]);

  const [missing] = about(findings, 'next');
  assert.equal(missing?.status, 'warning', 'a pending key fails nothing yet');
  assert.match(missing!.explanation.en, /not published at next\._domainkey\.states\.test yet\. Mail is still signed with the current key/);
  assert.match(missing!.fix!.en, /activate-key/);
  assert.ok(missing!.fix!.record?.startsWith('next._domainkey.states.test. 3600 IN TXT'));

  const [published] = about(findings, 'ready');
  assert.equal(published?.status, 'ok');
  assert.match(published!.explanation.ja, /有効化を待っています/);
  assert.equal(published!.fix?.record, 'hikyaku domain activate-key states.test ready');

  const [stillThere] = about(findings, 'old');
  assert.equal(stillThere?.status, 'info');
  assert.match(stillThere!.explanation.en, /overlap period is over; you may delete the TXT record/);
  assert.equal(stillThere!.fix?.record, 'hikyaku domain retire-key states.test old');
  const [gone] = about(findings, 'older');
  assert.equal(gone?.status, 'info');
  assert.equal(gone!.fix?.record, 'hikyaku domain retire-key states.test older');
});

test('checkKeysPublished: what activation asks', async () => {
  assert.equal((await checkKeysPublished(input(), [ready])).published, true);
  assert.equal((await checkKeysPublished(input(), [ready, waiting])).published, false, 'every key of a rotation must be published');
  assert.equal((await checkKeysPublished(input(), [])).published, false);
  // The record of another key at that name does not count.
  dns.set('next._domainkey.states.test', { TXT: [dkimRecordValue(ready)] });
  const wrong = await checkKeysPublished(input(), [waiting]);
  assert.equal(wrong.published, false);
  assert.deepEqual(wrong.findings.map((f) => [f.id, f.status]), [['dkim.key', 'warning']]);
});
