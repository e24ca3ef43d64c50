// Human-friendly durations and sizes for the configuration file.
//
// Durations: "500ms", "30s", "5m", "1h", "5d", combinations such as "1h30m",
// or a plain number of milliseconds.
// Sizes: a plain number of bytes, or a number with a unit. Decimal (SI)
// units are powers of 1000 and binary (IEC 80000-13) units powers of 1024,
// so "35MB" is 35 000 000 bytes and "35MiB" is 36 700 160 bytes: the
// suffix says exactly what it means instead of depending on convention.

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

const DURATION_PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;
const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s);
  if (s === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (;;) {
    const m = DURATION_PART.exec(s);
    if (!m) break;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    consumed = DURATION_PART.lastIndex;
    // Allow spaces between parts: "1h 30m".
    while (s[consumed] === ' ') consumed++;
    DURATION_PART.lastIndex = consumed;
  }
  if (consumed !== s.length) return undefined;
  return Math.round(total);
}

/** Bytes, or undefined when `text` is not a size. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text.trim());
  if (!m) return undefined;
  const unit = (m[2] as string).toLowerCase();
  const factor = unit === '' ? 1 : SIZE_UNITS[unit];
  if (factor === undefined) return undefined;
  return Math.round(Number(m[1]) * factor);
}

/** The shortest exact form: 300000 → "5m", 1500 → "1500ms", 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const factor = DURATION_UNITS[unit] as number;
    if (ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}

/** The shortest exact form: 36700160 → "35MiB", 35000000 → "35MB", 1000 → "1kB". */
export function formatSize(bytes: number): string {
  if (bytes === 0) return '0';
  const candidates: Array<[string, number]> = [
    ['GiB', 1024 ** 3],
    ['GB', 1000 ** 3],
    ['MiB', 1024 ** 2],
    ['MB', 1000 ** 2],
    ['KiB', 1024],
    ['kB', 1000],
  ];
  for (const [unit, factor] of candidates) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
