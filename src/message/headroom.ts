// Room kept in front of a message for the fields intake prepends (the
// Received trace field), so that stamping does not copy the whole message
// again: the DATA reader copies the message once, into a buffer with this
// much free space before it, and the stamp writes its field into that space
// (submission-headers.ts). At 100 KiB that is one copy and one 100 KiB
// allocation less per message, and such allocations (external memory to V8)
// are what start its major garbage collections.
//
// The room is used at most once, and only through the Buffer that was handed
// out: any other view of the same memory never sees the bytes before it.

/** Enough for our Received field with a long client name and TLS details. */
export const HEADROOM = 1024;

const room = new WeakMap<Buffer, number>();

/** A Buffer of `size` octets (uninitialised) with HEADROOM free octets in front of it. */
export function allocWithHeadroom(size: number): Buffer {
  const whole = Buffer.allocUnsafeSlow(HEADROOM + size);
  const message = whole.subarray(HEADROOM);
  room.set(message, HEADROOM);
  return message;
}

/**
 * `prefix` followed by `message`, written into the room in front of
 * `message` when it has enough (no copy of `message`), or undefined.
 */
export function prependInPlace(message: Buffer, prefix: string): Buffer | undefined {
  const free = room.get(message);
  const bytes = Buffer.byteLength(prefix, 'utf8');
  if (free === undefined || bytes > free) return undefined;
  room.delete(message);
  const out = Buffer.from(message.buffer, message.byteOffset - bytes, bytes + message.length);
  out.write(prefix, 0, 'utf8');
  return out;
}
