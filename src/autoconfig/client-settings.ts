// What a mail client (or WordPress's WP Mail SMTP) needs to send through
// Hikyaku, computed once from the configuration: `hikyaku user setup`, the
// console's setup page and the three autoconfiguration formats all read this,
// so they can never disagree about a host, a port or a socket type.
import type { Config } from '../config/types.js';

/** RFC 8314: implicit TLS from the first byte ("SSL/TLS" in clients); RFC 3207: STARTTLS after EHLO. */
export type SocketType = 'SSL' | 'STARTTLS';

export interface ServerSetting {
  readonly host: string;
  readonly port: number;
  readonly socketType: SocketType;
}

export interface ClientSettings {
  /** The address the settings are for; also the login name. */
  readonly address: string;
  readonly domain: string;
  /** Outgoing servers, preferred first: implicit TLS (465) before STARTTLS (587), as RFC 8314 §3.3 advises. */
  readonly smtp: readonly ServerSetting[];
  /** Always true: both submission ports require AUTH. */
  readonly authentication: true;
  /** The login name: the full address (UserStore also accepts the local part when it is unique). */
  readonly username: string;
  /** The incoming server, when the admin named one (autoconfig.imapHost); Hikyaku has none of its own. */
  readonly imap: ServerSetting | undefined;
}

/** Where clients fetch the autoconfiguration on the HTTP listener (autoconfig-routes.ts serves them). */
export const THUNDERBIRD_PATHS = ['/.well-known/autoconfig/mail/config-v1.1.xml', '/mail/config-v1.1.xml'] as const;
export const AUTODISCOVER_PATHS = ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml'] as const;
export const MOBILECONFIG_PATH = '/autoconfig/mail.mobileconfig';

export type SettingsConfig = Pick<Config, 'hostname' | 'listeners' | 'autoconfig'>;

/** The submission ports the running server listens on (only the enabled ones). */
export function smtpServers(config: SettingsConfig): ServerSetting[] {
  const host = config.autoconfig.smtpHost ?? config.hostname;
  const servers: ServerSetting[] = [];
  if (config.listeners.submissions.enabled) servers.push({ host, port: config.listeners.submissions.port, socketType: 'SSL' });
  if (config.listeners.submission.enabled) servers.push({ host, port: config.listeners.submission.port, socketType: 'STARTTLS' });
  return servers;
}

export function imapServer(config: SettingsConfig): ServerSetting | undefined {
  const { imapHost, imapPort } = config.autoconfig;
  if (imapHost === undefined) return undefined;
  // 993 is IMAP over implicit TLS (RFC 8314 §7.3); 143 and others negotiate STARTTLS.
  return { host: imapHost, port: imapPort, socketType: imapPort === 993 ? 'SSL' : 'STARTTLS' };
}

export function clientSettings(config: SettingsConfig, address: string): ClientSettings {
  const domain = domainOfAddress(address) ?? config.hostname;
  return { address, domain, smtp: smtpServers(config), authentication: true, username: address, imap: imapServer(config) };
}

/** The domain part of an e-mail address, lower-cased; undefined when it is not an address. */
export function domainOfAddress(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const domain = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  return /^[a-z0-9.-]+$/.test(domain) && domain.includes('.') ? domain : undefined;
}

/**
 * The configuration with the ports the submission listeners really bound:
 * the same as configured, except a port 0 ("any free port", tests) becomes
 * the one the system chose.
 */
export function withBoundPorts(config: SettingsConfig, bound: readonly { readonly kind: string; readonly port: number }[]): SettingsConfig {
  const port = (kind: 'submission' | 'submissions'): number => {
    const configured = config.listeners[kind].port;
    return configured !== 0 ? configured : (bound.find((l) => l.kind === kind)?.port ?? configured);
  };
  return {
    ...config,
    listeners: {
      ...config.listeners,
      submission: { ...config.listeners.submission, port: port('submission') },
      submissions: { ...config.listeners.submissions, port: port('submissions') },
    },
  };
}
