// The lines of an export file, read a chunk at a time. readline's async
// iterator would also work, but it buffers up to 1,024 lines before it
// pauses the file, and a line here holds a whole message (its body in
// base64): that could be gigabytes. Here at most one chunk and the line
// being assembled are held, and the file is read only as fast as the
// consumer takes lines.
import { createReadStream } from 'node:fs';

export async function* fileLines(path: string): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, nl));
      yield lineOf(pending);
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield lineOf(pending);
}

function lineOf(parts: Buffer[]): string {
  const text = (parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)).toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
