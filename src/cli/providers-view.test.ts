import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/load.js';
import { BackoffStore } from '../deliverability/backoff-store.js';
import { clock } from '../deliverability/engine.js';
import { runProvidersView } from './providers-view.js';

test('queue providers shows each group normal, slowed (to what, until when, after which reply) or suspended, in both languages', (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hikyaku-providers-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const config = parseConfig({ hostname: 'mail.example.test', dataDir, deliverability: { groups: [{ name: 'gmail', perMinute: 60 }] } });
  const now = Date.now();
  const store = BackoffStore.open(dataDir);
  store.put({ source: 'default', group: 'gmail', factor: 0.5, slowedAtMs: now, coolUntilMs: now + 3_600_000, suspendedUntilMs: 0, reason: '421 4.7.28' });
  store.put({ source: 'default', group: 'microsoft', factor: 0.5, slowedAtMs: now, coolUntilMs: now + 7_200_000, suspendedUntilMs: now + 7_200_000, reason: '550 5.7.606' });
  store.close();
  const run = (lang: 'en' | 'ja'): string => {
    const lines: string[] = [];
    assert.equal(runProvidersView({ config, lang, out: (l) => lines.push(l) }, false), 0);
    return lines.join('\n');
  };
  const until = clock(now + 3_600_000);
  const full = clock(now + 3_600_000 + 300_000);
  const en = run('en');
  assert.match(en, new RegExp(`^gmail\\t5, 50, 60, 2000\\tslowed to 30/min until ${until} after 421 4\\.7\\.28; full rate at ${full}$`, 'm'));
  assert.match(en, new RegExp(`^microsoft\\t.*\\tsuspended until ${clock(now + 7_200_000)} after 550 5\\.7\\.606 \\(mail waits in the queue\\)$`, 'm'));
  assert.match(en, /^yahoo\t3, 20, 30, 1000\tnormal$/m);
  const ja = run('ja');
  assert.match(ja, new RegExp(`^gmail\\t.*\\t${until} まで 30/分 に減速中 \\(421 4\\.7\\.28 のため\\)。${full} に通常の速度に戻る$`, 'm'));
  assert.match(ja, /^yahoo\t.*\t通常$/m);
});
