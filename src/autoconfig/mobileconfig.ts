// An Apple configuration profile (.mobileconfig) that adds the mail account
// on iOS, iPadOS and macOS: a property list with one com.apple.mail.managed
// payload (Apple's "Configuration Profile Reference", Mail payload). It is
// not signed, so the device shows it as "Unverified"; the password is not in
// it: the device asks for it when the profile is installed.
import { createHash } from 'node:crypto';
import { build } from 'plist';
import type { ClientSettings } from './client-settings.js';

export const MOBILECONFIG_TYPE = 'application/x-apple-aspen-config';

/** The same UUID for the same input: downloading the profile again replaces it instead of adding a second. */
function stableUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  // RFC 9562 §5.8 layout (custom UUID, version 8, variant 10).
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}

/** Undefined when there is no incoming server: the Mail payload requires one (autoconfig.imapHost). */
export function mobileconfig(settings: ClientSettings): string | undefined {
  const smtp = settings.smtp[0];
  if (settings.imap === undefined || smtp === undefined) return undefined;
  const reverse = settings.domain.split('.').reverse().join('.');
  const id = `${reverse}.hikyaku.mail.${settings.address.toLowerCase()}`;
  const mail = {
    PayloadType: 'com.apple.mail.managed',
    PayloadVersion: 1,
    PayloadIdentifier: `${id}.account`,
    PayloadUUID: stableUuid('account', settings.address),
    PayloadDisplayName: settings.address,
    EmailAccountDescription: settings.address,
    EmailAccountType: 'EmailTypeIMAP',
    EmailAddress: settings.address,
    IncomingMailServerHostName: settings.imap.host,
    IncomingMailServerPortNumber: settings.imap.port,
    IncomingMailServerUseSSL: true,
    IncomingMailServerUsername: settings.username,
    IncomingMailServerAuthentication: 'EmailAuthPassword',
    OutgoingMailServerHostName: smtp.host,
    OutgoingMailServerPortNumber: smtp.port,
    // Apple has one flag for both: on 465 the device starts TLS at once, on 587 it uses STARTTLS.
    OutgoingMailServerUseSSL: true,
    OutgoingMailServerUsername: settings.username,
    OutgoingMailServerAuthentication: 'EmailAuthPassword',
    OutgoingPasswordSameAsIncomingPassword: false,
  };
  return build({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: id,
    PayloadUUID: stableUuid('profile', settings.address),
    PayloadDisplayName: `${settings.address} (Hikyaku)`,
    PayloadDescription: `Mail account ${settings.address}: sending through ${smtp.host}`,
    PayloadRemovalDisallowed: false,
    PayloadContent: [mail],
  });
}
