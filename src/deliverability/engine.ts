// The deliverability engine: provider groups, shaping per group, the reply
// table and the automatic back-off, behind the deliverer's ShapingGate
// (outbound/shaping-gate.ts). State is per (source address, group): the
// live counters in memory, the back-off in deliverability.db (backoff-store.ts).
//
// Mail over a limit is never refused or bounced: admit() answers "hold", the
// deliverer defers it with that time, and the queue tries it again then.
import type { Logger } from 'pino';
import type { RemoteReply } from '../core/outcome.js';
import type { ShapingGate, ShapingHold, ShapingPass } from '../outbound/shaping-gate.js';
import { factorAt, fullAtMs, isSuspended, scaled, slowDown, suspend, type BackoffRecord, type BackoffSettings } from './backoff.js';
import type { BackoffStore } from './backoff-store.js';
import { GroupLimiter, type EffectiveLimits } from './group-limiter.js';
import { GroupMatcher, type ProviderGroup } from './provider-groups.js';
import { matchReply, type ReplyRule } from './reply-rules.js';
import { dailyLimit, dayEndsAtMs, sentToday, type WarmupRecord, type WarmupSettings } from './warmup.js';

export interface EngineSettings extends Omit<BackoffSettings, 'minHalvingGapMs'> {
  /** The length of the "minute" of perMinute (and 60 of them the hour): 1 min; shortened only by tests. */
  readonly rateIntervalMs: number;
  /** IP warm-up per group; undefined = off. */
  readonly warmup?: WarmupSettings | undefined;
}

export interface EngineDeps {
  readonly groups: readonly ProviderGroup[];
  readonly replies: readonly ReplyRule[];
  readonly store: BackoffStore;
  /** The outbound address the state is kept for ("default" when the system chooses). */
  readonly source: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

const WARMUP_FLUSH_MS = 2_000;

/** How many deliveries may wait for a connection slot of one group before the rest are held in the queue. */
const MAX_WAITERS_PER_CONNECTION = 4;

export class DeliverabilityEngine implements ShapingGate {
  private readonly matcher: GroupMatcher;
  private readonly limiters = new Map<string, GroupLimiter>();
  private readonly backoff = new Map<string, BackoffRecord>();
  /** The factor last logged per group, to log recovery steps once. */
  private readonly loggedFactor = new Map<string, number>();
  private readonly settings: BackoffSettings & { rateIntervalMs: number; warmup?: WarmupSettings | undefined };
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly ungrouped: ShapingPass;
  private readonly warmups = new Map<string, WarmupRecord>();
  private readonly warmupDirty = new Set<WarmupRecord>();
  private readonly flushTimer: NodeJS.Timeout | undefined;

  constructor(settings: EngineSettings, private readonly deps: EngineDeps) {
    this.settings = { ...settings, minHalvingGapMs: settings.rateIntervalMs };
    this.matcher = new GroupMatcher(deps.groups);
    this.now = deps.now ?? Date.now;
    this.log = deps.logger.child({ component: 'deliverability' });
    for (const rec of deps.store.all()) if (rec.source === deps.source) this.backoff.set(rec.group, rec);
    if (settings.warmup !== undefined) {
      for (const rec of deps.store.allWarmup()) if (rec.source === deps.source) this.warmups.set(rec.group, rec);
      // Counts are saved every few seconds, not per message: a crash forgets at most that much of a day's count.
      this.flushTimer = setInterval(() => this.flushWarmup(), WARMUP_FLUSH_MS);
      this.flushTimer.unref();
    }
    this.ungrouped = {
      kind: 'go',
      group: undefined,
      messagesPerConnection: undefined,
      review: (reply) => this.review(undefined, reply),
      done: () => undefined,
    };
  }

  groupOf(mxHosts: readonly string[]): ProviderGroup | undefined {
    return this.matcher.groupOf(mxHosts);
  }

  admit(mxHosts: readonly string[]): ShapingPass | ShapingHold | Promise<ShapingPass | ShapingHold> {
    const group = this.matcher.groupOf(mxHosts);
    if (group === undefined) return this.ungrouped;
    const nowMs = this.now();
    const rec = this.currentBackoff(group, nowMs);
    const limits = this.effectiveLimits(group, rec, nowMs);
    const limiter = this.limiter(group.name);
    if (isSuspended(rec, nowMs)) {
      const until = limiter.holdUntil(nowMs, (rec as BackoffRecord).suspendedUntilMs - nowMs, this.paceMs(limits), this.settings.rateIntervalMs);
      return hold(until, '4.7.0', `${group.name}: suspended after "${(rec as BackoffRecord).reason}"; held in the queue until ${clock(until)}`);
    }
    const warm = this.warmupHold(group, limiter, nowMs);
    if (warm !== undefined) return warm;
    const wait = limiter.rateWaitMs(nowMs, limits);
    if (wait > 0) {
      const until = limiter.holdUntil(nowMs, wait, this.paceMs(limits), this.settings.rateIntervalMs);
      return hold(until, '4.4.5', `${group.name}: rate limit ${rateText(limits)} reached; held in the queue until ${clock(until)}`);
    }
    const busy = limits.connections !== undefined && limiter.active >= limits.connections;
    if (busy && limiter.waiters.length >= (limits.connections as number) * MAX_WAITERS_PER_CONNECTION) {
      const until = limiter.holdUntil(nowMs, this.settings.rateIntervalMs / 60, 0, this.settings.rateIntervalMs);
      return hold(until, '4.4.5', `${group.name}: ${limits.connections} connections busy; held in the queue until ${clock(until)}`);
    }
    // The token is taken now, also by a delivery that then waits for a connection: the rate holds either way.
    limiter.takeRate();
    this.countWarmup(group);
    if (busy) return new Promise((resolve) => limiter.waiters.push(() => resolve(this.admitted(group, limiter))));
    limiter.active++;
    return this.admitted(group, limiter);
  }

  /** A connection slot is held (active counted). */
  private admitted(group: ProviderGroup, limiter: GroupLimiter): ShapingPass {
    let released = false;
    return {
      kind: 'go',
      group: group.name,
      messagesPerConnection: group.messagesPerConnection,
      review: (reply) => this.review(group, reply),
      done: () => {
        if (released) return;
        released = true;
        const next = limiter.waiters.shift();
        if (next !== undefined) next();
        else limiter.active--;
      },
    };
  }

  /** Over today's warm-up allowance: hold until the next day, spread over it. */
  private warmupHold(group: ProviderGroup, limiter: GroupLimiter, nowMs: number): ShapingHold | undefined {
    const w = this.settings.warmup;
    if (w === undefined) return undefined;
    let rec = this.warmups.get(group.name);
    if (rec === undefined) {
      rec = { source: this.deps.source, group: group.name, startedAtMs: nowMs, day: 0, sent: 0 };
      this.warmups.set(group.name, rec);
      this.warmupDirty.add(rec);
      this.log.info({ event: 'warmup', group: group.name, source: this.deps.source, limit: dailyLimit(w, 0) }, `${group.name}: warm-up started, ${dailyLimit(w, 0)} messages on day 1`);
    }
    const limit = dailyLimit(w, rec.day);
    if (sentToday(rec, w, nowMs) < dailyLimit(w, rec.day)) return undefined;
    const nextDay = dayEndsAtMs(rec, w, rec.day);
    const until = limiter.holdUntil(nowMs, nextDay - nowMs, w.dayMs / dailyLimit(w, rec.day + 1), w.dayMs);
    return hold(until, '4.4.5', `${group.name}: warm-up day ${rec.day + 1} allows ${limit} messages, all sent; held in the queue until ${clock(until)}`);
  }

  private countWarmup(group: ProviderGroup): void {
    const rec = this.warmups.get(group.name);
    if (rec === undefined) return;
    rec.sent++;
    this.warmupDirty.add(rec);
  }

  private flushWarmup(): void {
    if (this.warmupDirty.size === 0) return;
    const records = [...this.warmupDirty];
    this.warmupDirty.clear();
    try {
      this.deps.store.putWarmup(records);
    } catch (err) {
      for (const r of records) this.warmupDirty.add(r);
      this.log.error({ err }, 'could not save the warm-up counts; retrying');
    }
  }

  /** Save what is not saved yet; stop the timer. */
  close(): void {
    clearInterval(this.flushTimer);
    this.flushWarmup();
  }

  private review(group: ProviderGroup | undefined, reply: RemoteReply): { action: ReplyRule['action']; ruleId: string } | undefined {
    const rule = matchReply(this.deps.replies, reply, group?.name);
    if (rule === undefined) return undefined;
    if (group !== undefined && (rule.action === 'slow' || rule.action === 'suspend')) this.throttle(group, rule, reply);
    return { action: rule.action, ruleId: rule.id };
  }

  private throttle(group: ProviderGroup, rule: ReplyRule, reply: RemoteReply): void {
    const nowMs = this.now();
    const before = this.backoff.get(group.name);
    const reason = [reply.code, reply.enhanced].filter((p) => p !== undefined).join(' ');
    const key = { source: this.deps.source, group: group.name };
    const rec = rule.action === 'suspend' ? suspend(before, this.settings, key, nowMs, reason, rule.forMs) : slowDown(before, this.settings, key, nowMs, reason, rule.forMs);
    this.backoff.set(group.name, rec);
    try {
      this.deps.store.put(rec);
    } catch (err) {
      this.log.error({ err, group: group.name }, 'could not save the back-off state; it is kept in memory');
    }
    const limits = this.effectiveLimits(group, rec, nowMs);
    this.loggedFactor.set(group.name, rec.factor);
    const fields = { event: 'backoff', group: group.name, source: this.deps.source, action: rule.action, rule: rule.id, factor: rec.factor, until: new Date(Math.max(rec.coolUntilMs, rec.suspendedUntilMs)).toISOString(), reply: reason };
    if (rule.action === 'suspend') this.log.warn(fields, `${group.name}: suspended until ${clock(rec.suspendedUntilMs)} after ${reason}`);
    else this.log.warn(fields, `${group.name}: slowed to ${rateText(limits)} until ${clock(rec.coolUntilMs)} after ${reason}`);
  }

  /** The back-off record in effect, forgetting (and logging) a finished one, logging recovery steps. */
  private currentBackoff(group: ProviderGroup, nowMs: number): BackoffRecord | undefined {
    const rec = this.backoff.get(group.name);
    if (rec === undefined) return undefined;
    if (nowMs >= fullAtMs(rec, this.settings)) {
      this.backoff.delete(group.name);
      this.loggedFactor.delete(group.name);
      try {
        this.deps.store.remove(rec.source, rec.group);
      } catch (err) {
        this.log.error({ err, group: group.name }, 'could not clear the back-off state');
      }
      this.log.info({ event: 'backoff', group: group.name, source: this.deps.source, action: 'recovered' }, `${group.name}: back to the full rate (${rateText(this.effectiveLimits(group, undefined, nowMs))})`);
      return undefined;
    }
    const factor = factorAt(rec, this.settings, nowMs);
    if (factor > (this.loggedFactor.get(group.name) ?? rec.factor) && !isSuspended(rec, nowMs)) {
      this.loggedFactor.set(group.name, factor);
      this.log.info({ event: 'backoff', group: group.name, source: this.deps.source, action: 'recovering', factor }, `${group.name}: recovering, now ${rateText(this.effectiveLimits(group, rec, nowMs))}`);
    }
    return rec;
  }

  effectiveLimits(group: ProviderGroup, rec: BackoffRecord | undefined, nowMs: number): EffectiveLimits {
    const f = factorAt(rec, this.settings, nowMs);
    const s = (v: number | undefined): number | undefined => (v === undefined ? undefined : f === 1 ? v : scaled(v, f));
    return { connections: s(group.connections), perMinute: s(group.perMinute), perHour: s(group.perHour) };
  }

  private paceMs(limits: EffectiveLimits): number {
    if (limits.perMinute !== undefined) return this.settings.rateIntervalMs / limits.perMinute;
    if (limits.perHour !== undefined) return (60 * this.settings.rateIntervalMs) / limits.perHour;
    return 0;
  }

  private limiter(name: string): GroupLimiter {
    let l = this.limiters.get(name);
    if (l === undefined) {
      l = new GroupLimiter(this.settings.rateIntervalMs);
      this.limiters.set(name, l);
    }
    return l;
  }
}

function hold(untilMs: number, status: string, detail: string): ShapingHold {
  return { kind: 'hold', untilMs: Math.ceil(untilMs), status, detail };
}

/** "30/min", or the connections when the group has no rate. */
export function rateText(l: EffectiveLimits): string {
  if (l.perMinute !== undefined) return `${l.perMinute}/min`;
  if (l.perHour !== undefined) return `${l.perHour}/hour`;
  return l.connections !== undefined ? `${l.connections} connections` : 'no limit';
}

/** "14:05" in the server's time zone (seconds when under a minute away matter less than readability). */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
