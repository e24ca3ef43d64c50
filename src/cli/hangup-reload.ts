// SIGHUP (`systemctl reload hikyaku`, certbot's deploy hook): re-read what can
// change without a restart, and say in the log what changed but needs one.
//
// Live: the certificate files (src/tls/certificates.ts also polls them; the
// signal makes it immediate) and log.level. Users, app passwords, API keys,
// sending domains with their DKIM keys and the suppression list are not
// configuration: they live in the data directory and the server reads them
// at each use, so `hikyaku user …` / `domain …` take effect with no signal.
// Every other setting is woven into the listeners, the stores and the
// scheduler at start: a changed one is named in the log as needing a restart.
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';

/** The settings a SIGHUP applies; every other changed path needs a restart. */
export const LIVE_SETTINGS: readonly string[] = ['log.level'];

/** Dotted paths whose values differ between two configurations (arrays compared whole). */
export function changedSettings(before: Config, after: Config): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], path === '' ? key : `${path}.${key}`);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
  };
  walk(before, after, '');
  return out;
}

export interface HangupContext {
  readonly logger: Logger;
  /** Read the configuration again, as at start (same file, same command-line overrides). */
  readonly loadConfig: () => Promise<Config>;
  readonly reloadCertificates: () => Promise<boolean>;
}

/** Returns the configuration now in force (for the next SIGHUP's comparison). */
export async function reloadOnHangup(current: Config, ctx: HangupContext): Promise<Config> {
  const { logger } = ctx;
  let next: Config | undefined;
  try {
    next = await ctx.loadConfig();
  } catch (err) {
    logger.error({ err }, 'SIGHUP: the configuration cannot be read or has errors ("hikyaku check-config" lists them); settings kept as they are');
  }
  let certificate: 'reloaded' | 'unchanged' | 'failed';
  try {
    certificate = (await ctx.reloadCertificates()) ? 'reloaded' : 'unchanged';
  } catch (err) {
    logger.error({ err }, 'SIGHUP: reloading the certificate failed; the previous one stays in use');
    certificate = 'failed';
  }
  const changed = next === undefined ? [] : changedSettings(current, next);
  const applied = changed.filter((path) => LIVE_SETTINGS.includes(path));
  const needRestart = changed.filter((path) => !LIVE_SETTINGS.includes(path));
  if (next !== undefined && applied.includes('log.level')) logger.level = next.log.level;
  logger.info(
    { event: 'reload', certificate, applied, needRestart },
    needRestart.length > 0
      ? `SIGHUP: reloaded; these changed settings take effect only after a restart (systemctl restart hikyaku): ${needRestart.join(', ')}`
      : 'SIGHUP: reloaded',
  );
  if (next === undefined) return current;
  // What is not applied stays as it runs, so the next SIGHUP names it again.
  return applied.length === 0 ? current : { ...current, log: { ...current.log, level: next.log.level } };
}
