// Hikyaku as the unit runs it: an unprivileged user whose only capability is
// CAP_NET_BIND_SERVICE (setpriv does what systemd's User=,
// AmbientCapabilities= and CapabilityBoundingSet= do). It binds a port
// below 1024, writes its data directory, and nothing else: the same
// credentials cannot write outside it.
//
// Needs root (to switch user); CI runs as root. Not root = a failure that
// says so, never a silent skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { cliCommand, tempDir } from '../helpers/hikyaku.js';
import { SERVER_NODE_FLAGS } from '../../src/core/node-flags.js';

const NOBODY = 65534;

function credentials(): string[] {
  return [
    '/usr/bin/setpriv',
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    '--clear-groups',
    '--inh-caps=-all,+net_bind_service',
    '--ambient-caps=-all,+net_bind_service',
    '--bounding-set=-all,+net_bind_service',
    '--no-new-privs',
  ];
}

/** A port below 1024 nobody listens on at 127.0.0.1: 587 when free. */
async function freeLowPort(): Promise<number> {
  for (const port of [587, 588, 1000, 1001, 1002, 1003, 1020, 1021, 1022, 1023]) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 1024 on 127.0.0.1 among those tried');
}

function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('data', (d: Buffer) => {
      socket.end('QUIT\r\n');
      resolve(d.toString());
    });
    socket.once('error', reject);
  });
}

test('as an unprivileged user with only CAP_NET_BIND_SERVICE: binds a port below 1024, writes only its data directory', async () => {
  assert.equal(process.getuid?.(), 0, 'this test must run as root: it switches to an unprivileged user with setpriv (CI runs as root)');
  const work = tempDir('hikyaku-lp-');
  chmodSync(work, 0o755);
  const dataDir = join(work, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  chownSync(dataDir, NOBODY, NOBODY);
  const port = await freeLowPort();
  const [node, ...cli] = cliCommand();
  const child = spawn(
    credentials()[0] as string,
    [...credentials().slice(1), node as string, ...SERVER_NODE_FLAGS, ...cli, 'start', '--data-dir', dataDir, '--submission-listen', `127.0.0.1:${port}`, '--submissions-listen', 'off', '--http-listen', 'off'],
    { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'], LANG: 'C' } },
  );
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes(`listening on 127.0.0.1:${port}`)) resolve();
      });
      void exited.then(() => reject(new Error(`hikyaku exited early:\n${stderr}`)));
    });
    assert.match(await greeting(port), /^220 /);

    // The running server: that user, and no capability but binding.
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}\\s+${NOBODY}\\s+${NOBODY}$`, 'm'));
    assert.match(status, /^CapEff:\s+0000000000000400$/m, 'CAP_NET_BIND_SERVICE (bit 10) only');
    assert.match(status, /^CapBnd:\s+0000000000000400$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    // It wrote its data directory (the generated certificate, the queue), as that user.
    const selfSigned = join(dataDir, 'tls', 'selfsigned.crt');
    assert.ok(existsSync(selfSigned));
    assert.equal(statSync(selfSigned).uid, NOBODY);

    // The same credentials, elsewhere: refused (no DAC override among its capabilities).
    const probe = spawnSync(
      credentials()[0] as string,
      [...credentials().slice(1), node as string, '-e', `
        const fs = require('node:fs');
        const out = {};
        for (const p of process.argv.slice(1)) {
          try { fs.writeFileSync(p, 'x'); out[p] = 'written'; } catch (e) { out[p] = e.code; }
        }
        console.log(JSON.stringify(out));`, join(dataDir, 'probe'), join(work, 'outside'), '/etc/hikyaku-probe', '/var/lib/hikyaku-probe'],
      { encoding: 'utf8' },
    );
    assert.equal(probe.status, 0, probe.stderr);
    assert.deepEqual(JSON.parse(probe.stdout), {
      [join(dataDir, 'probe')]: 'written',
      [join(work, 'outside')]: 'EACCES',
      '/etc/hikyaku-probe': 'EACCES',
      '/var/lib/hikyaku-probe': 'EACCES',
    });
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    rmSync(work, { recursive: true, force: true });
    assert.equal(code, 0, stderr);
  }
});
