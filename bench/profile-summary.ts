// Summarise a V8 .cpuprofile (from node --cpu-prof): self time per function,
// and per area (a package in node_modules, a folder of dist/src, Node's
// internals, GC), so that "where does the time go" has numbers.
// Usage: node dist/bench/profile-summary.js FILE.cpuprofile [--top N] [--callers FUNCTION]...
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface SelfTime {
  readonly key: string;
  readonly ms: number;
}

/** Self time (ms) per key, largest first; `keyOf` groups the profile's nodes. */
export function selfTimes(profile: CpuProfile, keyOf: (node: ProfileNode) => string): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  // timeDeltas[i] is the time before sample i; it is charged to sample i, as
  // Chrome DevTools does.
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const key = keyOf(node);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].map(([key, ms]) => ({ key, ms })).sort((a, b) => b.ms - a.ms);
}

/**
 * Self time of the functions named `name`, charged to the nearest caller
 * that is not Node's own code (a frame of this project or of a package), so
 * that "writeBuffer" becomes "who writes".
 */
export function callersOf(profile: CpuProfile, name: string): SelfTime[] {
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  return selfTimes(profile, (node) => {
    if (node.callFrame.functionName !== name) return '';
    let up = parent.get(node.id);
    while (up && !/\/(node_modules|dist)\//.test(up.callFrame.url)) up = parent.get(up.id);
    return up ? functionKey(up) : '(no caller outside Node)';
  }).filter((t) => t.key !== '');
}

export function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ' ' + where : ''}`;
}

export function areaKey(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return `npm:${pkg[1]}`;
  const own = /\/dist\/(src\/[^/]+)/.exec(url);
  if (own?.[1]) return own[1].replace(/\.js$/, '');
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  return shortUrl(url);
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string' }, callers: { type: 'string', multiple: true } },
    allowPositionals: true,
  });
  const top = Number(values.top ?? 25);
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const wallMs = (profile.endTime - profile.startTime) / 1000;
    const byFunction = selfTimes(profile, functionKey);
    const busyMs = byFunction.filter((f) => f.key !== '(idle)').reduce((sum, f) => sum + f.ms, 0);
    process.stdout.write(`\n${file}: ${(wallMs / 1000).toFixed(1)} s profiled, ${(busyMs / 1000).toFixed(2)} s not idle (main thread only)\n`);
    const print = (title: string, list: SelfTime[]): void => {
      process.stdout.write(`\n${title}\n| self ms | % of busy | where |\n|---:|---:|---|\n`);
      for (const { key, ms } of list.filter((f) => f.key !== '(idle)').slice(0, top)) {
        process.stdout.write(`| ${ms.toFixed(0)} | ${((100 * ms) / busyMs).toFixed(1)} | ${key.replace(/\|/g, '\\|')} |\n`);
      }
    };
    print('By area:', selfTimes(profile, areaKey));
    print('By function:', byFunction);
    for (const name of values.callers ?? []) print(`Self time of ${name}, by nearest caller outside Node:`, callersOf(profile, name));
  }
}

main();
