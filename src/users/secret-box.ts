// Authenticated encryption (AES-256-GCM) of a small secret kept in the
// database, for the one case where the server must recover a password:
// CRAM-MD5 (RFC 2195) computes HMAC-MD5 keyed with the password itself.
// The key lives in a separate file (see cram-key.ts), so a copy of users.db
// alone reveals nothing. The associated data binds the ciphertext to its
// row: a value copied onto another user's row does not decrypt.
// Stored form: v1$<iv>$<ciphertext>$<tag> (base64).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12; // NIST SP 800-38D: 96-bit IVs for GCM
const KEY_BYTES = 32;

export function sealSecret(key: Buffer, plaintext: string, associatedData: string): string {
  if (key.length !== KEY_BYTES) throw new Error(`secret key must be ${KEY_BYTES} bytes`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const b64 = (b: Buffer): string => b.toString('base64');
  return `v1$${b64(iv)}$${b64(ciphertext)}$${b64(cipher.getAuthTag())}`;
}

/** The plaintext, or undefined when the value is malformed, was sealed with another key, or belongs to other associated data. */
export function openSecret(key: Buffer, sealed: string, associatedData: string): string | undefined {
  const parts = sealed.split('$');
  if (parts.length !== 4 || parts[0] !== 'v1' || key.length !== KEY_BYTES) return undefined;
  const [iv, ciphertext, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer];
  if (iv.length !== IV_BYTES || tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
