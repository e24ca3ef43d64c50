// Reads a message sent in BDAT chunks (RFC 3030 CHUNKING): each
// "BDAT <size> [LAST]" command line is followed by exactly <size> octets of
// the message, taken as they are.
//
// Nothing inside a chunk is interpreted: no end-of-data line is searched for
// and no dot-stuffing removed, so a chunk that holds CRLF "." CRLF and a
// second SMTP transaction is message content by construction (SMTP smuggling
// has nothing to hide behind). The octets are counted, not scanned. Intake
// canonicalises line endings exactly as it does for DATA, so a message is
// stored as the same bytes whichever way it came.
//
// A chunk that would take the message over the size limit is still read (the
// client sends its octets before it reads our reply, and they must not be
// taken as commands: RFC 3030 §2) but not kept: its octets are counted down
// and dropped as they arrive, whatever size was announced.
//
// Kept octets are copied into blocks sized to what the chunk still announces
// (at most 64 KiB): a client writing one byte per packet costs one copy per
// byte, not one Buffer object per byte, and a large announced size that never
// arrives allocates nothing ahead of the octets.

const BLOCK = 64 * 1024;
const CHUNK_SIZE = /^\d{1,16}$/;

export type BdatCommand =
  | { readonly ok: true; readonly size: number; readonly last: boolean }
  /** `size` undefined: no usable size, so the chunk's end cannot be found (the session cannot go on). */
  | { readonly ok: false; readonly size: number | undefined };

/** The argument of "BDAT <size> [LAST]" (RFC 3030 §3: chunk-size is 1*DIGIT, "LAST" in any case). */
export function parseBdat(argument: string): BdatCommand {
  const [sizeText = '', ...words] = argument.split(/ +/);
  const size = CHUNK_SIZE.test(sizeText) ? Number(sizeText) : Number.NaN;
  if (!Number.isSafeInteger(size)) return { ok: false, size: undefined };
  if (words.length > 1 || (words.length === 1 && words[0]!.toUpperCase() !== 'LAST')) return { ok: false, size };
  return { ok: true, size, last: words.length === 1 };
}

/** The message assembled from one transaction's BDAT chunks. */
export class BdatMessage {
  #blocks: Buffer[] = [];
  /** Octets used in the last block. */
  #used = 0;
  #size = 0;

  /** Octets kept so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends octets of a chunk; `expected`: the chunk's octets still to come, these included. */
  write(bytes: Buffer, expected: number): void {
    let offset = 0;
    while (offset < bytes.length) {
      let block = this.#blocks[this.#blocks.length - 1];
      if (block === undefined || this.#used === block.length) {
        block = Buffer.allocUnsafe(Math.min(BLOCK, expected - offset));
        this.#blocks.push(block);
        this.#used = 0;
      }
      const copied = bytes.copy(block, this.#used, offset);
      this.#used += copied;
      offset += copied;
    }
    this.#size += bytes.length;
  }

  /** The whole message (once the LAST chunk is in). */
  message(): Buffer {
    const blocks = this.#blocks;
    this.#blocks = [];
    if (blocks.length === 1 && this.#used === blocks[0]!.length) return blocks[0]!;
    return Buffer.concat(blocks, this.#size);
  }
}

export type ChunkProgress = { readonly done: false } | { readonly done: true; /** What follows the chunk (the next command). */ readonly rest: Buffer | undefined };

const NOT_DONE: ChunkProgress = { done: false };

/** Reads exactly one chunk's octets, into a message or (no message given) to be dropped. */
export class ChunkReader {
  #remaining: number;
  readonly #into: BdatMessage | undefined;

  constructor(size: number, into: BdatMessage | undefined) {
    this.#remaining = size;
    this.#into = into;
  }

  push(input: Buffer): ChunkProgress {
    const take = Math.min(this.#remaining, input.length);
    if (this.#into !== undefined && take > 0) this.#into.write(take === input.length ? input : input.subarray(0, take), this.#remaining);
    this.#remaining -= take;
    if (this.#remaining > 0) return NOT_DONE;
    return { done: true, rest: take < input.length ? input.subarray(take) : undefined };
  }
}
