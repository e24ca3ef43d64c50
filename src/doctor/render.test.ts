import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dmarc, ptr, spf } from './messages.js';
import { countFindings, renderJson, renderText } from './render.js';
import { finding, type Finding } from './types.js';

const findings: Finding[] = [
  finding('ptr.record', 'ok', '203.0.113.5', ptr.ok('203.0.113.5', ['mail.example.com'])),
  finding('spf.record', 'error', 'example.com', spf.missing('example.com'), 'example.com. 3600 IN TXT "v=spf1 ip4:203.0.113.5 ~all"'),
  finding('dmarc.policy', 'info', 'example.com', dmarc.policyNone('example.com')),
];

test('text: domains first, then the server, one language, the record verbatim', () => {
  const en = renderText(findings, { lang: 'en', color: false, hostname: 'mail.example.com' });
  const lines = en.split('\n');
  assert.equal(lines[0], '== example.com ==');
  assert.ok(lines.indexOf('== This server (mail.example.com) ==') > lines.indexOf('== example.com =='));
  assert.ok(lines.includes('      example.com. 3600 IN TXT "v=spf1 ip4:203.0.113.5 ~all"'));
  assert.match(en, /✖ ERROR {2}SPF record of example\.com {2}\[spf\.record\]/);
  assert.match(en, /Summary: 1 error\(s\), 0 warning\(s\), 1 OK, 1 info/);
  assert.doesNotMatch(en, /[ぁ-んァ-ン]/);
  assert.doesNotMatch(en, /\x1b/);

  const ja = renderText(findings, { lang: 'ja', color: false, hostname: 'mail.example.com' });
  assert.match(ja, /✖ エラー {2}example\.com の SPF レコード/);
  assert.match(ja, /== このサーバー \(mail\.example\.com\) ==/);
  assert.match(ja, /まとめ: エラー 1 件、警告 0 件、OK 1 件、情報 1 件/);
});

test('text: colour only when asked (a terminal)', () => {
  const coloured = renderText(findings, { lang: 'en', color: true, hostname: 'mail.example.com' });
  assert.match(coloured, /\x1b\[31m✖ ERROR\x1b\[0m/);
  assert.match(coloured, /\x1b\[32m✔ OK\x1b\[0m/);
});

test('JSON: both languages, counts and the verdict', () => {
  const parsed = JSON.parse(renderJson(findings)) as { ok: boolean; summary: Record<string, number>; findings: Finding[] };
  assert.equal(parsed.ok, false);
  assert.deepEqual(parsed.summary, countFindings(findings));
  assert.equal(parsed.findings[1]?.fix?.record, 'example.com. 3600 IN TXT "v=spf1 ip4:203.0.113.5 ~all"');
  assert.match(parsed.findings[1]?.title.ja ?? '', /SPF レコード/);
  assert.match(parsed.findings[1]?.title.en ?? '', /SPF record/);
});
