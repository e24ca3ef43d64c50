// Whether a server's TLS certificate is valid for the name we were routed
// to: a chain to a trusted root (Node's verification, kept even when the
// handshake does not reject) and the name check (RFC 6125, Node's
// checkServerIdentity). The handshake itself always completes, so that
// opportunistic sessions can be reported (TLS-RPT, MTA-STS testing) with
// the reason, and verified sessions are refused here, before any command.
import { checkServerIdentity, type TLSSocket } from 'node:tls';

/** RFC 8460 §4.3.2.2 result types for a certificate that did not verify. */
export type CertificateProblem = 'certificate-host-mismatch' | 'certificate-expired' | 'certificate-not-trusted' | 'validation-failure';

export type CertificateCheck = { readonly verified: true } | { readonly verified: false; readonly problem: CertificateProblem; readonly detail: string };

const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const NOT_TRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

export function checkCertificate(socket: TLSSocket, hostName: string): CertificateCheck {
  if (!socket.authorized) {
    const code = String(socket.authorizationError ?? 'unknown error');
    // Node runs the name check itself once the chain verifies, and reports it here.
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { verified: false, problem: 'certificate-host-mismatch', detail: `certificate not valid for ${hostName}` };
    const problem: CertificateProblem = EXPIRED.has(code) ? 'certificate-expired' : NOT_TRUSTED.has(code) ? 'certificate-not-trusted' : 'validation-failure';
    return { verified: false, problem, detail: `certificate not valid: ${code}` };
  }
  const peer = socket.getPeerCertificate();
  const mismatch = checkServerIdentity(hostName, peer);
  if (mismatch !== undefined) return { verified: false, problem: 'certificate-host-mismatch', detail: `certificate not valid for ${hostName}: ${mismatch.message}` };
  return { verified: true };
}
