// The data model of sending domains. Re-exported by domain-store.ts, which
// is the module other parts of Hikyaku import.
import type { DkimAlgorithm } from './dkim-key-generation.js';

export type { DkimAlgorithm };

/**
 * The life of a DKIM key (a rotation, RFC 6376 §3.6.1 and M3AAWG's key
 * rotation practice):
 *  - 'pending': made by `domain rotate-key`, its record is to be published;
 *    it does not sign yet, so nothing fails while DNS catches up;
 *  - 'active': signs (one key per algorithm);
 *  - 'retiring': no longer signs, but its record stays published until
 *    retireUntilMs so that mail signed before the switch still verifies;
 *    after that `domain retire-key` removes it.
 */
export type DkimKeyState = 'pending' | 'active' | 'retiring';

export interface DkimKey {
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly privateKeyPem: string;
  /** The p= value (RSA: SubjectPublicKeyInfo DER base64; Ed25519: the raw 32-byte key base64, RFC 8463 §4.2). */
  readonly publicKeyBase64: string;
  readonly createdAtMs: number;
  readonly state: DkimKeyState;
  /** When it began signing; undefined while pending. */
  readonly activatedAtMs: number | undefined;
  /** For a retiring key: when it stopped signing (undefined when unknown). */
  readonly retiredAtMs: number | undefined;
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
