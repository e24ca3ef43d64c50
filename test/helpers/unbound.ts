// A local validating resolver for DANE tests: Debian's Unbound, in the
// foreground on a free loopback port, with the test zone's key as its trust
// anchor and the test DNS server as the zone's (stub) authority. What it
// validates it answers with the AD bit, as the Unbound of a production
// server would (README: DANE).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';

export interface Unbound {
  /** "127.0.0.1:PORT" */
  readonly address: string;
  close(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** `zone` is signed (its key is the trust anchor); `unsignedZones` are served by the same authority without one. */
export async function startUnbound(options: UnboundOptions): Promise<Unbound> {
  // Unbound binds UDP and TCP on the port it is given: one found free may be taken meanwhile; try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freeUdpPort(), options);
    } catch (err) {
      if (attempt >= 5 || !/could not open ports|Address already in use/.test((err as Error).message)) throw err;
    }
  }
}

interface UnboundOptions {
  readonly dir: string;
  readonly zone: string;
  readonly trustAnchor: string;
  readonly authority: string;
  readonly unsignedZones?: readonly string[];
}

async function startOn(port: number, options: UnboundOptions): Promise<Unbound> {
  const [authHost, authPort] = options.authority.split(':');
  const conf = join(options.dir, 'unbound.conf');
  writeFileSync(
    conf,
    [
      'server:',
      '  interface: 127.0.0.1',
      `  port: ${port}`,
      '  do-daemonize: no',
      '  use-syslog: no',
      '  logfile: ""',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${options.dir}"`,
      `  pidfile: "${join(options.dir, 'unbound.pid')}"`,
      '  do-ip6: no',
      '  access-control: 127.0.0.0/8 allow',
      '  do-not-query-localhost: no',
      '  qname-minimisation: no',
      // Unbound answers RFC 6761 names such as test. itself (NXDOMAIN); ask the test zone's server instead.
      `  local-zone: "${options.zone.split('.').pop()}." nodefault`,
      '  module-config: "validator iterator"',
      '  verbosity: 0',
      `  trust-anchor: "${options.trustAnchor}"`,
      'remote-control:',
      '  control-enable: no',
      ...[options.zone, ...(options.unsignedZones ?? [])].flatMap((z) => ['stub-zone:', `  name: "${z}"`, `  stub-addr: ${authHost}@${authPort}`]),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready once it answers.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`unbound exited: ${stderr}`);
    if (await answers(port)) break;
    if (i > 100) throw new Error(`unbound did not answer on port ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    address: `127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function answers(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 200);
      socket.once('message', () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.send(dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'localhost' }] }), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
