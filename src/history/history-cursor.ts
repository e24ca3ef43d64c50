// The opaque keyset cursor of HistoryPage.next: the (accepted_at_ms, id) of
// the last row shown, newest first. base64url so that it travels in a URL.

export interface CursorKey {
  readonly atMs: number;
  readonly id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(`${key.atMs}:${key.id}`, 'utf8').toString('base64url');
}

/** undefined for a cursor this store did not give (the caller starts again from the newest). */
export function decodeCursor(cursor: string): CursorKey | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{1,16}):(.+)$/.exec(text);
  if (!m) return undefined;
  return { atMs: Number(m[1]), id: m[2] as string };
}
