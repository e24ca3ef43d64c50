// `hikyaku sendmail [-t] [-i|-oi] [-f SENDER] [-F NAME] [RCPT…]`: the
// sendmail command of PHP's mail(), cron and most Unix tools. Reads the
// message on standard input and hands it to the running server through its
// local socket (dataDir/sendmail.sock); when no server answers there, writes
// it into the maildrop (dataDir/maildrop/), which the server picks up when
// it starts. Exits 0 only once the message is on disk (the queue's, or the
// maildrop's); otherwise with a sysexits.h code and the reason on stderr.
import { connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Config } from '../config/types.js';
import { parseMailbox } from '../core/mailbox.js';
import { formatReply, type SmtpReply } from '../core/smtp-reply.js';
import { parseSendmailArguments } from '../sendmail/arguments.js';
import { addressList, headerRecipients, messageFromInput, preparedMessage } from '../sendmail/message.js';
import { decodeReply, encodeFrame, sendmailPaths } from '../sendmail/frame.js';
import { writeMaildropFile } from '../sendmail/maildrop-write.js';

/** sysexits.h */
export const EX = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  NOUSER: 67,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  OSERR: 71,
  CANTCREAT: 73,
  TEMPFAIL: 75,
  NOPERM: 77,
} as const;

/** How long the server may take to store the message before we give up (and say: try again). */
const REPLY_TIMEOUT_MS = 300_000;

export interface SendmailContext {
  readonly config: Config;
  readonly stdin?: NodeJS.ReadableStream;
  readonly err?: (line: string) => void;
}

export async function runSendmailCommand(argv: readonly string[], ctx: SendmailContext): Promise<number> {
  const err = ctx.err ?? ((line: string) => void process.stderr.write(line + '\n'));
  const say = (line: string): void => err(`hikyaku sendmail: ${line}`);
  const parsed = parseSendmailArguments(argv);
  if (!parsed.ok) {
    say(`${parsed.problem}\nusage: hikyaku sendmail [-t] [-i|-oi] [-f SENDER] [-F NAME] [RECIPIENT…] < message`);
    return EX.USAGE;
  }
  const args = parsed.args;
  const { config } = ctx;

  let localUser: string;
  try {
    localUser = userInfo().username;
  } catch {
    localUser = `uid${process.getuid?.() ?? '?'}`;
  }
  let sender: string;
  if (args.sender === undefined) {
    sender = `${localUser}@${config.hostname}`;
  } else if (args.sender === '<>' || args.sender === '') {
    sender = '';
  } else {
    const raw = args.sender.startsWith('<') && args.sender.endsWith('>') ? args.sender.slice(1, -1) : args.sender;
    const s = parseMailbox(raw);
    if (!s.ok) {
      say(`bad sender address "${args.sender}": ${s.problem}`);
      return EX.DATAERR;
    }
    sender = s.address;
  }
  if (sender !== '' && !parseMailbox(sender).ok) {
    say(`the default sender ${sender} is not an address (${localUser}@hostname); give one with -f`);
    return EX.DATAERR;
  }

  const recipients: string[] = [];
  for (const arg of args.recipients) {
    const list = addressList(arg, '');
    if (!list.ok) {
      say(list.problem);
      return EX.DATAERR;
    }
    recipients.push(...list.addresses);
  }

  const input = await readAll(ctx.stdin ?? process.stdin);
  const message = messageFromInput(input, args.ignoreDots);
  if (args.extractRecipients) {
    const found = headerRecipients(message);
    if (!found.ok) {
      say(found.problem);
      return EX.DATAERR;
    }
    recipients.push(...found.addresses);
  }
  if (recipients.length === 0) {
    say(args.extractRecipients ? 'no recipients in To, Cc or Bcc, nor as arguments' : 'no recipients given (as arguments, or with -t in To, Cc and Bcc)');
    return EX.USAGE;
  }
  const queued = preparedMessage(message, { removeBcc: args.extractRecipients, sender, fullName: args.fullName });
  const frame = encodeFrame({ mailFrom: sender, rcptTo: recipients, localUser }, queued);
  const paths = sendmailPaths(config.dataDir);

  const viaSocket = await sendToServer(paths.socket, frame);
  if (viaSocket.kind === 'replied') {
    for (const extra of viaSocket.replies.slice(1)) say(`not sent to one recipient: ${extra.code} ${formatReply(extra)}`);
    const reply = viaSocket.replies[0] as SmtpReply;
    if (reply.code < 400) return EX.OK;
    say(`${reply.code} ${formatReply(reply)}`);
    return exitCodeFor(reply);
  }
  if (viaSocket.kind === 'failed') {
    say(viaSocket.problem);
    return viaSocket.code;
  }
  // No server answers: the maildrop.
  try {
    try {
      writeMaildropFile(paths.maildrop, frame);
    } catch (e) {
      // The server never ran with this data directory: its owner may make the maildrop (the server sets its mode at start).
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(paths.maildrop, { recursive: true, mode: 0o700 });
      writeMaildropFile(paths.maildrop, frame);
    }
    return EX.OK;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    say(`the server is not running and the message cannot be written to ${paths.maildrop}: ${(e as Error).message}`);
    if (code === 'ENOSPC' || code === 'EDQUOT') return EX.TEMPFAIL;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT' || code === 'EROFS') return EX.CANTCREAT;
    return EX.OSERR;
  }
}

/** The sysexits code for a refusal. */
export function exitCodeFor(reply: SmtpReply): number {
  if (reply.code < 400) return EX.OK;
  if (reply.code < 500) return EX.TEMPFAIL;
  const enhanced = reply.enhanced ?? '';
  // Syntax of an address, of the message, or its size: the data is wrong.
  if (enhanced === '5.1.3' || enhanced === '5.1.7' || enhanced.startsWith('5.6.') || enhanced === '5.3.4' || enhanced === '5.5.2') return EX.DATAERR;
  if (enhanced.startsWith('5.1.')) return EX.NOUSER;
  if (enhanced.startsWith('5.7.')) return EX.NOPERM;
  return EX.UNAVAILABLE;
}

type SocketResult =
  | { readonly kind: 'replied'; readonly replies: SmtpReply[] }
  | { readonly kind: 'no-server' }
  | { readonly kind: 'failed'; readonly code: number; readonly problem: string };

function sendToServer(path: string, frame: Buffer): Promise<SocketResult> {
  return new Promise((resolve) => {
    const socket = connect(path);
    let answered = false;
    let received = '';
    const finish = (r: SocketResult): void => {
      if (answered) return;
      answered = true;
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(REPLY_TIMEOUT_MS, () => finish({ kind: 'failed', code: EX.TEMPFAIL, problem: `no answer from the server on ${path} within ${REPLY_TIMEOUT_MS / 1000} s; the message may or may not be queued` }));
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
    socket.on('end', () => {
      const replies = received.split('\n').filter((l) => l !== '').map(decodeReply);
      if (replies.length === 0 || replies.some((r) => r === undefined)) {
        finish({ kind: 'failed', code: EX.TEMPFAIL, problem: `the server on ${path} closed the connection without a valid answer` });
      } else {
        finish({ kind: 'replied', replies: replies as SmtpReply[] });
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') return finish({ kind: 'no-server' });
      if (e.code === 'EACCES' || e.code === 'EPERM') {
        return finish({ kind: 'failed', code: EX.NOPERM, problem: `not allowed to use ${path} (${e.code}): the user must be in the server's group (README: sendmail)` });
      }
      // After the message was sent, a broken connection leaves it unknown whether it was queued: say so.
      finish({ kind: 'failed', code: EX.TEMPFAIL, problem: `connection to the server on ${path} failed: ${e.message}` });
    });
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
