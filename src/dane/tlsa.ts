// TLSA records for SMTP (RFC 7672 §3.1): which are usable, and whether a
// server's certificate chain matches one. DANE-EE(3): the server's own
// certificate or public key, with no name or date check (§3.1.1); DANE-TA(2):
// a certificate of the chain (the trust anchor the domain names), and the
// server certificate must then carry the MX host name (§3.2.2). PKIX-TA(0)
// and PKIX-EE(1) are unusable for SMTP (§3.1.3).
import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

export interface Tlsa {
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
  readonly data: Buffer;
}

export function usableTlsa(records: readonly Tlsa[]): Tlsa[] {
  return records.filter((r) => (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && r.matchingType >= 0 && r.matchingType <= 2);
}

/** What a record's selector picks from a DER certificate (RFC 6698 §2.1.2). */
function selected(der: Buffer, selector: number): Buffer {
  if (selector === 0) return der;
  return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
}

/** RFC 6698 §2.1.3: 0 = the data itself, 1 = SHA-256, 2 = SHA-512. */
function matches(record: Tlsa, der: Buffer): boolean {
  const data = selected(der, record.selector);
  const value = record.matchingType === 0 ? data : createHash(record.matchingType === 1 ? 'sha256' : 'sha512').update(data).digest();
  return value.equals(record.data);
}

/** The DER certificates of a peer chain, server certificate first. */
export function chainOf(peer: PeerCertificate & { issuerCertificate?: PeerCertificate }): Buffer[] {
  const out: Buffer[] = [];
  let cert: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = peer;
  while (cert !== undefined && cert.raw !== undefined && !out.some((c) => c.equals(cert!.raw))) {
    out.push(cert.raw);
    cert = cert.issuerCertificate as typeof cert;
  }
  return out;
}

/**
 * DANE-TA(2): the chain from the server certificate up to the matched trust
 * anchor (index `anchor`) must be signed link by link (RFC 7672 §3.1.2).
 * That the anchor is merely present in the chain the server sent proves
 * nothing: anyone can send a public CA certificate beside a forged leaf.
 */
function signedUpTo(chain: readonly Buffer[], anchor: number): boolean {
  if (anchor < 0) return false;
  for (let i = 0; i < anchor; i++) {
    const cert = new X509Certificate(chain[i] as Buffer);
    const issuer = new X509Certificate(chain[i + 1] as Buffer);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
  }
  return true;
}

/** Undefined when a usable record matches; else why not. */
export function tlsaMismatch(records: readonly Tlsa[], peer: PeerCertificate, hostName: string): string | undefined {
  const chain = chainOf(peer);
  const leaf = chain[0];
  if (leaf === undefined) return 'the server sent no certificate';
  for (const r of usableTlsa(records)) {
    if (r.usage === 3 && matches(r, leaf)) return undefined;
    if (r.usage === 2 && signedUpTo(chain, chain.findIndex((der) => matches(r, der))) && checkServerIdentity(hostName, peer) === undefined) return undefined;
  }
  return `the certificate of ${hostName} matches none of its ${records.length} TLSA record(s)`;
}
