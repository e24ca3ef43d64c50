// Turns a raw SMTP reply, as nodemailer hands it over ("550-5.1.1 first\n550
// 5.1.1 second"), into a RemoteReply. The enhanced status code (RFC 2034 §3)
// is taken from the first line only and only when its class matches the
// basic code's first digit (RFC 3463 §2): a "550 4.1.1" is kept as text.
import type { RemoteReply } from '../core/outcome.js';

const CODE = /^([2-5]\d\d)(?:[ -]|$)/;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)/;

/** The reply, or undefined when the text does not start with a 2xx–5xx code. */
export function parseReply(raw: string): RemoteReply | undefined {
  const lines = raw.split(/\r?\n/).filter((line) => line.trim() !== '');
  const first = lines[0];
  if (first === undefined) return undefined;
  const m = CODE.exec(first);
  if (!m) return undefined;
  const codeText = m[1] as string;
  const code = Number(codeText);
  let enhanced: string | undefined;
  const texts: string[] = [];
  lines.forEach((line, index) => {
    // Continuation lines normally repeat the code; tolerate ones that do not.
    let rest = line.startsWith(codeText) ? line.slice(3).replace(/^[ -]/, '') : line;
    const e = ENHANCED.exec(rest);
    if (e) {
      if (index === 0 && e[1] === codeText[0]) enhanced = `${e[1]}.${Number(e[2])}.${Number(e[3])}`;
      // Strip a repeated enhanced code from every line so the text reads once.
      if (e[1] === codeText[0]) rest = rest.slice(e[0].length);
    }
    texts.push(rest.trim());
  });
  return { code, enhanced, text: texts.filter((t) => t !== '').join(' ') };
}

/** "550 5.1.1 text" — the one-line form used in details and logs. */
export function formatRemoteReply(reply: RemoteReply): string {
  return [String(reply.code), reply.enhanced, reply.text].filter((p) => p !== undefined && p !== '').join(' ');
}
