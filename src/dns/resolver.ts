// The DNS resolver delivery uses: Node's c-ares resolver with our own
// servers, timeout and tries, so a slow or dead DNS server costs a bounded
// time per query instead of c-ares' defaults (5 s per try, 4 tries).
import { promises as dnsPromises } from 'node:dns';

export interface DnsSettings {
  /** "ip" or "ip:port" ("[v6]:port" for IPv6 with a port); empty = the system's resolvers. */
  readonly servers: readonly string[];
  /** Timeout of one try in milliseconds (c-ares backs off on further tries). */
  readonly timeoutMs: number;
  /** Tries per server before giving up; default 2. */
  readonly tries?: number;
}

const DEFAULT_TRIES = 2;

export function createResolver(settings: DnsSettings): dnsPromises.Resolver {
  if (!Number.isFinite(settings.timeoutMs) || settings.timeoutMs <= 0) {
    throw new Error(`DNS timeout must be a positive number of milliseconds, got ${settings.timeoutMs}`);
  }
  const resolver = new dnsPromises.Resolver({
    timeout: Math.ceil(settings.timeoutMs),
    tries: settings.tries ?? DEFAULT_TRIES,
  });
  // setServers validates each entry and throws ERR_INVALID_IP_ADDRESS on a bad one.
  if (settings.servers.length > 0) resolver.setServers([...settings.servers]);
  return resolver;
}

/**
 * How a failed query should be treated. c-ares error codes:
 * ENOTFOUND = NXDOMAIN, ENODATA = the name exists without that type;
 * EBADNAME = the name cannot be a domain name at all; the rest (ETIMEOUT,
 * ESERVFAIL, EREFUSED, ECONNREFUSED, EBADRESP, ...) may pass on a retry.
 */
export type DnsErrorKind = 'nxdomain' | 'nodata' | 'bad-name' | 'temporary';

export function classifyDnsError(err: unknown): DnsErrorKind {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOTFOUND':
      return 'nxdomain';
    case 'ENODATA':
      return 'nodata';
    case 'EBADNAME':
      return 'bad-name';
    default:
      return 'temporary';
  }
}

/** "ESERVFAIL" or the error's message, for log lines and DSN detail. */
export function dnsErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}
