// The bytes sent after "354": the message (CRLF line endings), every line
// that starts with "." given one more (RFC 5321 §4.5.2 transparency), and
// the end-of-data line "." (§4.1.1.4), in as few Buffers as possible, since
// every socket write costs a system call that on loopback runs the whole
// receiving TCP path.
import { nextLineStartDot } from '../message/line-start-dot.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const EXTRA_DOT = Buffer.from('.', 'latin1');
/** After a final CRLF only "." CRLF is needed; otherwise the last line is ended first. */
const END_AFTER_CRLF = Buffer.from('.\r\n', 'latin1');
const END_WITH_CRLF = Buffer.from('\r\n.\r\n', 'latin1');

/** Messages up to this size go out in one write. */
export const DATA_CHUNK_BYTES = 256 * 1024;

/** Buffers written together, in one system call (the socket is corked around them). */
export type DataGroup = readonly Buffer[];

/**
 * The DATA payload for `message` as Buffers, or groups of Buffers to write
 * together, of at most `chunkSize` bytes each (one when it fits), produced
 * lazily so a large message is never held twice in full. Without a line to
 * stuff (nearly every message) the pieces are views of the message itself
 * and the end line rides with the last one: no copy of the message.
 *
 * `message` is as the queue stores it: CRLF line endings only, no bare CR
 * or LF. Intake makes every message so before it is stored (hygiene.ts),
 * and `store import` (queue-export.ts) as well, so it is not scanned for
 * them again at every attempt (issue 8 point 9: ~90 µs of main thread per
 * 100 KiB message of 78-octet lines). That is what keeps a "." after a
 * bare line ending from going out unstuffed (SMTP smuggling).
 */
export function* dataChunks(msg: Buffer, chunkSize: number = DATA_CHUNK_BYTES): Generator<Buffer | DataGroup, void, undefined> {
  if (!(chunkSize >= END_WITH_CRLF.length)) throw new RangeError('chunkSize too small');
  const len = msg.length;
  // Where a line starts with a dot: usually nowhere (message/line-start-dot.ts).
  const dots: number[] = [];
  if (len > 0 && msg[0] === DOT) dots.push(0);
  for (let i = nextLineStartDot(msg, 1); i !== -1; i = nextLineStartDot(msg, i + 1)) dots.push(i);
  const end = len === 0 || (msg[len - 2] === CR && msg[len - 1] === LF) ? END_AFTER_CRLF : END_WITH_CRLF;
  const total = len + dots.length + end.length;

  if (dots.length === 0) {
    // Nothing to stuff: views of the message, the end line with the last one.
    let offset = 0;
    while (len - offset + end.length > chunkSize) {
      const n = Math.min(chunkSize, len - offset);
      yield msg.subarray(offset, offset + n);
      offset += n;
    }
    yield offset === len ? end : [msg.subarray(offset), end];
    return;
  }

  // The pieces in order: message spans, with one extra "." before each line-leading dot.
  const pieces: Buffer[] = [];
  let from = 0;
  for (const at of dots) {
    if (at > from) pieces.push(msg.subarray(from, at));
    pieces.push(EXTRA_DOT);
    from = at;
  }
  if (from < len) pieces.push(msg.subarray(from));
  pieces.push(end);

  let remaining = total;
  let chunk = Buffer.allocUnsafe(Math.min(chunkSize, remaining));
  let fill = 0;
  for (const piece of pieces) {
    let offset = 0;
    while (offset < piece.length) {
      const n = piece.copy(chunk, fill, offset, Math.min(piece.length, offset + chunk.length - fill));
      fill += n;
      offset += n;
      if (fill === chunk.length) {
        yield chunk;
        remaining -= fill;
        if (remaining === 0) return;
        chunk = Buffer.allocUnsafe(Math.min(chunkSize, remaining));
        fill = 0;
      }
    }
  }
}
