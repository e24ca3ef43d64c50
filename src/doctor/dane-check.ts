// DANE needs a validating resolver (RFC 7672 §2.1): with delivery.dane on,
// the doctor asks delivery.dane.resolver for a name that is signed (the root
// zone's SOA by default) and checks that the answer comes back validated
// (the AD bit). A resolver that does not validate would make every domain
// look unsigned, so DANE would silently never apply.
import { secureQuery } from '../dane/secure-query.js';
import { finding, type Finding, type Text } from './types.js';

const both = (en: string, ja: string): Text => ({ en, ja });
const title = both('DANE resolver', 'DANE 用の検証リゾルバー');

export interface DaneResolverCheckInput {
  readonly resolver: string;
  readonly timeoutMs: number;
  /** A signed name to ask for; default the root SOA. Tests name their own signed zone. */
  readonly probe?: { readonly name: string; readonly type: 'SOA' | 'MX' } | undefined;
}

const UNBOUND_SNIPPET = ['# /etc/unbound/unbound.conf.d/hikyaku.conf (Debian: apt install unbound)', 'server:', '  interface: 127.0.0.1', '  auto-trust-anchor-file: "/var/lib/unbound/root.key"'].join('\n');

export async function checkDaneResolver(input: DaneResolverCheckInput): Promise<Finding[]> {
  const probe = input.probe ?? { name: '.', type: 'SOA' as const };
  const subject = input.resolver;
  let answer;
  try {
    answer = await secureQuery(input.resolver, probe.name, probe.type, input.timeoutMs);
  } catch (err) {
    return [
      finding('dane.resolver', 'error', subject, {
        title,
        explanation: both(
          `delivery.dane is on, but the resolver ${input.resolver} did not answer (${(err as Error).message}). Mail to domains that publish TLSA records waits in the queue until it does.`,
          `delivery.dane が有効ですが、リゾルバー ${input.resolver} が応答しません (${(err as Error).message})。TLSA を公開しているドメイン宛てのメールは、応答するまでキューで待ちます。`,
        ),
        fix: both('Run a validating resolver on this host, for example Unbound:', 'このホストで検証リゾルバー (Unbound など) を動かしてください:'),
      }, UNBOUND_SNIPPET),
    ];
  }
  if (!answer.authenticated) {
    return [
      finding('dane.resolver', 'error', subject, {
        title,
        explanation: both(
          `The resolver ${input.resolver} answered ${probe.name} ${probe.type} without the AD bit: it does not validate DNSSEC, so DANE can never apply.`,
          `リゾルバー ${input.resolver} の ${probe.name} ${probe.type} への応答に AD ビットがありません。DNSSEC を検証していないため、DANE が働きません。`,
        ),
        fix: both('Use a resolver that validates DNSSEC, for example Unbound with the root trust anchor:', 'DNSSEC を検証するリゾルバー (ルートのトラストアンカーを設定した Unbound など) を使ってください:'),
      }, UNBOUND_SNIPPET),
    ];
  }
  return [finding('dane.resolver', 'ok', subject, { title, explanation: both(`${input.resolver} validates DNSSEC (AD bit set): DANE applies.`, `${input.resolver} は DNSSEC を検証しています (AD ビットあり)。DANE が働きます。`) })];
}
