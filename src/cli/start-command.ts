// `hikyaku start`: run the server in the foreground until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { createLogger } from '../log/logger.js';
import { startServer } from '../main.js';
import { chooseConfig, setRaw, type RawConfig } from './config-source.js';
import { describeConfigError } from './config-errors.js';
import { reloadOnHangup } from './hangup-reload.js';
import { DataFormatError, ensureDataFormat } from '../storage/data-format.js';
import { RecentErrors } from '../log/recent-errors.js';
import { missingServerFlags } from '../core/node-flags.js';

const LISTENERS = { 'submission-listen': 'submission', 'submissions-listen': 'submissions', 'relay-listen': 'relay', 'http-listen': 'http' } as const;

export async function runStartCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      'submission-listen': { type: 'string' },
      'submissions-listen': { type: 'string' },
      'relay-listen': { type: 'string' },
      'http-listen': { type: 'string' },
      relayhost: { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
    },
    strict: true,
  });

  let choice;
  try {
    choice = await chooseConfig(values.config, (raw) => applyOverrides(raw, values));
  } catch (err) {
    process.stderr.write(describeConfigError(err) + '\n');
    return 2;
  }
  const { config, source, warnings } = choice;
  // The last error lines, for `hikyaku status`.
  const recentErrors = new RecentErrors();
  const logger = createLogger(config.log, recentErrors);
  const builtIn = source === 'built-in defaults';
  logger.info({ config: source, dataDir: config.dataDir, hostname: config.hostname }, builtIn ? 'no configuration file: running on built-in defaults' : 'configuration loaded');
  if (builtIn) {
    process.stderr.write(
      `hikyaku: no configuration file, running on built-in defaults (data in ${config.dataDir}, hostname ${config.hostname}); "hikyaku init" writes one to edit.\n` +
        `hikyaku: 設定ファイルがないため既定値で起動します (データ: ${config.dataDir}、ホスト名: ${config.hostname})。"hikyaku init" で設定ファイルを作れます。\n`,
    );
  }
  // Started as `node dist/src/cli.js start` without the flags `npm start`, the
  // unit and the shebang give: it works, but pays what core/node-flags.ts says.
  const missingFlags = missingServerFlags();
  if (missingFlags.length > 0) {
    logger.warn({ event: 'node-flags-missing', missing: missingFlags }, `node was started without ${missingFlags.join(' ')}: put them before the script (node ${missingFlags.join(' ')} …/cli.js start), as npm start and the systemd unit do`);
  }
  for (const w of warnings) {
    logger.warn({ warning: w }, 'configuration warning');
    process.stderr.write(`hikyaku: warning: ${w}\n`);
  }

  // The data directory's format: said here in both languages (startServer checks again and logs).
  try {
    const format = ensureDataFormat(config.dataDir);
    if (format.migrated) {
      logger.info({ event: 'data-format-migrated', dataDir: config.dataDir, from: format.from, to: format.to }, 'data directory migrated');
      process.stderr.write(
        `hikyaku: data directory ${config.dataDir} migrated from format ${format.from} to ${format.to}\n` +
          `hikyaku: データディレクトリ ${config.dataDir} をフォーマット ${format.from} から ${format.to} に移行しました\n`,
      );
    }
  } catch (err) {
    if (!(err instanceof DataFormatError)) throw err;
    logger.fatal({ err }, 'start refused: data directory format');
    logger.flush();
    process.stderr.write(`hikyaku: ${err.en}\nhikyaku: ${err.ja}\n`);
    return 1;
  }

  let server;
  try {
    server = await startServer(config, logger, { recentErrors });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err }, 'start failed');
    logger.flush();
    process.stderr.write(`hikyaku: ${message}\n`);
    // Errors that carry their Japanese text too (the queue store's schema check).
    const ja = (err as { ja?: unknown } | null)?.ja;
    if (typeof ja === 'string') process.stderr.write(`hikyaku: ${ja}\n`);
    return 1;
  }
  for (const l of server.listeners) {
    process.stderr.write(`hikyaku: ${l.kind} listening on ${l.host}:${l.port}\n`);
  }
  if (server.http !== undefined) {
    process.stderr.write(`hikyaku: http listening on ${server.http.host}:${server.http.port} (API /api/v1/, console /console/)\n`);
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      server.stop().then(
        () => {
          logger.flush();
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          logger.flush();
          resolve(1);
        },
      );
    };
    // `on`, not `once`: a second signal during the stop must not fall back to
    // Node's default handler, which would exit at once.
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // SIGHUP (systemctl reload): the certificate and the live settings, one reload at a time.
    let inForce = config;
    let hangups = Promise.resolve();
    const reloadContext = {
      logger,
      loadConfig: async () => (await chooseConfig(values.config, (raw) => applyOverrides(raw, values))).config,
      reloadCertificates: () => server.reloadCertificates(),
    };
    process.on('SIGHUP', () => {
      hangups = hangups.then(async () => {
        if (!stopping) inForce = await reloadOnHangup(inForce, reloadContext);
      });
    });
  });
}

type StartValues = Partial<Record<'data-dir' | 'relayhost' | 'log-level' | 'log-format' | keyof typeof LISTENERS, string | undefined>>;

function applyOverrides(raw: RawConfig, values: StartValues): void {
  if (values['data-dir']) setRaw(raw, 'dataDir', values['data-dir']);
  if (values['log-level']) setRaw(raw, 'log.level', values['log-level']);
  if (values['log-format']) setRaw(raw, 'log.format', values['log-format']);
  for (const [flag, listener] of Object.entries(LISTENERS) as [keyof typeof LISTENERS, string][]) {
    const value = values[flag];
    if (value === undefined) continue;
    if (value === 'off') {
      setRaw(raw, `listeners.${listener}.enabled`, false);
      continue;
    }
    const { host, port } = hostPort(value, `--${flag}`);
    setRaw(raw, `listeners.${listener}.enabled`, true);
    setRaw(raw, `listeners.${listener}.host`, host);
    setRaw(raw, `listeners.${listener}.port`, port);
  }
  if (values.relayhost) {
    // Postfix's relayhost syntax: [host]:port means "no MX lookup" — which is
    // always the case for a smarthost here. Plain SMTP, as Postfix's default.
    const { host, port } = hostPort(values.relayhost, '--relayhost');
    setRaw(raw, 'delivery.smarthost', { host, port, tls: 'none' });
  }
}

function hostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value);
  if (!m?.[1] || !m[2]) throw new Error(`${flag}: "${value}" is not HOST:PORT (for example 127.0.0.1:2525 or [127.0.0.1]:2600)`);
  return { host: m[1], port: Number(m[2]) };
}
