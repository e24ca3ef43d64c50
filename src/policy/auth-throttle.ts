// AUTH brute-force protection across connections. Failed logins are counted
// per client address (IPv6 per /64, see client-address.ts) and per login
// name; past the limit within `failureWindowMs`, further AUTH from that
// address, or for that name from anywhere, is refused for `blockMs`, before
// any password is checked. The per-name count catches a slow attack on one
// account from many addresses; the per-address count catches one address
// trying many names.
//
// A success clears the name's count (the owner remembered the password)
// but not the address's: an attacker holding one valid account must not be
// able to wipe the count by logging in with it between guesses.
//
// Memory is bounded: each table holds at most `maxTrackedKeys` entries
// (oldest go first; idle ones are removed as the table is used; see
// recency-map.ts). An attacker able to fill a table with that many fresh
// keys can push an older entry (and its block) out; that takes
// `maxTrackedKeys` failed logins, each paying the password hash and the
// tarpit. Counts live in memory only: a restart forgets them.
//
// The known trade-off of the per-name block: someone who knows a login name
// can keep its owner out by failing on purpose. Blocks are short (15 min)
// and the per-address limit still applies to the attacker.
import { clientKey } from './client-address.js';
import { RecencyMap } from './recency-map.js';

export interface AuthThrottleOptions {
  /** Failures are counted within this window from the first one. Default 900,000 (15 min). */
  readonly failureWindowMs?: number;
  /** Failures from one client address (IPv6 /64) that block it. Default 10. */
  readonly maxFailuresPerClient?: number;
  /** Failures for one login name (from anywhere) that block it. Default 10. */
  readonly maxFailuresPerLogin?: number;
  /** How long a block lasts. Default 900,000 (15 min). */
  readonly blockMs?: number;
  /** Entries kept per table (addresses, names). Default 100,000. */
  readonly maxTrackedKeys?: number;
}

export interface AuthBlock {
  /** What is blocked: the client address (or its /64), or the login name. */
  readonly scope: 'client' | 'login';
  /** The address key or the normalised name. */
  readonly key: string;
  readonly untilMs: number;
}

/** The contract a shared backend will implement (blocks across nodes); it may answer with promises. */
export interface AuthThrottleStore {
  isBlocked(clientIp: string, login: string | undefined, nowMs: number): AuthBlock | undefined | Promise<AuthBlock | undefined>;
  recordFailure(clientIp: string, login: string | undefined, nowMs: number): AuthBlock | undefined | Promise<AuthBlock | undefined>;
  recordSuccess(clientIp: string, login: string, nowMs: number): void | Promise<void>;
}

interface Failures {
  count: number;
  windowStartMs: number;
  /** 0 when not blocked. */
  blockedUntilMs: number;
}

/** Login names compare as the user types them give or take case and spaces. */
export function normalizeLogin(login: string): string {
  return login.trim().toLowerCase();
}

/** Told of this node's failures and successes (cluster/shared-limits.ts publishes them to the other nodes). */
export interface AuthEventListener {
  failure(clientIp: string, login: string | undefined, nowMs: number): void;
  success(clientIp: string, login: string, nowMs: number): void;
}

export class AuthThrottle implements AuthThrottleStore {
  private listener: AuthEventListener | undefined;
  private readonly failureWindowMs: number;
  private readonly maxFailuresPerClient: number;
  private readonly maxFailuresPerLogin: number;
  private readonly blockMs: number;
  private readonly clients: RecencyMap<Failures>;
  private readonly logins: RecencyMap<Failures>;

  constructor(options: AuthThrottleOptions = {}) {
    this.failureWindowMs = options.failureWindowMs ?? 900_000;
    this.maxFailuresPerClient = options.maxFailuresPerClient ?? 10;
    this.maxFailuresPerLogin = options.maxFailuresPerLogin ?? 10;
    this.blockMs = options.blockMs ?? 900_000;
    const maxTrackedKeys = options.maxTrackedKeys ?? 100_000;
    const idle = (f: Failures, nowMs: number): boolean =>
      nowMs >= f.blockedUntilMs && nowMs - f.windowStartMs >= this.failureWindowMs;
    this.clients = new RecencyMap(maxTrackedKeys, idle);
    this.logins = new RecencyMap(maxTrackedKeys, idle);
  }

  /** The block that applies to this client (and login name, when given), or undefined. Check before verifying a password. */
  isBlocked(clientIp: string, login: string | undefined, nowMs: number): AuthBlock | undefined {
    const client = clientKey(clientIp);
    const byClient = blockOf(this.clients.get(client), nowMs);
    if (byClient !== undefined) return { scope: 'client', key: client, untilMs: byClient };
    if (login === undefined) return undefined;
    const name = normalizeLogin(login);
    const byLogin = blockOf(this.logins.get(name), nowMs);
    return byLogin === undefined ? undefined : { scope: 'login', key: name, untilMs: byLogin };
  }

  /** Publish this node's failures and successes (a cluster), or stop. */
  shareWith(listener: AuthEventListener | undefined): void {
    this.listener = listener;
  }

  /** Counts one failed AUTH; returns the block now in force, if this or an earlier failure caused one. */
  recordFailure(clientIp: string, login: string | undefined, nowMs: number): AuthBlock | undefined {
    this.listener?.failure(clientIp, login, nowMs);
    return this.applyFailure(clientIp, login, nowMs);
  }

  /** A failure another node counted: counted here too, not published again. */
  applyFailure(clientIp: string, login: string | undefined, nowMs: number): AuthBlock | undefined {
    const client = clientKey(clientIp);
    this.count(this.clients, client, this.maxFailuresPerClient, nowMs);
    if (login !== undefined) this.count(this.logins, normalizeLogin(login), this.maxFailuresPerLogin, nowMs);
    return this.isBlocked(clientIp, login, nowMs);
  }

  /** Clears the login name's failures (not the address's: see the header). A block in force stays. */
  recordSuccess(clientIp: string, login: string, nowMs: number): void {
    this.listener?.success(clientIp, login, nowMs);
    this.applySuccess(login, nowMs);
  }

  /** A success another node saw: clears the name's failures here too. */
  applySuccess(login: string, nowMs: number): void {
    const name = normalizeLogin(login);
    const failures = this.logins.get(name);
    if (failures !== undefined && blockOf(failures, nowMs) === undefined) this.logins.delete(name);
  }

  /** Failures counted now for the client address and the login name (for logs and tests). */
  failures(clientIp: string, login: string | undefined, nowMs: number): { client: number; login: number } {
    return {
      client: this.countOf(this.clients.get(clientKey(clientIp)), nowMs),
      login: login === undefined ? 0 : this.countOf(this.logins.get(normalizeLogin(login)), nowMs),
    };
  }

  /** Entries held (addresses, names): bounded by maxTrackedKeys each. */
  get size(): { clients: number; logins: number } {
    return { clients: this.clients.size, logins: this.logins.size };
  }

  private count(table: RecencyMap<Failures>, key: string, max: number, nowMs: number): void {
    let failures = table.get(key);
    if (failures === undefined) failures = { count: 0, windowStartMs: nowMs, blockedUntilMs: 0 };
    else if (nowMs - failures.windowStartMs >= this.failureWindowMs) {
      failures.count = 0;
      failures.windowStartMs = nowMs;
    }
    failures.count++;
    if (failures.count >= max && blockOf(failures, nowMs) === undefined) {
      // The block starts a fresh count: after it, the client gets `max` tries again.
      failures.blockedUntilMs = nowMs + this.blockMs;
      failures.count = 0;
      failures.windowStartMs = nowMs;
    }
    table.touch(key, failures, nowMs);
  }

  private countOf(failures: Failures | undefined, nowMs: number): number {
    return failures === undefined || nowMs - failures.windowStartMs >= this.failureWindowMs ? 0 : failures.count;
  }
}

function blockOf(failures: Failures | undefined, nowMs: number): number | undefined {
  return failures !== undefined && nowMs < failures.blockedUntilMs ? failures.blockedUntilMs : undefined;
}
