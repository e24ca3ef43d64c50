// SASLprep (RFC 4013, a profile of stringprep, RFC 3454) for SCRAM
// passwords: both sides must derive the same key from the same password
// typed on different systems (RFC 5802 §2.2 "Normalize").
//
// Covered: mapping (§2.1: non-ASCII spaces to SPACE, "commonly mapped to
// nothing" characters removed), NFKC (§2.2), and the prohibited output of
// §2.3 (control characters, private use, non-characters, surrogates,
// inappropriate for plain text / canonical representation, change display
// properties, tagging characters).
// Not covered: the check for code points unassigned in Unicode 3.2 (§5,
// needed only for "stored strings"; NFKC of a modern Node is used instead,
// so a password using characters added after 3.2 is accepted, as most
// implementations do) and the bidirectional rules (§6). A password that
// fails is simply not offered to SCRAM: PLAIN/LOGIN still work with it.

// RFC 3454 table B.1: mapped to nothing.
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
// RFC 3454 table C.1.2: non-ASCII space characters, mapped to SPACE.
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
// RFC 3454 tables C.2.1/C.2.2 (control), C.3 (private use), C.4 (non-characters),
// C.5 (surrogates: with the u flag a lone surrogate is matched as itself), C.6, C.7, C.8 (display and bidi controls), C.9 (tags).
const PROHIBITED =
  /[\u0000-\u001F\u007F-\u009F\u0340\u0341\u06DD\u070F\u180E\u200E\u200F\u2028-\u202E\u2060-\u2063\u206A-\u206F\uD800-\uDFFF\uE000-\uF8FF\uFDD0-\uFDEF\uFFF9-\uFFFF]|[\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}\u{F0000}-\u{10FFFF}]|[\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}]/u;

/** The prepared string, or undefined when it contains a prohibited character (or is empty after mapping). */
export function saslprep(text: string): string | undefined {
  const prepared = text.replace(MAPPED_TO_NOTHING, '').replace(NON_ASCII_SPACE, ' ').normalize('NFKC');
  if (prepared === '' || PROHIBITED.test(prepared)) return undefined;
  return prepared;
}
