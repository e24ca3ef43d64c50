// Checks a JSON document against RFC 8460 §4.4 (the report's members, their
// types and allowed values), the way a report receiver would before reading
// it. Returns every problem found; empty when the report is valid.

const RESULT_TYPES = new Set([
  'starttls-not-supported',
  'certificate-host-mismatch',
  'certificate-expired',
  'certificate-not-trusted',
  'validation-failure',
  'tlsa-invalid',
  'dnssec-invalid',
  'dane-required',
  'sts-policy-fetch-error',
  'sts-policy-invalid',
  'sts-webpki-invalid',
]);
const POLICY_TYPES = new Set(['tlsa', 'sts', 'no-policy-found']);
// RFC 3339 date-time, as RFC 8460 §4.4 requires for the date-range.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string');

export function rfc8460Problems(report: unknown): string[] {
  const p: string[] = [];
  if (!isObject(report)) return ['not a JSON object'];
  for (const key of ['organization-name', 'contact-info', 'report-id']) if (typeof report[key] !== 'string' || report[key] === '') p.push(`${key}: missing or not a string`);
  const range = report['date-range'];
  if (!isObject(range)) p.push('date-range: missing');
  else {
    for (const key of ['start-datetime', 'end-datetime']) if (typeof range[key] !== 'string' || !DATE_TIME.test(range[key] as string)) p.push(`date-range.${key}: not an RFC 3339 date-time`);
    if (typeof range['start-datetime'] === 'string' && typeof range['end-datetime'] === 'string' && Date.parse(range['start-datetime']) >= Date.parse(range['end-datetime'])) p.push('date-range: start not before end');
  }
  const policies = report['policies'];
  if (!Array.isArray(policies) || policies.length === 0) return [...p, 'policies: missing or empty'];
  policies.forEach((entry: unknown, i) => {
    const at = `policies[${i}]`;
    if (!isObject(entry)) return p.push(`${at}: not an object`);
    const policy = entry['policy'];
    if (!isObject(policy)) p.push(`${at}.policy: missing`);
    else {
      if (!POLICY_TYPES.has(policy['policy-type'] as string)) p.push(`${at}.policy.policy-type: ${String(policy['policy-type'])}`);
      if (typeof policy['policy-domain'] !== 'string') p.push(`${at}.policy.policy-domain: missing`);
      if (policy['policy-string'] !== undefined && !isStrings(policy['policy-string'])) p.push(`${at}.policy.policy-string: not a list of strings`);
      if (policy['mx-host'] !== undefined && !isStrings(policy['mx-host'])) p.push(`${at}.policy.mx-host: not a list of strings`);
    }
    const summary = entry['summary'];
    if (!isObject(summary) || !isCount(summary['total-successful-session-count']) || !isCount(summary['total-failure-session-count'])) p.push(`${at}.summary: counts missing`);
    const details = entry['failure-details'];
    if (details !== undefined) {
      if (!Array.isArray(details)) p.push(`${at}.failure-details: not a list`);
      else
        details.forEach((d: unknown, j) => {
          const dat = `${at}.failure-details[${j}]`;
          if (!isObject(d)) return p.push(`${dat}: not an object`);
          if (!RESULT_TYPES.has(d['result-type'] as string)) p.push(`${dat}.result-type: ${String(d['result-type'])}`);
          if (!isCount(d['failed-session-count'])) p.push(`${dat}.failed-session-count: not a count`);
          for (const key of ['sending-mta-ip', 'receiving-mx-hostname', 'receiving-ip', 'additional-information']) if (d[key] !== undefined && typeof d[key] !== 'string') p.push(`${dat}.${key}: not a string`);
          return undefined;
        });
      const failed = Array.isArray(details) ? details.reduce((n: number, d: unknown) => n + (isObject(d) && isCount(d['failed-session-count']) ? (d['failed-session-count'] as number) : 0), 0) : 0;
      if (isObject(summary) && failed !== summary['total-failure-session-count']) p.push(`${at}: failure-details add up to ${failed}, summary says ${String(summary['total-failure-session-count'])}`);
    }
    return undefined;
  });
  return p;
}
