// Parsing SMTP command lines (RFC 5321 §4.1): the verb, and the path and
// parameters of MAIL FROM / RCPT TO. Pure functions, so every odd input a
// client may send is covered by table tests.

export interface CommandLine {
  /** Upper-case verb, e.g. "MAIL". */
  readonly verb: string;
  /** Everything after the verb and one space, as sent. */
  readonly argument: string;
}

export function splitCommand(line: string): CommandLine {
  const space = line.indexOf(' ');
  if (space === -1) return { verb: line.toUpperCase(), argument: '' };
  return { verb: line.slice(0, space).toUpperCase(), argument: line.slice(space + 1).trim() };
}

export interface PathArgument {
  /** The address without angle brackets; '' for the null path "<>". */
  readonly address: string;
  /** ESMTP parameters, keys upper-case; a parameter without "=" has the value true. */
  readonly params: ReadonlyMap<string, string | true>;
}

/**
 * Parses "FROM:<a@b> SIZE=1" (keyword 'FROM') or "TO:<a@b>" (keyword 'TO').
 * Lenient where real clients are sloppy and no ambiguity follows (Postfix's
 * strict_rfc821_envelopes=no): a space after the colon, and a path without
 * angle brackets. Source routes ("<@a,@b:c@d>", RFC 5321 §4.1.1.3) are
 * accepted and ignored.
 */
export function parsePathArgument(argument: string, keyword: 'FROM' | 'TO'): PathArgument | undefined {
  // The path nearly every client sends, "FROM:<a@b>" without parameters, skips the general parse.
  const simple = SIMPLE_PATH.exec(argument);
  if (simple !== null && simple[1]!.toUpperCase() === keyword) return { address: simple[2]!, params: NO_PARAMS };
  const colon = argument.indexOf(':');
  if (colon === -1 || argument.slice(0, colon).trim().toUpperCase() !== keyword) return undefined;
  const rest = argument.slice(colon + 1).trimStart();
  let address: string;
  let paramText: string;
  if (rest.startsWith('<')) {
    const close = closingBracket(rest);
    if (close === -1) return undefined;
    address = rest.slice(1, close);
    paramText = rest.slice(close + 1);
    if (paramText !== '' && !paramText.startsWith(' ')) return undefined;
  } else {
    const space = rest.indexOf(' ');
    address = space === -1 ? rest : rest.slice(0, space);
    paramText = space === -1 ? '' : rest.slice(space);
    if (address === '') return undefined;
  }
  // A source route ends with ":"; "@domain" without one is a mailbox with an
  // empty local part, left for the address parser to name (core/mailbox.ts).
  const routeEnd = address.startsWith('@') ? address.indexOf(':') : -1;
  if (routeEnd !== -1) address = address.slice(routeEnd + 1);
  const params = new Map<string, string | true>();
  for (const param of paramText.split(' ')) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    const key = (eq === -1 ? param : param.slice(0, eq)).toUpperCase();
    if (key === '' || params.has(key)) return undefined;
    params.set(key, eq === -1 ? true : param.slice(eq + 1));
  }
  return { address, params };
}

const SIMPLE_PATH = /^(FROM|TO):<([^<>"\\\s@:,]+@[^<>"\\\s@:,]+|)>$/i;
const NO_PARAMS: ReadonlyMap<string, string | true> = new Map();

/** The ">" closing the path: a quoted local part may itself contain ">". */
function closingBracket(text: string): number {
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '>' && !quoted) return i;
  }
  return -1;
}

/** True when the text has a byte outside US-ASCII (RFC 6531 addresses). */
export function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
}
