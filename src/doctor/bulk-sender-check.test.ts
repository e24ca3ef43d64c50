import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../config/parse.js';
import { bulkSenderFindings } from './bulk-sender-check.js';
import { finding, type CheckStatus, type Finding } from './types.js';

const text = { title: { en: 't', ja: 't' }, explanation: { en: 'e', ja: 'e' } };
const f = (id: string, status: CheckStatus, subject: string): Finding => finding(id, status, subject, text);

const allGood = (domain: string): Finding[] => [
  f('spf.record', 'ok', domain),
  f('spf.result', 'ok', domain),
  f('dkim.record', 'ok', domain),
  f('dkim.key', 'ok', domain),
  f('dmarc.record', 'ok', domain),
  f('dmarc.policy', 'warning', domain), // p=none is enough for the rules
  f('dmarc.spf-alignment', 'warning', domain),
  f('dmarc.dkim-alignment', 'ok', domain),
  f('ptr.record', 'ok', '192.0.2.25'),
  f('ptr.fcrdns', 'ok', '192.0.2.25'),
];

test('every rule met: ok, each listed with a check mark', () => {
  const config = parseConfig({ hostname: 'mail.shop.test', dataDir: '/tmp/x', bulk: { unsubscribeUrl: 'https://mail.shop.test' } });
  const [summary] = bulkSenderFindings(allGood('shop.test'), ['shop.test'], config);
  assert.equal(summary?.status, 'ok');
  assert.equal(summary?.id, 'bulk.rules');
  assert.equal(summary?.explanation.en.match(/✓/g)?.length, 7);
});

test('missing DKIM and the unsubscribe link: info (not a warning), the two marked ✗, the fix names the setting', () => {
  const config = parseConfig({ hostname: 'mail.shop.test', dataDir: '/tmp/x' });
  const findings = allGood('shop.test').map((x) => (x.id.startsWith('dkim.') ? f(x.id, 'error', 'shop.test') : x));
  const [summary] = bulkSenderFindings(findings, ['shop.test'], config);
  assert.equal(summary?.status, 'info');
  const crosses = summary?.explanation.en.split('\n').filter((l) => l.startsWith('✗')) ?? [];
  assert.deepEqual(crosses, ['✗ DKIM signature with a published key', '✗ one-click unsubscribe (RFC 8058) in bulk mail']);
  assert.match(summary?.explanation.ja ?? '', /✗ 一斉配信メールのワンクリック配信停止/);
  assert.equal(summary?.fix?.record, 'bulk:\n  unsubscribeUrl: https://mail.shop.test');
});

test('another domain\'s findings do not count; no alignment at all is a missing rule', () => {
  const config = parseConfig({ hostname: 'mail.shop.test', dataDir: '/tmp/x', bulk: { unsubscribeUrl: 'https://mail.shop.test' } });
  const findings = [...allGood('other.test'), f('ptr.record', 'ok', '192.0.2.25')];
  const [summary] = bulkSenderFindings(findings, ['shop.test'], config);
  assert.equal(summary?.explanation.en.split('\n').filter((l) => l.startsWith('✗')).length, 4);
});
