// The mail-client settings as rows of label and value, each in Japanese and
// English: `hikyaku user setup` prints them, the console's setup page shows
// them. One table, so both say the same thing in the same words.
import type { ClientSettings, ServerSetting } from './client-settings.js';

export interface Text {
  readonly en: string;
  readonly ja: string;
}

export interface SetupRow {
  readonly label: Text;
  readonly value: Text;
}

export interface SetupTable {
  readonly title: Text;
  readonly rows: readonly SetupRow[];
  /** Notes under the table (WordPress, the incoming server, problems). */
  readonly notes: readonly Text[];
}

const same = (value: string): Text => ({ en: value, ja: value });

function security(server: ServerSetting): Text {
  return server.socketType === 'SSL'
    ? { en: `${server.port} with SSL/TLS (encrypted from the start)`, ja: `${server.port}、SSL/TLS (接続直後から暗号化)` }
    : { en: `${server.port} with STARTTLS`, ja: `${server.port}、STARTTLS` };
}

export function setupTable(settings: ClientSettings): SetupTable {
  const first = settings.smtp[0];
  const rows: SetupRow[] = [
    { label: { en: 'Outgoing (SMTP) server', ja: '送信 (SMTP) サーバー' }, value: same(first?.host ?? '-') },
    ...settings.smtp.map((server, i) => ({
      label: i === 0 ? { en: 'Port and encryption', ja: 'ポートと暗号化' } : { en: 'or', ja: 'または' },
      value: security(server),
    })),
    { label: { en: 'Authentication', ja: '認証 (SMTP 認証)' }, value: { en: 'on (required), normal password', ja: 'オン (必須)、通常のパスワード' } },
    { label: { en: 'Username', ja: 'ユーザー名' }, value: same(settings.username) },
    { label: { en: 'Password', ja: 'パスワード' }, value: { en: "the user's password or an app password", ja: 'このユーザーのパスワード、またはアプリパスワード' } },
  ];
  if (settings.imap !== undefined) {
    rows.push({ label: { en: 'Incoming (IMAP) server', ja: '受信 (IMAP) サーバー' }, value: { en: `${settings.imap.host}, ${security(settings.imap).en}`, ja: `${settings.imap.host}、${security(settings.imap).ja}` } });
  }
  return { title: { en: `Mail-client settings for ${settings.address}`, ja: `${settings.address} のメールソフト設定` }, rows, notes: notes(settings) };
}

function notes(settings: ClientSettings): Text[] {
  if (settings.smtp.length === 0) {
    return [
      {
        en: 'Neither submission port is enabled, so no mail client can send: set listeners.submission.enabled or listeners.submissions.enabled to true and restart.',
        ja: '送信用のポートがどちらも無効のため、メールソフトから送信できません。listeners.submission.enabled か listeners.submissions.enabled を true にして再起動してください。',
      },
    ];
  }
  const wp = settings.smtp.map((s) => (s.socketType === 'SSL' ? `SSL + ${s.port}` : `TLS + ${s.port}`)).join(' / ');
  const out: Text[] = [
    {
      en: `WordPress (WP Mail SMTP): Mailer "Other SMTP", SMTP Host ${settings.smtp[0]?.host ?? ''}, Encryption and SMTP Port ${wp} ("TLS" there means STARTTLS), Authentication on, with the username and password above.`,
      ja: `WordPress (WP Mail SMTP): メーラーは「その他の SMTP」、SMTP ホストは ${settings.smtp[0]?.host ?? ''}、暗号化と SMTP ポートは ${wp} (そこでの「TLS」は STARTTLS のこと)、認証はオンにして、上のユーザー名とパスワードを入力します。`,
    },
  ];
  if (settings.imap === undefined) {
    out.push({
      en: 'Hikyaku only sends mail: the incoming (IMAP/POP) server is your mailbox provider\'s.',
      ja: 'Hikyaku は送信専用です。受信 (IMAP/POP) サーバーは、お使いのメールボックスのサービスのものを設定してください。',
    });
  }
  return out;
}

/** The table as terminal lines: each label and value in Japanese, then English. */
export function setupLines(table: SetupTable): string[] {
  const labels = table.rows.map((r) => `${r.label.ja} / ${r.label.en}`);
  const width = Math.max(...labels.map(displayWidth));
  const lines = [`${table.title.ja}`, `${table.title.en}`, ''];
  table.rows.forEach((row, i) => {
    const label = labels[i] as string;
    const pad = ' '.repeat(width - displayWidth(label) + 2);
    const value = row.value.ja === row.value.en ? row.value.en : `${row.value.ja} / ${row.value.en}`;
    lines.push(`  ${label}${pad}${value}`);
  });
  lines.push('');
  for (const note of table.notes) lines.push(`- ${note.ja}`, `  ${note.en}`);
  return lines;
}

/** Columns on a terminal: CJK and full-width characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return width;
}
