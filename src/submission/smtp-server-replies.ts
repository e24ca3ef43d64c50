// smtp-server derives every enhanced status code from the basic reply code by
// table (a policy 554 goes out as 5.6.0, a 553 as 5.1.3 whatever the cause),
// and it advertises AUTH in EHLO before TLS. Neither is configurable, so we
// wrap its single write method, SMTPConnection#send, for our servers only
// (marked by the `hikyakuReplies` option; other smtp-server instances in the
// same process, such as test peers, are untouched):
//  - a reply whose text already starts with an enhanced code of the right
//    class is sent as is (our replies come from core/replies.ts);
//  - before TLS, the AUTH line is removed from the EHLO reply (RFC 4954 §4:
//    don't offer mechanisms that would send the password in the clear);
//  - smtp-server's answer to AUTH before STARTTLS (538) becomes the RFC 3207 §4
//    reply 530 5.7.0;
//  - the greeting is sent at once: smtp-server holds every new connection for
//    a fixed 100 ms to catch clients that talk before the greeting (a
//    greet-pause spam heuristic for inbound MX hosts). Our clients are mail
//    programs that authenticate or come from trusted networks; the pause
//    would only cap each session's rate (20 parallel one-message sessions
//    could never exceed 200 messages/s). Early talkers are still refused by
//    smtp-server's own check of data arriving before the greeting.
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { formatReply, type SmtpReply } from '../core/smtp-reply.js';
import { replies } from '../core/replies.js';

const OWN_ENHANCED = /^([245])\.\d{1,3}\.\d{1,3} /;

interface PatchableConnection {
  secure: boolean;
  _server: { options: { hikyakuReplies?: boolean; maxClients?: number }; connections: Set<unknown> };
  name: string;
  _setListeners(callback: () => void): void;
  connectionReady(): void;
  send(code: number, data?: string | string[], context?: string | false): void;
}

type Send = (this: PatchableConnection, code: number, data?: string | string[], context?: string | false) => void;

let installed = false;

export function installReplyPolicy(): void {
  if (installed) return;
  installed = true;
  const proto = SMTPConnection.prototype as unknown as { send: Send; init: (this: PatchableConnection) => void };
  const originalInit = proto.init;
  proto.init = function init(this: PatchableConnection) {
    if (!this._server.options.hikyakuReplies) return originalInit.call(this);
    // smtp-server's init() without the 100 ms pause (see above); same limit check.
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      }
      this.connectionReady();
    });
  };
  const original = proto.send;
  proto.send = function send(this: PatchableConnection, code, data, context) {
    if (!this._server.options.hikyakuReplies) return original.call(this, code, data, context);
    if (code === 538) {
      return sendReply(this, original, replies.tlsRequired);
    }
    if (Array.isArray(data) && code === 250 && !this.secure) {
      data = data.filter((line) => !/^AUTH\b/i.test(line));
    }
    const first = Array.isArray(data) ? data[0] : data;
    if (typeof first === 'string') {
      const m = OWN_ENHANCED.exec(first);
      if (m && m[1] === String(code)[0]) return original.call(this, code, data, false);
    }
    return original.call(this, code, data, context);
  };
}

function sendReply(connection: PatchableConnection, send: Send, reply: SmtpReply): void {
  const lines = formatReply(reply).split('\n');
  send.call(connection, reply.code, lines.length === 1 ? lines[0] : lines, false);
}

/** An Error that smtp-server turns into exactly this reply (with our patch installed). */
export function replyError(reply: SmtpReply): Error & { responseCode: number } {
  const err = new Error(formatReply(reply).split('\n').join(' ')) as Error & { responseCode: number };
  err.responseCode = reply.code;
  return err;
}
