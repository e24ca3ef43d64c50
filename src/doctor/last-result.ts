// The doctor's last result, kept in <dataDir>/doctor-last.json by the running
// server's periodic run (doctor.interval) so that `hikyaku status` can report
// it without making dozens of DNS queries itself, and so that a restart does
// not run the checks again before they are due.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../domains/private-file.js';
import type { CheckStatus, Finding, Text } from './types.js';

export const LAST_RESULT_FILE = 'doctor-last.json';

export interface DoctorProblem {
  readonly id: string;
  readonly status: CheckStatus;
  readonly subject: string | undefined;
  readonly title: Text;
}

export interface DoctorLastResult {
  readonly checkedAtMs: number;
  readonly errors: number;
  readonly warnings: number;
  /** Errors first, then warnings. */
  readonly problems: readonly DoctorProblem[];
}

export function summarizeFindings(checkedAtMs: number, findings: readonly Finding[]): DoctorLastResult {
  const problems = findings
    .filter((f) => f.status === 'error' || f.status === 'warning')
    .sort((a, b) => (a.status === b.status ? 0 : a.status === 'error' ? -1 : 1))
    .map((f) => ({ id: f.id, status: f.status, subject: f.subject, title: f.title }));
  return {
    checkedAtMs,
    errors: problems.filter((p) => p.status === 'error').length,
    warnings: problems.filter((p) => p.status === 'warning').length,
    problems,
  };
}

export function writeLastResult(dataDir: string, result: DoctorLastResult): void {
  writePrivateFile(join(dataDir, LAST_RESULT_FILE), JSON.stringify(result, null, 2) + '\n');
}

/** undefined when the doctor has not run yet (or the file cannot be read). */
export function readLastResult(dataDir: string): DoctorLastResult | undefined {
  const file = join(dataDir, LAST_RESULT_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as DoctorLastResult;
    return typeof parsed.checkedAtMs === 'number' && Array.isArray(parsed.problems) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
