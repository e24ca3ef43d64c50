// Thunderbird's autoconfig file (config-v1.1.xml), served at
// /.well-known/autoconfig/mail/config-v1.1.xml and, for the autoconfig.DOMAIN
// host, /mail/config-v1.1.xml. Format: https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat
// Built with an XML builder, so an address can never break the markup.
import { XMLBuilder } from 'fast-xml-parser';
import type { ClientSettings, ServerSetting } from './client-settings.js';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true });

function server(type: 'imap' | 'smtp', setting: ServerSetting, username: string): Record<string, unknown> {
  return {
    '@_type': type,
    hostname: setting.host,
    port: setting.port,
    // The file format's socket types: plain, SSL (implicit TLS), STARTTLS.
    socketType: setting.socketType,
    username,
    authentication: 'password-cleartext',
  };
}

export function thunderbirdXml(settings: ClientSettings): string {
  const provider: Record<string, unknown> = {
    '@_id': settings.domain,
    domain: settings.domain,
    displayName: `${settings.domain} (Hikyaku)`,
    displayShortName: settings.domain,
  };
  // Without an incoming server Thunderbird does not use the file (autoconfig.imapHost; README).
  if (settings.imap !== undefined) provider['incomingServer'] = server('imap', settings.imap, settings.username);
  provider['outgoingServer'] = settings.smtp.map((s) => server('smtp', s, settings.username));
  return builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, clientConfig: { '@_version': '1.1', emailProvider: provider } }) as string;
}
