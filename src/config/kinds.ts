// Value kinds of the configuration schema: how a YAML value is checked and
// turned into the value `Config` holds, and how a `Config` value is written
// back as YAML (for the reference and the example file).
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { resolve } from 'node:path';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.js';

export interface ParseContext {
  /** Relative paths are resolved against this directory (the config file's). */
  readonly baseDir: string;
}

/** One problem with a value; `at` is appended to the key path, e.g. "[2]" for a list item. */
export interface ValueProblem {
  readonly at: string;
  readonly message: string;
}

export type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problems: readonly ValueProblem[] };

export interface Kind {
  /** The type as shown in the reference, e.g. "duration", "port". */
  readonly type: { readonly en: string; readonly ja: string };
  readonly allowed?: readonly string[];
  /** Check a YAML value (never null/undefined) and convert it. */
  parse(raw: unknown, ctx: ParseContext): Parsed;
  /** The YAML form of a `Config` value. */
  format(value: unknown): unknown;
}

const ok = (value: unknown): Parsed => ({ ok: true, value });
const fail = (message: string, at = ''): Parsed => ({ ok: false, problems: [{ at, message }] });

/** How a wrong value is shown in a problem: strings quoted, everything else as YAML would print it. */
export function show(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (Array.isArray(raw)) return 'a list';
  if (raw !== null && typeof raw === 'object') return 'a mapping';
  return String(raw);
}

const identity = (value: unknown): unknown => value;

export const booleanKind: Kind = {
  type: { en: 'boolean', ja: '真偽値' },
  allowed: ['true', 'false'],
  parse: (raw) => (typeof raw === 'boolean' ? ok(raw) : fail(`${show(raw)} is not allowed (allowed: true, false)`)),
  format: identity,
};

export function enumKind(values: readonly string[]): Kind {
  return {
    type: { en: `one of ${values.map((v) => `\`${v}\``).join(', ')}`, ja: `${values.map((v) => `\`${v}\``).join('、')} のいずれか` },
    allowed: values,
    parse: (raw) =>
      typeof raw === 'string' && values.includes(raw) ? ok(raw) : fail(`${show(raw)} is not allowed (allowed: ${values.join(', ')})`),
    format: identity,
  };
}

export const stringKind: Kind = {
  type: { en: 'string', ja: '文字列' },
  parse: (raw) => (typeof raw === 'string' && raw !== '' ? ok(raw) : fail(`${show(raw)} is not allowed (allowed: a non-empty string)`)),
  format: identity,
};

/** A secret string. Printed as-is only when the caller asks for secrets. */
export const secretKind: Kind = { ...stringKind, type: { en: 'string (secret)', ja: '文字列 (秘密情報)' } };

// RFC 1035 §2.3.1 / RFC 1123 §2.1 host names: letters, digits, hyphens,
// labels of 1–63 characters not starting or ending with a hyphen.
const DOMAIN_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function isDomainName(value: string): boolean {
  return DOMAIN_NAME.test(value);
}

export const domainNameKind: Kind = {
  type: { en: 'domain name', ja: 'ドメイン名' },
  parse: (raw) =>
    typeof raw === 'string' && isDomainName(raw)
      ? ok(raw.toLowerCase())
      : fail(`${show(raw)} is not allowed (allowed: a domain name such as mail.example.com)`),
  format: identity,
};

/** A host to connect to or bind: a domain name or an IP address. */
export const hostKind: Kind = {
  type: { en: 'host name or IP address', ja: 'ホスト名または IP アドレス' },
  parse: (raw) =>
    typeof raw === 'string' && (isIP(raw) !== 0 || isDomainName(raw))
      ? ok(raw)
      : fail(`${show(raw)} is not allowed (allowed: a host name or an IP address)`),
  format: identity,
};

export const ipAddressKind: Kind = {
  type: { en: 'IP address', ja: 'IP アドレス' },
  parse: (raw) =>
    typeof raw === 'string' && isIP(raw) !== 0 ? ok(raw) : fail(`${show(raw)} is not allowed (allowed: an IPv4 or IPv6 address)`),
  format: identity,
};

/** A whole number in [min, max]; digit-only strings are accepted too ("587"). */
export function integerKind(min: number, max: number = Number.MAX_SAFE_INTEGER, type = { en: 'integer', ja: '整数' }): Kind {
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return {
    type,
    parse: (raw) => {
      const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
      return typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max
        ? ok(n)
        : fail(`${show(raw)} is not allowed (allowed: ${range})`);
    },
    format: identity,
  };
}

export const portKind: Kind = integerKind(1, 65535, { en: 'port', ja: 'ポート番号' });

const DURATION_HINT = 'a duration such as 500ms, 30s, 5m, 1h, 5d, or a number of milliseconds';

export function durationKind(minMs = 0): Kind {
  return {
    type: { en: 'duration', ja: '時間' },
    parse: (raw) => {
      const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDuration(raw) : undefined;
      if (ms === undefined || !Number.isSafeInteger(ms)) return fail(`${show(raw)} is not allowed (allowed: ${DURATION_HINT})`);
      if (ms < minMs) return fail(`${show(raw)} is too short (allowed: at least ${formatDuration(minMs)})`);
      return ok(ms);
    },
    format: (value) => formatDuration(value as number),
  };
}

/** A duration, or `off` (Config: undefined) to disable the feature. */
export function durationOrOffKind(minMs = 0): Kind {
  const inner = durationKind(minMs);
  return {
    type: { en: 'duration or `off`', ja: '時間または `off`' },
    parse: (raw, ctx) => {
      if (raw === 'off' || raw === false) return ok(undefined);
      const parsed = inner.parse(raw, ctx);
      if (parsed.ok) return parsed;
      return fail(`${show(raw)} is not allowed (allowed: off, or ${DURATION_HINT})`);
    },
    format: (value) => (value === undefined ? 'off' : formatDuration(value as number)),
  };
}

export function sizeKind(minBytes = 0): Kind {
  return {
    type: { en: 'size', ja: 'サイズ' },
    parse: (raw) => {
      const bytes = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseSize(raw) : undefined;
      if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes < minBytes) {
        return fail(`${show(raw)} is not allowed (allowed: a size such as 35MiB, 10MB, 512KiB, or a number of bytes; at least ${minBytes})`);
      }
      return ok(bytes);
    },
    format: (value) => formatSize(value as number),
  };
}

/** An https:// URL without query or fragment (a base that paths are added to); written without a trailing slash. */
export const httpsUrlKind: Kind = {
  type: { en: 'https:// URL', ja: 'https:// の URL' },
  parse: (raw) => {
    let url: URL | undefined;
    try {
      url = typeof raw === 'string' ? new URL(raw) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || url.protocol !== 'https:' || url.hostname === '' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      return fail(`${show(raw)} is not allowed (allowed: an https:// URL without query, fragment or credentials, e.g. https://mail.example.com)`);
    }
    return ok(url.href.replace(/\/+$/, ''));
  },
  format: identity,
};

/** A path; relative paths are resolved against the config file's directory. Need not exist. */
export const pathKind: Kind = {
  type: { en: 'path', ja: 'パス' },
  parse: (raw, ctx) => (typeof raw === 'string' && raw !== '' ? ok(resolve(ctx.baseDir, raw)) : fail(`${show(raw)} is not allowed (allowed: a file or directory path)`)),
  format: identity,
};

/** Why `path` cannot be read as a regular file, or undefined when it can. */
export function unreadableReason(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'it is not a regular file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    return (err as Error).message;
  }
}

/** A path to an existing, readable file (certificates, keys, CA bundles). */
export const readableFileKind: Kind = {
  type: { en: 'file path', ja: 'ファイルのパス' },
  parse: (raw, ctx) => {
    const parsed = pathKind.parse(raw, ctx);
    if (!parsed.ok) return parsed;
    const path = parsed.value as string;
    const reason = unreadableReason(path);
    return reason === undefined ? parsed : fail(`cannot read "${path}": ${reason}`);
  },
  format: identity,
};

/**
 * A file holding a secret (e.g. a password), read at load time so that the
 * secret itself stays out of the main configuration file. One trailing line
 * break is removed (editors and `echo` add one).
 */
export const secretFileKind: Kind = {
  type: { en: 'file path (secret)', ja: 'ファイルのパス (秘密情報)' },
  parse: (raw, ctx) => {
    const parsed = readableFileKind.parse(raw, ctx);
    if (!parsed.ok) return parsed;
    const path = parsed.value as string;
    let content: string;
    try {
      content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      return fail(`cannot read "${path}": ${(err as Error).message}`);
    }
    return content === '' ? fail(`"${path}" is empty`) : ok(content);
  },
  format: identity,
};

/**
 * A CIDR block such as "192.0.2.0/24" or "2001:db8::/32". A bare address
 * means that one address and is normalized to /32 or /128 so that consumers
 * see one form only.
 */
export const cidrKind: Kind = {
  type: { en: 'CIDR', ja: 'CIDR' },
  parse: (raw) => {
    const bad = fail(`${show(raw)} is not allowed (allowed: an address block such as 192.0.2.0/24 or 2001:db8::/32)`);
    if (typeof raw !== 'string') return bad;
    const [address = '', prefixText, extra] = raw.trim().split('/');
    const family = isIP(address);
    if (family === 0 || extra !== undefined) return bad;
    const maxPrefix = family === 4 ? 32 : 128;
    if (prefixText === undefined) return ok(`${address}/${maxPrefix}`);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) return bad;
    try {
      // The same check the relay listener's BlockList will make.
      new BlockList().addSubnet(address, Number(prefixText), family === 4 ? 'ipv4' : 'ipv6');
    } catch {
      return bad;
    }
    return ok(`${address}/${prefixText}`);
  },
  format: identity,
};

/** A DNS server: "ip", "ip:port" or "[ipv6]:port". */
export const resolverKind: Kind = {
  type: { en: 'DNS server', ja: 'DNS サーバー' },
  parse: (raw) => {
    const bad = fail(`${show(raw)} is not allowed (allowed: an IP address with an optional port, e.g. 192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)`);
    if (typeof raw !== 'string') return bad;
    if (isIP(raw) !== 0) return ok(raw);
    const m = /^(?:\[([0-9a-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/i.exec(raw);
    if (!m) return bad;
    const host = m[1] ?? m[2] ?? '';
    const port = Number(m[3]);
    if (isIP(host) === 0 || (m[1] !== undefined && isIP(host) !== 6) || port < 1 || port > 65535) return bad;
    return ok(raw);
  },
  format: identity,
};

/** A list of `item`s; every bad item is reported with its index. */
export function listKind(item: Kind): Kind {
  return {
    type: { en: `list of ${item.type.en}`, ja: `${item.type.ja} のリスト` },
    ...(item.allowed ? { allowed: item.allowed } : {}),
    parse: (raw, ctx) => {
      if (!Array.isArray(raw)) return fail(`${show(raw)} is not allowed (allowed: a list of ${item.type.en})`);
      const values: unknown[] = [];
      const problems: ValueProblem[] = [];
      raw.forEach((element: unknown, index) => {
        const parsed = element === null || element === undefined ? fail('empty list item') : item.parse(element, ctx);
        if (parsed.ok) values.push(parsed.value);
        else problems.push(...parsed.problems.map((p) => ({ at: `[${index}]${p.at}`, message: p.message })));
      });
      return problems.length > 0 ? { ok: false, problems } : ok(values);
    },
    format: (value) => (value as unknown[]).map((v) => item.format(v)),
  };
}

/** A sender pattern: an address `a@example.com`, a domain `*@example.com`, or `*` (anyone). */
export const senderPatternKind: Kind = {
  type: { en: 'sender pattern', ja: '送信者パターン' },
  parse: (raw) => {
    const bad = fail(`${show(raw)} is not allowed (allowed: an address such as info@example.com, a domain as *@example.com, or *)`);
    if (typeof raw !== 'string') return bad;
    const value = raw.trim();
    if (value === '*') return ok(value);
    const at = value.lastIndexOf('@');
    if (at <= 0 || !isDomainName(value.slice(at + 1)) || /[\s<>]/.test(value)) return bad;
    const local = value.slice(0, at);
    if (local.includes('*') && local !== '*') return bad;
    // Stored lower-case, as users' patterns are (users/sender-patterns.ts compares that way).
    return ok(value.toLowerCase());
  },
  format: identity,
};

/** An email address for notices (an admin's). */
export const mailboxKind: Kind = {
  type: { en: 'email address', ja: 'メールアドレス' },
  parse: (raw) => {
    if (typeof raw === 'string') {
      const at = raw.lastIndexOf('@');
      if (at > 0 && isDomainName(raw.slice(at + 1)) && !/[\s<>]/.test(raw)) return ok(raw);
    }
    return fail(`${show(raw)} is not allowed (allowed: an email address such as postmaster@example.com)`);
  },
  format: identity,
};
