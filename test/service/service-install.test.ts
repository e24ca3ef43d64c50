// `hikyaku service install|uninstall` and `hikyaku tls use-certbot` into a
// temporary root (--root): the files, their modes, the unit's hardening
// checked by Debian's systemd-analyze, and the certbot deploy hook run for real.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { runCli, tempDir } from '../helpers/hikyaku.js';
import { makeTestCertificate } from '../helpers/certs.js';

let root: string;
before(() => {
  root = tempDir('hikyaku-service-');
});
after(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string): string => (statSync(path).mode & 0o7777).toString(8).padStart(4, '0');
const under = (path: string): string => join(root, path);

/** The unit's settings: key → every value given (systemd allows repeated keys). */
function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!m) continue;
    settings.set(m[1] as string, [...(settings.get(m[1] as string) ?? []), m[2] as string]);
  }
  return settings;
}

test('service install --root: the files with tight modes, the commands it would run, in English and Japanese', async () => {
  const r = await runCli(['service', 'install', '--root', root]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(mode(under('/var/lib/hikyaku')), '0700');
  assert.equal(mode(under('/etc/hikyaku')), '0750');
  assert.equal(mode(under('/etc/hikyaku/hikyaku.yaml')), '0640');
  assert.equal(mode(under('/etc/systemd/system/hikyaku.service')), '0644');
  assert.match(r.stdout, /useradd --system --user-group --no-create-home --home-dir \/var\/lib\/hikyaku --shell \/usr\/sbin\/nologin hikyaku/);
  assert.match(r.stdout, /chown -R hikyaku:hikyaku \/var\/lib\/hikyaku/);
  assert.match(r.stdout, /systemctl enable --now hikyaku\.service/);
  assert.match(r.stdout, /Undo: hikyaku service uninstall/);
  assert.match(r.stdout, /元に戻す: hikyaku service uninstall/);

  // The default configuration: the built-in defaults with the service's data directory; it loads.
  const { config } = await loadConfig(under('/etc/hikyaku/hikyaku.yaml'));
  assert.equal(config.dataDir, '/var/lib/hikyaku');
  assert.equal(config.listeners.submission.port, 587);
});

test('the unit: the hardening settings, systemd-analyze verify passes, exposure stays low', () => {
  const unitFile = under('/etc/systemd/system/hikyaku.service');
  const unit = unitSettings(readFileSync(unitFile, 'utf8'));
  const one = (key: string): string | undefined => unit.get(key)?.join(' ');
  const expected: Record<string, string> = {
    Type: 'exec',
    User: 'hikyaku',
    Group: 'hikyaku',
    ExecReload: '/bin/kill -HUP $MAINPID',
    Restart: 'on-failure',
    AmbientCapabilities: 'CAP_NET_BIND_SERVICE',
    CapabilityBoundingSet: 'CAP_NET_BIND_SERVICE',
    NoNewPrivileges: 'yes',
    ProtectSystem: 'strict',
    ReadWritePaths: '/var/lib/hikyaku',
    PrivateTmp: 'yes',
    ProtectHome: 'yes',
    PrivateDevices: 'yes',
    ProtectKernelTunables: 'yes',
    ProtectKernelModules: 'yes',
    ProtectControlGroups: 'yes',
    RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
    RestrictNamespaces: 'yes',
    LockPersonality: 'yes',
    UMask: '0077',
    Environment: 'NODE_ENV=production HIKYAKU_CONFIG=/etc/hikyaku/hikyaku.yaml',
  };
  for (const [key, value] of Object.entries(expected)) assert.equal(one(key), value, key);
  assert.equal(unit.get('SystemCallFilter')?.[0], '@system-service');
  assert.equal(unit.has('MemoryDenyWriteExecute'), false, 'V8 needs W+X memory: the setting must stay off');
  const exec = one('ExecStart') ?? '';
  assert.match(exec, /^\/\S+\/node --max-semi-space-size=4 --no-memory-reducer \/\S+\/dist\/src\/cli\.js start --config \/etc\/hikyaku\/hikyaku\.yaml$/);
  assert.ok(existsSync(exec.split(' ')[3] as string), 'ExecStart runs the built cli.js');

  const verify = spawnSync('/usr/bin/systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
  assert.equal(verify.status, 0, `systemd-analyze verify: ${verify.stderr}`);
  assert.doesNotMatch(verify.stderr, /hikyaku\.service/, verify.stderr);

  const security = spawnSync('/usr/bin/systemd-analyze', ['security', '--offline=yes', unitFile], { encoding: 'utf8' });
  const score = /Overall exposure level for hikyaku\.service: ([\d.]+)/.exec(security.stdout + security.stderr)?.[1];
  assert.ok(score !== undefined, security.stdout + security.stderr);
  // 1.4 when written (Debian 12's systemd 252): "OK". A change that loosens the sandbox shows up here.
  assert.ok(Number(score) <= 2, `exposure ${score}`);
});

test('service install keeps an existing configuration; uninstall keeps the data, --purge deletes it', async () => {
  const config = under('/etc/hikyaku/hikyaku.yaml');
  writeFileSync(config, 'hostname: mail.example.com\n');
  chmodSync(under('/var/lib/hikyaku'), 0o711); // as the README's sendmail section says, for PHP's mail()
  const again = await runCli(['service', 'install', '--root', root, '--no-enable']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(config, 'utf8'), 'hostname: mail.example.com\n');
  assert.match(again.stdout, /exists already: kept/);
  assert.equal(mode(under('/var/lib/hikyaku')), '0711');
  assert.match(again.stdout, /its mode 0711 kept/);

  const un = await runCli(['service', 'uninstall', '--root', root]);
  assert.equal(un.code, 0, un.stderr);
  assert.equal(existsSync(under('/etc/systemd/system/hikyaku.service')), false);
  assert.ok(existsSync(under('/var/lib/hikyaku')));
  assert.match(un.stdout, /systemctl disable --now hikyaku\.service/);

  const purge = await runCli(['service', 'uninstall', '--purge', '--root', root]);
  assert.equal(purge.code, 0, purge.stderr);
  assert.equal(existsSync(under('/var/lib/hikyaku')), false);
  assert.equal(existsSync(under('/etc/hikyaku')), false);
  assert.match(purge.stdout, /userdel hikyaku/);
});

test('service: bad options get a clear message and exit 2', async () => {
  const relative = await runCli(['service', 'install', '--root', root, '--data', 'data']);
  assert.equal(relative.code, 2);
  assert.match(relative.stderr, /--data "data": give an absolute path/);
  const badUser = await runCli(['service', 'install', '--root', root, '--user', 'Root Admin']);
  assert.equal(badUser.code, 2);
  assert.match(badUser.stderr, /not a valid user name/);
  // --purge with a data directory that is not Hikyaku's: kept.
  const elsewhere = join(root, 'other');
  mkdirSync(join(elsewhere, 'var', 'lib'), { recursive: true });
  writeFileSync(join(elsewhere, 'var', 'lib', 'precious'), 'x');
  const careful = await runCli(['service', 'uninstall', '--purge', '--root', elsewhere, '--data', '/var/lib']);
  assert.equal(careful.code, 0, careful.stderr);
  assert.ok(existsSync(join(elsewhere, 'var', 'lib', 'precious')));
  assert.match(careful.stdout, /does not look like a Hikyaku data directory/);
  const unknown = await runCli(['service', 'restart']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /usage: hikyaku service install/);
});

test('tls use-certbot --root: the configuration points at the copies, the deploy hook copies a renewal readable by the group', async () => {
  const missing = await runCli(['tls', 'use-certbot', 'mail.example.com', '--root', join(root, 'nothing')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /run "hikyaku service install" first/);

  assert.equal((await runCli(['service', 'install', '--root', root])).code, 0);
  const configText = (): string => readFileSync(under('/etc/hikyaku/hikyaku.yaml'), 'utf8');
  const before = configText();
  // No certificate yet: the hook is installed, the configuration left alone, the certbot command shown.
  const early = await runCli(['tls', 'use-certbot', 'mail.example.com', '--root', root, '--group', 'root']);
  assert.equal(early.code, 0, early.stderr);
  assert.match(early.stdout, /certbot certonly --standalone -d mail\.example\.com --deploy-hook \/etc\/letsencrypt\/renewal-hooks\/deploy\/hikyaku/);
  assert.equal(configText(), before);
  const hook = under('/etc/letsencrypt/renewal-hooks/deploy/hikyaku');
  assert.equal(mode(hook), '0755');

  // certbot's side: a lineage, root-only as certbot keeps it.
  const cert = await makeTestCertificate(['mail.example.com']);
  const lineage = under('/etc/letsencrypt/live/mail.example.com');
  mkdirSync(lineage, { recursive: true, mode: 0o700 });
  writeFileSync(join(lineage, 'fullchain.pem'), cert.cert, { mode: 0o600 });
  writeFileSync(join(lineage, 'privkey.pem'), cert.key, { mode: 0o600 });
  const r = await runCli(['tls', 'use-certbot', 'mail.example.com', '--root', root, '--group', 'root']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/etc\/letsencrypt\/renewal-hooks\/deploy\/hikyaku/, 'the first copy is the hook itself (not run under --root)');
  const tls = (parse(configText()) as { tls: { certFile: string; keyFile: string } }).tls;
  assert.equal(tls.certFile, '/etc/hikyaku/tls/fullchain.pem');
  assert.equal(tls.keyFile, '/etc/hikyaku/tls/privkey.pem');
  assert.match(configText(), /# Hikyaku configuration/, 'the comments are kept');

  // The hook, run as certbot runs it after a renewal.
  const dest = under('/etc/hikyaku/tls');
  const ran = spawnSync(hook, [], { env: { PATH: process.env['PATH'], RENEWED_LINEAGE: lineage, HIKYAKU_TLS_DIR: dest }, encoding: 'utf8' });
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(readFileSync(join(dest, 'privkey.pem'), 'utf8'), cert.key);
  assert.equal(readFileSync(join(dest, 'fullchain.pem'), 'utf8'), cert.cert);
  assert.equal(mode(join(dest, 'privkey.pem')), '0640');
  assert.equal(mode(dest), '0750');

  // Another certificate of the same certbot: not ours, nothing copied.
  const other = under('/etc/letsencrypt/live/www.example.com');
  mkdirSync(other, { recursive: true });
  const skip = spawnSync(hook, [], { env: { PATH: process.env['PATH'], RENEWED_LINEAGE: other, HIKYAKU_TLS_DIR: join(root, 'not-used') }, encoding: 'utf8' });
  assert.equal(skip.status, 0, skip.stderr);
  assert.equal(existsSync(join(root, 'not-used')), false);
});
