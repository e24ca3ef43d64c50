// Per-client connection limits, checked when a connection is accepted:
// simultaneous sessions per client address (`maxPerClient`) and new
// connections per `rateWindowMs` (`maxRatePerClient`). IPv6 clients count
// per /64 (client-address.ts). Networks in `exempt` (a node:net BlockList,
// e.g. a web server that sends through many parallel connections) are not
// limited; loopback is not exempt unless listed, so a local process cannot
// bypass the limits by default.
//
// Every attempt counts towards the rate, refused ones too: a client that
// keeps hammering while refused stays refused. The rate window is fixed,
// starting at the client's first connection in it.
//
// O(1) per connection. Memory: an entry per client with an open session or
// a rate window still running, capped at `maxTrackedClients` (see
// recency-map.ts); idle entries (no session open, window run out) are
// removed as the table is used, so `release()` needs no clock.
import { BlockList, isIPv4 } from 'node:net';
import { clientKey } from './client-address.js';
import { RecencyMap } from './recency-map.js';

export interface ConnectionLimiterOptions {
  /** Simultaneous sessions per client address (IPv6 /64). Default 20. */
  readonly maxPerClient?: number;
  /** New connections per client address per rate window. Default 60. */
  readonly maxRatePerClient?: number;
  /** Default 60,000 (a minute). */
  readonly rateWindowMs?: number;
  /** Networks that are not limited. Default: none (loopback included). */
  readonly exempt?: BlockList;
  /** Clients tracked at most. Default 100,000. */
  readonly maxTrackedClients?: number;
}

export type ConnectionDecision = { readonly ok: true; release(): void } | { readonly ok: false; readonly reason: 'concurrency' | 'rate' };

/** The contract for a shared backend (a rate across nodes); it may answer with a promise. */
export interface ConnectionGate {
  open(ip: string, nowMs: number): ConnectionDecision | Promise<ConnectionDecision>;
}

interface ClientConnections {
  open: number;
  windowStartMs: number;
  attempts: number;
}

const EXEMPT: ConnectionDecision = Object.freeze({ ok: true as const, release: (): void => {} });
const REFUSED_CONCURRENCY: ConnectionDecision = Object.freeze({ ok: false as const, reason: 'concurrency' as const });
const REFUSED_RATE: ConnectionDecision = Object.freeze({ ok: false as const, reason: 'rate' as const });

export class ConnectionLimiter implements ConnectionGate {
  private readonly maxPerClient: number;
  private readonly maxRatePerClient: number;
  private readonly rateWindowMs: number;
  private readonly exempt: BlockList | undefined;
  private readonly clients: RecencyMap<ClientConnections>;

  constructor(options: ConnectionLimiterOptions = {}) {
    this.maxPerClient = options.maxPerClient ?? 20;
    this.maxRatePerClient = options.maxRatePerClient ?? 60;
    this.rateWindowMs = options.rateWindowMs ?? 60_000;
    this.exempt = options.exempt;
    this.clients = new RecencyMap(options.maxTrackedClients ?? 100_000, (c, nowMs) => this.isIdle(c, nowMs));
  }

  /** Admits a new connection, or says why not. Call `release()` once when the session ends. */
  open(ip: string, nowMs: number): ConnectionDecision {
    if (this.exempt !== undefined && isExempt(this.exempt, ip)) return EXEMPT;
    const key = clientKey(ip);
    let client = this.clients.get(key);
    if (client === undefined) client = { open: 0, windowStartMs: nowMs, attempts: 0 };
    else if (nowMs - client.windowStartMs >= this.rateWindowMs) {
      client.windowStartMs = nowMs;
      client.attempts = 0;
    }
    client.attempts++;
    this.clients.touch(key, client, nowMs);
    if (client.attempts > this.maxRatePerClient) return REFUSED_RATE;
    if (client.open >= this.maxPerClient) return REFUSED_CONCURRENCY;
    client.open++;
    return { ok: true, release: this.releaser(client) };
  }

  /** Sessions open now from this client (0 for exempt ones, which are not tracked). */
  openCount(ip: string): number {
    return this.clients.get(clientKey(ip))?.open ?? 0;
  }

  /** Clients tracked: bounded by maxTrackedClients. */
  get size(): number {
    return this.clients.size;
  }

  private releaser(client: ClientConnections): () => void {
    let released = false;
    return () => {
      if (released) return; // a second call must not free someone else's slot
      released = true;
      client.open--;
    };
  }

  private isIdle(client: ClientConnections, nowMs: number): boolean {
    return client.open <= 0 && nowMs - client.windowStartMs >= this.rateWindowMs;
  }
}

function isExempt(exempt: BlockList, ip: string): boolean {
  // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; the admin lists them as IPv4.
  const address = ip.toLowerCase().startsWith('::ffff:') && ip.includes('.') ? ip.slice('::ffff:'.length) : ip;
  return exempt.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
}
