// `hikyaku doctor [DOMAIN] [--json] [--lang ja|en] [--no-port25]`: checks
// live DNS and this server's setup and says what to fix. Exit status 0 when
// nothing is an error, 1 otherwise, so it can run from cron or CI.
import { parseArgs } from 'node:util';
import type { Config } from '../config/types.js';
import { createResolver } from '../dns/resolver.js';
import { DomainStore, type SendingDomain } from '../domains/domain-store.js';
import { normalizeDomainName } from '../domains/domain-name.js';
import { outboundAddresses } from '../domains/outbound-addresses.js';
import { renderJson, renderText } from '../doctor/render.js';
import { runDoctor } from '../doctor/run-doctor.js';
import { chooseLang, type Lang } from './language.js';

export interface DoctorCommandContext {
  readonly config: Config;
  readonly lang: Lang;
  readonly out: (s: string) => void;
  readonly isTty: boolean;
}

const text = {
  usage: {
    en: 'usage: hikyaku doctor [DOMAIN] [--json] [--lang ja|en] [--no-port25]',
    ja: '使い方: hikyaku doctor [ドメイン] [--json] [--lang ja|en] [--no-port25]',
  },
  badDomain: { en: 'Not a domain name: %s', ja: 'ドメイン名として正しくありません: %s' },
} as const;

export async function runDoctorCommand(args: string[], context: DoctorCommandContext): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { json: { type: 'boolean' }, lang: { type: 'string' }, 'no-port25': { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch {
    context.out(text.usage[context.lang]);
    return 2;
  }
  const { values, positionals } = parsed;
  const lang = values.lang === undefined ? context.lang : chooseLang(values.lang, {});
  if (positionals.length > 1) {
    context.out(text.usage[lang]);
    return 2;
  }
  const { config } = context;
  const selection = selectDomains(config.dataDir, positionals[0]);
  if (selection === 'invalid') {
    context.out(text.badDomain[lang].replace('%s', positionals[0] ?? ''));
    return 2;
  }
  const findings = await runDoctor({
    resolver: createResolver({ servers: config.delivery.resolvers, timeoutMs: config.delivery.dnsTimeoutMs }),
    config,
    domains: selection.registered,
    unregisteredDomains: selection.unregistered,
    outboundAddresses: [...outboundAddresses(config.outboundAddresses).addresses],
    checkPort25: values['no-port25'] !== true,
    nowMs: Date.now(),
  });
  if (values.json === true) context.out(renderJson(findings));
  else context.out(renderText(findings, { lang, color: context.isTty && !process.env['NO_COLOR'], hostname: config.hostname }));
  return findings.some((f) => f.status === 'error') ? 1 : 0;
}

/** All registered domains, or the one named (registered or not). */
function selectDomains(dataDir: string, name: string | undefined): { registered: SendingDomain[]; unregistered: string[] } | 'invalid' {
  const store = DomainStore.open(dataDir);
  if (name === undefined) return { registered: store.list(), unregistered: [] };
  const canonical = normalizeDomainName(name);
  if (canonical === undefined) return 'invalid';
  const found = store.get(canonical);
  return found ? { registered: [found], unregistered: [] } : { registered: [], unregistered: [canonical] };
}
