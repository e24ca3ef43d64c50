// Whether a status report calls for attention, and the exit status that says
// so to a monitoring system. The codes are those of Nagios/Icinga plugins, so
// `hikyaku status` can be used as one as it is:
//   0 ok · 1 warning (attention soon) · 2 critical (mail is failing now) ·
//   3 unknown (the server is not running or does not answer; status-command.ts).
// Pure: the thresholds come from the configuration (status.*).
import type { StatusConfig } from '../config/types.js';
import type { StatusReport } from './status-report.js';

/** Text in both languages (the CLI picks one: cli/language.ts). */
export interface Bilingual {
  readonly en: string;
  readonly ja: string;
}

export type AttentionLevel = 'ok' | 'warning' | 'critical';

export interface Reason extends Bilingual {
  readonly id: string;
  readonly level: Exclude<AttentionLevel, 'ok'>;
}

export interface Assessment {
  readonly level: AttentionLevel;
  readonly exitCode: 0 | 1 | 2;
  readonly reasons: readonly Reason[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** As the doctor and the certificate loader: 14 days before expiry. */
const CERT_WARN_MS = 14 * DAY_MS;
/** A pending DKIM key this old: its DNS record was probably never published. */
const PENDING_KEY_WARN_MS = 7 * DAY_MS;
/** Failures this many, and more than the deliveries, in the hour: attention. */
const FAILURES_WARN = 5;

export function assessStatus(report: StatusReport, thresholds: StatusConfig): Assessment {
  const now = report.nowMs;
  const reasons: Reason[] = [];
  const add = (id: string, level: Reason['level'], en: string, ja: string): void => void reasons.push({ id, level, en, ja });

  const cert = report.certificate;
  if (cert !== null && !cert.generated) {
    const days = Math.floor((cert.notAfterMs - now) / DAY_MS);
    const date = new Date(cert.notAfterMs).toISOString();
    if (cert.notAfterMs <= now) add('certificate.expired', 'critical', `the TLS certificate expired on ${date}: renew it (certbot renew), then systemctl reload hikyaku`, `TLS 証明書の有効期限が ${date} に切れています。更新 (certbot renew) して systemctl reload hikyaku を実行してください`);
    else if (cert.notAfterMs - now < CERT_WARN_MS) add('certificate.expiring', 'warning', `the TLS certificate expires in ${days} days (${date}): is renewal working?`, `TLS 証明書はあと ${days} 日で期限切れです (${date})。自動更新は動いていますか?`);
  }

  const oldest = report.queue.oldestCreatedAtMs;
  if (oldest !== null) {
    const age = now - oldest;
    const text = formatAge(age);
    if (age > thresholds.queueAgeCriticalMs) add('queue.stuck', 'critical', `the oldest queued message is ${text.en} old: the queue is stuck (hikyaku queue list; hikyaku history ID tells why)`, `キューで最も古いメールは ${text.ja}前のものです。キューが停滞しています (hikyaku queue list、理由は hikyaku history ID)`);
    else if (age > thresholds.queueAgeWarningMs) add('queue.old', 'warning', `the oldest queued message is ${text.en} old (hikyaku queue list)`, `キューで最も古いメールは ${text.ja}前のものです (hikyaku queue list)`);
  }

  const d = report.deliveries;
  const failures = d.deferred + d.bounced;
  if (failures >= FAILURES_WARN && failures > d.delivered) add('deliveries.failing', 'warning', `more delivery attempts failed (${failures}) than succeeded (${d.delivered}) in the last hour`, `直近 1 時間の配信で失敗 (${failures} 件) が成功 (${d.delivered} 件) を上回っています`);

  for (const k of report.dkimKeys) {
    if (k.state === 'pending' && now - k.createdAtMs > PENDING_KEY_WARN_MS) add('dkim.pending', 'warning', `DKIM key ${k.selector} of ${k.domain} has been pending for more than 7 days: publish its record (hikyaku domain show ${k.domain})`, `${k.domain} の DKIM 鍵 ${k.selector} は 7 日以上有効化待ちです。レコードを公開してください (hikyaku domain show ${k.domain})`);
    if (k.state === 'retiring' && k.retireUntilMs !== null && k.retireUntilMs < now) add('dkim.retired', 'warning', `DKIM key ${k.selector} of ${k.domain} may now be removed: hikyaku domain retire-key ${k.domain} ${k.selector}, then remove its DNS record`, `${k.domain} の DKIM 鍵 ${k.selector} は削除できます: hikyaku domain retire-key ${k.domain} ${k.selector} の後、DNS レコードを削除してください`);
  }

  const recent = report.lastErrors.filter((e) => now - e.atMs < HOUR_MS);
  if (recent.length > 0) {
    const last = recent[0] as StatusReport['lastErrors'][number];
    add('log.errors', 'warning', `the server logged errors in the last hour, the last: "${last.msg}" (journalctl -u hikyaku -p err)`, `直近 1 時間にサーバーがエラーを記録しました。最新: "${last.msg}" (journalctl -u hikyaku -p err)`);
  }

  const doctor = report.doctor;
  if (doctor !== null && doctor.errors > 0) add('doctor.errors', 'warning', `the doctor found ${doctor.errors} error(s) at its last run: hikyaku doctor`, `前回の doctor で ${doctor.errors} 件のエラーが見つかりました: hikyaku doctor`);
  if (doctor !== null && report.doctorIntervalMs !== null && now - doctor.checkedAtMs > 2 * report.doctorIntervalMs + 120_000) add('doctor.stale', 'warning', `the doctor's last result is from ${new Date(doctor.checkedAtMs).toISOString()}: its periodic run is failing (see the log)`, `doctor の最新の結果が ${new Date(doctor.checkedAtMs).toISOString()} のものです。定期実行が失敗しています (ログを確認してください)`);

  const level: AttentionLevel = reasons.some((r) => r.level === 'critical') ? 'critical' : reasons.length > 0 ? 'warning' : 'ok';
  reasons.sort((a, b) => (a.level === b.level ? 0 : a.level === 'critical' ? -1 : 1));
  return { level, exitCode: level === 'critical' ? 2 : level === 'warning' ? 1 : 0, reasons };
}

export function formatAge(ms: number): Bilingual {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return { en: `${minutes} min`, ja: `${minutes} 分` };
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return { en: `${hours} h ${minutes % 60} min`, ja: `${hours} 時間 ${minutes % 60} 分` };
  return { en: `${Math.floor(hours / 24)} days`, ja: `${Math.floor(hours / 24)} 日` };
}
