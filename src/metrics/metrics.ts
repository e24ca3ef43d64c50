// Prometheus metrics (prom-client), served at GET /metrics on the HTTP
// listener (metrics-route.ts). Nothing below main.ts imports this module:
// the queue, intake and the SMTP listeners only call the small hooks
// main.ts gives them (onAttempt, a session observer, intake's accept), and
// main.ts forwards those calls here.
//
// Hot path: a labelled prom-client counter looks its child up by hashing
// and validating the label values at every inc(), even through a child
// from counter.labels(...); here each series is a plain cell bound once
// (per listener, per way in, per outcome), an event is one `value++`, and
// the metric's collect() hands the totals to prom-client at scrape time.
// Queue and webhook gauges are read at scrape time only.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The webhook outbox (another module): how many events wait to be sent. */
export interface BacklogSource {
  pendingCount(): number;
}

/** The queue's size and its oldest message, read at scrape time (queue-gauges.ts). */
export interface QueueGaugeSource {
  stats(): { readonly messages: number; readonly oldestCreatedAtMs: number | undefined };
}

/** What an SMTP listener reports of its sessions (structurally the session observer of submission/). */
export interface SmtpSessionMetrics {
  opened(): void;
  /** `tlsVersion`: the protocol the session ended with (TLSv1.3…), undefined for plain text. */
  closed(tlsVersion: string | undefined): void;
  authFailed(mechanism: string): void;
}

export interface MetricsOptions {
  readonly queue?: QueueGaugeSource | undefined;
  readonly webhooks?: BacklogSource | undefined;
  /** Node's process metrics (CPU, memory, event loop lag, GC). Default true. */
  readonly processMetrics?: boolean;
}

// Accepted → delivered: most mail leaves in well under a second, retries take minutes to days.
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 5 * 24 * 3600];

/** One labelled series, counted in a plain field on the hot path and handed to prom-client at scrape time. */
interface Cell {
  readonly labels: Record<string, string>;
  value: number;
}

/**
 * prom-client's `counter.labels(...)` child still hashes and validates its
 * labels at every inc(); these cells are bound once and an event is one
 * `cell.value++`. The metric's collect() copies the cells in at scrape time.
 */
class Cells {
  readonly #cells = new Map<string, Cell>();
  cell(labels: Record<string, string>): Cell {
    const key = Object.values(labels).join('\u0000');
    let cell = this.#cells.get(key);
    if (cell === undefined) {
      cell = { labels, value: 0 };
      this.#cells.set(key, cell);
    }
    return cell;
  }
  values(): IterableIterator<Cell> {
    return this.#cells.values();
  }
}

function countedBy(cells: Cells): (this: Counter<string>) => void {
  return function collect(this: Counter<string>) {
    this.reset();
    for (const c of cells.values()) this.inc(c.labels, c.value);
  };
}

export class Metrics {
  readonly registry = new Registry();
  readonly #accepted = new Cells();
  readonly #acceptedBy = new Map<string, Cell>();
  readonly #outcomes = new Cells();
  readonly #outcomeBy = new Map<string, Cell>();
  readonly #latency: Histogram<never>;
  readonly #sessions = new Cells();
  readonly #sessionsCurrent = new Cells();
  readonly #sessionsTls = new Cells();
  readonly #authFailures = new Cells();
  readonly #authFailuresBy = new Map<string, Cell>();

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hikyaku_' });
    new Counter({
      name: 'hikyaku_messages_accepted_total',
      help: 'Messages stored in the queue, by way in (submission, submissions, relay, api, bounce, ...).',
      labelNames: ['via'],
      registers,
      collect: countedBy(this.#accepted),
    });
    new Counter({
      name: 'hikyaku_recipient_outcomes_total',
      help: 'Delivery attempt outcomes, one per recipient per attempt: delivered, deferred (will retry), bounced, expired.',
      labelNames: ['outcome'],
      registers,
      collect: countedBy(this.#outcomes),
    });
    this.#latency = new Histogram({
      name: 'hikyaku_delivery_latency_seconds',
      help: 'Time from acceptance to delivery, per delivered recipient.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new Counter({ name: 'hikyaku_smtp_sessions_total', help: 'SMTP sessions started, by listener.', labelNames: ['listener'], registers, collect: countedBy(this.#sessions) });
    const current = this.#sessionsCurrent;
    new Gauge({
      name: 'hikyaku_smtp_sessions',
      help: 'SMTP sessions open now, by listener.',
      labelNames: ['listener'],
      registers,
      collect() {
        for (const c of current.values()) this.set(c.labels, c.value);
      },
    });
    new Counter({
      name: 'hikyaku_smtp_sessions_tls_total',
      help: 'SMTP sessions ended, by listener and TLS version ("none" for a session that never used TLS).',
      labelNames: ['listener', 'tls'],
      registers,
      collect: countedBy(this.#sessionsTls),
    });
    new Counter({
      name: 'hikyaku_auth_failures_total',
      help: 'Refused authentications, by mechanism (PLAIN, LOGIN, SCRAM-SHA-256, CRAM-MD5; api-key for the HTTP API).',
      labelNames: ['mechanism'],
      registers,
      collect: countedBy(this.#authFailures),
    });
    const queue = options.queue;
    if (queue !== undefined) {
      // Both gauges from one read per scrape.
      let last: ReturnType<QueueGaugeSource['stats']> | undefined;
      new Gauge({
        name: 'hikyaku_queue_messages',
        help: 'Messages in the queue (a large PostgreSQL queue is recounted only every few minutes: queue/postgres/pg-queue-stats.ts).',
        registers,
        collect() {
          last = queue.stats();
          this.set(last.messages);
        },
      });
      new Gauge({
        name: 'hikyaku_queue_oldest_message_age_seconds',
        help: 'Age of the oldest message in the queue (0 when empty).',
        registers,
        collect() {
          const oldest = (last ?? queue.stats()).oldestCreatedAtMs;
          last = undefined;
          this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
        },
      });
    }
    if (options.webhooks !== undefined) this.webhookBacklog(options.webhooks);
    // Zero series from the start, so that rate() and alerts see the first increase.
    for (const via of ['submission', 'submissions', 'relay', 'api', 'bounce']) this.#acceptedChild(via);
    for (const outcome of ['delivered', 'deferred', 'bounced', 'expired']) this.#outcomeChild(outcome);
  }

  /** Registers the hikyaku_webhook_backlog gauge (once), read from `source` at each scrape. */
  webhookBacklog(source: BacklogSource): void {
    if (this.registry.getSingleMetric('hikyaku_webhook_backlog') !== undefined) throw new Error('a webhook backlog source is registered already');
    new Gauge({
      name: 'hikyaku_webhook_backlog',
      help: 'Webhook events waiting to be sent.',
      registers: [this.registry],
      collect() {
        this.set(source.pendingCount());
      },
    });
  }

  /** A message was stored, by its way in (the Submitter's `via`). */
  accepted(via: string): void {
    (this.#acceptedBy.get(via) ?? this.#acceptedChild(via)).value++;
  }

  /**
   * One recipient's attempt result, as the scheduler logs it: sent (delivered),
   * deferred, bounced or expired; `delayMs` since acceptance.
   */
  attempt(status: string, delayMs: number): void {
    const outcome = status === 'sent' ? 'delivered' : status;
    (this.#outcomeBy.get(outcome) ?? this.#outcomeChild(outcome)).value++;
    if (outcome === 'delivered') this.#latency.observe(delayMs / 1000);
  }

  authFailed(mechanism: string): void {
    let cell = this.#authFailuresBy.get(mechanism);
    if (cell === undefined) {
      cell = this.#authFailures.cell({ mechanism });
      this.#authFailuresBy.set(mechanism, cell);
    }
    cell.value++;
  }

  /** The observer for one SMTP listener's sessions, its cells bound once. */
  smtpSessions(listener: string): SmtpSessionMetrics {
    const started = this.#sessions.cell({ listener });
    const current = this.#sessionsCurrent.cell({ listener });
    const ended = new Map<string, Cell>();
    const endedWith = (tls: string): Cell => {
      let cell = ended.get(tls);
      if (cell === undefined) {
        cell = this.#sessionsTls.cell({ listener, tls });
        ended.set(tls, cell);
      }
      return cell;
    };
    return {
      opened: () => {
        started.value++;
        current.value++;
      },
      closed: (tlsVersion) => {
        current.value--;
        endedWith(tlsVersion ?? 'none').value++;
      },
      authFailed: (mechanism) => this.authFailed(mechanism),
    };
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #acceptedChild(via: string): Cell {
    const cell = this.#accepted.cell({ via });
    this.#acceptedBy.set(via, cell);
    return cell;
  }

  #outcomeChild(outcome: string): Cell {
    const cell = this.#outcomes.cell({ outcome });
    this.#outcomeBy.set(outcome, cell);
    return cell;
  }
}
