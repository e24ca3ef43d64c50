// Who our TLS-RPT reports say they are from (RFC 8460 §4.4 organization-name
// and contact-info, §5.3 the sender of mailed reports), from the
// configuration, with defaults from the host name.
import type { Config } from '../config/types.js';

export function reportSender(config: Pick<Config, 'hostname' | 'tlsReports'>): {
  meta: { organizationName: string; contactInfo: string; submitter: string };
  from: string;
} {
  const contactInfo = config.tlsReports.contactInfo ?? `postmaster@${config.hostname}`;
  const isAddress = /^[^@\s<>]+@[^@\s<>]+$/.test(contactInfo);
  return {
    meta: { organizationName: config.tlsReports.organizationName ?? config.hostname, contactInfo, submitter: config.hostname },
    from: isAddress ? contactInfo : `postmaster@${config.hostname}`,
  };
}
