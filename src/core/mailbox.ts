// The one address parser: RFC 5321 §4.1.2 Mailbox, with RFC 6531 UTF-8, and
// the two forms derived from it — the identity key (mailboxKey) and the form
// sent on the wire (wireMailbox).
//
// Stored form: the address as the client wrote it (quoted or not), the
// domain lower-cased (RFC 5321 §2.4: the local part is the receiving host's
// business, the domain is case-insensitive). Quoting for the wire happens in
// wireMailbox, at the last moment, like Postfix's smtp_quote_rfc821_envelope.
//
// One leniency, documented (Postfix's strict_rfc821_envelopes=no does the
// same): an unquoted local part may have consecutive dots or a leading or
// trailing dot. Until 2009 docomo and au handed out such addresses
// (taro..yamada@docomo.ne.jp, hanako.@ezweb.ne.jp) and people still use them;
// wireMailbox sends them quoted, which is valid RFC 5321.
import { isIPv4, isIPv6 } from 'node:net';

/** How a local part may be written: as is, as is only by our leniency, or only quoted. */
export type LocalPartForm = 'dot-string' | 'legacy-dots' | 'quoted-only';

export type ParsedMailbox =
  | {
      readonly ok: true;
      /** The local part without RFC 5321 quoting: `"taro..yamada"` → `taro..yamada`. */
      readonly local: string;
      /** Lower-cased; an address literal keeps its brackets. */
      readonly domain: string;
      /** The stored form: the local part as written, '@', the domain lower-cased. */
      readonly address: string;
      readonly form: LocalPartForm;
    }
  | {
      readonly ok: false;
      /** What is wrong, in English, for a 501 reply or a log line. */
      readonly problem: string;
    };

// RFC 5321 §4.5.3.1.1–3: local part 64 octets, domain 255, path 256 with its brackets.
const MAX_LOCAL_OCTETS = 64;
const MAX_DOMAIN_OCTETS = 255;
const MAX_MAILBOX_OCTETS = 254;

// RFC 5322 §3.2.3 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~" (RFC 5321 §4.1.2 uses it for Atom).
const ATEXT = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~") ATEXT[c.charCodeAt(0)] = 1;

function fail(problem: string): ParsedMailbox {
  return { ok: false, problem };
}

/** NUL, other C0 controls, DEL and the C1 controls: never part of an address. */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

function utf8Octets(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Parses an RFC 5321 Mailbox (no angle brackets, no source route). */
export function parseMailbox(text: string): ParsedMailbox {
  if (text === '') return fail('empty address');
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) ascii = false;
    if (isControl(code)) return fail(`control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  // The limits count octets; for ASCII text (nearly every address) that is the length.
  const octets = ascii ? (t: string): number => t.length : utf8Octets;
  const local = text.charCodeAt(0) === 0x22 ? scanQuoted(text) : scanUnquoted(text);
  if ('problem' in local) return fail(local.problem);
  const at = local.end;
  if (at === text.length) return fail('no "@" sign');
  const domainText = text.slice(at + 1);
  if (domainText.includes('@')) return fail('two "@" signs');
  if (domainText === '') return fail('missing domain');
  if (domainText.includes(' ')) return fail('space outside quotes');
  const written = text.slice(0, at);
  if (octets(written) > MAX_LOCAL_OCTETS) return fail(`local part longer than ${MAX_LOCAL_OCTETS} octets`);
  const domain = domainText.toLowerCase();
  const domainProblem = checkDomain(domain, octets);
  if (domainProblem !== undefined) return fail(domainProblem);
  const address = `${written}@${domain}`;
  if (octets(address) > MAX_MAILBOX_OCTETS) return fail(`address longer than ${MAX_MAILBOX_OCTETS} octets`);
  return { ok: true, local: local.value, domain, address, form: localPartForm(local.value) };
}

type Scanned = { readonly value: string; readonly end: number } | { readonly problem: string };

/** An unquoted local part up to the first "@": atoms and dots. */
function scanUnquoted(text: string): Scanned {
  let i = 0;
  let atext = false;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x40) break; // "@"
    if (code >= 0x80 || ATEXT[code] === 1) atext = true;
    else if (code === 0x2e) continue; // "." — where it may stand is localPartForm's business
    else return { problem: unquotedProblem(text[i]!) };
  }
  if (i === 0) return { problem: 'empty local part' };
  // Our leniency covers misplaced dots, not a local part that is nothing but dots.
  if (!atext) return { problem: 'local part has only dots' };
  return { value: text.slice(0, i), end: i };
}

function unquotedProblem(ch: string): string {
  if (ch === ' ') return 'space outside quotes';
  if (ch === '"') return 'quote inside an unquoted local part';
  if (ch === '\\') return 'backslash outside quotes';
  if (ch === '<' || ch === '>') return 'angle bracket in the address';
  return `character "${ch}" outside quotes`;
}

/** RFC 5321 §4.1.2 Quoted-string: qtextSMTP and quoted-pairSMTP (backslash + %d32-126). */
function scanQuoted(text: string): Scanned {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0x20 && next <= 0x7e)) return { problem: 'backslash without a character to quote' };
      value += text[++i];
    } else if (ch === '"') {
      if (i + 1 < text.length && text[i + 1] !== '@') return { problem: 'text after the closing quote' };
      // The grammar allows "" but it names no mailbox anyone can have.
      if (value === '') return { problem: 'empty local part' };
      return { value, end: i + 1 };
    } else {
      value += ch;
    }
  }
  return { problem: 'unbalanced quotes' };
}

/** RFC 5321 §4.1.2 Dot-string, with RFC 6531 UTF-8 in atext. */
export function isDotString(local: string): boolean {
  return localPartForm(local) === 'dot-string';
}

/** How the (unquoted) local part may be written in an SMTP path. */
export function localPartForm(local: string): LocalPartForm {
  let dots = false;
  let previousDot = true; // a leading dot counts as following a dot
  for (let i = 0; i < local.length; i++) {
    const code = local.charCodeAt(i);
    if (code === 0x2e) {
      if (previousDot) dots = true;
      previousDot = true;
    } else if (code >= 0x80 || ATEXT[code] === 1) {
      previousDot = false;
    } else {
      return 'quoted-only';
    }
  }
  if (local === '') return 'quoted-only';
  return dots || previousDot ? 'legacy-dots' : 'dot-string';
}

/**
 * RFC 5321 §4.1.2 Domain or address-literal (§4.1.3), lower-cased. A domain
 * needs two labels: §2.3.5 allows only fully-qualified names in SMTP. Labels
 * are sub-domain = Let-dig [Ldh-str], or RFC 6531 U-labels (non-ASCII), of
 * at most 63 octets (RFC 1035 §2.3.4). One pass: this runs for every RCPT.
 */
function checkDomain(domain: string, octets: (text: string) => number): string | undefined {
  if (domain.charCodeAt(0) === 0x5b) return checkAddressLiteral(domain);
  if (octets(domain) > MAX_DOMAIN_OCTETS) return `domain longer than ${MAX_DOMAIN_OCTETS} octets`;
  let labels = 0;
  let start = 0;
  let numeric = true;
  for (let i = 0; i <= domain.length; i++) {
    const code = i === domain.length ? 0x2e : domain.charCodeAt(i);
    if (code === 0x2e) {
      const last = i - 1;
      const bad = i === start || domain.charCodeAt(start) === 0x2d || domain.charCodeAt(last) === 0x2d || octets(domain.slice(start, i)) > 63;
      if (bad) return `invalid domain "${domain}"`;
      labels++;
      start = i + 1;
      if (i < domain.length) numeric = true;
    } else if ((code >= 0x61 && code <= 0x7a) || code === 0x2d || code >= 0x80) {
      numeric = false;
    } else if (!(code >= 0x30 && code <= 0x39)) {
      return `invalid domain "${domain}"`;
    }
  }
  // RFC 3696 §2: a top-level domain is never all-numeric (that would be an IPv4 address).
  if (labels < 2 || numeric) return `invalid domain "${domain}"`;
  return undefined;
}

/** RFC 5321 §4.1.3: "[" IPv4 "]" or "[IPv6:" IPv6 "]"; no general literal tag is registered. */
function checkAddressLiteral(literal: string): string | undefined {
  const invalid = `invalid address literal "${literal}"`;
  if (!literal.endsWith(']')) return invalid;
  const inner = literal.slice(1, -1);
  if (inner.startsWith('ipv6:')) return isIPv6(inner.slice(5)) ? undefined : invalid;
  return isIPv4(inner) ? undefined : invalid;
}

/** The problem with an address, or undefined when it parses. */
export function mailboxProblem(address: string): string | undefined {
  const parsed = parseMailbox(address);
  return parsed.ok ? undefined : parsed.problem;
}

/**
 * The address as it goes into MAIL FROM / RCPT TO and into DSNs. RFC 5321
 * §4.1.2: "all quoted forms MUST be treated as equivalent, and the sending
 * system SHOULD transmit the form that uses the minimum quoting possible" —
 * so a Dot-string goes unquoted (needless quotes are dropped), anything else
 * is quoted with '"' and '\' escaped: "taro..yamada"@docomo.ne.jp. The
 * domain is the stored (lower-cased) one. An address that does not parse is
 * returned unchanged: the caller has refused it already, or will.
 */
export function wireMailbox(address: string): string {
  const parsed = parseMailbox(address);
  if (!parsed.ok) return address;
  return `${wireLocalPart(parsed.local)}@${parsed.domain}`;
}

/** An unquoted local part in RFC 5321 syntax: a Dot-string as is, anything else quoted. */
export function wireLocalPart(local: string): string {
  if (isDotString(local)) return local;
  return `"${local.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The identity key of an address: the local part without RFC 5321 quoting
 * (`"taro..yamada"` and `taro..yamada` are one mailbox: RFC 5321 §4.1.2, all
 * quoted forms are equivalent), the domain lower-cased. The local part's case
 * is kept (RFC 5321 §2.4). An address that does not parse still gets a key:
 * quotes around the whole local part removed, the domain lower-cased.
 */
export function mailboxKey(address: string): string {
  const parsed = parseMailbox(address);
  if (parsed.ok) return `${parsed.local}@${parsed.domain}`;
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  let local = address.slice(0, at);
  if (local.length >= 2 && local.startsWith('"') && local.endsWith('"')) local = local.slice(1, -1).replace(/\\(.)/g, '$1');
  return `${local}@${address.slice(at + 1).toLowerCase()}`;
}
