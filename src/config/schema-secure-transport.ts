// The secure-transport part of the configuration schema (see
// schema-table.ts for the format): MTA-STS when sending (RFC 8461) and
// TLS-RPT reports (RFC 8460). Kept apart so that schema-table.ts stays
// readable and other changes to it merge cleanly; concatenated there.
import { booleanKind, durationKind, portKind, readableFileKind, resolverKind, stringKind } from './kinds.js';
import type { SchemaEntry, SchemaSection } from './schema-table.js';

export const secureTransportSections: readonly SchemaSection[] = [
  {
    key: 'delivery.mtaSts',
    optional: false,
    description: {
      en: "MTA-STS (RFC 8461): honour the receiving domain's published policy. enforce = deliver only to the policy's MX hosts over TLS with a valid certificate (else the message waits in the queue); testing = deliver as usual and report failures (TLS-RPT).",
      ja: 'MTA-STS (RFC 8461): 受信ドメインが公開するポリシーに従う。enforce = ポリシーの MX にだけ、有効な証明書の TLS で配送 (できなければキューで待つ)。testing = 通常どおり配送し、失敗を報告 (TLS-RPT) する。',
    },
  },
  {
    key: 'delivery.dane',
    optional: false,
    description: {
      en: 'DANE (RFC 7672): a domain whose DNSSEC-signed MX hosts publish TLSA records gets TLS checked against them, or no delivery. Needs a validating resolver on this host (e.g. Unbound; README: DANE).',
      ja: 'DANE (RFC 7672): DNSSEC で署名された MX が TLSA レコードを公開しているドメインには、TLSA で検証した TLS でだけ配送する。このホストに検証リゾルバー (Unbound など) が必要 (README の DANE を参照)。',
    },
  },
  {
    key: 'tlsReports',
    optional: false,
    description: {
      en: 'TLS-RPT (RFC 8460): count our TLS successes and failures per receiving domain and send a daily report to the domains that publish _smtp._tls with rua=.',
      ja: 'TLS-RPT (RFC 8460): 受信ドメインごとに TLS の成功と失敗を数え、_smtp._tls に rua= を公開しているドメインへ日次レポートを送る。',
    },
  },
];

export const secureTransportEntries: readonly SchemaEntry[] = [
  {
    key: 'delivery.mtaSts.enabled',
    target: 'delivery.mtaSts.enabled',
    kind: booleanKind,
    default: true,
    description: { en: 'Look up and apply MTA-STS policies when delivering to MX hosts.', ja: 'MX へ配送するとき MTA-STS ポリシーを調べて適用する。' },
  },
  {
    key: 'delivery.mtaSts.caFile',
    target: 'delivery.mtaSts.caFile',
    kind: readableFileKind,
    example: '/etc/hikyaku/extra-ca.pem',
    description: {
      en: "Extra CA certificate(s) (PEM) trusted, besides the system's, for policy hosts (https://mta-sts.DOMAIN/) and for MX certificates checked under MTA-STS or REQUIRETLS. For a private CA or tests.",
      ja: 'ポリシーのホスト (https://mta-sts.ドメイン/) と、MTA-STS・REQUIRETLS で検証する MX の証明書について、システムの CA に加えて信頼する CA 証明書 (PEM)。プライベート CA やテスト用。',
    },
  },
  {
    key: 'delivery.mtaSts.fetchTimeout',
    target: 'delivery.mtaSts.fetchTimeoutMs',
    kind: durationKind(1),
    default: '10s',
    description: { en: 'Time allowed to fetch a policy (connect and answer).', ja: 'ポリシー取得 (接続と応答) の制限時間。' },
  },
  {
    key: 'delivery.mtaSts.policyPort',
    target: 'delivery.mtaSts.policyPort',
    kind: portKind,
    default: 443,
    description: { en: 'HTTPS port of policy hosts: 443 (RFC 8461 §3.3). Another port only for tests.', ja: 'ポリシーのホストの HTTPS ポート: 443 (RFC 8461 §3.3)。他の値はテスト用のみ。' },
  },
  {
    key: 'delivery.mtaSts.recheckInterval',
    target: 'delivery.mtaSts.recheckIntervalMs',
    kind: durationKind(0),
    default: '5m',
    description: {
      en: 'How long a _mta-sts TXT answer (or a failed policy fetch) is reused before asking again. Fetched policies are kept until their max_age, in mta-sts-policies.json in dataDir.',
      ja: '_mta-sts の TXT の答え (またはポリシー取得の失敗) を再利用する時間。取得したポリシーは max_age まで dataDir の mta-sts-policies.json に保存する。',
    },
  },
  {
    key: 'delivery.dane.enabled',
    target: 'delivery.dane.enabled',
    kind: booleanKind,
    default: false,
    description: { en: 'Look up DANE TLSA records (through dane.resolver) when delivering to MX hosts.', ja: 'MX へ配送するとき DANE の TLSA レコードを (dane.resolver で) 調べる。' },
  },
  {
    key: 'delivery.dane.resolver',
    target: 'delivery.dane.resolver',
    kind: resolverKind,
    default: '127.0.0.1:53',
    description: {
      en: 'A DNSSEC-validating resolver (it must set the AD bit on validated answers), as ip or ip:port. Only answers it validated count.',
      ja: 'DNSSEC を検証するリゾルバー (検証済みの答えに AD ビットを立てるもの)。ip または ip:port。検証済みの答えだけを使う。',
    },
  },
  {
    key: 'delivery.dane.timeout',
    target: 'delivery.dane.timeoutMs',
    kind: durationKind(1),
    default: '5s',
    description: { en: 'Time allowed for one query to the validating resolver.', ja: '検証リゾルバーへの 1 回の問い合わせの制限時間。' },
  },
  {
    key: 'tlsReports.enabled',
    target: 'tlsReports.enabled',
    kind: booleanKind,
    default: true,
    description: { en: 'Record TLS results (tlsrpt.db in dataDir) and send the daily reports.', ja: 'TLS の結果を記録 (dataDir の tlsrpt.db) し、日次レポートを送る。' },
  },
  {
    key: 'tlsReports.organizationName',
    target: 'tlsReports.organizationName',
    kind: stringKind,
    example: 'Example Inc.',
    description: { en: "The report's organization-name; unset = hostname.", ja: 'レポートの organization-name。未設定 = hostname。' },
  },
  {
    key: 'tlsReports.contactInfo',
    target: 'tlsReports.contactInfo',
    kind: stringKind,
    example: 'postmaster@example.com',
    description: { en: "The report's contact-info; unset = postmaster@hostname. Reports by mail are sent from this address.", ja: 'レポートの contact-info。未設定 = postmaster@hostname。メールのレポートはこのアドレスから送る。' },
  },
];
