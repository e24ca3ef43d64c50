// The load generator: S parallel SMTP sessions that together send N messages,
// one per session (as smtp-source does by default) or M per session (reuse
// mode, as smtp-source -d). It records when each final dot was answered, and
// per-session and dot→250 latencies, so the caller can compute rates.
import { SmtpConnection, expectClass } from './smtp-connection.js';

export const SENDER = 'sender@bench.example';
export const RECIPIENT = 'rcpt@example.com';

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly messages: number;
  readonly sessions: number;
  readonly messageBytes: number;
  /** Messages sent over one connection before QUIT (1 = a new session per message). */
  readonly messagesPerSession: number;
  readonly replyTimeoutMs: number;
  /** No new session starts after this long; the messages left count as refused. */
  readonly timeLimitMs: number;
  /** Port 465 style TLS and AUTH PLAIN after EHLO, as an application submitting by SMTP (api-bench). */
  readonly submission?: { readonly login: string; readonly password: string } | undefined;
  /** STARTTLS after EHLO, then EHLO again (no AUTH): the TLS set-up of a session without a password check (api-bench). */
  readonly startTls?: boolean | undefined;
}

export interface LoadResult {
  readonly accepted: number;
  readonly refused: number;
  /** The first few distinct errors (refusals, broken sessions), for the report. */
  readonly errors: readonly string[];
  /** performance.now() when the first connection was opened. */
  readonly startMs: number;
  /** performance.now() of the last 250 to a final dot (startMs when none). */
  readonly lastAcceptMs: number;
  /** Connect … QUIT reply, per completed session. */
  readonly sessionMs: readonly number[];
  /** Final dot → 250, per accepted message. */
  readonly dotMs: readonly number[];
}

const BODY_LINE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmn\r\n';

/**
 * A body of `bytes` bytes (less a remainder under 3) in 78-byte CRLF lines, then the final
 * ".\r\n". No line starts with ".", so no dot-stuffing is needed (RFC 5321
 * §4.5.2). The headers come on top, as with smtp-source's -l.
 */
export function buildBody(bytes: number): Buffer {
  const full = Math.floor(bytes / BODY_LINE.length);
  const rest = bytes - full * BODY_LINE.length;
  const tail = rest >= 3 ? 'x'.repeat(rest - 2) + '\r\n' : '';
  return Buffer.from(BODY_LINE.repeat(full) + tail + '.\r\n', 'latin1');
}

let messageSerial = 0;

/** The header block of one message: a unique Message-ID, the current Date. */
export function buildHeader(): Buffer {
  const n = ++messageSerial;
  return Buffer.from(
    `From: <${SENDER}>\r\nTo: <${RECIPIENT}>\r\nSubject: bench message ${n}\r\n` +
      `Message-ID: <${process.pid}.${n}.${Date.now()}@bench.example>\r\nDate: ${new Date().toUTCString()}\r\n\r\n`,
    'latin1',
  );
}

class Recorder {
  accepted = 0;
  refused = 0;
  lastAcceptMs: number;
  readonly errors: string[] = [];
  readonly sessionMs: number[] = [];
  readonly dotMs: number[] = [];

  constructor(readonly startMs: number) {
    this.lastAcceptMs = startMs;
  }

  error(message: string): void {
    if (this.errors.length < 5 && !this.errors.includes(message)) this.errors.push(message);
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const body = buildBody(options.messageBytes);
  const recorder = new Recorder(performance.now());
  const deadline = recorder.startMs + options.timeLimitMs;
  let remaining = options.messages;
  const take = (): number => {
    if (remaining > 0 && performance.now() > deadline) {
      recorder.refused += remaining;
      recorder.error(`time limit of ${options.timeLimitMs} ms reached: ${remaining} messages not sent`);
      remaining = 0;
    }
    const n = Math.min(options.messagesPerSession, remaining);
    remaining -= n;
    return n;
  };
  const worker = async (): Promise<void> => {
    for (let n = take(); n > 0; n = take()) await runSession(options, body, n, recorder);
  };
  await Promise.all(Array.from({ length: Math.max(1, options.sessions) }, worker));
  return { ...recorder, errors: recorder.errors, sessionMs: recorder.sessionMs, dotMs: recorder.dotMs };
}

/** One session: connect, 220, EHLO, then `count` × (MAIL, RCPT, DATA, message), QUIT. */
async function runSession(options: LoadOptions, body: Buffer, count: number, recorder: Recorder): Promise<void> {
  const t0 = performance.now();
  let sent = 0;
  let conn: SmtpConnection | undefined;
  try {
    conn = await SmtpConnection.open(options.host, options.port, options.replyTimeoutMs, options.submission !== undefined);
    expectClass(await conn.reply(), 2, 'greeting');
    await conn.command('EHLO client.bench.example', 2);
    if (options.startTls === true) {
      await conn.command('STARTTLS', 2);
      conn = await conn.startTls(options.replyTimeoutMs);
      await conn.command('EHLO client.bench.example', 2);
    }
    if (options.submission !== undefined) {
      const { login, password } = options.submission;
      await conn.command(`AUTH PLAIN ${Buffer.from(`\0${login}\0${password}`).toString('base64')}`, 2);
    }
    for (; sent < count; sent++) await sendMessage(conn, body, recorder);
    await conn.command('QUIT', 2);
    recorder.sessionMs.push(performance.now() - t0);
  } catch (err) {
    // A broken session loses the messages it had not sent yet.
    recorder.refused += count - sent;
    recorder.error(err instanceof Error ? err.message : String(err));
  } finally {
    conn?.close();
  }
}

async function sendMessage(conn: SmtpConnection, body: Buffer, recorder: Recorder): Promise<void> {
  await conn.command(`MAIL FROM:<${SENDER}>`, 2);
  await conn.command(`RCPT TO:<${RECIPIENT}>`, 2);
  await conn.command('DATA', 3);
  const header = buildHeader();
  // One write of header + body: the final dot goes out with the last bytes.
  const message = Buffer.concat([header, body], header.length + body.length);
  const tDot = performance.now();
  const reply = await conn.send(message);
  const t250 = performance.now();
  if (Math.floor(reply.code / 100) === 2) {
    recorder.accepted++;
    recorder.dotMs.push(t250 - tDot);
    if (t250 > recorder.lastAcceptMs) recorder.lastAcceptMs = t250;
    return;
  }
  recorder.refused++;
  recorder.error(`message refused: ${reply.lines.join(' | ')}`);
  await conn.command('RSET', 2);
}

export interface IdleConnections {
  readonly open: number;
  readonly errors: readonly string[];
  close(): void;
}

/**
 * Open `count` connections, each greeted and past EHLO, then leave them idle
 * (for memory per connection). Opened `batch` at a time so that the
 * listener's accept backlog is never the limit.
 */
export async function openIdleConnections(host: string, port: number, count: number, replyTimeoutMs: number, batch = 100): Promise<IdleConnections> {
  const conns: SmtpConnection[] = [];
  const errors: string[] = [];
  const openOne = async (): Promise<void> => {
    try {
      const conn = await SmtpConnection.open(host, port, replyTimeoutMs);
      conns.push(conn);
      expectClass(await conn.reply(), 2, 'greeting');
      await conn.command('EHLO idle.bench.example', 2);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (errors.length < 5 && !errors.includes(message)) errors.push(message);
    }
  };
  for (let done = 0; done < count; done += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - done) }, openOne));
  }
  return {
    open: conns.filter((c) => !c.socket.destroyed).length,
    errors,
    close: () => {
      for (const conn of conns) conn.close();
    },
  };
}
