// Fetches a receiving domain's MTA-STS policy file (RFC 8461 §3.3) for
// sending. The policy host is resolved through the same resolver as the MX
// lookups (delivery.resolvers), so a test's DNS server and loopback hosts
// stay in charge; its certificate must be valid for mta-sts.DOMAIN under
// the system's CAs (plus an extra CA, when configured).
import type { Resolver } from 'node:dns/promises';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { pemCertificates } from '../tls/pem-blocks.js';

export interface PolicyFetchSettings {
  readonly resolver: Resolver;
  /** Connect + response, in milliseconds. */
  readonly timeoutMs: number;
  /** 443 (RFC 8461 §3.3); another port only for tests on loopback. */
  readonly port: number;
  /** Extra CA certificate(s), PEM, trusted in addition to the system roots. */
  readonly ca: string | undefined;
}

/** Why a fetch failed, with the RFC 8460 §4.3.2.2 result type for the report. */
export class PolicyFetchError extends Error {
  readonly resultType: 'sts-policy-fetch-error' | 'sts-webpki-invalid';
  constructor(message: string, resultType: 'sts-policy-fetch-error' | 'sts-webpki-invalid' = 'sts-policy-fetch-error') {
    super(message);
    this.name = 'PolicyFetchError';
    this.resultType = resultType;
  }
}

// Node's certificate verification error codes (openssl's, plus the name check's).
const CERTIFICATE_ERROR = /^(ERR_TLS_CERT_ALTNAME_INVALID|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_)/;

// RFC 8461 §3.3: senders may limit the body to 64 KiB.
const MAX_POLICY_BYTES = 64 * 1024;

/** The policy text of `domain`; rejects with an Error saying what failed (for the log and TLS-RPT). */
export async function fetchStsPolicy(settings: PolicyFetchSettings, domain: string): Promise<string> {
  const host = `mta-sts.${domain}`;
  const ip = await addressOf(settings.resolver, host);
  return new Promise<string>((resolve, reject) => {
    const request = https.get(
      {
        host: ip,
        port: settings.port,
        path: '/.well-known/mta-sts.txt',
        // The certificate is checked against this name, and SNI carries it.
        servername: host,
        headers: { host },
        agent: false,
        timeout: settings.timeoutMs,
        ...(settings.ca !== undefined ? { ca: [...rootCertificates, ...pemCertificates(settings.ca)] } : {}),
      },
      (response) => {
        // RFC 8461 §3.3: only 200 counts; redirects are not followed.
        if (response.statusCode !== 200) {
          response.resume();
          reject(new PolicyFetchError(`https://${host}/.well-known/mta-sts.txt answered HTTP ${response.statusCode ?? '?'}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_POLICY_BYTES) request.destroy(new PolicyFetchError('policy larger than 64 KiB'));
          else chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', (err) => reject(new PolicyFetchError(`https://${host}/: ${err.message}`)));
      },
    );
    request.on('timeout', () => request.destroy(new PolicyFetchError(`https://${host}/: no answer within ${settings.timeoutMs} ms`)));
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof PolicyFetchError) return reject(err);
      const webpki = typeof err.code === 'string' && CERTIFICATE_ERROR.test(err.code);
      reject(new PolicyFetchError(`https://${host}/: ${err.message}`, webpki ? 'sts-webpki-invalid' : 'sts-policy-fetch-error'));
    });
  });
}

async function addressOf(resolver: Resolver, host: string): Promise<string> {
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  const first = addresses[0];
  if (first === undefined) {
    const why = v4.status === 'rejected' ? String((v4.reason as { code?: unknown }).code ?? v4.reason) : 'no address';
    throw new PolicyFetchError(`${host}: cannot resolve (${why})`);
  }
  return first;
}
