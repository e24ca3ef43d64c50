// A real HTTP receiver of Hikyaku's webhook events (node:http on 127.0.0.1),
// checking each request as the README tells a receiver to: the signature
// over the raw body with the endpoint's secret, the event id header. How it
// answers is the test's choice, per event and try: take it (204), refuse it
// (500), or hold the request open without an answer (a hung endpoint: the
// request ends when its sender gives up or dies, and nothing is taken).
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ReceivedEvent {
  readonly id: string;
  readonly type: string;
  readonly messageId: string;
  readonly recipient: string;
  readonly timestamp: string;
  readonly reply: { code: number | null; enhanced: string | null; text: string; remoteMta: string | null } | null;
  readonly tag?: string;
  readonly metadata?: Record<string, string>;
}

export type Answer = 'take' | 'refuse' | 'hold';

export interface WebhookReceiver {
  readonly url: string;
  /** Events answered 2xx, in the order they were taken (repeats included). */
  readonly taken: ReceivedEvent[];
  /** Requests per event id, whatever the answer. */
  readonly tries: Map<string, number>;
  readonly bodies: { body: string; signature: string }[];
  /** Requests refused for a bad signature (400). */
  readonly badSignatures: number;
  /** Requests held open now. */
  readonly held: number;
  /** Until `ids` distinct events were taken; fails after timeoutMs naming what came. */
  waitFor(ids: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The README's verification, as a receiver would write it. */
export function verifyWebhook(secret: string, rawBody: string, header: string, nowSeconds = Date.now() / 1000): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const t = Number(parts['t']);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  const given = String(parts['v1'] ?? '');
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

export async function startWebhookReceiver(secret: string, answer: (event: ReceivedEvent, tryNumber: number) => Answer): Promise<WebhookReceiver> {
  const taken: ReceivedEvent[] = [];
  const tries = new Map<string, number>();
  const bodies: { body: string; signature: string }[] = [];
  const held = new Set<ServerResponse>();
  let badSignatures = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = String(req.headers['hikyaku-signature'] ?? '');
      if (!verifyWebhook(secret, body, signature)) {
        badSignatures++;
        res.writeHead(400).end('bad signature');
        return;
      }
      const event = JSON.parse(body) as ReceivedEvent;
      assert.equal(req.headers['hikyaku-event-id'], event.id);
      const n = (tries.get(event.id) ?? 0) + 1;
      tries.set(event.id, n);
      const a = answer(event, n);
      if (a === 'take') {
        bodies.push({ body, signature });
        taken.push(event);
        res.writeHead(204).end();
      } else if (a === 'refuse') res.writeHead(500).end('not now');
      else {
        held.add(res);
        // The sender gave up (timeout) or died: nothing was taken.
        res.on('close', () => held.delete(res));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    taken,
    tries,
    bodies,
    get badSignatures() {
      return badSignatures;
    },
    get held() {
      return held.size;
    },
    async waitFor(ids, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (new Set(taken.map((e) => e.id)).size < ids) {
        if (Date.now() > deadline) assert.fail(`only ${new Set(taken.map((e) => e.id)).size} of ${ids} events arrived: ${JSON.stringify(taken.map((e) => [e.type, e.recipient]))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Distinct events in the order first taken, grouped by message. */
export function eventsByMessage(events: readonly ReceivedEvent[]): Map<string, ReceivedEvent[]> {
  const seen = new Set<string>();
  const out = new Map<string, ReceivedEvent[]>();
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.set(e.messageId, [...(out.get(e.messageId) ?? []), e]);
  }
  return out;
}
