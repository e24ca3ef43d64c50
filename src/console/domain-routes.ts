// The domains page's API (issue 10 point 7): each sending domain with the
// DNS records to publish (domains/records.ts, what `hikyaku domain show`
// prints) and the doctor's last result per check (the cached background run
// of doctor-lights.ts, with the doctor's own bilingual fix); adding a domain
// and starting a DKIM key rotation through the same DomainStore calls as
// `hikyaku domain add|rotate-key|activate-key|retire-key` (activation only
// once the doctor's DKIM check finds the new record published, as the CLI
// without --force). Every change is audited.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { createResolver } from '../dns/resolver.js';
import { checkKeysPublished } from '../doctor/dkim-check.js';
import { DomainStoreError, pendingToActivate, type DkimKey, type SendingDomain } from '../domains/domain-store.js';
import { recordsToPublish, dkimRecordName, type DnsRecord } from '../domains/records.js';
import type { Finding } from '../doctor/types.js';
import type { ConsoleContext } from './console-context.js';
import type { DashboardSources } from './dashboard-routes.js';
import { findingsOfDomain, lightOfFindings } from './doctor-lights.js';

const STATUS_ORDER: Record<Finding['status'], number> = { error: 0, warning: 1, info: 2, ok: 3 };

function checkJson(f: Finding) {
  return {
    id: f.id,
    status: f.status,
    subject: f.subject ?? null,
    title: f.title,
    explanation: f.explanation,
    fix: f.fix === undefined ? null : { ja: f.fix.ja, en: f.fix.en, record: f.fix.record ?? null },
  };
}

function serverFindings(domains: readonly SendingDomain[], findings: readonly Finding[]): Finding[] {
  const own = new Set(domains.flatMap((d) => findingsOfDomain(d, findings)));
  return findings.filter((f) => !own.has(f));
}

function keyJson(k: DkimKey) {
  return {
    selector: k.selector,
    algorithm: k.algorithm,
    state: k.state,
    createdAtMs: k.createdAtMs,
    activatedAtMs: k.activatedAtMs ?? null,
    retireUntilMs: k.retireUntilMs ?? null,
  };
}

function recordJson(r: DnsRecord) {
  return { name: r.name, type: r.type, value: r.value, zoneLine: r.zoneLine, purpose: r.purpose, note: r.note };
}

/** HTTP status per refusal of the store; the page words each code in the viewer's language. */
const REFUSAL_STATUS: Record<DomainStoreError['code'], number> = {
  'invalid-name': 400,
  'invalid-selector': 400,
  'invalid-return-path': 400,
  exists: 409,
  'not-found': 404,
  corrupt: 500,
  'pending-exists': 409,
  'no-pending': 409,
  'key-not-found': 404,
  'key-active': 409,
  'key-in-overlap': 409,
};

function refuse(reply: FastifyReply, err: unknown) {
  if (!(err instanceof DomainStoreError)) throw err;
  return reply.code(REFUSAL_STATUS[err.code]).send({ error: err.code, subject: err.subject, message: err.message });
}

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 253 } },
} as const;

const addBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253 },
    ed25519: { type: 'boolean', default: false },
  },
} as const;

export function registerDomainRoutes(scope: FastifyInstance, context: ConsoleContext, sources: DashboardSources): void {
  const { domains: store, config } = context.services;
  const records = (domain: SendingDomain): DnsRecord[] =>
    recordsToPublish(domain, {
      hostname: config.hostname,
      outboundAddresses: config.outboundAddresses,
      smarthost: config.delivery.smarthost,
      nowMs: Date.now(),
    });
  const domainJson = (domain: SendingDomain, findings: readonly Finding[] | undefined) => {
    const checks = findings === undefined ? null : findingsOfDomain(domain, findings).sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
    return {
      name: domain.name,
      createdAtMs: domain.createdAtMs,
      returnPathDomain: domain.returnPathDomain ?? null,
      keys: domain.keys.map(keyJson),
      records: records(domain).map(recordJson),
      light: checks === null || checks.length === 0 ? null : lightOfFindings(checks),
      checks: checks === null ? null : checks.map(checkJson),
    };
  };

  scope.get('/domains', async () => {
    const doctor = sources.doctor();
    // A domain added after the last run has no result yet: null, not "all green".
    const checkedAt = doctor.checkedAtMs;
    const seen = new Set(doctor.domains.map((d) => d.domain));
    return {
      checkedAtMs: checkedAt ?? null,
      running: doctor.running,
      autoActivate: config.domains.autoActivate,
      domains: store.list().map((d) => domainJson(d, checkedAt === undefined || !seen.has(d.name) ? undefined : doctor.findings)),
      // The server's own checks (EHLO name, PTR, blocklists, TLS): every finding about no registered domain.
      server:
        doctor.server === undefined
          ? null
          : { name: doctor.server.domain, light: doctor.server.light, checks: serverFindings(store.list(), doctor.findings).sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]).map(checkJson) },
    };
  });

  scope.post<{ Body: { name: string; ed25519: boolean } }>('/domains', { schema: { body: addBody } }, async (request, reply) => {
    try {
      const domain = store.add(request.body.name, request.body.ed25519 ? { ed25519: true } : {});
      context.audit(request, 'domain.add', { domain: domain.name, selectors: domain.keys.map((k) => k.selector) });
      sources.refreshDoctor?.();
      return reply.code(201).send({ domain: domainJson(domain, undefined) });
    } catch (err) {
      return refuse(reply, err);
    }
  });

  scope.post<{ Params: { name: string } }>('/domains/:name/rotate-key', { schema: { params: nameParams } }, async (request, reply) => {
    try {
      const { domain, added } = store.rotate(request.params.name);
      context.audit(request, 'domain.rotate-key', { domain: domain.name, pending: added.map((k) => k.selector) });
      const names = new Set(added.map((k) => dkimRecordName(domain.name, k.selector)));
      return {
        domain: domainJson(domain, undefined),
        added: added.map(keyJson),
        // Step 1 of the rotation: the records of the new (pending) keys, to publish now.
        publish: records(domain).filter((r) => r.purpose === 'dkim' && names.has(r.name)).map(recordJson),
        autoActivate: config.domains.autoActivate,
      };
    } catch (err) {
      return refuse(reply, err);
    }
  });

  const selectorBody = { type: 'object', additionalProperties: false, properties: { selector: { type: 'string', minLength: 1, maxLength: 63 } } } as const;

  // Step 2 of a rotation, as `hikyaku domain activate-key` without --force: only once the records are visible.
  scope.post<{ Params: { name: string }; Body: { selector?: string } }>(
    '/domains/:name/activate-key',
    { schema: { params: nameParams, body: selectorBody } },
    async (request, reply) => {
      try {
        const domain = store.get(request.params.name);
        if (domain === undefined) throw new DomainStoreError('not-found', request.params.name, 'not found');
        const { selector } = request.body;
        const keys = pendingToActivate(domain, selector);
        const resolver = createResolver({ servers: config.delivery.resolvers, timeoutMs: config.delivery.dnsTimeoutMs });
        const verdict = await checkKeysPublished({ resolver, domain, nowMs: Date.now() }, keys);
        if (!verdict.published) {
          return reply.code(409).send({
            error: 'not-published',
            subject: keys.map((k) => k.selector).join(', '),
            message: `the DNS records of ${keys.map((k) => k.selector).join(', ')} are not published (or do not match) yet; mail goes on being signed with the current key`,
            checks: verdict.findings.map(checkJson),
          });
        }
        const { activated, retiring } = store.activate(domain.name, { overlapMs: config.domains.rotationOverlapMs, ...(selector === undefined ? {} : { selector }) });
        context.audit(request, 'domain.activate-key', { domain: domain.name, activated: activated.map((k) => k.selector), retiring: retiring.map((k) => k.selector) });
        return { domain: domainJson(store.get(domain.name) ?? domain, undefined), activated: activated.map(keyJson), retiring: retiring.map(keyJson) };
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  // The end of a rotation (a retiring key after its overlap) or a pending key discarded, as `domain retire-key` without --force.
  scope.post<{ Params: { name: string }; Body: { selector?: string } }>(
    '/domains/:name/retire-key',
    { schema: { params: nameParams, body: { ...selectorBody, required: ['selector'] } } },
    async (request, reply) => {
      try {
        const { domain, removed } = store.retireKey(request.params.name, request.body.selector as string);
        context.audit(request, 'domain.retire-key', { domain: domain.name, selector: removed.selector, was: removed.state });
        return { domain: domainJson(domain, undefined), removed: keyJson(removed) };
      } catch (err) {
        return refuse(reply, err);
      }
    },
  );

  scope.post('/domains/check', async (request) => {
    sources.refreshDoctor?.();
    context.audit(request, 'domain.check');
    return { running: true };
  });
}
