// Micro-benchmark: what DATA's transparency costs the outbound side per
// message, against what BDAT (RFC 3030 CHUNKING) would cost instead. DATA
// needs dataChunks (src/outbound/dot-stuff.ts: the CRLF check, the search for
// line-leading dots, the end line, and copies when there are dots to stuff);
// BDAT would send the queued message as it is, after a "BDAT <n> LAST" line.
// The question it answers: is outbound BDAT worth a second way of sending?
// (Compare with the whole CPU per message in bench/RESULTS.md.)
//
//   npm run build && node dist/bench/dot-stuff-micro.js [iterations]   (default 20000)
//
// Prints CPU µs per message for 4 KiB and 100 KiB messages, plain text (no line
// starts with a dot, the usual case), text where one line in ten starts with
// a dot (every such line splits the message) and a base64 attachment; and,
// of DATA's cost, the part that is dataChunks' own CRLF check (toCrlf), which
// repeats one made before it (intake stores CRLF; deliverer.ts checks again).
// CPU time is measured, but on a busy shared machine it still grows (caches,
// frequency): compare figures from one run.
import { isCrlfCanonical } from '../src/message/canonical.js';
import { dataChunks } from '../src/outbound/dot-stuff.js';

const iterations = Number(process.argv[2] ?? 20_000);
if (!Number.isInteger(iterations) || iterations <= 0) throw new Error('usage: dot-stuff-micro.js [iterations]');

let sink = 0;

/** CPU time (user + system) per run, not wall time: the machine is shared, and waiting for a core is not cost. */
function timeUs(run: () => void, count: number): number {
  for (let i = 0; i < Math.min(1000, count); i++) run(); // warm-up
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

const HEADER = 'From: Shop <info@shop.example>\r\nTo: <someone@example.org>\r\nSubject: benchmark\r\nMIME-Version: 1.0\r\n\r\n';

function textMessage(bytes: number, dotEvery: number): Buffer {
  const lines: string[] = [];
  let size = HEADER.length;
  for (let i = 0; size < bytes; i++) {
    const line = `${dotEvery > 0 && i % dotEvery === 0 ? '.' : ''}Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod ${i}\r\n`;
    lines.push(line);
    size += line.length;
  }
  return trimTo(Buffer.from(HEADER + lines.join(''), 'latin1'), bytes);
}

function base64Message(bytes: number): Buffer {
  const data = Buffer.alloc(Math.ceil(((bytes - HEADER.length) * 3) / 4));
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
  const lines = data.toString('base64').match(/.{1,76}/g) ?? [];
  return trimTo(Buffer.from(HEADER + lines.join('\r\n') + '\r\n', 'latin1'), bytes);
}

/** Cut at the last CRLF at or before `bytes`, so the message ends with a whole line. */
function trimTo(message: Buffer, bytes: number): Buffer {
  const end = message.lastIndexOf('\r\n', bytes - 2);
  return message.subarray(0, end + 2);
}

/** The DATA payload as the client sends it: every Buffer dataChunks makes. */
function viaData(message: Buffer): void {
  for (const chunk of dataChunks(message)) sink += chunk.length;
}

/** The BDAT framing for the same message: the command line; the message goes as it is. */
function viaBdat(message: Buffer): void {
  sink += Buffer.byteLength(`BDAT ${message.length} LAST\r\n`, 'latin1') + message.length;
}

console.log(`dot-stuffing micro-benchmark, Node ${process.version}; CPU µs per message`);
console.log(`${'message'.padEnd(34)} ${'DATA'.padStart(8)} ${'BDAT'.padStart(8)} ${'saved'.padStart(8)} ${'CRLF check'.padStart(11)}`);
for (const kib of [4, 100]) {
  const count = kib === 4 ? iterations : Math.max(1, Math.round(iterations / 10));
  const cases: [string, Buffer][] = [
    [`${kib} KiB text, no leading dots`, textMessage(kib * 1024, 0)],
    [`${kib} KiB text, 1 line in 10 dotted`, textMessage(kib * 1024, 10)],
    [`${kib} KiB base64 attachment`, base64Message(kib * 1024)],
  ];
  for (const [label, message] of cases) {
    const data = timeUs(() => viaData(message), count);
    const bdat = timeUs(() => viaBdat(message), count);
    const check = timeUs(() => (sink += isCrlfCanonical(message) ? 1 : 0), count);
    const row = [data, bdat, data - bdat].map((us) => us.toFixed(2).padStart(8)).join(' ');
    console.log(`${label.padEnd(34)} ${row} ${check.toFixed(2).padStart(11)}`);
  }
}
if (sink === 0) console.log('(nothing measured)');
