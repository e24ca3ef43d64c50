// Loading the configuration file: read, YAML-parse (syntax errors with line
// and column), validate through the schema, and collect warnings about
// settings that are valid but probably not what the operator wants.
// The public entry point of src/config: everything callers need is exported here.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { isDomainName } from './kinds.js';
import { ConfigError, parseConfig } from './parse.js';
import type { Config } from './types.js';

export { ConfigError, parseConfig } from './parse.js';
export { configReference, configToYaml, defaultConfigYaml } from './reference.js';

export interface LoadedConfig {
  readonly config: Config;
  /** The file's absolute path, or 'built-in defaults'. */
  readonly source: string;
  readonly warnings: string[];
}

export interface LoadOptions {
  /** Changes applied to the file's contents before validation (command-line overrides), so they are validated like the file. */
  readonly override?: (raw: Record<string, unknown>) => void;
}

/** Load `path`, or use the defaults when `path` is undefined. Throws `ConfigError`. */
export async function loadConfig(path: string | undefined, options: LoadOptions = {}): Promise<LoadedConfig> {
  if (path === undefined) {
    const raw: Record<string, unknown> = {};
    options.override?.(raw);
    const config = parseConfig(raw);
    return { config, source: 'built-in defaults', warnings: configWarnings(config) };
  }
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new ConfigError([`cannot read the configuration file: ${reason}`], file);
  }

  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        // yaml's message repeats the position and adds a code frame: keep the first line only.
        const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return pos ? `line ${pos.line}, column ${pos.col}: ${message}` : message;
      }),
      file,
    );
  }
  const warnings = doc.warnings.map((w) => {
    const pos = w.linePos?.[0];
    return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${(w.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`;
  });

  let config: Config;
  try {
    const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
    if (options.override && typeof raw === 'object' && raw !== null && !Array.isArray(raw)) options.override(raw as Record<string, unknown>);
    config = parseConfig(raw, { baseDir: dirname(file) });
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.problems, file);
    throw err;
  }
  return { config, source: file, warnings: [...warnings, ...configWarnings(config)] };
}

/** Valid settings that are probably mistakes. */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!isDomainName(config.hostname) || !config.hostname.includes('.')) {
    warnings.push(
      `hostname: "${config.hostname}" is not a fully qualified domain name; receiving servers check the EHLO name, so set hostname (e.g. mail.example.com) to a name whose A/AAAA and PTR records match this server`,
    );
  }
  const relay = config.listeners.relay;
  if (relay.enabled && relay.trustedNetworks.some((n) => n.endsWith('/0'))) {
    warnings.push('listeners.relay.trustedNetworks: contains a /0 block: anyone on the Internet can relay through this server (open relay)');
  }
  const smarthost = config.delivery.smarthost;
  if (smarthost?.tls === 'none' && smarthost.username !== undefined) {
    warnings.push('delivery.smarthost.tls: none with a username: the password is sent in clear text');
  }
  if (smarthost?.verifyCertificate === false) {
    warnings.push("delivery.smarthost.verifyCertificate: false: the relay's identity is not checked, so a man in the middle can read the mail and the password");
  }
  return warnings;
}
