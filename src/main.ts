// The composition root: the one place that knows every module. It opens the
// stores, wires intake → queue → scheduler → delivery → bounces, and starts
// the listeners; `stop()` undoes it in the reverse order without losing mail.
import { mkdirSync } from 'node:fs';
import type { Config } from './config/types.js';
import type { Logger } from './log/logger.js';
import { openCertificates } from './tls/certificates.js';
import { UserStore } from './users/user-store.js';
import { chosenStore, openQueueStore } from './queue/open-queue-store.js';
import { Scheduler } from './queue/scheduler.js';
import { createDeliverer } from './outbound/deliverer.js';
import { TlsReportStore } from './tlsrpt/tlsrpt-store.js';
import { startTlsReports } from './tlsrpt/start-reports.js';
import { openDeliverabilityEngine } from './deliverability/open-engine.js';
import { Intake, type IntakeOptions, type IntakeRequest, type MessageSigner } from './intake/intake.js';
import { createBounceNotifier } from './bounce/notify.js';
import { startListeners, type RunningListener } from './submission/listeners.js';
import { DomainStore, type SendingDomain } from './domains/domain-store.js';
import { KeyAutoActivation } from './domains/key-activation.js';
import { createResolver } from './dns/resolver.js';
import { checkKeysPublished } from './doctor/dkim-check.js';
import { createDkimSigner, headerFromDomain, type DkimSigner } from './dkim/signer.js';
import { toSevenBit, withoutLeadingDkimSignatures } from './message/seven-bit.js';
import { OncePer } from './log/once-per.js';
import { loadOrCreateCramKey } from './users/cram-key.js';
import { SuppressionStore } from './policy/suppression-store.js';
import { suppressionFor } from './policy/hard-bounce.js';
import { openPolicyCounters } from './policy/policy-counters.js';
import { SendingPolicy } from './policy/sending-policy.js';
import { buildBrakeAlert } from './policy/brake-alert.js';
import { senderName, type Sender } from './policy/sender.js';
import type { StoredMessage } from './queue/queue-store.js';
import type { FinalFailure } from './queue/delivery-attempt.js';
import { domainOf } from './core/address.js';
import type { RecipientOutcome } from './core/outcome.js';
import { failureReplyText, remoteReplyText } from './queue/delivery-log.js';
import { ApiKeyStore } from './users/api-keys.js';
import { ApiStore, type RecipientEvent } from './api/api-store.js';
import type { HttpServer } from './api/http-server.js';
import type { RunningConsole } from './console/start-console.js';
import { WebhookEvents, withWebhookEvents } from './webhooks/events.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import { embeddedOutbox, sharedOutbox } from './webhooks/outbox.js';
import type { BacklogSource, Metrics } from './metrics/metrics.js';
import type { QueueGauges } from './metrics/queue-gauges.js';
import { LocalSubmission } from './sendmail/local-policy.js';
import { startLocalServer, type RunningLocalServer } from './sendmail/local-server.js';
import { openServerHistory } from './history/server-history.js';
import type { ClusterNode } from './cluster/open-cluster.js';
import { openServerBulk } from './bulk/server-bulk.js';
import type { HistoryReader } from './history/history-types.js';
import { ensureDataFormat } from './storage/data-format.js';
import { DoctorLights } from './console/doctor-lights.js';
import { doctorRecorder, firstDoctorRunDelayMs, startServerStatus } from './status/server-status.js';
import type { RunningControlSocket } from './status/control-socket.js';
import type { RecentErrors } from './log/recent-errors.js';
import { withBoundPorts } from './autoconfig/client-settings.js';

export interface RunningServer {
  readonly listeners: readonly RunningListener[];
  /** The Prometheus metrics, when served (listeners.http and metrics enabled). */
  readonly metrics: Metrics | undefined;
  /** The HTTP API's listener, when enabled. */
  readonly http: { readonly host: string; readonly port: number } | undefined;
  /** The webhook dispatcher, when webhooks are configured (its pendingCount() is the backlog). */
  readonly webhooks: { pendingCount(): number } | undefined;
  /** SIGHUP (systemctl reload): re-read the certificate files now; true when the certificate changed. */
  reloadCertificates(): Promise<boolean>;
  /** The message history (history.db); empty when history.retentionDays is 0. */
  readonly history: HistoryReader;
  stop(): Promise<void>;
}

export interface ServerExtras {
  /** The webhook outbox's backlog, for the hikyaku_webhook_backlog gauge. */
  readonly webhookBacklog?: BacklogSource | undefined;
  /** The last error lines logged (log/recent-errors.ts), for `hikyaku status`. */
  readonly recentErrors?: RecentErrors | undefined;
}

export async function startServer(config: Config, logger: Logger, extras: ServerExtras = {}): Promise<RunningServer> {
  // Before any store opens: a newer format is refused, an older one migrated (storage/data-format.ts).
  const format = ensureDataFormat(config.dataDir);
  if (format.migrated) logger.info({ event: 'data-format-migrated', dataDir: config.dataDir, from: format.from, to: format.to }, `data directory migrated from format ${format.from} to ${format.to}`);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const certificates = await openCertificates(config.tls, { hostname: config.hostname, dataDir: config.dataDir, logger });
  const users = UserStore.open(config.dataDir, { cramKey: config.auth.cramMd5 ? loadOrCreateCramKey(config.dataDir) : undefined });
  const suppression = SuppressionStore.open(config.dataDir);
  // Bulk mail's one-click unsubscribe (RFC 8058): the link intake adds, and the page it leads to.
  const bulk = openServerBulk(config.dataDir, config.bulk.unsubscribeUrl);
  const counters = openPolicyCounters(config, (err) => logger.error({ err }, 'could not save the policy counters (quotas, brake); retrying'));
  // The embedded queue (SQLite) or PostgreSQL shared by several nodes (store / HIKYAKU_STORE).
  const opened = await openQueueStore(config, logger);
  const store = opened.store;
  // Several nodes on one PostgreSQL queue: the policy's limits hold for all of them (src/cluster/).
  let cluster: ClusterNode | undefined;
  if (opened.kind === 'postgres') {
    const { openCluster } = await import('./cluster/open-cluster.js');
    try {
      cluster = await openCluster(chosenStore(config), config, counters, suppression, logger);
    } catch (err) {
      await store.close();
      throw new Error(`cannot share the sending limits through PostgreSQL: ${(err as Error).message}`, { cause: err });
    }
  }
  const domains = DomainStore.open(config.dataDir);
  const dkim = createDkimSigner(domains, logger);
  const signer = dkimSigner(dkim, logger);
  // Provider groups, shaping, the reply table and back-off (src/deliverability/).
  const deliverability = openDeliverabilityEngine(config, logger);
  // TLS-RPT counts (RFC 8460), told by the deliverer about every new session's TLS.
  const tlsReports = config.tlsReports.enabled ? TlsReportStore.open(config.dataDir) : undefined;
  const deliverer = createDeliverer(config.delivery, {
    hostname: config.hostname,
    logger,
    downgrade: sevenBitDowngrade(dkim),
    dataDir: config.dataDir,
    tlsReport: tlsReports,
    shaping: deliverability.engine,
    connectionShare: cluster === undefined ? undefined : (limit) => cluster.limits.shareOf(limit),
  });
  // The HTTP API's keys (in users.db) and its own records (api.db: submitting user, outcomes, Idempotency-Key answers).
  const apiKeys = ApiKeyStore.open(config.dataDir);
  const apiStore = ApiStore.open(config.dataDir, (err) => logger.error({ err }, 'could not record an API message, outcome or Idempotency-Key answer'));
  // Every message, its attempts and state (history.db), whatever the way in; kept history.retentionDays.
  // On a cluster, each node's history also holds what the other nodes recorded (cluster/shared-history.ts).
  const history = openServerHistory(config.dataDir, config.history.retentionDays, logger, cluster?.history);
  await cluster?.history.attach(history);
  // Webhooks: events are written into the queue database, SQLite or
  // PostgreSQL, with the change that causes them (src/webhooks/events.ts);
  // on PostgreSQL every node sends, each row taken by one node under a lease.
  // Without webhooks nothing is wrapped and no outbox is opened.
  const webhookEvents = config.webhooks.length > 0 ? new WebhookEvents(config.webhooks) : undefined;
  const dispatcher =
    webhookEvents === undefined
      ? undefined
      : new WebhookDispatcher({
          outbox: opened.kind === 'embedded' ? embeddedOutbox(opened.store.webhookOutbox) : sharedOutbox(opened.store.webhookOutbox(config.webhooks.map((w) => w.url))),
          webhooks: config.webhooks,
          logger: logger.child({ component: 'webhooks' }),
          labels: (id) => apiStore.labelsOf(id),
          // Tests only (test/e2e/webhooks.test.ts): a shorter first retry delay than 1 s.
          ...(process.env['HIKYAKU_TEST_WEBHOOK_RETRY_MS'] ? { baseDelayMs: Number(process.env['HIKYAKU_TEST_WEBHOOK_RETRY_MS']) } : {}),
        });
  const queue = webhookEvents === undefined || dispatcher === undefined ? store : withWebhookEvents(store, webhookEvents, () => dispatcher.wake());
  // Prometheus metrics, served on the HTTP listener: without it nothing is counted (no hooks, no cost).
  let metrics: Metrics | undefined;
  let queueGauges: QueueGauges | undefined;
  if (config.listeners.http.enabled && config.metrics.enabled) {
    const [{ Metrics: MetricsClass }, { openQueueGauges }] = await Promise.all([import('./metrics/metrics.js'), import('./metrics/queue-gauges.js')]);
    queueGauges = opened.kind === 'postgres' ? sharedQueueGauges(opened.store) : openQueueGauges(config.dataDir);
    metrics = new MetricsClass({ queue: queueGauges, webhooks: extras.webhookBacklog ?? dispatcher });
  }
  const counted = metrics;

  // The scheduler and intake refer to each other (intake announces new
  // messages; the scheduler's bounces go back through intake).
  let scheduler: Scheduler | undefined;
  const intake = newIntake(counted, {
    hostname: config.hostname,
    store: queue,
    schedule: config.queue.retry,
    logger,
    signer,
    sendingDomains: { find: (fromDomain) => findSendingDomain(domains, fromDomain, logger) },
    onStored: (id, envelope, message, eightBit) => scheduler?.notifyNew(id, envelope.mailFrom, envelope.rcptTo, message, envelope.params, eightBit),
    onAccepted: (accepted) => history.accepted(accepted),
    maxReceivedHeaders: config.limits.maxReceivedHeaders,
    bulk: bulk.rewriter,
  });
  const sending = new SendingPolicy({
    accounts: {
      authenticatePrincipal: (login, password, clientIp) => users.authenticatePrincipal(login, password, clientIp),
      isFlagged: (user, label) => users.principalFor(user, label)?.flagged === true,
      flag: (user, label, reason) => void users.flag(user, label, reason),
    },
    isSendingDomain: (domain) => findSendingDomain(domains, domain, logger) !== undefined,
    suppression,
    suppressionDomain: (domain) => findSendingDomain(domains, domain, logger)?.name ?? domain,
    quotas: counters.quotas,
    brake: counters.brake,
    authThrottle: counters.authThrottle,
    maxAuthFailuresPerClient: config.auth.maxFailuresPerClient,
    limits: config.quotas,
    trustedMaySendAs: config.listeners.relay.maySendAs,
    logger,
    onBrake: (sender, detail) => void alertAdmin(sender, detail),
  });
  const alertAdmin = async (sender: Sender, detail: string): Promise<void> => {
    const to = config.brake.alertAddress;
    if (to === undefined || sender.kind !== 'user') return;
    const { principal } = sender;
    try {
      const message = await buildBrakeAlert({
        hostname: config.hostname,
        to,
        senderName: senderName(sender),
        user: principal.user,
        appPasswordLabel: principal.credential.kind === 'app-password' ? principal.credential.label : undefined,
        clientIp: sender.clientIp,
        detail,
        nowMs: Date.now(),
      });
      const submitter = { clientIp: '127.0.0.1', clientHostname: '', helo: config.hostname, user: undefined, protocol: 'LOCAL', tls: undefined, via: 'brake' };
      await intake.accept({ envelope: { mailFrom: '', rcptTo: [to] }, message, submitter, stamp: true });
    } catch (err) {
      logger.error({ err, to }, 'could not send the brake alert');
    }
  };
  const recordHardBounces = (message: StoredMessage, failed: readonly FinalFailure[]): void => {
    // A null-sender message (a notice of ours) has no sending domain; an
    // entry for it would suppress the recipient for every domain.
    if (message.mailFrom === '') return;
    const sendingDomain = registeredDomainOf(domains, domainOf(message.mailFrom), logger);
    for (const f of failed) {
      const hard = suppressionFor(f.failure);
      if (hard === undefined) continue;
      try {
        suppression.add({ sendingDomain, recipient: f.rcptTo, reason: hard.reason, source: 'bounce', nowMs: Date.now(), ttlMs: config.suppression.expireAfterMs });
        logger.info({ event: 'suppression-added', queueId: message.id, sendingDomain, rcptTo: f.rcptTo, reason: hard.reason }, 'hard bounce: recipient suppressed');
      } catch (err) {
        logger.error({ err, queueId: message.id, rcptTo: f.rcptTo }, 'could not record a hard bounce on the suppression list');
      }
    }
  };
  const notifier = createBounceNotifier({
    hostname: config.hostname,
    intake,
    store,
    logger,
    maxLifetimeMs: config.queue.retry.maxLifetimeMs,
  });
  scheduler = new Scheduler({
    store: queue,
    deliver: async (request) => {
      const outcomes = await deliverer.deliver(request);
      recordApiOutcomes(apiStore, request.id, outcomes, logger);
      history.outcomes(request.id, outcomes);
      webhookEvents?.noteOutcomes(request.id, request.mailFrom, outcomes);
      return outcomes;
    },
    schedule: config.queue.retry,
    maxConcurrentDeliveries: config.delivery.maxConcurrentDeliveries,
    pollIntervalMs: config.queue.pollIntervalMs,
    logger,
    onFailed: (message, failed) => {
      // First, and never throwing: a failure here must not make the scheduler retry the bounced recipients.
      recordHardBounces(message, failed);
      history.failed(message.id, failed);
      recordApiEvents(apiStore, message.id, failed.map((f) => ({ rcptTo: f.rcptTo, status: f.kind, reply: failureReplyText(f.failure), enhanced: f.failure.status, attempt: false })), logger);
      return notifier.onFailed(message, failed);
    },
    onDelayed: (message, deferred) => notifier.onDelayed(message, deferred),
    onRelayed: (message, relayed) => notifier.onRelayed(message, relayed),
    onAttempt: counted === undefined ? undefined : (status, delayMs) => counted.attempt(status, delayMs),
  });

  // The periodic doctor (doctor.interval): each result is kept for `hikyaku status`; the console shares it.
  const serverDoctor =
    config.doctor.intervalMs === undefined
      ? undefined
      : new DoctorLights({
          config,
          domains,
          resolver: createResolver({ servers: config.delivery.resolvers, timeoutMs: config.delivery.dnsTimeoutMs }),
          logger,
          intervalMs: config.doctor.intervalMs,
          onRun: doctorRecorder(config.dataDir, logger),
        });
  let control: RunningControlSocket | undefined;
  let closeStatusQueue = (): void => undefined;
  let listeners: RunningListener[] = [];
  let http: HttpServer | undefined;
  let httpPort = 0;
  let local: RunningLocalServer | undefined;
  let webConsole: RunningConsole | undefined;
  let closeConsoleQueue = (): void => undefined;
  try {
    listeners = await startListeners({
      config,
      certificates,
      sending,
      saslAccounts: users,
      clientLimiter: counters.connections,
      intake,
      logger,
      sessionObserver: counted === undefined ? undefined : (kind) => counted.smtpSessions(kind),
    });
    // `hikyaku sendmail`: the local socket, and the maildrop written while the server was not running.
    const submission = new LocalSubmission({ sending, intake, logger, hostname: config.hostname, maxMessageBytes: config.limits.maxMessageBytes, maxRecipients: config.limits.maxRecipients });
    local = await startLocalServer({ dataDir: config.dataDir, hostname: config.hostname, submission, intake, logger, maxMessageBytes: config.limits.maxMessageBytes });
    if (config.listeners.http.enabled) {
      const { host, port } = config.listeners.http;
      // Loaded only when served: every `hikyaku` command imports this module, and Fastify costs ~100 ms to load.
      const [{ createHttpServer }, { registerMessagesApi }] = await Promise.all([import('./api/http-server.js'), import('./api/messages-api.js')]);
      // JSON carries attachments in base64 (4/3 of their size) and some structure.
      http = await createHttpServer({
        host,
        port,
        tlsConfig: config.tls,
        certificates,
        logger,
        bodyLimit: Math.ceil(config.limits.maxMessageBytes * 1.4) + 65_536,
        metrics: counted === undefined ? undefined : { render: () => counted.render(), contentType: counted.contentType, token: config.metrics.token },
      });
      registerMessagesApi(http.app, {
        sending,
        intake,
        queue: store,
        keys: apiKeys,
        users,
        store: apiStore,
        logger,
        maxMessageBytes: config.limits.maxMessageBytes,
        maxRecipients: config.limits.maxRecipients,
        secure: http.secure,
        onAuthFailed: counted === undefined ? undefined : (mechanism) => counted.authFailed(mechanism),
      });
      await bulk.register(
        http.app,
        (subject, reason) => suppression.add({ sendingDomain: subject.sendingDomain, recipient: subject.recipient, reason, source: 'manual', nowMs: Date.now(), ttlMs: undefined }),
        logger,
      );
      // Mail-client autoconfiguration (Thunderbird, Autodiscover, Apple profile) for the sending domains.
      if (config.autoconfig.enabled) await (await import('./autoconfig/autoconfig-routes.js')).registerAutoconfigRoutes(http.app, { config: withBoundPorts(config, listeners), domains, logger });
      // The web console (src/console/README.md): its own console.db, the queue figures from the gauges' reader.
      const { startConsole } = await import('./console/start-console.js');
      const consoleQueue = queueGauges ?? (opened.kind === 'postgres' ? sharedQueueGauges(opened.store) : (await import('./metrics/queue-gauges.js')).openQueueGauges(config.dataDir));
      webConsole = await startConsole(http.app, {
        dataDir: config.dataDir,
        logger,
        secure: http.secure,
        services: { config, queue, domains, users, apiKeys, suppression, quotas: counters.quotas, clientConfig: withBoundPorts(config, listeners) },
        dashboard: { queueStats: () => consoleQueue.stats(), history: history.reader },
        ...(serverDoctor === undefined ? {} : { doctor: serverDoctor }),
      });
      if (consoleQueue !== queueGauges) closeConsoleQueue = () => consoleQueue.close();
      try {
        httpPort = await http.listen();
      } catch (err) {
        throw new Error(`cannot listen for HTTP on ${host}:${port}: ${(err as Error).message}`, { cause: err });
      }
    }
    // `hikyaku status`: the control socket (src/status/).
    const statusQueue = queueGauges ?? (opened.kind === 'postgres' ? sharedQueueGauges(opened.store) : (await import('./metrics/queue-gauges.js')).openQueueGauges(config.dataDir));
    if (statusQueue !== queueGauges) closeStatusQueue = () => statusQueue.close();
    const startedAtMs = Date.now();
    const httpListener = http === undefined ? [] : [{ kind: 'http', host: config.listeners.http.host, port: httpPort }];
    control = await startServerStatus({
      config,
      logger,
      startedAtMs,
      listeners: () => [...listeners.map((l) => ({ kind: l.kind, host: l.host, port: l.port })), ...httpListener],
      queueStats: () => statusQueue.stats(),
      history: history.reader,
      certificates,
      domains,
      recentErrors: extras.recentErrors,
    });
  } catch (err) {
    await control?.close();
    closeStatusQueue();
    await http?.close().catch(() => undefined);
    await webConsole?.close();
    closeConsoleQueue();
    await local?.close().catch(() => undefined);
    await Promise.all(listeners.map((l) => l.close()));
    apiKeys.close();
    apiStore.close();
    history.close();
    queueGauges?.close();
    await store.close();
    users.close();
    suppression.close();
    counters.close();
    certificates.close();
    await deliverer.close();
    tlsReports?.close();
    deliverability.close();
    await cluster?.close().catch(() => undefined);
    throw err;
  }
  scheduler.start();
  await dispatcher?.start().catch((err: unknown) => logger.error({ err }, 'could not start the webhook dispatcher'));
  local.startPickup();
  if (serverDoctor !== undefined && config.doctor.intervalMs !== undefined) serverDoctor.startIn(firstDoctorRunDelayMs(config.dataDir, config.doctor.intervalMs));
  const keyActivation = config.domains.autoActivate ? startKeyActivation(config, domains, logger) : undefined;
  const tlsReportJob = tlsReports === undefined ? undefined : startTlsReports(config, tlsReports, (request) => intake.accept(request), logger);
  // Idempotency-Key answers are kept 24 h.
  const purgeTimer = setInterval(() => {
    try {
      apiStore.purge();
    } catch (err) {
      logger.warn({ err }, 'could not purge old Idempotency-Key answers');
    }
  }, 3_600_000);
  purgeTimer.unref();
  logger.info({ hostname: config.hostname, dataDir: config.dataDir }, 'Hikyaku started');

  const running = scheduler;
  const runningHttp = http;
  const runningLocal = local;
  return {
    listeners,
    metrics: counted,
    http: runningHttp === undefined ? undefined : { host: config.listeners.http.host, port: httpPort },
    webhooks: dispatcher,
    reloadCertificates: () => certificates.reload(),
    history: history.reader,
    async stop() {
      // Sessions and HTTP requests first (they finish or get 421), so nothing
      // new is accepted; then deliveries in flight; then the stores.
      clearInterval(purgeTimer);
      tlsReportJob?.stop();
      await Promise.all([...listeners.map((l) => l.close()), runningHttp?.close(), runningLocal?.close()]);
      await keyActivation?.stop();
      await running.stop(30_000);
      // Deliveries that outlived that wait are cut short (bounded), then given
      // a moment to record their outcome before the store closes: an outcome
      // lost here means a second delivery after the restart.
      await deliverer.close();
      tlsReports?.close();
      await running.stop(5_000);
      await control?.close();
      await serverDoctor?.stop();
      closeStatusQueue();
      deliverability.close();
      await cluster?.close().catch((err: unknown) => logger.warn({ err }, 'shared limits: the last sync failed'));
      // Events not yet taken stay in the outbox for the next start.
      await dispatcher?.stop();
      queueGauges?.close();
      await webConsole?.close();
      closeConsoleQueue();
      await store.close();
      users.close();
      apiKeys.close();
      apiStore.close();
      history.close();
      suppression.close();
      counters.close();
      certificates.close();
      logger.info('Hikyaku stopped');
    },
  };
}

/** Intake; with metrics, one that counts what it stores by way in (the submitter's `via`). */
function newIntake(metrics: Metrics | undefined, options: IntakeOptions<SendingDomain>): Intake<SendingDomain> {
  if (metrics === undefined) return new Intake(options);
  return new (class CountingIntake extends Intake<SendingDomain> {
    override async accept(request: IntakeRequest): Promise<string> {
      const id = await super.accept(request);
      metrics.accepted(request.submitter.via);
      return id;
    }
  })(options);
}

/**
 * Pending DKIM keys (after `hikyaku domain rotate-key`) start signing once
 * the doctor's DKIM check finds their records published (domains.autoActivate).
 */
function startKeyActivation(config: Config, domains: DomainStore, logger: Logger): KeyAutoActivation {
  const resolver = createResolver({ servers: config.delivery.resolvers, timeoutMs: config.delivery.dnsTimeoutMs });
  const activation = new KeyAutoActivation({
    store: domains,
    intervalMs: config.domains.autoActivateIntervalMs,
    overlapMs: config.domains.rotationOverlapMs,
    logger,
    check: (domain, keys) => checkKeysPublished({ resolver, domain, nowMs: Date.now() }, keys),
  });
  activation.start();
  return activation;
}

function dkimSigner(dkim: DkimSigner, logger: Logger): MessageSigner<SendingDomain> {
  // Once per From domain per 10 minutes; every accepted line says dkim: none anyway.
  const unsignedWarning = new OncePer(10 * 60_000);
  return {
    async sign(message, fromDomain, sending) {
      const { signed, domain } = await dkim.signWith(message, sending);
      if (domain === undefined && unsignedWarning.allow(fromDomain)) {
        logger.warn(
          { fromDomain, hint: `hikyaku domain add ${fromDomain}` },
          'no registered sending domain for this From: sent without DKIM signature (said once per domain per 10 minutes)',
        );
      }
      return { message: signed, signedFor: domain };
    },
  };
}

/**
 * The 8BITMIME downgrade the deliverer calls for a next hop without 8BITMIME
 * (rare: nearly every server offers it, so nothing is cached). The body
 * changes, so the signatures intake added would fail: they are removed and
 * the message signed again with the same domain's key. A message intake did
 * not sign is converted and left unsigned. Throws SevenBitConversionError.
 */
function sevenBitDowngrade(dkim: DkimSigner): (message: Buffer) => Promise<Buffer> {
  return async (message) => {
    const converted = toSevenBit(message);
    if (converted === message) return message;
    const { message: unsigned, removed } = withoutLeadingDkimSignatures(converted);
    if (removed === 0) return converted;
    const fromDomain = headerFromDomain(unsigned);
    if (fromDomain === undefined) return unsigned;
    return (await dkim.sign(unsigned, fromDomain)).signed;
  };
}

/**
 * The registered sending domain a stored envelope domain belongs to: itself
 * or a parent, or the domain whose return-path domain it is (intake moved
 * the envelope there), so that a bounce is recorded where RCPT looks it up.
 */
function registeredDomainOf(domains: DomainStore, domain: string, logger: Logger): string {
  const registered = findSendingDomain(domains, domain, logger);
  if (registered !== undefined) return registered.name;
  try {
    return domains.list().find((d) => d.returnPathDomain === domain)?.name ?? domain;
  } catch {
    return domain;
  }
}

/** A damaged domain file must not refuse mail: log it and send unsigned, unaligned. */
function findSendingDomain(domains: DomainStore, fromDomain: string, logger: Logger): SendingDomain | undefined {
  try {
    return domains.findForFromDomain(fromDomain);
  } catch (err) {
    logger.error({ err, fromDomain }, 'cannot read sending domain: message not DKIM-signed');
    return undefined;
  }
}

/** A delivery attempt's outcomes, for the API's status endpoint (only API messages are recorded). */
function recordApiOutcomes(apiStore: ApiStore, id: string, outcomes: readonly RecipientOutcome[], logger: Logger): void {
  if (!apiStore.tracks(id)) return; // SMTP mail: nothing to record, nothing to allocate
  recordApiEvents(
    apiStore,
    id,
    outcomes.map((o) =>
      o.kind === 'delivered'
        ? { rcptTo: o.rcptTo, status: 'delivered', reply: remoteReplyText(o.remoteReply), enhanced: o.remoteReply.enhanced, attempt: true }
        : { rcptTo: o.rcptTo, status: o.kind, reply: failureReplyText(o.failure), enhanced: o.failure.status, attempt: true },
    ),
    logger,
  );
}

/** Never throws: the status record must not disturb delivery. */
function recordApiEvents(apiStore: ApiStore, id: string, events: readonly RecipientEvent[], logger: Logger): void {
  try {
    apiStore.recordEvents(id, events);
  } catch (err) {
    logger.error({ err, queueId: id }, 'could not record delivery outcomes for the API status');
  }
}

/** The queue gauges of the shared PostgreSQL queue: counted by the store in the background (the whole queue, every node's). */
function sharedQueueGauges(store: { stats(): { messages: number; oldestCreatedAtMs: number | undefined } }): QueueGauges {
  return { stats: () => store.stats(), close: () => undefined };
}
