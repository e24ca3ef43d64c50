import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from './metrics.js';

async function samples(metrics: Metrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await metrics.render()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

test('counts go to prom-client at scrape time, and again after more events', async () => {
  const metrics = new Metrics({ processMetrics: false });
  metrics.accepted('api');
  metrics.accepted('sendmail');
  metrics.attempt('sent', 250);
  metrics.attempt('deferred', 1000);
  const smtp = metrics.smtpSessions('submission');
  smtp.opened();
  smtp.opened();
  smtp.closed('TLSv1.3');
  smtp.authFailed('PLAIN');
  let s = await samples(metrics);
  assert.equal(s.get('hikyaku_messages_accepted_total{via="api"}'), 1);
  assert.equal(s.get('hikyaku_messages_accepted_total{via="sendmail"}'), 1);
  assert.equal(s.get('hikyaku_messages_accepted_total{via="relay"}'), 0);
  assert.equal(s.get('hikyaku_recipient_outcomes_total{outcome="delivered"}'), 1);
  assert.equal(s.get('hikyaku_recipient_outcomes_total{outcome="deferred"}'), 1);
  assert.equal(s.get('hikyaku_delivery_latency_seconds_count'), 1);
  assert.equal(s.get('hikyaku_delivery_latency_seconds_bucket{le="0.25"}'), 1);
  assert.equal(s.get('hikyaku_delivery_latency_seconds_bucket{le="0.1"}'), 0);
  assert.equal(s.get('hikyaku_smtp_sessions_total{listener="submission"}'), 2);
  assert.equal(s.get('hikyaku_smtp_sessions{listener="submission"}'), 1);
  assert.equal(s.get('hikyaku_smtp_sessions_tls_total{listener="submission",tls="TLSv1.3"}'), 1);
  assert.equal(s.get('hikyaku_auth_failures_total{mechanism="PLAIN"}'), 1);
  smtp.closed(undefined);
  metrics.accepted('api');
  s = await samples(metrics);
  assert.equal(s.get('hikyaku_messages_accepted_total{via="api"}'), 2, 'not added twice across scrapes');
  assert.equal(s.get('hikyaku_smtp_sessions{listener="submission"}'), 0);
  assert.equal(s.get('hikyaku_smtp_sessions_tls_total{listener="submission",tls="none"}'), 1);
});

test('the queue gauges and the webhook backlog are read at each scrape; no backlog gauge without a source', async () => {
  let messages = 3;
  const oldest = Date.now() - 120_000;
  const metrics = new Metrics({ processMetrics: false, queue: { stats: () => ({ messages, oldestCreatedAtMs: messages > 0 ? oldest : undefined }) } });
  let s = await samples(metrics);
  assert.equal(s.get('hikyaku_queue_messages'), 3);
  assert.ok(Math.abs((s.get('hikyaku_queue_oldest_message_age_seconds') ?? 0) - 120) < 5);
  assert.equal(s.has('hikyaku_webhook_backlog'), false);
  let pending = 7;
  metrics.webhookBacklog({ pendingCount: () => pending });
  messages = 0;
  s = await samples(metrics);
  assert.equal(s.get('hikyaku_webhook_backlog'), 7);
  assert.equal(s.get('hikyaku_queue_messages'), 0);
  assert.equal(s.get('hikyaku_queue_oldest_message_age_seconds'), 0);
  pending = 0;
  assert.equal((await samples(metrics)).get('hikyaku_webhook_backlog'), 0);
  assert.throws(() => metrics.webhookBacklog({ pendingCount: () => 1 }));
});
