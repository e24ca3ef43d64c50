// One mailbox, one identity: the key under which an address is compared for
// de-duplication, suppression, quotas and history. (The address parser that
// belongs here is being written; this file's API is the contract.)

/**
 * The identity key of an address: the local part without RFC 5321 quoting
 * (`"taro..yamada"` and `taro..yamada` are one mailbox), the domain
 * lower-cased. The local part's case is kept (RFC 5321 §2.4).
 */
export function mailboxKey(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  let local = address.slice(0, at);
  if (local.length >= 2 && local.startsWith('"') && local.endsWith('"')) local = local.slice(1, -1).replace(/\\(.)/g, '$1');
  return `${local}@${address.slice(at + 1).toLowerCase()}`;
}
