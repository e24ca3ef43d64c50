// Connection reuse and per-destination concurrency (Postfix: the scache and
// default_destination_concurrency_limit). Two independent things:
//
// - slots: at most N deliveries at a time per destination (a recipient domain,
//   or the smarthost), the rest wait first-come first-served. A delivery
//   holds its slot while it uses one connection at a time, so a destination
//   never sees more than N of our sessions at once.
// - idle connections, per key (address, port, TLS mode, AUTH identity), kept
//   for idleConnectionTimeoutMs and for at most maxMessagesPerConnection
//   transactions, then closed with QUIT.
//
// Generic over a small interface so its rules can be tested without sockets.

export interface PoolableConnection {
  /** False once closed or once the server said it is closing (421). */
  readonly usable: boolean;
  /** Transactions started on it so far. */
  readonly messageCount: number;
  quit(): Promise<void>;
  onClose(listener: () => void): void;
}

export interface PoolLimits {
  readonly maxConnectionsPerDestination: number;
  /** Several nodes: this node's part of the limit (cluster/shared-limits.ts); undefined = all of it. */
  readonly shareOf?: ((limit: number) => number) | undefined;
  readonly maxMessagesPerConnection: number;
  readonly idleConnectionTimeoutMs: number;
}

interface Slots {
  active: number;
  readonly waiters: (() => void)[];
}

interface Idle<C> {
  readonly connection: C;
  readonly timer: NodeJS.Timeout;
}

export class ConnectionPool<C extends PoolableConnection> {
  private readonly limits: PoolLimits;
  private readonly slots = new Map<string, Slots>();
  private readonly idle = new Map<string, Idle<C>[]>();
  private readonly watched = new WeakSet<C>();
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(limits: PoolLimits) {
    if (!(limits.maxConnectionsPerDestination >= 1)) throw new Error('maxConnectionsPerDestination must be at least 1');
    if (!(limits.maxMessagesPerConnection >= 1)) throw new Error('maxMessagesPerConnection must be at least 1');
    this.limits = limits;
  }

  /** Wait for a slot of `destination` (FIFO). Resolves to the function that gives it back (idempotent). */
  acquire(destination: string): Promise<() => void> {
    let slots = this.slots.get(destination);
    if (slots === undefined) {
      slots = { active: 0, waiters: [] };
      this.slots.set(destination, slots);
    }
    const s = slots;
    const releaser = (): (() => void) => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const next = s.waiters.shift();
        // Hand the slot straight to the next waiter: `active` stays the same.
        if (next !== undefined) return next();
        s.active--;
        if (s.active === 0) this.slots.delete(destination);
      };
    };
    const max = this.limits.shareOf?.(this.limits.maxConnectionsPerDestination) ?? this.limits.maxConnectionsPerDestination;
    if (s.active < max) {
      s.active++;
      return Promise.resolve(releaser());
    }
    return new Promise((resolve) => s.waiters.push(() => resolve(releaser())));
  }

  /** Deliveries holding a slot of `destination` now, and deliveries waiting for one. */
  slotUsage(destination: string): { active: number; waiting: number } {
    const s = this.slots.get(destination);
    return { active: s?.active ?? 0, waiting: s?.waiters.length ?? 0 };
  }

  /** The most recently used idle connection for `key`, taken out of the pool; undefined if none. */
  takeIdle(key: string): C | undefined {
    const list = this.idle.get(key);
    while (list !== undefined && list.length > 0) {
      const entry = list.pop() as Idle<C>;
      clearTimeout(entry.timer);
      if (list.length === 0) this.idle.delete(key);
      if (entry.connection.usable) return entry.connection;
    }
    return undefined;
  }

  idleCount(key?: string): number {
    if (key !== undefined) return this.idle.get(key)?.length ?? 0;
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /**
   * Done with `connection`: keep it idle for reuse when it is still usable
   * and under the message limit, otherwise QUIT it. Resolves once it is
   * either parked or closed, so a slot released afterwards is really free.
   */
  async release(key: string, connection: C, maxMessages: number = this.limits.maxMessagesPerConnection): Promise<void> {
    if (this.closed || !connection.usable || connection.messageCount >= Math.min(maxMessages, this.limits.maxMessagesPerConnection)) {
      return this.quit(connection);
    }
    const timer = setTimeout(() => {
      this.remove(key, connection);
      void this.quit(connection);
    }, this.limits.idleConnectionTimeoutMs);
    timer.unref();
    let list = this.idle.get(key);
    if (list === undefined) {
      list = [];
      this.idle.set(key, list);
    }
    list.push({ connection, timer });
    if (!this.watched.has(connection)) {
      this.watched.add(connection);
      // The server may close an idle connection at any time: forget it then.
      connection.onClose(() => this.remove(key, connection));
    }
  }

  /** QUIT every idle connection and wait for those and for QUITs already under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [key, list] of [...this.idle]) {
      this.idle.delete(key);
      for (const entry of list) {
        clearTimeout(entry.timer);
        void this.quit(entry.connection);
      }
    }
    await Promise.all([...this.closing]);
  }

  private remove(key: string, connection: C): void {
    const list = this.idle.get(key);
    if (list === undefined) return;
    const index = list.findIndex((e) => e.connection === connection);
    if (index < 0) return;
    const [entry] = list.splice(index, 1);
    if (entry !== undefined) clearTimeout(entry.timer);
    if (list.length === 0) this.idle.delete(key);
  }

  private quit(connection: C): Promise<void> {
    const p = connection.quit().catch(() => undefined);
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
    return p;
  }
}
