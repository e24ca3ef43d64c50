// The shipped data files (providers.yaml and replies.yaml, in
// src/deliverability/; `npm run build` copies them beside the compiled
// modules in dist/, which package.json "files" ships), read once and
// validated. A broken shipped file is a bug of the release, so it throws
// with every problem listed rather than running without the table.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { groupProblems, toGroup, type ProviderGroup } from './provider-groups.js';
import { parseReplyRule, type ReplyRule } from './reply-rules.js';

/** The file beside this module (source, or dist/ after `npm run build`), else the source tree's (dist/ built by tsc alone). */
export function shippedFile(name: string): string {
  const candidates = [new URL(`./${name}`, import.meta.url), new URL(`../../../src/deliverability/${name}`, import.meta.url)].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`shipped data file ${name} not found (looked in ${candidates.join(', ')}); reinstall Hikyaku`);
  return found;
}

function readList(name: string, key: string): { list: unknown[]; path: string } {
  const path = shippedFile(name);
  const doc = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
  const list = doc?.[key];
  if (!Array.isArray(list)) throw new Error(`${path}: "${key}" must be a list`);
  return { list, path };
}

let groups: readonly ProviderGroup[] | undefined;
let replies: readonly ReplyRule[] | undefined;

export function shippedGroups(): readonly ProviderGroup[] {
  if (groups !== undefined) return groups;
  const { list, path } = readList('providers.yaml', 'groups');
  const problems = list.flatMap((g, i) => groupProblems(g, `groups[${i}]`));
  if (problems.length > 0) throw new Error(`${path}:\n${problems.join('\n')}`);
  groups = Object.freeze(list.map((g) => toGroup(g as Record<string, unknown>)));
  return groups;
}

export function shippedReplies(): readonly ReplyRule[] {
  if (replies !== undefined) return replies;
  const { list, path } = readList('replies.yaml', 'replies');
  const parsed = list.map((r, i) => parseReplyRule(r, `replies[${i}]`));
  const problems = parsed.flatMap((p) => (Array.isArray(p) ? p : []));
  if (problems.length > 0) throw new Error(`${path}:\n${problems.join('\n')}`);
  replies = Object.freeze(parsed as ReplyRule[]);
  return replies;
}
