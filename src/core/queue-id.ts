import { randomIdBytes } from './random-pool.js';

// Queue ids: time-ordered (so ids sort by arrival, like Postfix's long
// queue ids) and unique across restarts and nodes: 45 bits of milliseconds
// then 40 random bits, in Crockford base32 (no I, L, O, U): 17 characters.
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newQueueId(nowMs: number = Date.now()): string {
  let out = '';
  // 9 characters of time, most significant first (5 bits each).
  let time = nowMs;
  const timeChars = new Array<string>(9);
  for (let i = 8; i >= 0; i--) {
    timeChars[i] = B32[time % 32] as string;
    time = Math.floor(time / 32);
  }
  out += timeChars.join('');
  // 8 characters from 40 random bits.
  const rand = randomIdBytes(5);
  let bits = 0;
  let value = 0;
  for (const byte of rand) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(value >>> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return out;
}
