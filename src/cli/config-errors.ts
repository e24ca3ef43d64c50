import { ConfigError } from '../config/load.js';

/** Every configuration problem, one per line, ready for standard error. */
export function describeConfigError(err: unknown): string {
  if (err instanceof ConfigError) {
    return ['hikyaku: the configuration has problems / 設定に問題があります:', ...err.problems.map((p) => `  - ${p}`)].join('\n');
  }
  return `hikyaku: ${err instanceof Error ? err.message : String(err)}`;
}
