// RFC 5322 §3.3 date-time, e.g. "Tue, 2 Jan 2024 09:04:05 +0900", written in
// the server's local offset (RFC 5322 §3.3: the zone is the local time's
// offset from UTC, so a reader can tell the sender's local time of day).

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

// Every message accepted within the same second gets the same text; the
// Date/getHours… calls cost several µs, paid once per second this way. The
// zone setting is part of the key (tests, and an operator, may change TZ).
let cachedSecond = Number.NaN;
let cachedZone: string | undefined;
let cachedText = '';

export function formatRfc5322Date(ms: number): string {
  const second = Math.floor(ms / 1000);
  const zone = process.env['TZ'];
  if (second === cachedSecond && zone === cachedZone) return cachedText;
  const text = formatUncached(ms);
  cachedSecond = second;
  cachedZone = zone;
  cachedText = text;
  return text;
}

function formatUncached(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new RangeError(`invalid time value ${ms}`);
  // getTimezoneOffset() is UTC minus local, in minutes: +0900 is -540.
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const zone = `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  return `${DAYS[d.getDay()]}, ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${time} ${zone}`;
}
