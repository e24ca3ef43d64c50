// The package as users get it: `npm pack` → `npm install -g --prefix EMPTY`
// → the installed `hikyaku` runs the built JavaScript (no TypeScript, no
// tsx) from a folder far from this source tree: --help, then a start on the
// built-in defaults (temporary data directory, free ports) and a clean stop.
//
// Dependencies come from the npm registry (reachable, or the local npm
// cache), resolved afresh: the lock file and package.json's "overrides" do
// not apply to an installed package (a shrinkwrap would, but npm ignores it
// for a global install of a local tarball: npm/cli#5325). The self-signed
// certificate generated at start is what failed here before package.json
// named @peculiar/asn1-schema and asn1-x509 itself. better-sqlite3's install script would otherwise download a
// prebuilt binary from GitHub or compile SQLite (minutes on a shared
// 2-core machine); prebuild-install's documented local-prebuilds directory
// is given the binary this checkout already built, in the same
// name-version-runtime-abi-platform-arch archive GitHub serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/hikyaku.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function localPrebuild(dir: string): void {
  const sqlite = join(repo, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(sqlite, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  run('tar', ['czf', join(dir, name), 'build/Release/better_sqlite3.node'], { cwd: sqlite });
}

test('npm pack, npm install -g into an empty prefix: hikyaku --help and a start on built-in defaults, without the source tree', async () => {
  const work = tempDir('hikyaku-pack-');
  try {
    const prebuilds = join(work, 'prebuilds');
    const prefix = join(work, 'prefix');
    const elsewhere = join(work, 'elsewhere');
    for (const d of [prebuilds, prefix, elsewhere]) mkdirSync(d);
    // --ignore-scripts: no prepack build. dist/ was just built by `npm test`, and
    // a rebuild would delete the test files that are running.
    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repo })) as { filename: string; files: { path: string }[] }[];
    const entry = packed[0];
    assert.ok(entry);
    const files = entry.files.map((f) => f.path);
    assert.ok(files.includes('dist/src/cli.js'));
    assert.ok(files.includes('dist/src/queue/queue-writer.js'), 'the queue writer thread is loaded from a file beside it');
    assert.deepEqual(files.filter((f) => f.endsWith('.ts') || f.includes('.test.') || f.startsWith('src/') || f.startsWith('test/')), []);

    localPrebuild(prebuilds);
    run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', join(work, entry.filename)], {
      cwd: elsewhere,
      env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: prebuilds },
    });
    const installed = join(prefix, 'lib', 'node_modules', 'hikyaku');
    assert.equal(existsSync(join(installed, 'node_modules', 'tsx')), false, 'no TypeScript runner at run time');
    assert.equal(existsSync(join(installed, 'node_modules', 'typescript')), false);
    // The built console ships beside the server code: no download at run time.
    assert.deepEqual(readdirSync(join(installed, 'dist')).sort(), ['console', 'src']);
    assert.ok(existsSync(join(installed, 'dist', 'console', 'index.html')), 'the built web console is in the package');
    // The deliverability engine's data files (read at start: a start without them fails).
    for (const f of ['providers.yaml', 'replies.yaml']) assert.ok(existsSync(join(installed, 'dist', 'src', 'deliverability', f)), `${f} is in the package`);

    const hikyaku = join(prefix, 'bin', 'hikyaku');
    // Only the installed prefix: no NODE_PATH, no source tree, no HIKYAKU_CONFIG.
    const env: NodeJS.ProcessEnv = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, LANG: 'C', HOME: elsewhere };
    const help = spawnSync(hikyaku, ['--help'], { cwd: elsewhere, env, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Hikyaku — an outgoing mail server/);
    assert.match(help.stdout, /service install/);

    const dataDir = join(elsewhere, 'data');
    const child = spawn(
      hikyaku,
      ['start', '--data-dir', dataDir, '--submission-listen', '127.0.0.1:0', '--submissions-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'],
      { cwd: elsewhere, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if ((stderr.match(/listening on/g) ?? []).length >= 3) resolve();
      });
      void exited.then(() => reject(new Error(`the installed hikyaku exited early:\n${stderr}\n${stdout}`)));
    });
    assert.match(stderr, /built-in defaults/);
    assert.match(stderr, /submission listening on 127\.0\.0\.1:\d+/);
    // The console is served from the installed package's own files.
    const httpPort = /http listening on 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
    assert.ok(httpPort, stderr);
    const page = await fetch(`http://127.0.0.1:${httpPort}/console/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app"|<script type="module"/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /"msg":"Hikyaku started"/);
    assert.ok(existsSync(join(dataDir, 'tls', 'selfsigned.crt')), 'the data directory was used');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
