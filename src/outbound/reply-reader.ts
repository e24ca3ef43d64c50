// Reassembles SMTP replies from socket data. TCP delivers bytes, not
// replies: one packet may hold several replies (a server answering a
// pipelined group, RFC 2920 §3.1) and one reply may arrive byte by byte.
// A reply is one or more lines "NNN-text" ended by a line "NNN text" or
// "NNN" (RFC 5321 §4.2.1).

/** One complete reply as received. `code` is the last line's; `raw` is every line, joined with "\n" (what parseReply takes). */
export interface RawReply {
  readonly code: number;
  readonly raw: string;
  /** Each line's text after "NNN-" / "NNN ", for EHLO keywords. */
  readonly lines: readonly string[];
}

/** The server sent something that is not an SMTP reply line. */
export class ReplyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyFormatError';
  }
}

const LF = 0x0a;
const CR = 0x0d;
// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; real servers send
// longer ones, so be generous but never buffer without bound.
const MAX_LINE = 64 * 1024;

export class ReplyReader {
  /** Data received after the last line end, kept as received: joined only once a line end arrives. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Lines of a multi-line reply seen so far. */
  private lines: string[] = [];
  private texts: string[] = [];
  private readonly ready: RawReply[] = [];

  /** Feed socket data. Throws ReplyFormatError on a line that is not a reply line (the stream is then unusable). */
  push(chunk: Buffer): void {
    let data = chunk;
    if (chunk.indexOf(LF) === -1) {
      // No line end yet (a reply trickling in): keep the piece without copying.
      this.partialBytes += chunk.length;
      if (this.partialBytes > MAX_LINE) throw new ReplyFormatError(`reply line longer than ${MAX_LINE} bytes`);
      this.partial.push(chunk);
      return;
    }
    if (this.partial.length > 0) {
      this.partial.push(chunk);
      data = Buffer.concat(this.partial, this.partialBytes + chunk.length);
      this.partial = [];
      this.partialBytes = 0;
    }
    let start = 0;
    for (let lf = data.indexOf(LF); lf !== -1; lf = data.indexOf(LF, start)) {
      // RFC 5321 lines end in CRLF; tolerate a bare LF as many implementations do.
      const end = lf > start && data[lf - 1] === CR ? lf - 1 : lf;
      this.line(data.toString('utf8', start, end));
      start = lf + 1;
    }
    if (start < data.length) {
      this.partialBytes = data.length - start;
      if (this.partialBytes > MAX_LINE) throw new ReplyFormatError(`reply line longer than ${MAX_LINE} bytes`);
      this.partial.push(data.subarray(start));
    }
  }

  /** The oldest complete reply not yet taken, or undefined. */
  shift(): RawReply | undefined {
    return this.ready.shift();
  }

  /** True when nothing is held: no partial line, no partial multi-line reply, no reply not yet taken. */
  get empty(): boolean {
    return this.partialBytes === 0 && this.lines.length === 0 && this.ready.length === 0;
  }

  private line(line: string): void {
    // "NNN" then " ", "-" or the end of the line.
    const c0 = line.charCodeAt(0) - 48;
    const c1 = line.charCodeAt(1) - 48;
    const c2 = line.charCodeAt(2) - 48;
    const sep = line.charCodeAt(3);
    const isDigit = (d: number): boolean => d >= 0 && d <= 9;
    if (!isDigit(c0) || !isDigit(c1) || !isDigit(c2) || !(line.length === 3 || sep === 0x20 || sep === 0x2d)) {
      throw new ReplyFormatError(`not an SMTP reply line: ${JSON.stringify(line.slice(0, 200))}`);
    }
    this.lines.push(line);
    this.texts.push(line.slice(4));
    if (sep === 0x2d) return; // '-': more lines follow
    const lines = this.lines;
    const raw = lines.length === 1 ? (lines[0] as string) : lines.join('\n');
    this.ready.push({ code: c0 * 100 + c1 * 10 + c2, raw, lines: this.texts });
    this.lines = [];
    this.texts = [];
  }
}
