// "Say it once in a while": a warning about a standing condition (mail from a
// domain without a DKIM key, say) is useful the first time and noise the
// thousandth, and at thousands of messages a second the noise costs CPU too.

export class OncePer {
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #lastSaid = new Map<string, number>();

  constructor(intervalMs: number, maxKeys = 1024) {
    this.#intervalMs = intervalMs;
    this.#maxKeys = maxKeys;
  }

  /** True when `key` was not allowed within the interval before `nowMs`; remembers it. */
  allow(key: string, nowMs: number = Date.now()): boolean {
    const last = this.#lastSaid.get(key);
    if (last !== undefined && nowMs - last < this.#intervalMs) return false;
    // Bounded: many distinct keys (a spam run with random domains) forget old ones.
    if (last === undefined && this.#lastSaid.size >= this.#maxKeys) this.#lastSaid.clear();
    this.#lastSaid.set(key, nowMs);
    return true;
  }
}
