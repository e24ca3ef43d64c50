// Automatic end of a DKIM key rotation in the running server: every
// interval, the pending keys (made by `hikyaku domain rotate-key`) are
// looked up in DNS; once a rotation's records are published and match, its
// keys start signing and the keys they replace begin their overlap, exactly
// as `hikyaku domain activate-key` does by hand.
//
// A record must be seen at `confirmations` checks in a row (default 2, so at
// least one interval apart) before the switch: a zone served by several
// authoritative servers is not updated on all of them at the same instant,
// and one good answer from one of them is not yet what every receiver sees.
// Nobody else has looked the new name up before it signs, so no resolver
// can hold a cached "no such name" for it.
//
// The DNS check itself is injected (the doctor's DKIM check, wired in
// main.ts): this layer does not know about DNS.
import type { Logger } from 'pino';
import { DomainStore, DomainStoreError, type DkimKey, type SendingDomain } from './domain-store.js';

export type PublishedCheck = (domain: SendingDomain, keys: readonly DkimKey[]) => Promise<{ readonly published: boolean }>;

export interface KeyAutoActivationOptions {
  readonly store: DomainStore;
  readonly check: PublishedCheck;
  readonly intervalMs: number;
  readonly overlapMs: number;
  readonly logger: Logger;
  /** Checks in a row that must find the records before the switch (default 2). */
  readonly confirmations?: number;
  readonly now?: () => number;
}

export class KeyAutoActivation {
  readonly #options: KeyAutoActivationOptions;
  /** Consecutive good checks per pending key (selector + public key, so a replaced key starts again). */
  readonly #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: KeyAutoActivationOptions) {
    this.#options = options;
  }

  /** Checks at once, then every intervalMs. The timer never keeps the process alive. */
  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over every domain with pending keys; returns the keys activated. */
  async runOnce(): Promise<DkimKey[]> {
    const { store, logger } = this.#options;
    let domains: SendingDomain[];
    try {
      domains = store.list();
    } catch (err) {
      logger.error({ err }, 'DKIM auto-activation: cannot read the sending domains');
      return [];
    }
    const activated: DkimKey[] = [];
    const stillPending = new Set<string>();
    for (const domain of domains) {
      for (const group of rotations(domain)) {
        for (const key of group) stillPending.add(seenKey(domain, key));
        if (this.#stopped) return activated;
        activated.push(...(await this.#consider(domain, group)));
      }
    }
    for (const k of this.#seen.keys()) if (!stillPending.has(k)) this.#seen.delete(k);
    return activated;
  }

  async #consider(domain: SendingDomain, group: readonly DkimKey[]): Promise<DkimKey[]> {
    const { store, check, logger, overlapMs } = this.#options;
    const confirmations = this.#options.confirmations ?? 2;
    const selectors = group.map((k) => k.selector);
    let published = false;
    try {
      published = (await check(domain, group)).published;
    } catch (err) {
      logger.warn({ err, domain: domain.name, selectors }, 'DKIM auto-activation: the DNS check failed; trying again later');
    }
    let count = Infinity;
    for (const key of group) {
      const k = seenKey(domain, key);
      const n = published ? (this.#seen.get(k) ?? 0) + 1 : 0;
      this.#seen.set(k, n);
      count = Math.min(count, n);
    }
    if (!published) {
      logger.debug({ domain: domain.name, selectors }, 'DKIM auto-activation: pending key not published (or not matching) yet');
      return [];
    }
    if (count < confirmations) {
      logger.info({ event: 'dkim-key-seen', domain: domain.name, selectors, checks: count, needed: confirmations }, 'pending DKIM key found published; activating it after the next check confirms it');
      return [];
    }
    try {
      const nowMs = this.#options.now?.() ?? Date.now();
      const result = store.activate(domain.name, { overlapMs, selector: group[0]?.selector as string, nowMs });
      for (const key of group) this.#seen.delete(seenKey(domain, key));
      logger.info(
        {
          event: 'dkim-key-activated',
          domain: domain.name,
          selectors: result.activated.map((k) => k.selector),
          retiring: result.retiring.map((k) => k.selector),
          retireUntil: result.retiring[0]?.retireUntilMs === undefined ? undefined : new Date(result.retiring[0].retireUntilMs).toISOString(),
        },
        'DKIM key rotation: the new key is published, and signs from now on; the previous key stays published for the overlap',
      );
      return result.activated;
    } catch (err) {
      // Activated (or discarded) meanwhile by `hikyaku domain activate-key / retire-key`: nothing to do.
      if (err instanceof DomainStoreError && (err.code === 'no-pending' || err.code === 'key-not-found' || err.code === 'not-found')) return [];
      logger.error({ err, domain: domain.name, selectors }, 'DKIM auto-activation: could not activate the key');
      return [];
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.runOnce()
        .then(() => undefined, (err: unknown) => this.#options.logger.error({ err }, 'DKIM auto-activation failed'))
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.#options.intervalMs);
        });
    }, delayMs);
    this.#timer.unref();
  }
}

/** A domain's pending keys, one group per rotation (the keys one rotate-key made together). */
function rotations(domain: SendingDomain): DkimKey[][] {
  const groups = new Map<number, DkimKey[]>();
  for (const key of domain.keys) {
    if (key.state !== 'pending') continue;
    const group = groups.get(key.createdAtMs) ?? [];
    group.push(key);
    groups.set(key.createdAtMs, group);
  }
  return [...groups.values()];
}

function seenKey(domain: SendingDomain, key: DkimKey): string {
  return `${domain.name}/${key.selector}/${key.publicKeyBase64}`;
}
