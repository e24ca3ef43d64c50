// The markdown table: one row per measure, one column per scenario (the
// median over repetitions, with min–max when there are several), and the
// ratios to the baseline and of signed to unsigned.
import type { BenchOptions, ScenarioName } from './options.js';
import type { Sample } from './scenario.js';
import { median, minMax } from './stats.js';

interface Row {
  readonly label: string;
  readonly value: (s: Sample) => number;
  readonly digits: number;
}

export function rows(options: BenchOptions): readonly Row[] {
  const mix = `${options.sessions} sessions, ${options.reuse === 1 ? '1 msg/session' : `${options.reuse} msgs/session`}, ${kib(options.messageBytes)} × ${options.messages.toLocaleString('en')}`;
  const k = options.idle.toLocaleString('en');
  return [
    { label: `accept msg/s (${mix})`, value: (s) => s.acceptPerSec, digits: 0 },
    { label: 'end-to-end msg/s (until the sink counted all), same', value: (s) => s.endToEndPerSec, digits: 0 },
    { label: 'CPU s per 10k msgs, server process (utime+stime), same', value: (s) => s.cpuPer10k, digits: 2 },
    { label: 'of which main thread (event loop), same', value: (s) => s.mainThreadCpuPer10k, digits: 2 },
    { label: `session latency p50 ms (connect … QUIT reply), ${options.serial} serial`, value: (s) => s.sessionP50Ms, digits: 2 },
    { label: 'session latency p99 ms', value: (s) => s.sessionP99Ms, digits: 2 },
    { label: 'final dot → 250 p50 ms', value: (s) => s.dotP50Ms, digits: 2 },
    { label: 'final dot → 250 p99 ms', value: (s) => s.dotP99Ms, digits: 2 },
    { label: 'PSS MiB, idle just after start', value: (s) => s.idle.pssKiB / 1024, digits: 1 },
    { label: 'RSS MiB, same', value: (s) => s.idle.rssKiB / 1024, digits: 1 },
    { label: `PSS MiB, ${k} idle connections after EHLO`, value: (s) => s.withIdleConnections.pssKiB / 1024, digits: 1 },
    { label: 'RSS MiB, same', value: (s) => s.withIdleConnections.rssKiB / 1024, digits: 1 },
    { label: 'PSS KiB per idle connection', value: (s) => s.pssKiBPerConnection, digits: 1 },
    { label: 'context: load client CPU s per 10k msgs', value: (s) => s.clientCpuPer10k, digits: 2 },
    { label: 'context: count sink CPU s per 10k msgs (as next hop)', value: (s) => s.sinkCpuPer10k, digits: 2 },
  ];
}

export interface Summary {
  readonly label: string;
  readonly medians: Partial<Record<ScenarioName, number>>;
  readonly ranges: Partial<Record<ScenarioName, [number, number]>>;
}

export function summarise(options: BenchOptions, samples: readonly Sample[]): Summary[] {
  return rows(options).map((row) => {
    const medians: Partial<Record<ScenarioName, number>> = {};
    const ranges: Partial<Record<ScenarioName, [number, number]>> = {};
    for (const scenario of options.scenarios) {
      const values = samples.filter((s) => s.scenario === scenario).map(row.value);
      medians[scenario] = median(values);
      ranges[scenario] = minMax(values);
    }
    return { label: row.label, medians, ranges };
  });
}

export function markdownTable(options: BenchOptions, summaries: readonly Summary[]): string {
  const has = (s: ScenarioName): boolean => options.scenarios.includes(s);
  const head = ['measure'];
  if (has('baseline')) head.push('baseline (sink)');
  if (has('hikyaku')) head.push('hikyaku', ...(has('baseline') ? ['÷ baseline'] : []));
  if (has('hikyaku-dkim')) head.push('hikyaku-dkim', ...(has('baseline') ? ['÷ baseline'] : []));
  if (has('hikyaku') && has('hikyaku-dkim')) head.push('dkim ÷ unsigned');
  if (has('hikyaku-mx')) head.push('hikyaku-mx');
  if (has('hikyaku-mx-shaped')) head.push('hikyaku-mx-shaped');
  if (has('hikyaku-mx') && has('hikyaku-mx-shaped')) head.push('shaped ÷ mx');
  if (has('hikyaku-pg')) head.push('hikyaku-pg', ...(has('hikyaku') ? ['pg ÷ sqlite'] : []));
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  const digitsOf = new Map(rows(options).map((r) => [r.label, r.digits]));
  for (const s of summaries) {
    const digits = digitsOf.get(s.label) ?? 2;
    const cell = (name: ScenarioName): string => figure(s.medians[name], s.ranges[name], digits, options.reps > 1);
    const base = s.medians.baseline;
    const cells = [s.label];
    if (has('baseline')) cells.push(cell('baseline'));
    if (has('hikyaku')) cells.push(cell('hikyaku'), ...(has('baseline') ? [ratio(s.medians.hikyaku, base)] : []));
    if (has('hikyaku-dkim')) cells.push(cell('hikyaku-dkim'), ...(has('baseline') ? [ratio(s.medians['hikyaku-dkim'], base)] : []));
    if (has('hikyaku') && has('hikyaku-dkim')) cells.push(ratio(s.medians['hikyaku-dkim'], s.medians.hikyaku));
    if (has('hikyaku-mx')) cells.push(cell('hikyaku-mx'));
    if (has('hikyaku-mx-shaped')) cells.push(cell('hikyaku-mx-shaped'));
    if (has('hikyaku-mx') && has('hikyaku-mx-shaped')) cells.push(ratio(s.medians['hikyaku-mx-shaped'], s.medians['hikyaku-mx']));
    if (has('hikyaku-pg')) cells.push(cell('hikyaku-pg'), ...(has('hikyaku') ? [ratio(s.medians['hikyaku-pg'], s.medians.hikyaku)] : []));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function figure(value: number | undefined, range: [number, number] | undefined, digits: number, showRange: boolean): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  const text = format(value, digits);
  if (!showRange || !range || range[0] === range[1]) return text;
  return `${text} (${format(range[0], digits)}–${format(range[1], digits)})`;
}

function ratio(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || !Number.isFinite(value) || !Number.isFinite(base) || base === 0) return 'n/a';
  const r = value / base;
  return r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toFixed(3);
}

function format(value: number, digits: number): string {
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function kib(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}
