// RFC 3461 §4 "xtext": how DSN parameters (ENVID, ORCPT) travel on MAIL and
// RCPT. Octets "!" to "~" stand for themselves except "+" and "=", every
// other octet is "+" and two upper-case hex digits. Decoded values must be
// printable US-ASCII (graphic characters and space, RFC 3461 §4.2 and §4.4):
// a decoded CR, LF or other control character would let a parameter inject
// header fields into the DSNs built from it, so it is refused.

export type XtextResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: string };

const HEX = /^[0-9A-F]{2}$/;

/** Decode an xtext; the decoded value must be printable US-ASCII (0x20-0x7E). */
export function decodeXtext(text: string): XtextResult {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b /* + */) {
      const hex = text.slice(i + 1, i + 3);
      // RFC 3461 §4: "+" followed by two upper-case hexadecimal digits.
      if (!HEX.test(hex)) return { ok: false, problem: 'bad "+HH" escape' };
      const octet = parseInt(hex, 16);
      if (octet < 0x20 || octet > 0x7e) return { ok: false, problem: 'control or non-ASCII character' };
      out += String.fromCharCode(octet);
      i += 2;
    } else if (c < 0x21 || c > 0x7e || c === 0x3d /* = */) {
      return { ok: false, problem: c < 0x21 || c === 0x7f ? 'control character or space' : c === 0x3d ? 'unescaped "="' : 'non-ASCII character' };
    } else {
      out += text[i];
    }
  }
  return { ok: true, value: out };
}

/** Encode a printable US-ASCII value as xtext ("+", "=", space and anything else outside "!"-"~" as +HH). */
export function encodeXtext(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    if (c >= 0x21 && c <= 0x7e && ch !== '+' && ch !== '=') out += ch;
    else for (const octet of Buffer.from(ch, 'utf8')) out += `+${octet.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
