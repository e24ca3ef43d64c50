// TLS settings for the listeners (submission, submissions, relay).
import type { SecureContextOptions } from 'node:tls';
import type { TlsConfig } from '../config/types.js';
import type { TlsMaterial } from './certificates.js';

/**
 * Forward-secret AEAD suites only (in the spirit of Mozilla's "intermediate"
 * profile and RFC 9325 §4.2), AES-128-GCM first as the cheapest strong one.
 * The TLS 1.3 suites (TLS_*) are listed explicitly so that the whole policy
 * is visible here rather than left to Node's defaults. DHE suites are left
 * out, so no Diffie-Hellman parameters are needed.
 */
export const SERVER_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export function serverTlsOptions(config: TlsConfig, material: TlsMaterial): SecureContextOptions {
  // With a fallback pair (the generated ECDSA + RSA certificates), OpenSSL
  // chooses per handshake the certificate the client's signature algorithms
  // (TLS 1.3, and 1.2 signature_algorithms) and cipher suites accept.
  const pairs = material.fallback === undefined ? undefined : [material, material.fallback];
  return {
    key: pairs === undefined ? material.key : pairs.map((p) => p.key),
    cert: pairs === undefined ? material.cert : pairs.map((p) => p.cert),
    // RFC 8996: TLS 1.0 and 1.1 are deprecated.
    minVersion: config.minVersion,
    ciphers: SERVER_CIPHERS,
    honorCipherOrder: true,
  };
}
