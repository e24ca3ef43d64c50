// The service extensions a server lists in its EHLO reply (RFC 5321
// §4.1.1.1: the first line is the greeting, each further line "keyword
// [params]"). Keywords are case-insensitive.

export interface EhloExtensions {
  /** RFC 2920: commands may be sent in groups. */
  readonly pipelining: boolean;
  /** RFC 1870: SIZE advertised; `maxSize` is its limit, undefined when none is given or it is 0 ("no limit"). */
  readonly size: boolean;
  readonly maxSize: number | undefined;
  /** RFC 3207. */
  readonly startTls: boolean;
  /** RFC 4954: the SASL mechanisms, upper case; undefined when AUTH is not advertised. */
  readonly auth: ReadonlySet<string> | undefined;
  /** RFC 6152. */
  readonly eightBitMime: boolean;
  /** RFC 6531. */
  readonly smtpUtf8: boolean;
  /** RFC 2034. */
  readonly enhancedStatusCodes: boolean;
  /** RFC 3461: NOTIFY/ORCPT on RCPT and RET/ENVID on MAIL may be passed on. */
  readonly dsn: boolean;
  /** RFC 8689: the server takes REQUIRETLS on MAIL (present only when offered). */
  readonly requireTls?: boolean;
}

/** What a server answering HELO (no extensions) supports. */
export const NO_EXTENSIONS: EhloExtensions = {
  pipelining: false,
  size: false,
  maxSize: undefined,
  startTls: false,
  auth: undefined,
  eightBitMime: false,
  smtpUtf8: false,
  enhancedStatusCodes: false,
  dsn: false,
};

/** `lines`: the text of each reply line after "250-" / "250 ", greeting line first. */
export function parseEhlo(lines: readonly string[]): EhloExtensions {
  let pipelining = false;
  let size = false;
  let maxSize: number | undefined;
  let startTls = false;
  let auth: Set<string> | undefined;
  let eightBitMime = false;
  let smtpUtf8 = false;
  let enhancedStatusCodes = false;
  let dsn = false;
  let requireTls = false;
  for (let i = 1; i < lines.length; i++) {
    // Some old servers write "AUTH=LOGIN PLAIN" (pre-RFC 4954 drafts): treat "=" as a separator.
    const words = (lines[i] as string).trim().split(/[ =]+/);
    const keyword = (words[0] ?? '').toUpperCase();
    switch (keyword) {
      case 'PIPELINING':
        pipelining = true;
        break;
      case 'SIZE': {
        size = true;
        const n = Number(words[1]);
        if (Number.isSafeInteger(n) && n > 0) maxSize = n;
        break;
      }
      case 'STARTTLS':
        startTls = true;
        break;
      case 'AUTH':
        auth ??= new Set();
        for (const m of words.slice(1)) if (m !== '') auth.add(m.toUpperCase());
        break;
      case '8BITMIME':
        eightBitMime = true;
        break;
      case 'SMTPUTF8':
        smtpUtf8 = true;
        break;
      case 'ENHANCEDSTATUSCODES':
        enhancedStatusCodes = true;
        break;
      case 'DSN':
        dsn = true;
        break;
      case 'REQUIRETLS':
        requireTls = true;
        break;
    }
  }
  const ext = { pipelining, size, maxSize, startTls, auth, eightBitMime, smtpUtf8, enhancedStatusCodes, dsn };
  return requireTls ? { ...ext, requireTls } : ext;
}
