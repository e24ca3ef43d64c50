import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainReply, retryPhrase, type ExplainInput } from './explain-reply.js';
import { EXPLAIN_ROWS } from './explain-rows.js';

const GMAIL = 'gmail-smtp-in.l.google.com[142.250.157.26]:25';
const OUTLOOK = 'example-com.mail.protection.outlook.com[52.101.68.18]:25';
const YAHOO = 'mta7.am0.yahoodns.net[67.195.204.72]:25';
const OTHER = 'mx.example.jp[203.0.113.5]:25';

/** Real replies (provider pages and operators' logs), each with the row it must land on. */
const CASES: [string, ExplainInput][] = [
  ['delivered', { outcome: 'delivered', code: 250, enhanced: '2.0.0', text: '250 2.0.0 OK  1733300000 d9443c01a7336-2162ecb3c8esi1234567ad.123 - gsmtp', remoteMta: GMAIL }],
  ['expired', { outcome: 'expired', enhanced: '5.4.7', text: 'delivery time expired; last error: 4.4.1 connect failed: connect ECONNREFUSED 203.0.113.5:25', remoteMta: OTHER }],
  [
    'gmail-4.7.28',
    {
      outcome: 'deferred',
      text: '421 4.7.28 [203.0.113.9      15] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. For more information, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError to review our Bulk Email Senders Guidelines. - gsmtp',
      remoteMta: GMAIL,
    },
  ],
  [
    'gmail-4.2.1',
    {
      outcome: 'deferred',
      text: '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. Please resend your message at a later time. If the user is able to receive mail at that time, your message will be delivered. For more information, go to https://support.google.com/mail/?p=ReceivingRatePerm - gsmtp',
      remoteMta: GMAIL,
    },
  ],
  [
    'gmail-5.7.26',
    {
      outcome: 'bounced',
      text: '550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. Authentication results: DKIM = did not pass SPF [shop.example] with ip: [203.0.113.9] = did not pass For instructions on setting up authentication, go to https://support.google.com/mail/answer/81126#authentication - gsmtp',
      remoteMta: GMAIL,
    },
  ],
  [
    'gmail-5.7.25',
    { outcome: 'bounced', text: '550 5.7.25 [203.0.113.9] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. - gsmtp', remoteMta: GMAIL },
  ],
  [
    'gmail-5.1.1',
    {
      outcome: 'bounced',
      text: "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser - gsmtp",
      remoteMta: GMAIL,
    },
  ],
  [
    'gmail-5.2.2',
    { outcome: 'bounced', text: "552 5.2.2 The recipient's inbox is out of storage space. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm - gsmtp", remoteMta: GMAIL },
  ],
  ['gmail-4.7.0-tls', { outcome: 'deferred', text: '421 4.7.0 TLS required for RCPT domain, closing connection. For more information, go to https://support.google.com/mail/?p=TLSRequired - gsmtp', remoteMta: GMAIL }],
  ['gmail-4.7.0', { outcome: 'deferred', text: '421 4.7.0 Try again later, closing connection. (EHLO) - gsmtp', remoteMta: GMAIL }],
  [
    'ms-4.7.650',
    {
      outcome: 'deferred',
      text: '451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=11BA5E4D3C2B1A09] [AM4PEPF00027A5D.eurprd04.prod.outlook.com 2024-12-04T11:00:00.000Z 08DD0000000000]',
      remoteMta: OUTLOOK,
    },
  ],
  [
    'ms-5.7.515',
    {
      outcome: 'bounced',
      text: "550 5.7.515 Access denied, sending domain shop.example doesn't meet the required authentication level. The sender's domain in the 5322.From address doesn't meet the authentication requirements defined for the sender. To learn more about this error, visit https://go.microsoft.com/fwlink/?linkid=2296413",
      remoteMta: OUTLOOK,
    },
  ],
  [
    'ms-5.7.708',
    { outcome: 'bounced', text: '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230)', remoteMta: OUTLOOK },
  ],
  [
    'ms-blocklist',
    {
      outcome: 'bounced',
      text: "550 5.7.1 Unfortunately, messages from [203.0.113.9] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [DB5EUR03FT011.eop-EUR03.prod.protection.outlook.com]",
      remoteMta: OUTLOOK,
    },
  ],
  [
    'yahoo-tss04',
    { outcome: 'deferred', text: '421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes', remoteMta: YAHOO },
  ],
  ['yahoo-5.7.2', { outcome: 'bounced', text: '553 5.7.2 [TSS09] All messages from 203.0.113.9 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes', remoteMta: YAHOO }],
  ['yahoo-5.7.9', { outcome: 'bounced', text: '554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes', remoteMta: YAHOO }],
  ['greylisting', { outcome: 'deferred', text: '450 4.2.0 <taro@example.jp>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.jp.html', remoteMta: OTHER }],
  ['greylisting', { outcome: 'deferred', text: '451 4.7.1 Please try again later (greylisted)', remoteMta: OTHER }],
  ['relay-denied', { outcome: 'bounced', text: '554 5.7.1 <taro@example.jp>: Relay access denied', remoteMta: OTHER }],
  ['no-such-user', { outcome: 'bounced', text: '550 5.1.1 <taro@example.jp>: Recipient address rejected: User unknown in virtual mailbox table', remoteMta: OTHER }],
  ['mailbox-full', { outcome: 'bounced', text: '552 5.2.2 <taro@example.jp>: Recipient address rejected: Mailbox full', remoteMta: OTHER }],
  ['null-mx', { outcome: 'bounced', enhanced: '5.1.10', text: 'domain example.invalid does not accept mail (null MX)' }],
  ['no-answer', { outcome: 'deferred', enhanced: '4.4.1', text: 'connect failed: connect ECONNREFUSED 203.0.113.5:25 (mx.example.jp[203.0.113.5])', remoteMta: OTHER }],
  ['no-answer', { outcome: 'deferred', enhanced: '4.4.1', text: 'connect failed: connection timed out (mx.example.jp[203.0.113.5])', remoteMta: OTHER }],
  ['tls-failure', { outcome: 'deferred', enhanced: '4.7.5', text: 'TLS failed: certificate has expired (mx.example.jp[203.0.113.5])', remoteMta: OTHER }],
  ['tls-failure', { outcome: 'deferred', enhanced: '4.7.5', text: 'TLS is required but the server does not offer STARTTLS (mx.example.jp[203.0.113.5])', remoteMta: OTHER }],
  ['dns-failure', { outcome: 'deferred', enhanced: '4.4.3', text: 'DNS lookup failed for example.jp: SERVFAIL' }],
  // Our own shaping holds, as deliverability/engine.ts words them.
  ['shaping-held', { outcome: 'deferred', enhanced: '4.4.5', text: 'gmail: rate limit 60/min reached; held in the queue until 14:05' }],
  ['shaping-held', { outcome: 'deferred', enhanced: '4.4.5', text: 'microsoft: 5 connections busy; held in the queue until 14:05' }],
  ['shaping-suspended', { outcome: 'deferred', enhanced: '4.7.0', text: 'microsoft: suspended after "550 5.7.606"; held in the queue until 15:02' }],
];

test('every real reply lands on its row, in both languages', () => {
  for (const [rowId, input] of CASES) {
    for (const lang of ['ja', 'en'] as const) {
      const e = explainReply(input, lang, 'Asia/Tokyo');
      assert.equal(e.rowId, rowId, `${input.text} → ${e.rowId}, expected ${rowId}`);
      assert.ok(e.summary.length > 10 && e.action.length > 5, rowId);
      assert.doesNotMatch(e.action, /\{retry\}/);
      if (lang === 'ja') assert.match(e.summary + e.action, /[ぁ-んァ-ヶ一-龠]/, `${rowId}: Japanese text`);
    }
  }
});

test('every row of the table is exercised by a real reply', () => {
  const tested = new Set(CASES.map(([id]) => id));
  assert.deepEqual(EXPLAIN_ROWS.map((r) => r.id).filter((id) => !tested.has(id)), []);
  assert.equal(new Set(EXPLAIN_ROWS.map((r) => r.id)).size, EXPLAIN_ROWS.length, 'row ids are unique');
});

test('provider rows need the provider: the same code from another server is explained generically', () => {
  const text = "550 5.1.1 The email account that you tried to reach does not exist.";
  assert.equal(explainReply({ outcome: 'bounced', text, remoteMta: GMAIL }, 'en').rowId, 'gmail-5.1.1');
  assert.equal(explainReply({ outcome: 'bounced', text, remoteMta: OTHER }, 'en').rowId, 'no-such-user');
  assert.equal(explainReply({ outcome: 'deferred', text: '421 4.7.0 Try again later, closing connection.', remoteMta: OTHER }, 'en').rowId, 'fallback:4.7.0');
});

test('severity follows the outcome; greylisting is only information', () => {
  const sev = (rowId: string): string => {
    const found = CASES.find(([id]) => id === rowId);
    assert.ok(found);
    return explainReply(found[1], 'en').severity;
  };
  assert.equal(sev('delivered'), 'info');
  assert.equal(sev('greylisting'), 'info');
  assert.equal(sev('ms-4.7.650'), 'warning');
  assert.equal(sev('gmail-5.7.26'), 'error');
  assert.equal(sev('expired'), 'error');
});

test('the next retry time is in the action, in the given time zone', () => {
  const at = Date.UTC(2026, 11, 4, 5, 5); // 14:05 in Tokyo
  const input: ExplainInput = { outcome: 'deferred', enhanced: '4.4.1', text: 'connect failed: connect ECONNREFUSED', nextAttemptAtMs: at };
  const sameDay = at - 60_000;
  assert.equal(retryPhrase(at, 'en', 'Asia/Tokyo', sameDay), 'at 14:05');
  assert.equal(retryPhrase(at, 'ja', 'Asia/Tokyo', sameDay), ' 14:05 に');
  assert.equal(retryPhrase(at, 'en', 'Asia/Tokyo', at - 2 * 86_400_000), 'on 4 Dec at 14:05');
  assert.equal(retryPhrase(at, 'ja', 'Asia/Tokyo', at - 2 * 86_400_000), ' 12月4日 14:05 に');
  assert.equal(retryPhrase(undefined, 'en'), 'automatically');
  assert.match(explainReply({ ...input, nextAttemptAtMs: undefined }, 'ja').action, /^飛脚が自動で再送します。/);
  assert.match(explainReply(input, 'en', 'Asia/Tokyo').action, /^Hikyaku will retry (on \d+ Dec )?at 14:05\./);
});

test('fallback: an unknown reply is explained from its enhanced code (the DSN texts), else from its outcome', () => {
  const e = explainReply({ outcome: 'bounced', text: '550 5.3.4 Message too big for system' }, 'en');
  assert.equal(e.rowId, 'fallback:5.3.4');
  assert.equal(e.summary, 'The message is larger than the receiving server accepts.');
  assert.equal(explainReply({ outcome: 'bounced', text: '554 Transaction failed' }, 'ja').summary, '恒久的な問題で配信できませんでした。');
  assert.equal(explainReply({ outcome: 'deferred' }, 'en').rowId, 'fallback:deferred');
});
