// DNS queries whose answer must say whether it was validated: the AD bit
// (RFC 4035 §3.2.3, RFC 6840 §5.7) of a validating resolver on this host
// (DANE needs it, RFC 7672 §2.1; Node's resolver does not show it). One
// question over UDP with EDNS and the DO and AD bits, TCP when truncated.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket, { type Answer } from 'dns-packet';

export interface SecureAnswer {
  /** 'NOERROR', 'NXDOMAIN', 'SERVFAIL', ... */
  readonly rcode: string;
  /** The resolver validated the answer (AD bit). */
  readonly authenticated: boolean;
  readonly answers: readonly Answer[];
}

/** `server` is "ip:port" (or "ip", port 53). Rejects when there is no answer in time. */
export async function secureQuery(server: string, name: string, type: 'MX' | 'TLSA' | 'SOA', timeoutMs: number): Promise<SecureAnswer> {
  const [host, portText] = splitServer(server);
  const id = randomInt(0, 65536);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type, name }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK } as Answer],
  });
  let reply = await overUdp(host, portText, query, id, timeoutMs);
  if ((reply.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) reply = await overTcp(host, portText, query, id, timeoutMs);
  return {
    rcode: String((reply as { rcode?: string }).rcode ?? 'NOERROR'),
    authenticated: ((reply.flags ?? 0) & dnsPacket.AUTHENTIC_DATA) !== 0,
    answers: (reply.answers ?? []).filter((a) => a.type === type),
  };
}

/** "ip", "ip:port", "[v6]:port" or a bare IPv6 address → host and port (53 by default). */
function splitServer(server: string): [string, number] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracketed) return [bracketed[1] as string, bracketed[2] === undefined ? 53 : Number(bracketed[2])];
  if (net.isIPv6(server)) return [server, 53];
  const [host, port] = server.split(':');
  return [host as string, port === undefined ? 53 : Number(port)];
}

function overUdp(host: string, port: number, query: Buffer, id: number, timeoutMs: number): Promise<dnsPacket.DecodedPacket> {
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, packet?: dnsPacket.DecodedPacket): void => {
      clearTimeout(timer);
      socket.close();
      if (err !== undefined) reject(err);
      else resolve(packet as dnsPacket.DecodedPacket);
    };
    socket.on('message', (msg) => {
      try {
        const packet = dnsPacket.decode(msg);
        if (packet.id === id) finish(undefined, packet);
      } catch {
        // not an answer of ours: keep waiting
      }
    });
    socket.on('error', (err) => finish(err));
    socket.send(query, port, host);
  });
}

function overTcp(host: string, port: number, query: Buffer, id: number, timeoutMs: number): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}:${port} (TCP) within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.end(Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query])));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      try {
        const packet = dnsPacket.decode(all.subarray(2, 2 + all.readUInt16BE(0)));
        if (packet.id !== id) reject(new Error(`${host}:${port}: answer for another query`));
        else resolve(packet);
      } catch (err) {
        reject(new Error(`${host}:${port}: bad TCP answer: ${(err as Error).message}`));
      }
    });
  });
}
