// Which From addresses a user (or one of its app passwords) may send as.
// A pattern is either an exact address (`info@example.com`) or a whole
// domain (`*@example.com`). Decisions, so they are the same everywhere:
// - The whole address is compared case-insensitively (ASCII and Unicode
//   lower-casing). RFC 5321 §2.4 lets a local part be case-sensitive, but no
//   mailbox provider we send for treats `Info@` and `info@` as different
//   people, and a reader cannot tell them apart either: refusing one of them
//   would only break clients that capitalise.
// - `*@example.com` covers example.com only, not its subdomains: a subdomain
//   is often delegated to someone else (a newsletter service, a shop), so
//   each one is listed on its own (`*@news.example.com`).
// - There is no `*` for "anything": an account that may send as anyone is
//   one with the sender check switched off (`--sender-check off`), which is
//   visible as such in `hikyaku user show`.
import { isRoutableAddress } from '../core/address.js';

const DOMAIN_WILDCARD = '*@';

/** The pattern in its stored form (lower-cased), or undefined when it is not a valid pattern. */
export function parseSenderPattern(text: string): string | undefined {
  const pattern = text.trim().toLowerCase();
  if (pattern.startsWith(DOMAIN_WILDCARD)) {
    // Validate the domain through a stand-in local part.
    return isRoutableAddress(`x@${pattern.slice(DOMAIN_WILDCARD.length)}`) ? pattern : undefined;
  }
  return isRoutableAddress(pattern) && !pattern.includes('*') ? pattern : undefined;
}

/**
 * True when `address` (a From or MAIL FROM address) matches one of
 * `patterns`, which are in their stored, lower-cased form (parseSenderPattern,
 * or the configuration's sender pattern kind). An empty list allows nothing.
 * Asked twice per message: no per-pattern allocation.
 */
export function senderAllowed(address: string, patterns: readonly string[]): boolean {
  const wanted = address.toLowerCase();
  const at = wanted.lastIndexOf('@');
  if (at <= 0) return false;
  for (const pattern of patterns) {
    if (pattern.startsWith(DOMAIN_WILDCARD)) {
      // "*@" + domain, compared in place: the same length and the same tail.
      if (pattern.length - DOMAIN_WILDCARD.length === wanted.length - at - 1 && wanted.endsWith(pattern.slice(1))) return true;
    } else if (pattern === wanted) return true;
  }
  return false;
}
