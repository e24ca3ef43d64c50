// The RFC 3461 (DSN) parameters of MAIL and RCPT: RET and ENVID, NOTIFY and
// ORCPT. Pure functions returning either the value or the 501 reply naming
// the parameter, so the session only asks and every odd input is a table row.
import type { RecipientParams } from '../core/envelope.js';
import { replies } from '../core/replies.js';
import type { SmtpReply } from '../core/smtp-reply.js';
import { decodeXtext } from '../core/xtext.js';

export type ParamResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reply: SmtpReply };

const NOTIFY_ORDER = ['SUCCESS', 'FAILURE', 'DELAY'] as const;
// RFC 3461 §4.4: ENVID at most 100 characters; §4.2: ORCPT at most 500.
const MAX_ENVID = 100;
const MAX_ORCPT = 500;
// RFC 3461 §4.2: addr-type is an atom (RFC 5322 atext).
const ADDR_TYPE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;

function bad<T>(name: string, problem: string): ParamResult<T> {
  return { ok: false, reply: replies.badDsnParameter(name, problem) };
}

/** RET=FULL|HDRS (RFC 3461 §4.3). */
export function parseRet(value: string | true): ParamResult<'FULL' | 'HDRS'> {
  const v = value === true ? '' : value.toUpperCase();
  return v === 'FULL' || v === 'HDRS' ? { ok: true, value: v } : bad('RET', 'must be FULL or HDRS');
}

/** ENVID=xtext (RFC 3461 §4.4), decoded. */
export function parseEnvId(value: string | true): ParamResult<string> {
  if (value === true || value === '') return bad('ENVID', 'empty');
  if (value.length > MAX_ENVID) return bad('ENVID', `longer than ${MAX_ENVID} characters`);
  const decoded = decodeXtext(value);
  return decoded.ok ? decoded : bad('ENVID', `invalid xtext (${decoded.problem})`);
}

/** NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 §4.1), made canonical. */
export function parseNotify(value: string | true): ParamResult<string> {
  if (value === true || value === '') return bad('NOTIFY', 'empty');
  const words = value.toUpperCase().split(',');
  if (words.includes('NEVER')) return words.length === 1 ? { ok: true, value: 'NEVER' } : bad('NOTIFY', 'NEVER cannot be combined with other values');
  const seen = new Set<string>();
  for (const w of words) {
    if (!(NOTIFY_ORDER as readonly string[]).includes(w)) return bad('NOTIFY', `unknown value "${w.slice(0, 20)}" (NEVER, SUCCESS, FAILURE or DELAY)`);
    if (seen.has(w)) return bad('NOTIFY', `${w} given twice`);
    seen.add(w);
  }
  return { ok: true, value: NOTIFY_ORDER.filter((w) => seen.has(w)).join(',') };
}

/** ORCPT=addr-type;xtext (RFC 3461 §4.2), decoded to "addr-type;address". */
export function parseOrcpt(value: string | true): ParamResult<string> {
  if (value === true || value === '') return bad('ORCPT', 'empty');
  if (value.length > MAX_ORCPT) return bad('ORCPT', `longer than ${MAX_ORCPT} characters`);
  const semi = value.indexOf(';');
  if (semi <= 0) return bad('ORCPT', 'must be addr-type;address');
  const type = value.slice(0, semi);
  if (!ADDR_TYPE.test(type)) return bad('ORCPT', 'bad address type');
  const address = decodeXtext(value.slice(semi + 1));
  if (!address.ok) return bad('ORCPT', `invalid xtext (${address.problem})`);
  if (address.value === '') return bad('ORCPT', 'empty address');
  return { ok: true, value: `${type};${address.value}` };
}

/** One RCPT's DSN parameters; other parameters are the caller's (undefined when none of ours). */
export function recipientParams(params: ReadonlyMap<string, string | true>): ParamResult<RecipientParams | undefined> {
  let notify: string | undefined;
  let orcpt: string | undefined;
  for (const [key, value] of params) {
    if (key === 'NOTIFY') {
      const r = parseNotify(value);
      if (!r.ok) return r;
      notify = r.value;
    } else if (key === 'ORCPT') {
      const r = parseOrcpt(value);
      if (!r.ok) return r;
      orcpt = r.value;
    } else {
      return { ok: false, reply: replies.unsupportedParameter };
    }
  }
  return { ok: true, value: notify === undefined && orcpt === undefined ? undefined : { notify, orcpt } };
}
