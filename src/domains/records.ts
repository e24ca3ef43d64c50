// The DNS records a sending domain needs, with a note in Japanese and
// English for each: DKIM keys (RFC 6376 §3.6, RFC 8463), SPF (RFC 7208),
// DMARC (RFC 7489) and reverse DNS. Pure: the CLI prints these and the
// doctor compares them with what is published.
import net from 'node:net';
import { isSameOrSubdomain } from './domain-name.js';
import { outboundAddresses } from './outbound-addresses.js';
import { reverseDnsName } from './reverse-dns-name.js';
import { guessSpfInclude } from './spf-include.js';
import type { DkimKey, SendingDomain } from './types.js';

export interface LocalizedText {
  readonly en: string;
  readonly ja: string;
}

export interface DnsRecord {
  /** Fully qualified owner name, without trailing dot. */
  readonly name: string;
  readonly type: 'TXT' | 'PTR' | 'MX' | 'A' | 'AAAA';
  /** The record data as one unbroken string, for DNS web forms. */
  readonly value: string;
  /** The record as one zone-file line (TXT data as quoted ≤255-byte strings). */
  readonly zoneLine: string;
  /** 'ptr' also covers the hostname's A/AAAA record that confirms the PTR. */
  readonly purpose: 'dkim' | 'spf' | 'dmarc' | 'ptr';
  readonly note: LocalizedText;
}

export interface RecordContext {
  readonly hostname: string;
  readonly outboundAddresses: readonly string[];
  readonly smarthost: { readonly host: string } | undefined;
  readonly nowMs: number;
}

const TTL = 3600;

/** The TXT value of a DKIM key record (RFC 6376 §3.6.1; k=ed25519 from RFC 8463 §4.2). */
export function dkimRecordValue(key: DkimKey): string {
  const k = key.algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa';
  return `v=DKIM1; k=${k}; p=${key.publicKeyBase64}`;
}

export function dkimRecordName(domain: string, selector: string): string {
  return `${selector}._domainkey.${domain}`;
}

/**
 * TXT data for a zone file: quoted <character-string>s of at most 255 bytes
 * each (RFC 1035 §3.3.14); resolvers hand the strings back concatenated, and
 * DKIM verifiers join them without separators (RFC 6376 §3.6.2.2).
 */
export function splitTxtForZone(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  const parts: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + 255, bytes.length);
    // Never split inside a UTF-8 sequence (continuation bytes are 10xxxxxx).
    while (end < bytes.length && end > start && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
  }
  if (parts.length === 0) parts.push('');
  return parts.map((p) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(' ');
}

export function recordsToPublish(domain: SendingDomain, context: RecordContext): DnsRecord[] {
  return [
    ...dkimRecords(domain, context.nowMs),
    ...spfRecords(domain, context),
    dmarcRecord(domain.name),
    ...reverseDnsRecords(context),
  ];
}

function txt(name: string, value: string, purpose: DnsRecord['purpose'], note: LocalizedText): DnsRecord {
  return { name, type: 'TXT', value, zoneLine: `${name}. ${TTL} IN TXT ${splitTxtForZone(value)}`, purpose, note };
}

function dkimRecords(domain: SendingDomain, nowMs: number): DnsRecord[] {
  // Active keys first: those are the ones to publish before anything is signed; then pending ones (publish next).
  const keys = (['active', 'pending', 'retiring'] as const).flatMap((state) => domain.keys.filter((k) => k.state === state));
  return keys.map((key) => {
    const name = dkimRecordName(domain.name, key.selector);
    const relative = `${key.selector}._domainkey`;
    const kind = key.algorithm === 'ed25519-sha256' ? 'Ed25519' : 'RSA 2048';
    const howTo: LocalizedText = {
      en: `In a DNS web form that appends the domain itself, enter the name as "${relative}" and paste the value as one line; if the form refuses long values, enter the quoted strings of the zone-file line.`,
      ja: `ドメイン名を自動で付け足す DNS 管理画面では、名前に「${relative}」と入力し、値は 1 行のまま貼り付けてください。長い値を受け付けない画面では、ゾーンファイル形式の引用符で区切られた文字列を入力してください。`,
    };
    const ed: LocalizedText =
      key.algorithm === 'ed25519-sha256'
        ? {
            en: ' Ed25519 (RFC 8463) signs alongside RSA; receivers that do not know Ed25519 check the RSA signature.',
            ja: 'Ed25519 (RFC 8463) は RSA と並べて署名します。Ed25519 に対応しない受信側は RSA の署名を検証します。',
          }
        : { en: '', ja: '' };
    let state: LocalizedText;
    if (key.state === 'active') {
      state = {
        en: `DKIM public key, selector ${key.selector} (${kind}). Publish it before sending: mail is signed with this key.${ed.en}`,
        ja: `DKIM 公開鍵 (セレクタ ${key.selector}、${kind})。送信を始める前に公開してください。メールはこの鍵で署名されます。${ed.ja}`,
      };
    } else if (key.state === 'pending') {
      state = {
        en: `NEW DKIM public key, selector ${key.selector} (${kind}), pending: publish it now. Mail is still signed with the current key; this one signs only after "hikyaku domain activate-key ${domain.name}" has found it published (or the running server does so by itself).${ed.en}`,
        ja: `新しい DKIM 公開鍵 (セレクタ ${key.selector}、${kind}、有効化待ち)。今すぐ公開してください。メールは引き続き現在の鍵で署名します。この鍵は「hikyaku domain activate-key ${domain.name}」が公開を確認した後 (または起動中のサーバーが自動で確認した後) に署名に使われます。${ed.ja}`,
      };
    } else if (key.retireUntilMs !== undefined && key.retireUntilMs <= nowMs) {
      state = {
        en: `Rotated-out DKIM key, selector ${key.selector}: no longer used since the overlap ended on ${formatDate(key.retireUntilMs)}. Remove this record, and the key with "hikyaku domain retire-key ${domain.name} ${key.selector}".`,
        ja: `ローテーション済みの DKIM 鍵 (セレクタ ${key.selector})。猶予期間は ${formatDate(key.retireUntilMs)} に終わりました。このレコードを削除し、「hikyaku domain retire-key ${domain.name} ${key.selector}」で鍵も削除してください。`,
      };
    } else {
      const until = key.retireUntilMs === undefined ? '' : formatDate(key.retireUntilMs);
      state = {
        en: `Rotated-out DKIM key, selector ${key.selector}: it no longer signs, but keep it published until ${until} so that mail signed before the rotation still verifies; remove it after that.`,
        ja: `ローテーション済みの DKIM 鍵 (セレクタ ${key.selector})。もう署名には使いませんが、ローテーション前に署名したメールが検証できるよう ${until} までは公開したままにし、その後に削除してください。`,
      };
    }
    return txt(name, dkimRecordValue(key), 'dkim', { en: `${state.en} ${howTo.en}`, ja: `${state.ja}${howTo.ja}` });
  });
}

interface SpfParts {
  readonly mechanisms: readonly string[];
  readonly notes: readonly LocalizedText[];
}

function spfMechanisms(context: RecordContext): SpfParts {
  const found = outboundAddresses(context.outboundAddresses);
  const mechanisms: string[] = [];
  const notes: LocalizedText[] = [];
  for (const ip of found.addresses) {
    if (net.isIPv4(ip)) mechanisms.push(`ip4:${ip}`);
    else if (net.isIPv6(ip)) mechanisms.push(`ip6:${ip}`);
  }
  if (found.detected) {
    notes.push({
      en: `The addresses come from this machine's network interfaces because outboundAddresses is empty in the configuration: check that they are the public addresses mail leaves from (behind NAT they are not) and set outboundAddresses if not.`,
      ja: `設定の outboundAddresses が空のため、アドレスはこのマシンのネットワークインターフェースから取りました。メールが実際に出ていく公開アドレスか確認し (NAT の内側では異なります)、違う場合は outboundAddresses を設定してください。`,
    });
    if (found.skipped.length > 0) {
      notes.push({
        en: `Left out as not public: ${found.skipped.join(', ')}.`,
        ja: `公開アドレスではないため除外: ${found.skipped.join(', ')}。`,
      });
    }
  }
  if (mechanisms.length === 0 && !context.smarthost) {
    mechanisms.push(`a:${context.hostname}`);
    notes.push({
      en: `No public sending address is known, so a:${context.hostname} authorizes whatever ${context.hostname} resolves to. Set outboundAddresses in the configuration for an exact record.`,
      ja: `送信元の公開アドレスが分からないため、a:${context.hostname} で ${context.hostname} のアドレスを許可しています。正確なレコードにするには設定の outboundAddresses を指定してください。`,
    });
  }
  if (context.smarthost) {
    const guess = guessSpfInclude(context.smarthost.host);
    if (guess) {
      mechanisms.push(`include:${guess.include}`);
      notes.push(
        guess.known
          ? {
              en: `Mail relayed through the smarthost ${context.smarthost.host} leaves from the provider's servers: include:${guess.include} is what that provider documents; check their current documentation.`,
              ja: `スマートホスト ${context.smarthost.host} 経由のメールは事業者のサーバーから送られます。include:${guess.include} はその事業者が案内している値です。最新の案内も確認してください。`,
            }
          : {
              en: `Mail relayed through the smarthost ${context.smarthost.host} leaves from the provider's servers. include:${guess.include} is only a guess from the host name: use the include your provider documents.`,
              ja: `スマートホスト ${context.smarthost.host} 経由のメールは事業者のサーバーから送られます。include:${guess.include} はホスト名から推測した値にすぎません。事業者が案内している include を使ってください。`,
            },
      );
    } else {
      notes.push({
        en: `The smarthost ${context.smarthost.host} is an IP address: add the SPF mechanism your provider documents (usually an include:).`,
        ja: `スマートホスト ${context.smarthost.host} は IP アドレスです。事業者が案内する SPF の記述 (通常は include:) を追加してください。`,
      });
    }
  }
  return { mechanisms, notes };
}

function spfRecords(domain: SendingDomain, context: RecordContext): DnsRecord[] {
  const { mechanisms, notes } = spfMechanisms(context);
  // ~all (softfail) is the safe start: a forgotten sender is marked, not rejected.
  const value = ['v=spf1', ...mechanisms, '~all'].join(' ');
  const common: LocalizedText = {
    en: `A name may have only ONE SPF record (RFC 7208 §3.2): if one already exists (it starts with "v=spf1"), add these mechanisms to it instead of creating a second. ~all (soft fail) is the safe start; change it to -all once every server that sends for this domain is listed. Keep the whole record within 10 DNS lookups (RFC 7208 §4.6.4).`,
    ja: `1 つの名前に置ける SPF レコードは 1 つだけです (RFC 7208 §3.2)。既に「v=spf1」で始まるレコードがある場合は、2 つ目を作らずにこれらの記述をそこへ追加してください。~all (ソフトフェイル) は安全な出発点です。このドメインで送信するサーバーをすべて列挙できたら -all に変更してください。DNS 参照は 10 回以内に収めてください (RFC 7208 §4.6.4)。`,
  };
  const extra: LocalizedText = { en: notes.map((n) => ` ${n.en}`).join(''), ja: notes.map((n) => n.ja).join('') };
  const records: DnsRecord[] = [
    txt(domain.name, value, 'spf', {
      en: `SPF for ${domain.name}: the addresses allowed to send mail from this domain. ${common.en}${extra.en}`,
      ja: `${domain.name} の SPF: このドメインのメールを送信してよいアドレスです。${common.ja}${extra.ja}`,
    }),
  ];
  const rp = domain.returnPathDomain;
  if (rp !== undefined && rp !== domain.name) {
    const aligned = isSameOrSubdomain(rp, domain.name);
    records.push(
      txt(rp, value, 'spf', {
        en: `SPF for the return-path domain ${rp}: receivers check SPF against the envelope sender (MAIL FROM), which is in ${rp} for this domain's mail.${aligned ? '' : ` ${rp} is not within ${domain.name}, so SPF will not align for DMARC; DKIM alone must pass.`} ${common.en}`,
        ja: `リターンパス用ドメイン ${rp} の SPF: 受信側は SPF をエンベロープ送信者 (MAIL FROM) のドメインで確認します。このドメインのメールでは ${rp} です。${aligned ? '' : `${rp} は ${domain.name} の配下ではないため、DMARC の SPF 整合は取れません (DKIM だけで合格する必要があります)。`}${common.ja}`,
      }),
    );
  }
  if (context.hostname.includes('.') && context.hostname !== domain.name && context.hostname !== rp) {
    records.push(
      txt(context.hostname, value, 'spf', {
        en: `SPF for this server's own name ${context.hostname}: it is checked for bounces and other mail with an empty envelope sender (RFC 7208 §2.3). Publish it in the zone that holds ${context.hostname}. ${common.en}`,
        ja: `このサーバー自身の名前 ${context.hostname} の SPF: 空のエンベロープ送信者で送るエラー通知などで確認されます (RFC 7208 §2.3)。${context.hostname} を管理するゾーンに公開してください。${common.ja}`,
      }),
    );
  }
  return records;
}

function dmarcRecord(domain: string): DnsRecord {
  const value = `v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}; adkim=r; aspf=r`;
  return txt(`_dmarc.${domain}`, value, 'dmarc', {
    en: `DMARC (RFC 7489). p=none only collects reports, sent to dmarc-reports@${domain}: that mailbox must exist and receive mail somewhere (this server only sends). When a few weeks of reports show your own mail passing aligned SPF or DKIM, raise the policy to p=quarantine, then to p=reject. Only one DMARC record may exist at _dmarc.${domain}: if there is one already, change it rather than adding another.`,
    ja: `DMARC (RFC 7489)。p=none はレポートを集めるだけで、レポートは dmarc-reports@${domain} に届きます。このメールボックスはどこかで実際に受信できる必要があります (このサーバーは送信専用です)。数週間のレポートで自分のメールが SPF か DKIM で整合して合格していると確認できたら、ポリシーを p=quarantine に、その後 p=reject に上げてください。_dmarc.${domain} に置ける DMARC レコードは 1 つだけです。既にある場合は追加せずに書き換えてください。`,
  });
}

function reverseDnsRecords(context: RecordContext): DnsRecord[] {
  const { addresses } = outboundAddresses(context.outboundAddresses);
  const host = context.hostname.replace(/\.$/, '');
  const fqdnWarning: LocalizedText = host.includes('.')
    ? { en: '', ja: '' }
    : {
        en: ` The configured hostname "${host}" is not a fully qualified domain name: set hostname in the configuration to the server's public name first.`,
        ja: ` 設定の hostname「${host}」は完全修飾ドメイン名ではありません。先に hostname をサーバーの公開名に設定してください。`,
      };
  const records: DnsRecord[] = [];
  for (const ip of addresses) {
    if (net.isIP(ip) === 0) continue;
    const name = reverseDnsName(ip);
    records.push({
      name,
      type: 'PTR',
      value: `${host}.`,
      zoneLine: `${name}. ${TTL} IN PTR ${host}.`,
      purpose: 'ptr',
      note: {
        en: `Reverse DNS for ${ip}: the PTR must name ${host}. It is set at the provider of the IP address (the VPS or hosting control panel, or ask the provider), not in your domain's zone. Many receivers refuse mail from an address without a matching PTR.${fqdnWarning.en}`,
        ja: `${ip} の逆引き: PTR は ${host} を指す必要があります。これはドメインのゾーンではなく、IP アドレスの提供元 (VPS やホスティングの管理画面、または事業者への依頼) で設定します。PTR が一致しないアドレスからのメールは多くの受信側で拒否されます。${fqdnWarning.ja}`,
      },
    });
    const type = net.isIPv4(ip) ? 'A' : 'AAAA';
    records.push({
      name: host,
      type,
      value: ip,
      zoneLine: `${host}. ${TTL} IN ${type} ${ip}`,
      purpose: 'ptr',
      note: {
        en: `${host} must resolve back to ${ip}, so that the PTR is forward-confirmed (receivers check both directions). Publish it in the zone that holds ${host}.`,
        ja: `PTR が正引きでも確認できるよう、${host} は ${ip} を返す必要があります (受信側は双方向を確認します)。${host} を管理するゾーンに公開してください。`,
      },
    });
  }
  return records;
}

/** "2026-11-30 12:00 UTC": unambiguous in both languages. */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}
