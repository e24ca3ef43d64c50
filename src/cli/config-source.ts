// Where the configuration comes from for every command: --config FILE, else
// $HIKYAKU_CONFIG, else ./hikyaku.yaml when it exists, else built-in defaults.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/types.js';
import { loadConfig } from '../config/load.js';

export interface ConfigChoice {
  readonly config: Config;
  /** The file read, or 'built-in defaults'. */
  readonly source: string;
  readonly warnings: readonly string[];
}

export type RawConfig = Record<string, unknown>;

export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag) return resolve(flag);
  if (env['HIKYAKU_CONFIG']) return resolve(env['HIKYAKU_CONFIG']);
  const local = resolve('hikyaku.yaml');
  return existsSync(local) ? local : undefined;
}

export async function chooseConfig(flag: string | undefined, override?: (raw: RawConfig) => void): Promise<ConfigChoice> {
  return loadConfig(configPath(flag), override ? { override } : {});
}

/** Set a nested key in a raw config object, creating the mappings on the way. */
export function setRaw(raw: RawConfig, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: RawConfig = raw;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as RawConfig;
  }
  node[keys[keys.length - 1] as string] = value;
}
