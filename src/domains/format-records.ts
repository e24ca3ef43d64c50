// Human-readable listing of DNS records, grouped by purpose, in one language:
// what `hikyaku domain add/show/rotate-key` print for the user to paste.
import type { DnsRecord } from './records.js';

type Lang = 'ja' | 'en';

const headings: Record<DnsRecord['purpose'], Record<Lang, string>> = {
  dkim: { en: 'DKIM — public keys for the signatures', ja: 'DKIM — 署名の公開鍵' },
  spf: { en: 'SPF — servers allowed to send', ja: 'SPF — 送信を許可するサーバー' },
  dmarc: { en: 'DMARC — policy and reports', ja: 'DMARC — ポリシーとレポート' },
  ptr: { en: "Reverse DNS (PTR) — the server's name", ja: '逆引き (PTR) — サーバーの名前' },
};

const labels = {
  value: { en: 'value (web form, one line):', ja: '値 (管理画面用、1 行):' },
  zone: { en: 'zone file:', ja: 'ゾーンファイル形式:' },
} as const;

const ORDER: readonly DnsRecord['purpose'][] = ['dkim', 'spf', 'dmarc', 'ptr'];

/** One record: type and name, both forms of the value, then the note. */
export function formatRecord(record: DnsRecord, lang: Lang, indent = '  '): string[] {
  return [
    `${indent}${record.type.padEnd(4)} ${record.name}`,
    `${indent}  ${labels.value[lang]}`,
    `${indent}    ${record.value}`,
    `${indent}  ${labels.zone[lang]}`,
    `${indent}    ${record.zoneLine}`,
    `${indent}  ${record.note[lang]}`,
  ];
}

/** Records grouped under a heading per purpose, with a blank line between records. */
export function formatRecords(records: readonly DnsRecord[], lang: Lang): string[] {
  const out: string[] = [];
  for (const purpose of ORDER) {
    const group = records.filter((r) => r.purpose === purpose);
    if (group.length === 0) continue;
    out.push('', `■ ${headings[purpose][lang]}`);
    for (const record of group) out.push('', ...formatRecord(record, lang));
  }
  return out;
}
