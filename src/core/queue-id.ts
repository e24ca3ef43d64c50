import { randomBytes } from 'node:crypto';

// Queue ids: time-ordered (so ids sort by arrival, like Postfix's long
// queue ids) and unique across restarts and nodes: 45 bits of milliseconds
// then 40 random bits, in Crockford base32 (no I, L, O, U): 17 characters.
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32

export function newQueueId(nowMs: number = Date.now()): string {
  const rand = randomBytes(5);
  let out = '';
  let time = BigInt(nowMs);
  const timeChars: string[] = [];
  for (let i = 0; i < 9; i++) {
    timeChars.push(B32[Number(time & 31n)] as string);
    time >>= 5n;
  }
  out += timeChars.reverse().join('');
  let r = BigInt('0x' + rand.toString('hex'));
  const randChars: string[] = [];
  for (let i = 0; i < 8; i++) {
    randChars.push(B32[Number(r & 31n)] as string);
    r >>= 5n;
  }
  return out + randChars.join('');
}
