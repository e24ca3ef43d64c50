// Reads the DATA part of an SMTP transaction (RFC 5321 §4.1.1.4, §4.5.2):
// collects the bytes up to the end-of-data line and removes dot-stuffing.
//
// Only CRLF "." CRLF ends the data. A "." line after a bare LF or a bare CR
// is content: that is the SMTP-smuggling defence on our side (a receiver
// that also ended data at LF "." LF would see a second message hidden in
// the first). Intake then canonicalises bare line endings, and delivery
// dot-stuffs the canonical text, so what we pass on cannot end early either.
//
// Scanning uses native searches (message/line-start-dot.ts) instead of a
// byte loop, and the kept parts are views of the socket's chunks, not copies.

import { nextLineStartDot } from '../message/line-start-dot.js';

/** The CRLF that ended the DATA command line, before the first chunk. */
const START = Buffer.from('\r\n');
const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

export type DataProgress =
  | { readonly done: false }
  | {
      readonly done: true;
      /** The message without dot-stuffing, or undefined when it exceeded the size limit. */
      readonly message: Buffer | undefined;
      /** Bytes that came after the end-of-data line (pipelined commands). */
      readonly rest: Buffer;
    };

const NOT_DONE: DataProgress = { done: false };

export class DataReader {
  readonly #maxBytes: number;
  #parts: Buffer[] = [];
  #size = 0;
  #tooBig = false;
  // The data is scanned as if preceded by CRLF (the one ending the DATA
  // command line), so that a "." on the very first line is found by the same
  // CRLF "." search; those two bytes are not part of the message.
  #carry: Buffer = START;
  #skip = 2;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The size so far (of the un-stuffed message, counting beyond the limit). */
  get size(): number {
    return this.#size;
  }

  push(chunk: Buffer): DataProgress {
    let buf = chunk;
    if (this.#carry === START && chunk.length > 0 && chunk[0] !== DOT) {
      // The data does not start with a dot: the CRLF before it cannot be part
      // of a CRLF "." match, and the first chunk (up to 64 KiB) need not be
      // copied behind it.
      this.#skip = 0;
    } else if (this.#carry.length > 0) {
      buf = Buffer.concat([this.#carry, chunk]);
    }
    this.#carry = EMPTY;
    let pos = 0;
    for (;;) {
      const at = crlfDot(buf, pos);
      if (at === -1) break;
      // Need the two bytes after the dot to tell the end from a stuffed dot.
      if (at + 5 > buf.length) {
        this.#keep(buf, pos, at);
        this.#carry = buf.subarray(at);
        return NOT_DONE;
      }
      if (buf[at + 3] === CR && buf[at + 4] === LF) {
        this.#keep(buf, pos, at + 2); // the CRLF before the dot ends the last line
        return { done: true, message: this.#tooBig ? undefined : this.#message(), rest: buf.subarray(at + 5) };
      }
      // A stuffed dot: keep the line break, drop the dot (RFC 5321 §4.5.2).
      this.#keep(buf, pos, at + 2);
      pos = at + 3;
    }
    // Hold back a tail that may be the start of CRLF "." in the next chunk.
    let tail = 0;
    if (buf.length - pos >= 2 && buf[buf.length - 2] === CR && buf[buf.length - 1] === LF) tail = 2;
    else if (buf.length - pos >= 1 && buf[buf.length - 1] === CR) tail = 1;
    this.#keep(buf, pos, buf.length - tail);
    if (tail > 0) this.#carry = buf.subarray(buf.length - tail);
    return NOT_DONE;
  }

  #keep(buf: Buffer, from: number, to: number): void {
    if (this.#skip > 0) {
      const skipped = Math.min(this.#skip, to - from);
      this.#skip -= skipped;
      from += skipped;
    }
    if (to <= from) return;
    this.#size += to - from;
    if (this.#tooBig) return;
    if (this.#size > this.#maxBytes) {
      // Keep reading to the end of the data (the client must finish it before
      // it can read our 552), but stop keeping it.
      this.#tooBig = true;
      this.#parts = [];
      return;
    }
    this.#parts.push(buf.subarray(from, to));
  }

  #message(): Buffer {
    const parts = this.#parts;
    this.#parts = [];
    // One part (the usual small message in one chunk) is already the message;
    // copy it anyway so it does not pin the socket's larger read buffer.
    return Buffer.concat(parts, this.#size);
  }
}

const EMPTY = Buffer.alloc(0);

/** Where CRLF "." starts in `buf` at or after `from`, or -1. */
function crlfDot(buf: Buffer, from: number): number {
  for (let dot = nextLineStartDot(buf, from + 2); dot !== -1; dot = nextLineStartDot(buf, dot + 1)) {
    if (buf[dot - 2] === CR) return dot - 2;
  }
  return -1;
}
