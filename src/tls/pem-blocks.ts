// A CA file may hold several certificates. Node reads each array element of
// `ca` on its own, and a string holding several PEM blocks is not reliably
// read whole (the test CAs, sharing one key pair, lost all but the first),
// so a file's certificates are handed over one by one.

const BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Each PEM certificate in `text`; the text itself when it holds none (Node then says what is wrong). */
export function pemCertificates(text: string): string[] {
  const blocks = text.match(BLOCK);
  return blocks === null ? [text] : blocks.map((b) => `${b}\n`);
}
