// Header field folding (RFC 5322 §2.2.3): a long field is broken into lines
// by inserting CRLF before existing whitespace. Lines SHOULD stay within 78
// characters and MUST NOT exceed 998 (RFC 5322 §2.1.1).

export const MAX_LINE_OCTETS = 998;
const SOFT_LINE_CHARS = 78;

/**
 * `Name: value` folded at spaces to about 78 characters per line, with CRLF
 * at the end. A single word too long for one line is split hard so that no
 * line exceeds 998 octets (unfolding then reads a space inside that word:
 * only pathological values, such as a 1,000-character reply token, hit this).
 * The value must already be free of CR and LF.
 */
export function foldField(name: string, value: string): string {
  const words = value.split(' ').filter((w) => w.length > 0);
  const lines: string[] = [];
  let line = `${name}:`;
  for (const word of splitLongWords(words)) {
    const first = line === `${name}:`;
    if (!first && Buffer.byteLength(line) + 1 + Buffer.byteLength(word) > SOFT_LINE_CHARS) {
      lines.push(line);
      // A single space as the folding whitespace: unfolding (removing the
      // CRLF) then gives back exactly the original single-spaced value.
      line = ' ' + word;
    } else {
      line += ' ' + word;
    }
  }
  lines.push(line);
  return lines.join('\r\n') + '\r\n';
}

// Leave room for the field name on the first line and the folding space.
const HARD_WORD_OCTETS = 900;

function* splitLongWords(words: readonly string[]): Generator<string> {
  for (const word of words) {
    if (Buffer.byteLength(word) <= HARD_WORD_OCTETS) {
      yield word;
      continue;
    }
    let chunk = '';
    for (const ch of word) {
      if (Buffer.byteLength(chunk) + Buffer.byteLength(ch) > HARD_WORD_OCTETS) {
        yield chunk;
        chunk = '';
      }
      chunk += ch;
    }
    if (chunk) yield chunk;
  }
}

// Text that sanitizeFieldText would return unchanged has none of these:
// control characters, a run of spaces, white space at either end.
const NEEDS_CLEANING = /[\x00-\x1f\x7f]| {2}|^\s|\s$/;

/** Replace CR, LF, TAB and other control characters by spaces/'?' so a value cannot break out of its field. */
export function sanitizeFieldText(text: string): string {
  // Clean text is the common case (it runs several times per message, for the Received field).
  if (!NEEDS_CLEANING.test(text)) return text;
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\x00-\x1f\x7f]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
}
