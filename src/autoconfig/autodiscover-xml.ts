// Microsoft Autodiscover, the plain-old-XML ("POX") form Outlook POSTs to
// /autodiscover/autodiscover.xml: read the address from the request and
// answer with the account's servers. Schemas: [MS-OXDSCLI] §2.2.3 (request)
// and §2.2.4 (response, outlook/responseschema/2006a).
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ClientSettings, ServerSetting } from './client-settings.js';

export const REQUEST_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
export const RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const AUTODISCOVER_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';

// No entity expansion: the request only carries an address, and expansion is what XML bombs abuse.
const parser = new XMLParser({ removeNSPrefix: true, processEntities: false, parseTagValue: false, ignoreAttributes: true });
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true });

export type AutodiscoverRequest = { readonly ok: true; readonly emailAddress: string } | { readonly ok: false; readonly problem: string };

export function parseAutodiscoverRequest(body: string): AutodiscoverRequest {
  const valid = XMLValidator.validate(body);
  if (valid !== true) return { ok: false, problem: `the body is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})` };
  const doc = parser.parse(body) as Record<string, unknown>;
  const request = (doc['Autodiscover'] as Record<string, unknown> | undefined)?.['Request'] as Record<string, unknown> | undefined;
  const address = request?.['EMailAddress'];
  if (typeof address !== 'string' || address.trim() === '') {
    return { ok: false, problem: 'no Autodiscover/Request/EMailAddress element (send the POX request of [MS-OXDSCLI] §2.2.3)' };
  }
  return { ok: true, emailAddress: address.trim() };
}

function protocol(type: 'IMAP' | 'SMTP', setting: ServerSetting, loginName: string): Record<string, unknown> {
  return {
    Type: type,
    Server: setting.host,
    Port: setting.port,
    LoginName: loginName,
    DomainRequired: 'off',
    SPA: 'off',
    // Encryption overrides SSL: "SSL" is TLS from the first byte, "TLS" is STARTTLS ([MS-OXDSCLI] §2.2.4.1.1.2.6.10).
    SSL: 'on',
    Encryption: setting.socketType === 'SSL' ? 'SSL' : 'TLS',
    AuthRequired: 'on',
    ...(type === 'SMTP' ? { UsePOPAuth: 'off', SMTPLast: 'off' } : {}),
  };
}

export function autodiscoverXml(settings: ClientSettings): string {
  const protocols = [
    ...(settings.imap === undefined ? [] : [protocol('IMAP', settings.imap, settings.username)]),
    ...settings.smtp.map((s) => protocol('SMTP', s, settings.username)),
  ];
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    Autodiscover: {
      '@_xmlns': AUTODISCOVER_SCHEMA,
      Response: {
        '@_xmlns': RESPONSE_SCHEMA,
        User: { DisplayName: settings.address },
        Account: { AccountType: 'email', Action: 'settings', Protocol: protocols },
      },
    },
  }) as string;
}

/** A request body as Outlook sends it (used by the tests, and handy with curl). */
export function autodiscoverRequestXml(emailAddress: string): string {
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    Autodiscover: { '@_xmlns': REQUEST_SCHEMA, Request: { EMailAddress: emailAddress, AcceptableResponseSchema: RESPONSE_SCHEMA } },
  }) as string;
}
