// Gmail's and Yahoo's rules for bulk senders (since February 2024): SPF and
// DKIM, alignment with the From domain, a DMARC record, forward-confirmed
// reverse DNS, TLS, and one-click unsubscribe in bulk mail. Judged from
// the findings the other checks already made (no second DNS query), plus
// the configuration for TLS and the unsubscribe link: one summary per
// sending domain that says which rules are met and which are not.
import type { Config } from '../config/types.js';
import { bulk, bulkRule } from './messages.js';
import { finding, type CheckStatus, type Finding, type Text } from './types.js';

interface Rule {
  readonly text: Text;
  readonly met: boolean;
}

/** Worst status of the findings `match` selects; undefined when there is none (info findings ignored). */
function worst(findings: readonly Finding[], match: (f: Finding) => boolean): CheckStatus | undefined {
  const rank: Record<CheckStatus, number> = { info: -1, ok: 0, warning: 1, error: 2 };
  let result: CheckStatus | undefined;
  for (const f of findings) {
    if (!match(f) || f.status === 'info') continue;
    if (result === undefined || rank[f.status] > rank[result]) result = f.status;
  }
  return result;
}

const passes = (status: CheckStatus | undefined): boolean => status === 'ok';

export function bulkSenderFindings(findings: readonly Finding[], domains: readonly string[], config: Config): Finding[] {
  const smarthost = config.delivery.smarthost !== undefined && config.delivery.smarthost.domains.length === 0;
  // PTR belongs to the server (the smarthost's, when all mail goes through one: not ours to check).
  const ptrMet = smarthost || passes(worst(findings, (f) => f.id.startsWith('ptr.')));
  const tlsMet = smarthost ? config.delivery.smarthost?.tls !== 'none' : config.delivery.tls !== 'none';
  const unsubscribeMet = config.bulk.unsubscribeUrl !== undefined;
  return domains.map((domain) => {
    const about = (prefix: string) => (f: Finding) => f.subject === domain && f.id.startsWith(prefix);
    const rules: Rule[] = [
      { text: bulkRule.spf, met: passes(worst(findings, (f) => f.subject === domain && (f.id === 'spf.record' || f.id === 'spf.result'))) },
      { text: bulkRule.dkim, met: passes(worst(findings, about('dkim.'))) },
      {
        text: bulkRule.alignment,
        met: findings.some((f) => f.subject === domain && (f.id === 'dmarc.spf-alignment' || f.id === 'dmarc.dkim-alignment') && f.status === 'ok'),
      },
      { text: bulkRule.dmarc, met: passes(worst(findings, (f) => f.subject === domain && (f.id === 'dmarc.record' || f.id === 'dmarc.syntax'))) },
      { text: bulkRule.ptr, met: ptrMet },
      { text: bulkRule.tls, met: tlsMet },
      { text: bulkRule.unsubscribe, met: unsubscribeMet },
    ];
    const met = rules.filter((r) => r.met).map((r) => r.text);
    const missing = rules.filter((r) => !r.met).map((r) => r.text);
    if (missing.length === 0) return finding('bulk.rules', 'ok', domain, bulk.met(met));
    const fix = unsubscribeMet ? undefined : `bulk:\n  unsubscribeUrl: https://${config.hostname}`;
    // 'info': the rules bind bulk senders only, and each missing DNS record
    // already has its own warning or error; this must not turn a small
    // sender's all-green report amber.
    return finding('bulk.rules', 'info', domain, bulk.missing(met, missing), fix);
  });
}
