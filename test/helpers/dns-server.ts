// A small authoritative DNS server for tests, on UDP and TCP of one port.
// Tests point Node's resolver (or Hikyaku's `delivery.resolvers`) at it, so
// the code under test does real DNS over real sockets: nothing is stubbed.
//
// It answers from an in-memory zone: NXDOMAIN for names that do not exist
// (and have nothing below them), NODATA for existing names without the type,
// CNAME chasing, AA set, TC on UDP answers too large for the client's
// advertised size (RFC 1035 §4.2.1: 512 bytes; RFC 6891 §6.2.5 with EDNS).
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';

export type RecordSet = {
  A?: string[];
  AAAA?: string[];
  /** exchange '.' (or '') = null MX (RFC 7505). */
  MX?: { preference: number; exchange: string }[];
  /** A string[] is one TXT record made of several character-strings; strings over 255 bytes are split. */
  TXT?: (string | string[])[];
  PTR?: string[];
  CNAME?: string;
  NS?: string[];
  /** RFC 2782 service records (e.g. _autodiscover._tcp); set in code, not through loadZoneText. */
  SRV?: { priority: number; weight: number; port: number; target: string }[];
  /** TTL of every record of this name (default 60). */
  ttl?: number;
  /**
   * Records of any other type, ready for dns-packet (DNSKEY, TLSA, NSEC, DS, and
   * RRSIG): from a zone signed by ldns-signzone (signed-zone.ts). Each is served
   * for its own type; an RRSIG is added to the answers it covers when the query
   * asks for DNSSEC records (EDNS DO bit, RFC 4035 §3.2.1).
   */
  DNSSEC?: Answer[];
};

/** Key: fully qualified name without trailing dot, e.g. 'example.com', '_dmarc.example.com'. */
export type Zone = Record<string, RecordSet>;

export interface DnsQueryLogEntry {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export type DnsBehaviour = 'servfail' | 'timeout' | 'normal';

export interface TestDnsServer {
  readonly host: string;
  readonly port: number;
  /** "127.0.0.1:PORT", for Resolver.setServers and `delivery.resolvers`. */
  readonly address: string;
  /** Replace a name's records. */
  set(name: string, records: RecordSet): void;
  remove(name: string): void;
  /** 'timeout' = never answer queries for that exact name. */
  setBehaviour(name: string, b: DnsBehaviour): void;
  /**
   * Publish zone-file lines as an administrator would paste them. For every
   * (name, type) present in the text, the records in the text replace that
   * name's records of that type; other names and types are untouched.
   * Relative names are taken relative to `origin` (or a `$ORIGIN` line); with
   * neither, a relative name is used as it is (already fully qualified).
   */
  loadZoneText(text: string, origin?: string): void;
  /** Every question received, in order: name lower-cased without trailing dot, type like 'MX'. */
  readonly queries: DnsQueryLogEntry[];
  close(): Promise<void>;
}

const DEFAULT_TTL = 60;
const MAX_CNAME_CHAIN = 8;
// RFC 6891 §6.2.5: payload sizes under 512 are treated as 512. We cap large
// advertised sizes at a common real-world value so tests see realistic TC.
const MAX_UDP_PAYLOAD = 4096;
const EDNS_UDP_PAYLOAD = 1232;

export function normalizeName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower === '.' ? '' : lower.replace(/\.$/, '');
}

/** The reverse-lookup name of an IPv4 or IPv6 address (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (!net.isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const nibbles = expandIPv6(ip).replace(/:/g, '').split('').reverse();
  return `${nibbles.join('.')}.ip6.arpa`;
}

function expandIPv6(ip: string): string {
  let text = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    const hex = (n: number | undefined): string => (n ?? 0).toString(16).padStart(2, '0');
    text = text.slice(0, -v4[1].length) + `${hex(b[0])}${hex(b[1])}:${hex(b[2])}${hex(b[3])}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

export async function startDnsServer(zone: Zone, opts?: { host?: string; port?: number }): Promise<TestDnsServer> {
  const host = opts?.host ?? '127.0.0.1';
  const records = new Map<string, RecordSet>();
  for (const [name, set] of Object.entries(zone)) records.set(normalizeName(name), cloneRecordSet(set));
  const behaviours = new Map<string, DnsBehaviour>();
  const queries: DnsQueryLogEntry[] = [];

  const respond = (query: DecodedPacket, maxSize: number, transport: 'udp' | 'tcp'): Buffer | undefined => {
    const question = query.questions?.[0];
    if (!question) return undefined;
    const qname = normalizeName(question.name);
    queries.push({ name: qname, type: String(question.type), transport });
    const behaviour = behaviours.get(qname) ?? 'normal';
    if (behaviour === 'timeout') return undefined;
    const ednsOpt = query.additionals?.find((a) => a.type === 'OPT');
    const dnssecOk = ednsOpt !== undefined && ((ednsOpt as { flags?: number }).flags ?? 0) & dnsPacket.DNSSEC_OK ? true : false;
    const answer = behaviour === 'servfail' ? { rcode: RCODE.SERVFAIL, answers: [] } : lookup(records, question, dnssecOk);
    const response: Packet = {
      type: 'response',
      id: query.id ?? 0,
      // The rcode lives in the low 4 bits of the flags word (RFC 1035 §4.1.1).
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | answer.rcode,
      questions: [question],
      answers: answer.answers,
      additionals: ednsOpt ? [optRecord()] : [],
    };
    const encoded = dnsPacket.encode(response);
    if (encoded.length <= maxSize) return encoded;
    // RFC 2181 §9: a truncated answer sets TC; the client retries over TCP.
    return dnsPacket.encode({
      ...response,
      flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
      answers: [],
    });
  };

  // --- UDP ---
  const onDatagram = (udp: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: drop, as a real server would
    }
    const opt = query.additionals?.find((a) => a.type === 'OPT');
    const advertised = opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : 512;
    const maxSize = Math.min(Math.max(512, advertised), MAX_UDP_PAYLOAD);
    const reply = respond(query, maxSize, 'udp');
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  };
  const createUdp = (): dgram.Socket => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    socket.on('message', (msg, rinfo) => onDatagram(socket, msg, rinfo));
    return socket;
  };

  // --- TCP (RFC 1035 §4.2.2: two-byte length prefix) ---
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        let query: DecodedPacket;
        try {
          query = dnsPacket.decode(message);
        } catch {
          socket.destroy();
          return;
        }
        const reply = respond(query, 65535, 'tcp');
        if (reply) {
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([prefix, reply]));
        }
      }
    });
  });

  const { udp, port } = await bindBoth(createUdp, tcp, host, opts?.port ?? 0);

  return {
    host,
    port,
    address: net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`,
    queries,
    set(name, set) {
      records.set(normalizeName(name), cloneRecordSet(set));
    },
    remove(name) {
      records.delete(normalizeName(name));
    },
    setBehaviour(name, b) {
      if (b === 'normal') behaviours.delete(normalizeName(name));
      else behaviours.set(normalizeName(name), b);
    },
    loadZoneText(text, origin) {
      const parsed = parseZoneText(text, origin);
      const replaced = new Set<string>();
      for (const rr of parsed) {
        const existing = records.get(rr.name) ?? {};
        const key = `${rr.name}|${rr.type}`;
        const first = !replaced.has(key);
        replaced.add(key);
        applyRecord(existing, rr, first);
        records.set(rr.name, existing);
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

/** Bind UDP first (port 0 picks one), then TCP on the same port; retry if TCP finds it taken. */
async function bindBoth(
  createUdp: () => dgram.Socket,
  tcp: net.Server,
  host: string,
  wanted: number,
): Promise<{ udp: dgram.Socket; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = createUdp();
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(wanted, host, () => {
        udp.off('error', reject);
        resolve(udp.address().port);
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, port };
    } catch (err) {
      // A closed dgram socket cannot be rebound: the next attempt makes a fresh one.
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (wanted !== 0 || attempt >= 10) throw err;
    }
  }
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

function optRecord(): Answer {
  return { type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
}

function lookup(records: Map<string, RecordSet>, question: Question, dnssecOk = false): { rcode: number; answers: Answer[] } {
  const answers: Answer[] = [];
  let owner = question.name.replace(/\.$/, ''); // the first answer echoes the name as asked (0x20-safe)
  let name = normalizeName(owner);
  const type = String(question.type);
  for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
    const set = records.get(name);
    if (!set) {
      // An empty non-terminal (a name with names below it) exists: NODATA (RFC 8020).
      const exists = [...records.keys()].some((k) => k.endsWith(`.${name}`) || name === '');
      return { rcode: exists ? RCODE.NOERROR : RCODE.NXDOMAIN, answers };
    }
    const ttl = set.ttl ?? DEFAULT_TTL;
    if (set.CNAME !== undefined && type !== 'CNAME') {
      answers.push({ type: 'CNAME', name: owner, ttl, class: 'IN', data: set.CNAME.replace(/\.$/, '') });
      owner = set.CNAME.replace(/\.$/, '');
      name = normalizeName(owner);
      continue;
    }
    answers.push(...recordsOfType(set, type, owner, ttl));
    if (dnssecOk) answers.push(...(set.DNSSEC ?? []).filter((r) => r.type === 'RRSIG' && String((r.data as { typeCovered: unknown }).typeCovered) === type).map((r) => ({ ...r, name: owner })));
    return { rcode: RCODE.NOERROR, answers };
  }
  return { rcode: RCODE.SERVFAIL, answers: [] }; // CNAME loop
}

function recordsOfType(set: RecordSet, type: string, name: string, ttl: number): Answer[] {
  const base = { name, ttl, class: 'IN' as const };
  switch (type) {
    case 'A':
      return (set.A ?? []).map((data) => ({ ...base, type: 'A', data }));
    case 'AAAA':
      return (set.AAAA ?? []).map((data) => ({ ...base, type: 'AAAA', data }));
    case 'MX':
      return (set.MX ?? []).map((mx) => ({
        ...base,
        type: 'MX',
        data: { preference: mx.preference, exchange: mx.exchange.replace(/\.$/, '') },
      }));
    case 'TXT':
      return (set.TXT ?? []).map((txt) => ({ ...base, type: 'TXT', data: txtStrings(txt) }));
    case 'PTR':
      return (set.PTR ?? []).map((data) => ({ ...base, type: 'PTR', data: data.replace(/\.$/, '') }));
    case 'NS':
      return (set.NS ?? []).map((data) => ({ ...base, type: 'NS', data: data.replace(/\.$/, '') }));
    case 'CNAME':
      return set.CNAME !== undefined ? [{ ...base, type: 'CNAME', data: set.CNAME.replace(/\.$/, '') }] : [];
    case 'SRV':
      return (set.SRV ?? []).map((srv) => ({ ...base, type: 'SRV', data: { ...srv, target: srv.target.replace(/\.$/, '') } }));
    default:
      return (set.DNSSEC ?? []).filter((r) => r.type === type).map((r) => ({ ...r, name }));
  }
}

/** One TXT record's character-strings, each at most 255 bytes (RFC 1035 §3.3.14). */
function txtStrings(txt: string | string[]): Buffer[] {
  const parts = typeof txt === 'string' ? [txt] : txt;
  const out: Buffer[] = [];
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    if (bytes.length === 0) out.push(bytes);
    for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  }
  return out;
}

function cloneRecordSet(set: RecordSet): RecordSet {
  // DNSSEC records hold Buffers, which structuredClone would turn into plain Uint8Arrays.
  const { DNSSEC, ...plain } = set;
  return DNSSEC === undefined ? structuredClone(plain) : { ...structuredClone(plain), DNSSEC: [...DNSSEC] };
}

// --- zone-file text (RFC 1035 §5.1 master file format, the common subset) ---

export type ParsedRecord =
  | { name: string; ttl: number | undefined; type: 'A' | 'AAAA' | 'PTR' | 'NS' | 'CNAME'; value: string }
  | { name: string; ttl: number | undefined; type: 'MX'; value: { preference: number; exchange: string } }
  | { name: string; ttl: number | undefined; type: 'TXT'; value: string | string[] };

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
const SUPPORTED = new Set(['A', 'AAAA', 'MX', 'TXT', 'PTR', 'CNAME', 'NS']);
// Records an administrator's paste may contain that this server does not serve.
const IGNORED = new Set(['SOA', 'CAA', 'SRV', 'TLSA', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'HTTPS', 'SVCB']);

interface Token {
  text: string;
  quoted: boolean;
}

/**
 * Parse zone-file lines: `$ORIGIN`, `$TTL`, comments, parentheses across
 * lines, `@`, owner omitted (leading blank = previous owner), TTL and class
 * optional and in either order, TXT as one or several quoted strings.
 */
export function parseZoneText(text: string, origin?: string): ParsedRecord[] {
  let currentOrigin = origin === undefined ? undefined : normalizeName(origin);
  let defaultTtl: number | undefined;
  let lastOwner: string | undefined;
  const out: ParsedRecord[] = [];

  for (const entry of logicalLines(text)) {
    const { tokens, ownerOmitted, lineNumber } = entry;
    if (tokens.length === 0) continue;
    const first = tokens[0] as Token;
    const fail = (why: string): never => {
      throw new Error(`zone text line ${lineNumber}: ${why}`);
    };
    if (!first.quoted && first.text.startsWith('$')) {
      const directive = first.text.toUpperCase();
      const arg = tokens[1]?.text ?? fail(`${directive} needs an argument`);
      if (directive === '$ORIGIN') currentOrigin = normalizeName(arg);
      else if (directive === '$TTL') defaultTtl = parseTtl(arg) ?? fail(`bad $TTL ${arg}`);
      continue;
    }

    const absolute = (name: string): string => {
      if (name === '@') return currentOrigin ?? fail('@ used without an origin');
      if (name.endsWith('.')) return normalizeName(name);
      return normalizeName(currentOrigin ? `${name}.${currentOrigin}` : name);
    };

    let i = 0;
    let owner: string;
    if (ownerOmitted) {
      owner = lastOwner ?? fail('no owner name and no previous record');
    } else {
      owner = absolute(first.text);
      i = 1;
    }
    lastOwner = owner;

    let ttl = defaultTtl;
    let type: string | undefined;
    for (; i < tokens.length; i++) {
      const t = (tokens[i] as Token).text;
      const upper = t.toUpperCase();
      const asTtl = parseTtl(t);
      if (asTtl !== undefined) ttl = asTtl;
      else if (CLASSES.has(upper)) continue;
      else {
        type = upper;
        i++;
        break;
      }
    }
    if (type === undefined) fail('no record type');
    const rdata = tokens.slice(i);
    const word = (n: number): string => (rdata[n] as Token | undefined)?.text ?? fail(`${type} record is missing data`);

    if (IGNORED.has(type as string)) continue;
    if (!SUPPORTED.has(type as string)) fail(`record type ${type} is not supported by the test DNS server`);
    switch (type) {
      case 'A':
        if (!net.isIPv4(word(0))) fail(`bad IPv4 address ${word(0)}`);
        out.push({ name: owner, ttl, type, value: word(0) });
        break;
      case 'AAAA':
        if (!net.isIPv6(word(0))) fail(`bad IPv6 address ${word(0)}`);
        out.push({ name: owner, ttl, type, value: word(0) });
        break;
      case 'PTR':
      case 'NS':
      case 'CNAME':
        out.push({ name: owner, ttl, type, value: absolute(word(0)) });
        break;
      case 'MX': {
        const preference = Number(word(0));
        if (!Number.isInteger(preference) || preference < 0 || preference > 65535) fail(`bad MX preference ${word(0)}`);
        const exchange = word(1) === '.' ? '.' : absolute(word(1));
        out.push({ name: owner, ttl, type, value: { preference, exchange } });
        break;
      }
      case 'TXT': {
        if (rdata.length === 0) fail('TXT record without strings');
        const strings = rdata.map((t) => t.text);
        out.push({ name: owner, ttl, type, value: strings.length === 1 ? (strings[0] as string) : strings });
        break;
      }
    }
  }
  return out;
}

function applyRecord(set: RecordSet, rr: ParsedRecord, replace: boolean): void {
  if (rr.ttl !== undefined) set.ttl = rr.ttl;
  switch (rr.type) {
    case 'A':
    case 'AAAA':
    case 'PTR':
    case 'NS':
      set[rr.type] = [...(replace ? [] : (set[rr.type] ?? [])), rr.value];
      break;
    case 'CNAME':
      set.CNAME = rr.value;
      break;
    case 'MX':
      set.MX = [...(replace ? [] : (set.MX ?? [])), rr.value];
      break;
    case 'TXT':
      set.TXT = [...(replace ? [] : (set.TXT ?? [])), rr.value];
      break;
  }
}

function parseTtl(text: string): number | undefined {
  // Plain seconds, or BIND's units: 1h30m, 1d, 2w.
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^(?:\d+[smhdw])+$/i.exec(text);
  if (!m) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const part of text.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(part[1]) * (unit[part[2] as string] ?? 0);
  return total;
}

/**
 * Split zone text into logical records: tokens with quoting and escapes
 * resolved, comments dropped, parenthesised continuations joined.
 */
function* logicalLines(text: string): Generator<{ tokens: Token[]; ownerOmitted: boolean; lineNumber: number }> {
  let tokens: Token[] = [];
  let ownerOmitted = false;
  let depth = 0;
  let startLine = 1;
  let line = 1;
  let atLineStart = true;
  let i = 0;
  const flush = function* (): Generator<{ tokens: Token[]; ownerOmitted: boolean; lineNumber: number }> {
    if (tokens.length > 0) yield { tokens, ownerOmitted, lineNumber: startLine };
    tokens = [];
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (atLineStart && depth === 0) {
      ownerOmitted = c === ' ' || c === '\t';
      startLine = line;
      atLineStart = false;
    }
    if (c === '\n') {
      line++;
      i++;
      if (depth === 0) {
        yield* flush();
        atLineStart = true;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '(') {
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      depth = Math.max(0, depth - 1);
      i++;
      continue;
    }
    if (c === '"') {
      i++;
      const bytes: number[] = [];
      while (i < text.length && text[i] !== '"') {
        i = readChar(text, i, bytes);
      }
      if (i >= text.length) throw new Error(`zone text line ${line}: unterminated quoted string`);
      i++; // closing quote
      tokens.push({ text: Buffer.from(bytes).toString('utf8'), quoted: true });
      continue;
    }
    const bytes: number[] = [];
    while (i < text.length && !/[\s;()"]/.test(text[i] as string)) i = readChar(text, i, bytes);
    tokens.push({ text: Buffer.from(bytes).toString('utf8'), quoted: false });
  }
  if (depth > 0) throw new Error(`zone text line ${startLine}: unbalanced parentheses`);
  yield* flush();
}

/** Read one (possibly escaped) character at `i` into `bytes`; returns the next index. RFC 1035 §5.1: \X and \DDD. */
function readChar(text: string, i: number, bytes: number[]): number {
  const c = text[i] as string;
  if (c === '\\') {
    const ddd = /^\d{3}/.exec(text.slice(i + 1, i + 4));
    if (ddd) {
      bytes.push(Number(ddd[0]) & 0xff);
      return i + 4;
    }
    const next = text.codePointAt(i + 1);
    if (next === undefined) return i + 1;
    bytes.push(...Buffer.from(String.fromCodePoint(next), 'utf8'));
    return i + 1 + (next > 0xffff ? 2 : 1);
  }
  const cp = text.codePointAt(i) as number;
  bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
  return i + (cp > 0xffff ? 2 : 1);
}
