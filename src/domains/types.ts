// The data model of sending domains. Re-exported by domain-store.ts, which
// is the module other parts of Hikyaku import.
import type { DkimAlgorithm } from './dkim-key-generation.js';

export type { DkimAlgorithm };

export interface DkimKey {
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly privateKeyPem: string;
  /** The p= value (RSA: SubjectPublicKeyInfo DER base64; Ed25519: the raw 32-byte key base64, RFC 8463 §4.2). */
  readonly publicKeyBase64: string;
  readonly createdAtMs: number;
  /** 'retiring' = still published in DNS, no longer used to sign. */
  readonly state: 'active' | 'retiring';
  /** For a retiring key: after this instant its DNS record may be removed. */
  readonly retireUntilMs: number | undefined;
}

export interface SendingDomain {
  /** ASCII (A-label) lower-case name, no trailing dot. */
  readonly name: string;
  readonly createdAtMs: number;
  readonly keys: readonly DkimKey[];
  /** Domain used in MAIL FROM (bounce address) for this domain's mail; undefined = the sender's own. */
  readonly returnPathDomain: string | undefined;
}
