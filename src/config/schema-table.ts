// The configuration schema table: the ONE place that says, for every setting, its
// key in the YAML file, the `Config` field it fills, its kind (validation and
// conversion), its default and its description in English and Japanese.
// The parser, the reference documentation (docs/configuration.md) and the
// example file written by `hikyaku init` are all generated from this table.
//
// Key mapping (types.ts → YAML): keys are the `Config` field names, nested
// the same way, except that a duration field drops its `Ms` suffix
// (`connectTimeoutMs` → `connectTimeout: 30s`) and the size field
// `maxMessageBytes` is written `maxMessageSize: 35MiB`.
import { hostname as osHostname } from 'node:os';
import { defaultRetrySchedule } from '../core/retry.js';
import type { Config } from './types.js';
import { policyEntries, policySections } from './schema-policy.js';
import { secureTransportEntries, secureTransportSections } from './schema-secure-transport.js';
import { deliverabilityEntries, deliverabilitySections } from './schema-deliverability.js';
import {
  booleanKind,
  cidrKind,
  domainNameKind,
  durationKind,
  durationOrOffKind,
  enumKind,
  hostKind,
  httpsUrlKind,
  integerKind,
  ipAddressKind,
  listKind,
  pathKind,
  portKind,
  readableFileKind,
  resolverKind,
  secretFileKind,
  secretKind,
  sizeKind,
  stringKind,
  type Kind,
  type ParseContext,
} from './kinds.js';

export interface Text {
  readonly en: string;
  readonly ja: string;
}

/** Dotted paths of every leaf of `Config` (lists and scalars), e.g. "delivery.smarthost.port". */
export type ConfigLeafPath = LeafPaths<Config>;
type LeafPaths<T, P extends string = ''> = {
  [K in keyof T & string]-?: NonNullable<T[K]> extends readonly unknown[] | string | number | boolean
    ? `${P}${K}`
    : LeafPaths<NonNullable<T[K]>, `${P}${K}.`>;
}[keyof T & string];

export interface SchemaEntry {
  /** Dotted key in the YAML file. */
  readonly key: string;
  /** The `Config` field it fills. */
  readonly target: ConfigLeafPath;
  readonly kind: Kind;
  /**
   * The default, written as in the YAML file and parsed through `kind` like a
   * user's value (so defaults are validated and documented in one form).
   * Absent: the field is undefined unless set (or `required`).
   */
  readonly default?: unknown;
  /** A default computed at load time (e.g. this machine's host name). */
  readonly dynamicDefault?: { readonly value: (ctx: ParseContext) => unknown; readonly text: Text };
  /** Must be set whenever its (optional) section is present. */
  readonly required?: boolean;
  /** Example value shown (commented out) in the example file when there is no default. */
  readonly example?: unknown;
  readonly secret?: boolean;
  readonly description: Text;
}

export interface SchemaSection {
  readonly key: string;
  /** An optional section is undefined in `Config` unless it appears in the file. */
  readonly optional: boolean;
  readonly description: Text;
}

export const sections: readonly SchemaSection[] = [
  { key: 'listeners', optional: false, description: { en: 'Where clients connect.', ja: 'クライアントの接続を受け付ける場所。' } },
  {
    key: 'listeners.submission',
    optional: false,
    description: { en: 'Port 587: STARTTLS, authentication required (RFC 6409).', ja: '587 番ポート: STARTTLS、認証必須 (RFC 6409)。' },
  },
  {
    key: 'listeners.submissions',
    optional: false,
    description: { en: 'Port 465: implicit TLS, authentication required (RFC 8314).', ja: '465 番ポート: 接続直後から TLS、認証必須 (RFC 8314)。' },
  },
  {
    key: 'listeners.relay',
    optional: false,
    description: {
      en: 'Port 25: relay without authentication, for trusted networks only (e.g. applications on this host).',
      ja: '25 番ポート: 信頼するネットワーク (同じホストのアプリなど) からのみ、認証なしで中継。',
    },
  },
  {
    key: 'listeners.http',
    optional: false,
    description: {
      en: 'The HTTP API (POST /api/v1/messages, API keys from `hikyaku apikey create`). Plain HTTP on a loopback address; on any other address HTTPS with the server certificate (tls).',
      ja: 'HTTP API (POST /api/v1/messages、API キーは `hikyaku apikey create` で作成)。ループバックアドレスでは HTTP、それ以外のアドレスではサーバー証明書 (tls) を使った HTTPS。',
    },
  },
  { key: 'tls', optional: false, description: { en: 'Server certificate for the listeners.', ja: '受付ポートで使うサーバー証明書。' } },
  { key: 'limits', optional: false, description: { en: 'Limits on what clients may send.', ja: 'クライアントから受け取るものの上限。' } },
  { key: 'delivery', optional: false, description: { en: 'Outbound delivery to other servers.', ja: '他のサーバーへの配送。' } },
  {
    key: 'delivery.smarthost',
    optional: true,
    description: {
      en: 'Send mail through another server (a relay / smarthost) instead of directly to MX hosts. Leave out to deliver directly.',
      ja: 'MX へ直接ではなく、別のサーバー (リレー / スマートホスト) 経由で送信する。省略すると直接配送。',
    },
  },
  { key: 'queue', optional: false, description: { en: 'The mail queue.', ja: 'メールキュー。' } },
  {
    key: 'queue.retry',
    optional: false,
    description: {
      en: 'Retry schedule for temporary failures: the delay starts at initialDelay and doubles up to maxDelay.',
      ja: '一時的な失敗の再試行間隔: initialDelay から始まり、maxDelay まで倍々に伸びる。',
    },
  },
  { key: 'log', optional: false, description: { en: 'Logging.', ja: 'ログ。' } },
  { key: 'domains', optional: false, description: { en: 'Sending domains and their DKIM keys.', ja: '送信ドメインとその DKIM 鍵。' } },
  { key: 'doctor', optional: false, description: { en: 'Checks made by `hikyaku doctor`.', ja: '`hikyaku doctor` が行う検査。' } },
  {
    key: 'metrics',
    optional: false,
    description: {
      en: 'Prometheus metrics at GET /metrics on the HTTP listener (listeners.http; loopback by default).',
      ja: 'HTTP 受付 (listeners.http、既定はループバック) の GET /metrics で Prometheus 形式のメトリクスを提供。',
    },
  },
  {
    key: 'history',
    optional: false,
    description: {
      en: 'The message history (history.db): every message, its delivery attempts and remote replies, for `hikyaku history` and the console.',
      ja: 'メッセージ履歴 (history.db): すべてのメールと配信の試行、相手サーバーの応答を記録し、`hikyaku history` やコンソールで参照する。',
    },
  },
  {
    key: 'bulk',
    optional: false,
    description: {
      en: 'Bulk mail (newsletters, notices to many): the one-click unsubscribe link (RFC 8058) that Gmail and Yahoo require of bulk senders.',
      ja: '一斉配信メール (メールマガジンなど): Gmail と Yahoo が大量送信者に求めるワンクリック配信停止リンク (RFC 8058)。',
    },
  },
  {
    key: 'status',
    optional: false,
    description: { en: 'When `hikyaku status` calls for attention (its exit status, for monitoring).', ja: '`hikyaku status` が対応を促す条件 (監視に使う終了ステータス)。' },
  },
  ...policySections,
  {
    key: 'autoconfig',
    optional: false,
    description: {
      en: 'Mail-client autoconfiguration served on the HTTP listener (Thunderbird autoconfig, Microsoft Autodiscover, Apple .mobileconfig) for the sending domains. See README "Mail-client setup".',
      ja: 'HTTP 受付で提供するメールソフトの自動設定 (Thunderbird autoconfig、Microsoft Autodiscover、Apple .mobileconfig)。送信ドメインのみ。README「メールソフトの設定」を参照。',
    },
  },
  ...secureTransportSections,
  ...deliverabilitySections,
];

const positiveDuration = durationKind(1);
// Port 0 lets the system pick a free port: what tests (and side-by-side
// instances) need; the bound port is logged at start.
const listenPort = integerKind(0, 65535, { en: 'port', ja: 'ポート番号' });
const positiveInteger = integerKind(1);

function listener(name: 'submission' | 'submissions' | 'relay', enabled: boolean, port: number): SchemaEntry[] {
  return [
    {
      key: `listeners.${name}.enabled`,
      target: `listeners.${name}.enabled`,
      kind: booleanKind,
      default: enabled,
      description: { en: 'Listen on this port.', ja: 'このポートで待ち受けるか。' },
    },
    {
      key: `listeners.${name}.host`,
      target: `listeners.${name}.host`,
      kind: hostKind,
      default: '0.0.0.0',
      description: {
        en: 'Local address to listen on: 0.0.0.0 = every IPv4 address, :: = every address.',
        ja: '待ち受けるローカルアドレス: 0.0.0.0 = すべての IPv4 アドレス、:: = すべてのアドレス。',
      },
    },
    {
      key: `listeners.${name}.port`,
      target: `listeners.${name}.port`,
      kind: listenPort,
      default: port,
      description: { en: 'TCP port (0 = any free port, for tests).', ja: 'TCP ポート番号 (0 = 空いている任意のポート、テスト用)。' },
    },
  ];
}

export const entries: readonly SchemaEntry[] = [
  {
    key: 'hostname',
    target: 'hostname',
    kind: domainNameKind,
    dynamicDefault: {
      value: () => osHostname(),
      text: { en: "this machine's host name", ja: 'このマシンのホスト名' },
    },
    example: 'mail.example.com',
    description: {
      en: 'Our fully qualified name: used in the greeting and EHLO, Received headers, Message-IDs and bounces. Should match the PTR record of the outbound addresses.',
      ja: 'このサーバーの完全修飾ドメイン名。挨拶と EHLO、Received ヘッダー、Message-ID、エラー通知に使う。送信元アドレスの逆引き (PTR) と一致させること。',
    },
  },
  {
    key: 'dataDir',
    target: 'dataDir',
    kind: pathKind,
    default: './data',
    description: {
      en: 'Directory for the queue, users, DKIM keys and the generated certificate.',
      ja: 'キュー、ユーザー、DKIM 鍵、自動生成した証明書を置くディレクトリ。',
    },
  },
  {
    key: 'outboundAddresses',
    target: 'outboundAddresses',
    kind: listKind(ipAddressKind),
    default: [],
    description: {
      en: "Public IP addresses this server sends from, for SPF/PTR advice and the doctor. Empty = this machine's non-loopback addresses.",
      ja: 'このサーバーが送信に使う公開 IP アドレス (SPF・PTR の案内と doctor 用)。空 = このマシンのループバック以外のアドレス。',
    },
  },
  ...listener('submission', true, 587),
  ...listener('submissions', true, 465),
  ...listener('relay', false, 25),
  {
    key: 'listeners.relay.trustedNetworks',
    target: 'listeners.relay.trustedNetworks',
    kind: listKind(cidrKind),
    default: ['127.0.0.0/8', '::1/128'],
    description: {
      en: 'Address blocks allowed to relay through port 25 without authentication (Postfix: mynetworks). Never put public networks here: that makes an open relay.',
      ja: '25 番ポートで認証なしに中継を許すアドレス範囲 (Postfix の mynetworks)。公開ネットワークを入れるとオープンリレーになるので厳禁。',
    },
  },
  // The HTTP API: loopback by default, so that only this host's applications reach it until the admin opens it.
  {
    key: 'listeners.http.enabled',
    target: 'listeners.http.enabled',
    kind: booleanKind,
    default: true,
    description: { en: 'Serve the HTTP API.', ja: 'HTTP API を提供するか。' },
  },
  {
    key: 'listeners.http.host',
    target: 'listeners.http.host',
    kind: hostKind,
    default: '127.0.0.1',
    description: {
      en: 'Local address to listen on. A loopback address (127.0.0.1, ::1) serves plain HTTP; any other address serves HTTPS with the server certificate.',
      ja: '待ち受けるローカルアドレス。ループバック (127.0.0.1、::1) では HTTP、それ以外ではサーバー証明書による HTTPS。',
    },
  },
  {
    key: 'listeners.http.port',
    target: 'listeners.http.port',
    kind: listenPort,
    default: 8025,
    description: { en: 'TCP port (0 = any free port, for tests).', ja: 'TCP ポート番号 (0 = 空いている任意のポート、テスト用)。' },
  },
  {
    key: 'tls.certFile',
    target: 'tls.certFile',
    kind: readableFileKind,
    example: '/etc/letsencrypt/live/mail.example.com/fullchain.pem',
    description: {
      en: 'PEM certificate chain (e.g. certbot\'s fullchain.pem). Reloaded automatically when the file changes. Unset together with keyFile: a self-signed certificate is generated in dataDir.',
      ja: 'PEM 形式の証明書チェーン (certbot の fullchain.pem など)。ファイルが変わると自動で再読み込みする。keyFile とともに未設定なら自己署名証明書を dataDir に生成する。',
    },
  },
  {
    key: 'tls.keyFile',
    target: 'tls.keyFile',
    kind: readableFileKind,
    example: '/etc/letsencrypt/live/mail.example.com/privkey.pem',
    description: {
      en: 'PEM private key matching certFile (e.g. certbot\'s privkey.pem).',
      ja: 'certFile に対応する PEM 形式の秘密鍵 (certbot の privkey.pem など)。',
    },
  },
  {
    key: 'tls.minVersion',
    target: 'tls.minVersion',
    kind: enumKind(['TLSv1.2', 'TLSv1.3']),
    default: 'TLSv1.2',
    description: { en: 'Oldest TLS version accepted from clients (RFC 8996 retired older ones).', ja: 'クライアントに許す最も古い TLS バージョン (それより古いものは RFC 8996 で廃止)。' },
  },
  {
    key: 'limits.maxMessageSize',
    target: 'limits.maxMessageBytes',
    kind: sizeKind(1024),
    default: '35MiB',
    description: {
      en: 'Largest message accepted, advertised with the SIZE extension (RFC 1870).',
      ja: '受け付けるメッセージの最大サイズ。SIZE 拡張 (RFC 1870) で通知する。',
    },
  },
  {
    key: 'limits.maxRecipients',
    target: 'limits.maxRecipients',
    kind: positiveInteger,
    default: 100,
    description: { en: 'Most recipients per message.', ja: '1 通あたりの最大宛先数。' },
  },
  {
    key: 'limits.maxConnections',
    target: 'limits.maxConnections',
    kind: positiveInteger,
    default: 1000,
    description: { en: 'Most simultaneous client connections per listener.', ja: '受付ポートごとの最大同時接続数。' },
  },
  {
    key: 'limits.socketTimeout',
    target: 'limits.socketTimeoutMs',
    kind: positiveDuration,
    default: '5m',
    description: {
      en: 'Close an idle client connection after this long (RFC 5321 §4.5.3.2 asks servers to wait at least 5 minutes).',
      ja: '無通信のクライアント接続を切るまでの時間 (RFC 5321 §4.5.3.2 はサーバーに 5 分以上待つよう求める)。',
    },
  },
  {
    key: 'delivery.resolvers',
    target: 'delivery.resolvers',
    kind: listKind(resolverKind),
    default: [],
    description: {
      en: "DNS servers for MX lookups, as ip or ip:port. Empty = the system's resolvers.",
      ja: 'MX 検索に使う DNS サーバー (ip または ip:port)。空 = システムの設定。',
    },
  },
  {
    key: 'delivery.mxPort',
    target: 'delivery.mxPort',
    kind: portKind,
    default: 25,
    description: { en: 'TCP port of remote MX hosts (25 on the Internet; change only for tests).', ja: '配送先 MX の TCP ポート (インターネットでは 25。テスト以外で変えないこと)。' },
  },
  {
    key: 'delivery.tls',
    target: 'delivery.tls',
    kind: enumKind(['none', 'opportunistic', 'required']),
    default: 'opportunistic',
    description: {
      en: 'STARTTLS to MX hosts: opportunistic = when offered, certificate not verified (RFC 7435); required = never send in clear text; none = never.',
      ja: 'MX への STARTTLS: opportunistic = 相手が対応していれば使う (証明書は検証しない、RFC 7435)、required = 平文では送らない、none = 使わない。',
    },
  },
  {
    key: 'delivery.connectTimeout',
    target: 'delivery.connectTimeoutMs',
    kind: positiveDuration,
    default: '30s',
    description: { en: 'Give up connecting to one MX address after this long.', ja: '1 つの MX アドレスへの接続をあきらめるまでの時間。' },
  },
  {
    key: 'delivery.commandTimeout',
    target: 'delivery.commandTimeoutMs',
    kind: positiveDuration,
    default: '5m',
    description: {
      en: 'Wait this long for each reply of the remote server (RFC 5321 §4.5.3.2 suggests 5 minutes, 10 after the data).',
      ja: '相手サーバーの各応答を待つ時間 (RFC 5321 §4.5.3.2 の推奨は 5 分、本文送信後は 10 分)。',
    },
  },
  {
    key: 'delivery.dnsTimeout',
    target: 'delivery.dnsTimeoutMs',
    kind: positiveDuration,
    default: '10s',
    description: { en: 'Give up a DNS query after this long (a temporary failure: retried later).', ja: 'DNS 問い合わせをあきらめるまでの時間 (一時エラーとして後で再試行)。' },
  },
  {
    key: 'delivery.maxConnectionsPerDestination',
    target: 'delivery.maxConnectionsPerDestination',
    kind: positiveInteger,
    default: 20,
    description: { en: 'Most simultaneous connections to one destination.', ja: '1 つの配送先への最大同時接続数。' },
  },
  {
    key: 'delivery.maxMessagesPerConnection',
    target: 'delivery.maxMessagesPerConnection',
    kind: positiveInteger,
    default: 100,
    description: { en: 'Send at most this many messages over one connection before closing it.', ja: '1 つの接続で送る最大メッセージ数。超えたら接続し直す。' },
  },
  {
    key: 'delivery.idleConnectionTimeout',
    target: 'delivery.idleConnectionTimeoutMs',
    kind: positiveDuration,
    default: '5s',
    description: { en: 'Keep an unused outbound connection open this long for the next message.', ja: '使っていない送信接続を次のメッセージのために保つ時間。' },
  },
  {
    key: 'delivery.maxConcurrentDeliveries',
    target: 'delivery.maxConcurrentDeliveries',
    kind: positiveInteger,
    default: 100,
    description: { en: 'Most delivery attempts in progress at once, all destinations together.', ja: '全配送先あわせて同時に進める配送の最大数。' },
  },
  {
    key: 'delivery.sourceAddress',
    target: 'delivery.sourceAddress',
    kind: ipAddressKind,
    example: '192.0.2.25',
    description: {
      en: 'Local IP address to send from (Postfix: smtp_bind_address). Unset = the system chooses.',
      ja: '送信に使うローカル IP アドレス (Postfix の smtp_bind_address)。未設定 = システムが選ぶ。',
    },
  },
  {
    key: 'delivery.smarthost.host',
    target: 'delivery.smarthost.host',
    kind: hostKind,
    required: true,
    example: 'smtp.relay.example.net',
    description: { en: 'The relay server (required when smarthost is set).', ja: 'リレーサーバー (smarthost を設定するときは必須)。' },
  },
  {
    key: 'delivery.smarthost.port',
    target: 'delivery.smarthost.port',
    kind: portKind,
    default: 587,
    description: { en: 'TCP port of the relay.', ja: 'リレーの TCP ポート。' },
  },
  {
    key: 'delivery.smarthost.tls',
    target: 'delivery.smarthost.tls',
    kind: enumKind(['implicit', 'starttls', 'none']),
    default: 'starttls',
    description: {
      en: 'implicit = TLS from the first byte (usually port 465); starttls = STARTTLS, required; none = plain text (only on a private network).',
      ja: 'implicit = 接続直後から TLS (通常 465 番)、starttls = STARTTLS 必須、none = 平文 (閉じたネットワーク内でのみ)。',
    },
  },
  {
    key: 'delivery.smarthost.username',
    target: 'delivery.smarthost.username',
    kind: stringKind,
    example: 'hikyaku@example.com',
    description: { en: 'User name for AUTH at the relay; needs password or passwordFile.', ja: 'リレーでの認証 (AUTH) のユーザー名。password か passwordFile が必要。' },
  },
  {
    key: 'delivery.smarthost.password',
    target: 'delivery.smarthost.password',
    kind: secretKind,
    secret: true,
    description: { en: 'Password for AUTH at the relay. Prefer passwordFile.', ja: 'リレーでの認証のパスワード。passwordFile の利用を推奨。' },
  },
  {
    key: 'delivery.smarthost.passwordFile',
    target: 'delivery.smarthost.password',
    kind: secretFileKind,
    secret: true,
    example: '/etc/hikyaku/smarthost-password',
    description: {
      en: 'File holding the relay password (read at start; one trailing line break is ignored). Keeps the secret out of this file.',
      ja: 'リレーのパスワードを書いたファイル (起動時に読む。末尾の改行 1 つは無視)。秘密をこの設定ファイルに書かずに済む。',
    },
  },
  {
    key: 'delivery.smarthost.domains',
    target: 'delivery.smarthost.domains',
    kind: listKind(domainNameKind),
    default: [],
    description: {
      en: 'Only mail to these recipient domains goes through the relay. Empty = all mail.',
      ja: 'これらの宛先ドメインへのメールだけをリレー経由にする。空 = すべてのメール。',
    },
  },
  {
    key: 'delivery.smarthost.caFile',
    target: 'delivery.smarthost.caFile',
    kind: readableFileKind,
    example: '/etc/hikyaku/relay-ca.pem',
    description: { en: 'Extra CA certificate(s) (PEM) to trust for the relay, e.g. a private CA.', ja: 'リレーの証明書の検証に追加で信頼する CA 証明書 (PEM、プライベート CA など)。' },
  },
  {
    key: 'delivery.smarthost.verifyCertificate',
    target: 'delivery.smarthost.verifyCertificate',
    kind: booleanKind,
    default: true,
    description: { en: "Verify the relay's certificate and name.", ja: 'リレーの証明書と名前を検証する。' },
  },
  {
    key: 'queue.retry.initialDelay',
    target: 'queue.retry.initialDelayMs',
    kind: positiveDuration,
    default: positiveDuration.format(defaultRetrySchedule.initialDelayMs),
    description: { en: 'Delay before the first retry.', ja: '最初の再試行までの待ち時間。' },
  },
  {
    key: 'queue.retry.maxDelay',
    target: 'queue.retry.maxDelayMs',
    kind: positiveDuration,
    default: positiveDuration.format(defaultRetrySchedule.maxDelayMs),
    description: { en: 'Longest delay between retries.', ja: '再試行の間隔の上限。' },
  },
  {
    key: 'queue.retry.maxLifetime',
    target: 'queue.retry.maxLifetimeMs',
    kind: positiveDuration,
    default: positiveDuration.format(defaultRetrySchedule.maxLifetimeMs),
    description: {
      en: 'Give up and bounce a message this long after it was queued (Postfix: maximal_queue_lifetime).',
      ja: 'キューに入ってからこの時間が過ぎたら配送をあきらめ、エラー通知を返す (Postfix の maximal_queue_lifetime)。',
    },
  },
  {
    key: 'queue.retry.delayNoticeAfter',
    target: 'queue.retry.delayNoticeAfterMs',
    kind: durationOrOffKind(1),
    default: durationOrOffKind(1).format(defaultRetrySchedule.delayNoticeAfterMs),
    description: {
      en: 'Tell the sender that a message is delayed after this long in the queue (RFC 3464 "delayed" DSN); off = never.',
      ja: 'キューにこの時間とどまったら送信者に遅延を通知する (RFC 3464 の遅延通知)。off = 通知しない。',
    },
  },
  {
    key: 'queue.pollInterval',
    target: 'queue.pollIntervalMs',
    kind: durationKind(10),
    default: '1s',
    description: { en: 'How often the scheduler looks for messages that became due.', ja: '配送時刻になったメッセージをスケジューラーが探す間隔。' },
  },
  {
    key: 'log.level',
    target: 'log.level',
    kind: enumKind(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    default: 'info',
    description: { en: 'Least severe level written.', ja: '出力する最も低いログレベル。' },
  },
  {
    key: 'log.file',
    target: 'log.file',
    kind: pathKind,
    example: '/var/log/hikyaku/hikyaku.log',
    description: { en: 'Write logs to this file instead of standard output.', ja: '標準出力の代わりにこのファイルへログを書く。' },
  },
  {
    key: 'log.format',
    target: 'log.format',
    kind: enumKind(['auto', 'json', 'pretty']),
    default: 'auto',
    description: {
      en: 'auto: readable coloured one-line logs when standard output is a terminal, JSON lines otherwise (log.file, pipes, journald). json or pretty: always that. `hikyaku start --log-format` overrides it.',
      ja: 'auto: 標準出力が端末なら読みやすい色付きの 1 行形式、それ以外 (log.file、パイプ、journald) では JSON 行。json・pretty: 常にその形式。`hikyaku start --log-format` で上書きできる。',
    },
  },
  {
    key: 'domains.rotationOverlap',
    target: 'domains.rotationOverlapMs',
    kind: durationKind(0),
    default: '7d',
    description: {
      en: 'After a DKIM key rotation, keep the old key published (but unused) this long so that mail in transit still verifies.',
      ja: 'DKIM 鍵の交換後、配送途中のメールが検証できるよう、古い鍵を (使わずに) 公開し続ける期間。',
    },
  },
  {
    key: 'domains.autoActivate',
    target: 'domains.autoActivate',
    kind: booleanKind,
    default: true,
    description: {
      en: 'After `hikyaku domain rotate-key`, the running server switches signing to the new (pending) key by itself once it finds its DNS record published and matching at two checks in a row. false = only `hikyaku domain activate-key` switches.',
      ja: '`hikyaku domain rotate-key` の後、新しい (有効化待ちの) 鍵の DNS レコードが公開され一致していることを 2 回続けて確認したら、起動中のサーバーが自動で署名をその鍵に切り替える。false = `hikyaku domain activate-key` でのみ切り替える。',
    },
  },
  {
    key: 'domains.autoActivateInterval',
    target: 'domains.autoActivateIntervalMs',
    kind: durationKind(1000),
    default: '10m',
    description: {
      en: 'How often the running server looks up the DNS records of pending DKIM keys (with domains.autoActivate).',
      ja: '起動中のサーバーが有効化待ちの DKIM 鍵の DNS レコードを確認する間隔 (domains.autoActivate が true のとき)。',
    },
  },
  {
    key: 'doctor.blocklists',
    target: 'doctor.blocklists',
    kind: listKind(domainNameKind),
    default: ['zen.spamhaus.org', 'bl.spamcop.net', 'b.barracudacentral.org'],
    description: { en: 'DNS blocklists to check the outbound addresses against.', ja: '送信元アドレスを照合する DNS ブロックリスト。' },
  },
  {
    key: 'metrics.enabled',
    target: 'metrics.enabled',
    kind: booleanKind,
    default: true,
    description: { en: 'Serve GET /metrics (only when listeners.http is enabled).', ja: 'GET /metrics を提供するか (listeners.http が有効なときのみ)。' },
  },
  {
    key: 'metrics.token',
    target: 'metrics.token',
    kind: secretKind,
    secret: true,
    description: {
      en: 'When set, GET /metrics requires `Authorization: Bearer TOKEN` (Prometheus: `authorization: { credentials: TOKEN }`); without it, anyone who reaches the HTTP listener may scrape.',
      ja: '設定すると GET /metrics に `Authorization: Bearer TOKEN` が必要 (Prometheus では `authorization: { credentials: TOKEN }`)。未設定なら HTTP 受付に届く誰でも取得できる。',
    },
  },
  {
    key: 'history.retentionDays',
    target: 'history.retentionDays',
    kind: integerKind(0, 3650, { en: 'days (0 = no history)', ja: '日数 (0 = 履歴を残さない)' }),
    default: 30,
    description: {
      en: 'How many days a message stays in the history after it was accepted (0 = keep no history).',
      ja: '受け付けたメールを履歴に残す日数 (0 = 履歴を残さない)。',
    },
  },
  {
    key: 'bulk.unsubscribeUrl',
    target: 'bulk.unsubscribeUrl',
    kind: httpsUrlKind,
    example: 'https://mail.example.com',
    description: {
      en: 'Public https:// address of this server\'s HTTP listener (directly, or a reverse proxy that forwards /unsubscribe/ to it). A message marked bulk (`X-Hikyaku-Bulk: yes`, or `"bulk": true` in the API) gets List-Unsubscribe <URL/unsubscribe/TOKEN> and List-Unsubscribe-Post, both DKIM-signed; a recipient who uses it joins the sending domain\'s suppression list. Unset: bulk mail gets no unsubscribe link (the doctor says so).',
      ja: 'この HTTP リスナーに外から届く https:// のアドレス (直接、または /unsubscribe/ を転送するリバースプロキシ)。一斉配信の印 (`X-Hikyaku-Bulk: yes` ヘッダー、API では `"bulk": true`) があるメールに List-Unsubscribe <URL/unsubscribe/TOKEN> と List-Unsubscribe-Post を付け、DKIM 署名に含めます。受信者が使うと、そのアドレスは送信ドメインの送信停止リストに入ります。未設定なら配信停止リンクは付きません (doctor が指摘します)。',
    },
  },
  {
    key: 'doctor.interval',
    target: 'doctor.intervalMs',
    kind: durationOrOffKind(1000),
    default: '6h',
    description: {
      en: 'How often the running server runs the doctor (the first run a minute after start) and keeps the result for `hikyaku status` and the console; off = never.',
      ja: '起動中のサーバーが doctor を実行する間隔 (初回は起動の 1 分後)。結果は `hikyaku status` とコンソールで使います。off で実行しません。',
    },
  },
  {
    key: 'status.queueAgeWarning',
    target: 'status.queueAgeWarningMs',
    kind: positiveDuration,
    default: '1h',
    description: {
      en: '`hikyaku status` warns (exit 1) when the oldest queued message is older than this.',
      ja: 'キューで最も古いメールがこれより古いと `hikyaku status` は警告します (終了ステータス 1)。',
    },
  },
  {
    key: 'status.queueAgeCritical',
    target: 'status.queueAgeCriticalMs',
    kind: positiveDuration,
    default: '1d',
    description: {
      en: '`hikyaku status` reports a critical problem (exit 2) when the oldest queued message is older than this: the queue is stuck.',
      ja: 'キューで最も古いメールがこれより古いと `hikyaku status` は重大な問題 (キューの停滞) と報告します (終了ステータス 2)。',
    },
  },
  ...policyEntries,
  ...secureTransportEntries,
  ...deliverabilityEntries,
  // ---- webhooks (src/webhooks/): a list of mappings, checked item by item.
  {
    key: 'webhooks',
    target: 'webhooks',
    kind: listKind(webhookKind()),
    default: [],
    secret: true,
    example: [{ url: 'https://app.example.com/hikyaku-events', events: ['delivered', 'bounced'], secret: 'a-long-random-string-of-32-chars' }],
    description: {
      en: 'HTTP endpoints that are POSTed delivery events as signed JSON, each a mapping: url (http or https), events (list of accepted, delivered, deferred, bounced, expired), secret (at least 16 characters, the HMAC-SHA256 key of the Hikyaku-Signature header). See README "Webhooks".',
      ja: '配送イベントを署名付き JSON で POST する HTTP の宛先。各項目は url (http または https)、events (accepted・delivered・deferred・bounced・expired のリスト)、secret (16 文字以上。Hikyaku-Signature ヘッダーの HMAC-SHA256 の鍵) を持つマッピング。README の「Webhooks」を参照。',
    },
  },  // ---- the queue store (src/queue/postgres/): embedded SQLite, or PostgreSQL shared by several nodes.
  {
    key: 'store',
    target: 'store',
    kind: storeKind(),
    default: 'embedded',
    secret: true,
    example: 'postgres://hikyaku@db.example.com:5432/hikyaku',
    description: {
      en: 'Where the queue lives: `embedded` (SQLite under dataDir) or a PostgreSQL URL `postgres://user:password@host:port/database` shared by several nodes (create the schema with `hikyaku migrate`). The environment variable HIKYAKU_STORE overrides it.',
      ja: 'キューの置き場所: `embedded` (dataDir の下の SQLite) または複数ノードで共有する PostgreSQL の URL `postgres://ユーザー:パスワード@ホスト:ポート/データベース` (スキーマは `hikyaku migrate` で作成)。環境変数 HIKYAKU_STORE がこれより優先される。',
    },
  },
  {
    key: 'queue.claimLease',
    target: 'queue.claimLeaseMs',
    kind: durationKind(100),
    default: '30s',
    description: {
      en: 'PostgreSQL store: how long a node holds a message it delivers without renewing its claim; a node that stops (killed, cut off) has its messages taken over by another after this long.',
      ja: 'PostgreSQL ストア: ノードが配送中のメッセージを、更新せずに保持できる時間。停止した (強制終了・切断された) ノードのメッセージは、この時間の後に別のノードが引き継ぐ。',
    },
  },
  // ---- autoconfig (src/autoconfig/): Hikyaku only sends, so the incoming server is the admin's to name.
  {
    key: 'autoconfig.enabled',
    target: 'autoconfig.enabled',
    kind: booleanKind,
    default: true,
    description: {
      en: 'Serve mail-client autoconfiguration on the HTTP listener (only when listeners.http is enabled), for the registered sending domains only.',
      ja: 'HTTP 受付でメールソフトの自動設定を提供するか (listeners.http が有効なときのみ)。登録済みの送信ドメインだけが対象。',
    },
  },
  {
    key: 'autoconfig.smtpHost',
    target: 'autoconfig.smtpHost',
    kind: hostKind,
    example: 'mail.example.com',
    description: {
      en: 'The SMTP server name mail clients are told to connect to (it must match the certificate). Default: hostname.',
      ja: 'メールソフトに接続先として伝える SMTP サーバー名 (証明書の名前と一致させること)。既定: hostname。',
    },
  },
  {
    key: 'autoconfig.imapHost',
    target: 'autoconfig.imapHost',
    kind: hostKind,
    example: 'imap.example.com',
    description: {
      en: 'The incoming (IMAP) server of the mailboxes: Hikyaku only sends mail, so it cannot know it. Unset: no incoming server is advertised (Thunderbird then ignores the file and falls back to its own guesses; the Apple profile is not offered).',
      ja: '受信 (IMAP) サーバー。Hikyaku は送信専用のため自分では分からない。未設定: 受信サーバーを案内しない (Thunderbird はこのファイルを使わず独自の推測に戻り、Apple のプロファイルは提供しない)。',
    },
  },
  {
    key: 'autoconfig.imapPort',
    target: 'autoconfig.imapPort',
    kind: portKind,
    default: 993,
    description: {
      en: 'Port of the incoming server: 993 is IMAP over implicit TLS (SSL/TLS); any other port is announced with STARTTLS.',
      ja: '受信サーバーのポート。993 は接続直後から TLS (SSL/TLS)、それ以外のポートは STARTTLS として案内する。',
    },
  },
];

/** `embedded` or a postgres:// URL (HIKYAKU_STORE overrides it: see queue/open-queue-store.ts). */
function storeKind(): Kind {
  return {
    type: { en: '`embedded` or a postgres:// URL', ja: '`embedded` または postgres:// の URL' },
    parse: (raw) => {
      if (raw === 'embedded' || (typeof raw === 'string' && /^postgres(ql)?:\/\/./.test(raw))) return { ok: true, value: raw };
      return { ok: false, problems: [{ at: '', message: 'not allowed (allowed: embedded, or postgres://user@host:port/database) / 使えない値です (embedded か postgres://ユーザー@ホスト:ポート/データベース)' }] };
    },
    format: (value) => value,
  };
}

/** One webhook: {url, events, secret}; problems in English and Japanese. */
function webhookKind(): Kind {
  const EVENTS = ['accepted', 'delivered', 'deferred', 'bounced', 'expired'];
  const problem = (at: string, en: string, ja: string): { at: string; message: string } => ({ at, message: `${en} / ${ja}` });
  return {
    type: { en: 'webhook {url, events, secret}', ja: 'webhook {url, events, secret}' },
    parse: (raw) => {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        return { ok: false, problems: [problem('', 'not a mapping (allowed: url, events, secret)', 'マッピングではありません (url, events, secret を指定)')] };
      }
      const item = raw as Record<string, unknown>;
      const problems: { at: string; message: string }[] = [];
      for (const key of Object.keys(item)) {
        if (!['url', 'events', 'secret'].includes(key)) problems.push(problem(`.${key}`, 'unknown key (allowed: url, events, secret)', '未知のキーです (url, events, secret のみ)'));
      }
      const { url, events, secret } = item;
      let parsedUrl: URL | undefined;
      try {
        parsedUrl = typeof url === 'string' ? new URL(url) : undefined;
      } catch {
        parsedUrl = undefined;
      }
      if (parsedUrl === undefined || (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') || parsedUrl.hostname === '') {
        problems.push(problem('.url', `${url === undefined ? 'missing' : `${JSON.stringify(url)} is not allowed`} (allowed: an http:// or https:// URL)`, `${url === undefined ? 'ありません' : `${JSON.stringify(url)} は使えません`} (http:// または https:// の URL を指定)`));
      }
      if (!Array.isArray(events) || events.length === 0) {
        problems.push(problem('.events', `${events === undefined ? 'missing' : 'not a non-empty list'} (allowed: a list of ${EVENTS.join(', ')})`, `${events === undefined ? 'ありません' : '空でないリストではありません'} (${EVENTS.join('、')} のリストを指定)`));
      } else {
        events.forEach((e: unknown, i) => {
          if (typeof e !== 'string' || !EVENTS.includes(e)) problems.push(problem(`.events[${i}]`, `${JSON.stringify(e)} is not allowed (allowed: ${EVENTS.join(', ')})`, `${JSON.stringify(e)} は使えません (${EVENTS.join('、')} のいずれか)`));
        });
      }
      if (typeof secret !== 'string' || secret.length < 16) {
        const en = typeof secret === 'string' ? `too short: ${secret.length} characters (allowed: at least 16)` : `${secret === undefined ? 'missing' : 'not a string'} (allowed: a string of at least 16 characters)`;
        const ja = typeof secret === 'string' ? `短すぎます: ${secret.length} 文字 (16 文字以上必要)` : `${secret === undefined ? 'ありません' : '文字列ではありません'} (16 文字以上の文字列を指定)`;
        problems.push(problem('.secret', en, ja));
      }
      if (problems.length > 0) return { ok: false, problems };
      return { ok: true, value: { url: parsedUrl!.href, events: [...new Set(events as string[])], secret: secret as string } };
    },
    format: (value) => value,
  };
}

/** Input of the cross-field rules, by YAML key. */
export interface CrossCheckInput {
  /** The converted value of every key in effect (set or defaulted). */
  readonly values: ReadonlyMap<string, unknown>;
  /** Keys set in the file. */
  readonly given: ReadonlySet<string>;
  /** Optional sections present in the file. */
  readonly sectionsPresent: ReadonlySet<string>;
}

export const crossChecks: ReadonlyArray<(input: CrossCheckInput) => string[]> = [
  ({ given }) => {
    const cert = given.has('tls.certFile');
    const key = given.has('tls.keyFile');
    if (cert && !key) return ['tls.keyFile: missing (tls.certFile is set; set both, or neither to use a generated self-signed certificate)'];
    if (key && !cert) return ['tls.certFile: missing (tls.keyFile is set; set both, or neither to use a generated self-signed certificate)'];
    return [];
  },
  ({ given, sectionsPresent }) => {
    if (!sectionsPresent.has('delivery.smarthost')) return [];
    const problems: string[] = [];
    const user = given.has('delivery.smarthost.username');
    const password = given.has('delivery.smarthost.password');
    const passwordFile = given.has('delivery.smarthost.passwordFile');
    if (password && passwordFile) problems.push('delivery.smarthost.password: set together with passwordFile (set only one)');
    if (user && !password && !passwordFile) problems.push('delivery.smarthost.password: missing (username is set; set password or passwordFile)');
    if (!user && (password || passwordFile)) problems.push('delivery.smarthost.username: missing (a password is set but no username)');
    return problems;
  },
  ({ values }) => {
    const initial = values.get('queue.retry.initialDelay') as number | undefined;
    const max = values.get('queue.retry.maxDelay') as number | undefined;
    if (initial !== undefined && max !== undefined && max < initial) {
      return ['queue.retry.maxDelay: shorter than queue.retry.initialDelay (allowed: at least initialDelay)'];
    }
    return [];
  },
];
