// Text forms used in the per-attempt log line and in `queue list`, in the
// shape Postfix admins know: relay "host[ip]:port", reply "550 5.1.1 text".
import type { DeliveryFailure, RelayInfo, RemoteReply } from '../core/outcome.js';

export function relayText(relay: RelayInfo | undefined): string | undefined {
  return relay ? `${relay.host}[${relay.ip}]:${relay.port}` : undefined;
}

export function tlsText(relay: RelayInfo | undefined): string | undefined {
  return relay?.tls ? `${relay.tls.version} ${relay.tls.cipher}` : undefined;
}

export function remoteReplyText(reply: RemoteReply): string {
  const enhanced = reply.enhanced ? `${reply.enhanced} ` : '';
  // Multi-line replies are joined: a log line and a list column are one line each.
  const text = reply.text.includes('\n') ? reply.text.replace(/\r?\n/g, ' ') : reply.text;
  return `${reply.code} ${enhanced}${text}`;
}

/** The remote reply if there was one, else the local detail. */
export function failureReplyText(failure: DeliveryFailure): string {
  return failure.remoteReply ? remoteReplyText(failure.remoteReply) : failure.detail;
}

/** The last error as `queue list` shows it: who said what, or what went wrong locally. */
export function lastErrorText(failure: DeliveryFailure): string {
  if (!failure.remoteReply) return failure.remoteMta ? `${failure.remoteMta}: ${failure.detail}` : failure.detail;
  const said = remoteReplyText(failure.remoteReply);
  return failure.remoteMta ? `host ${failure.remoteMta} said: ${said}` : said;
}
