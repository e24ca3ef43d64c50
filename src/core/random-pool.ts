import { randomFillSync } from 'node:crypto';

// Random bytes for ids, taken from a pool refilled 4 KiB at a time: one
// randomFillSync call per message costs tens of microseconds on a VM (a
// system call each), a slice of the pool almost nothing. Not for secrets.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

export function randomIdBytes(size: number): Buffer {
  if (size > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} bytes`);
  if (offset + size > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  // A copy: the pool is overwritten on the next refill.
  const out = Buffer.from(pool.subarray(offset, offset + size));
  offset += size;
  return out;
}
