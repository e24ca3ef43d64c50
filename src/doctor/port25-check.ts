// Can this machine reach other mail servers on port 25? Many clouds block
// outbound 25 by default, and then nothing we queue is ever delivered
// directly. We connect to an MX and wait for its 220 greeting
// (RFC 5321 §4.3.1), then say QUIT.
import type { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { port25 as m } from './messages.js';
import { lookupAddresses, lookupMx, normalizeHost } from './dns-query.js';
import { finding, type Finding } from './types.js';

export interface Port25Target {
  readonly host: string;
  readonly port: number;
}

export interface Port25CheckInput {
  readonly resolver: Resolver;
  /** Domains whose MX may serve as the target, tried in order. */
  readonly domains: readonly string[];
  /** Fixed target (tests use a loopback listener); otherwise a domain's MX or a well-known one. */
  readonly target: Port25Target | undefined;
  readonly timeoutMs: number;
}

// A large, always-reachable MX, used when none of our domains has one.
const WELL_KNOWN_MX = 'gmail-smtp-in.l.google.com';

export async function checkPort25(input: Port25CheckInput): Promise<Finding> {
  let target: { host: string; ip: string; port: number };
  try {
    target = await chooseTarget(input);
  } catch (err) {
    return finding('port25.outbound', 'warning', 'port 25', m.noTarget((err as Error).message));
  }
  const label = `${target.host}:${target.port}`;
  const result = await greet(target.ip, target.port, input.timeoutMs);
  if (result === 'ok') return finding('port25.outbound', 'ok', label, m.ok(label));
  return finding('port25.outbound', 'warning', label, m.blocked(label, result), m.smarthostSnippet);
}

async function chooseTarget(input: Port25CheckInput): Promise<{ host: string; ip: string; port: number }> {
  let host = input.target?.host;
  const port = input.target?.port ?? 25;
  if (host === undefined) {
    for (const domain of input.domains) {
      const mx = await lookupMx(input.resolver, domain);
      const best = mx.kind === 'found' ? [...mx.values].sort((a, b) => a.priority - b.priority)[0] : undefined;
      if (best && normalizeHost(best.exchange) !== '') {
        host = normalizeHost(best.exchange);
        break;
      }
    }
    host ??= WELL_KNOWN_MX;
  }
  if (net.isIP(host)) return { host, ip: host, port };
  const addresses = await lookupAddresses(input.resolver, host);
  if (addresses.kind !== 'found') throw new Error(`${host}: ${addresses.kind === 'failed' ? addresses.code : 'no address'}`);
  return { host, ip: addresses.values[0] as string, port };
}

/** 'ok' when a 220 greeting arrived; otherwise what went wrong. */
function greet(ip: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port });
    let settled = false;
    const done = (result: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result === 'ok') {
        socket.end('QUIT\r\n');
        // Do not wait on a server slow to close: the answer is known.
        setTimeout(() => socket.destroy(), 1000).unref();
      } else socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\n')) done(received.startsWith('220') ? 'ok' : `unexpected greeting: ${received.split('\r\n')[0] ?? ''}`);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    socket.on('close', () => done('connection closed before the greeting'));
  });
}
