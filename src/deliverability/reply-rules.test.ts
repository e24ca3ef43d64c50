import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchReply, replyFromExample } from './reply-rules.js';
import { shippedGroups, shippedReplies } from './shipped-tables.js';
import { GroupMatcher } from './provider-groups.js';

// Every row of the shipped reply table, with its own real provider reply:
// the row must be the first match (so that an earlier, broader row cannot
// shadow it), and it must say a valid action.
for (const rule of shippedReplies()) {
  test(`reply table row ${rule.id} matches its example reply`, () => {
    const reply = replyFromExample(rule.example);
    const found = matchReply(shippedReplies(), reply, rule.provider);
    assert.equal(found?.id, rule.id);
  });
}

test('provider-specific rows do not apply to other groups', () => {
  const rows = shippedReplies();
  const gmail421 = replyFromExample('421-4.7.28 [192.0.2.25 15] Our system has detected an unusual rate of unsolicited mail originating from your IP address.');
  assert.equal(matchReply(rows, gmail421, 'gmail')?.action, 'slow');
  assert.equal(matchReply(rows, gmail421, 'microsoft'), undefined);
  assert.equal(matchReply(rows, gmail421, undefined), undefined);
  // 5.7.26 is a bounce from anyone, and the DMARC wording names the record to fix.
  const dmarc = replyFromExample("550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.");
  assert.deepEqual(matchReply(rows, dmarc, undefined)?.fix, ['dmarc']);
  // An ordinary 4xx is left to the core classifier.
  assert.equal(matchReply(rows, replyFromExample('451 4.3.0 Temporary local problem'), 'gmail'), undefined);
});

test('the shipped provider groups match the real MX names of the big providers', () => {
  const m = new GroupMatcher(shippedGroups());
  const cases: [string, string][] = [
    ['gmail-smtp-in.l.google.com', 'gmail'],
    ['alt1.aspmx.l.google.com', 'gmail'],
    ['example-com.mail.protection.outlook.com', 'microsoft'],
    ['outlook-com.olc.protection.outlook.com', 'microsoft'],
    ['mta5.am0.yahoodns.net', 'yahoo'],
    ['mx01.mail.icloud.com', 'icloud'],
    ['mfsmax.docomo.ne.jp', 'docomo'],
    ['lsean.ezweb.ne.jp', 'au'],
    ['mx.softbank.ne.jp', 'softbank'],
    ['mx.ocn.ne.jp', 'ocn'],
    ['mx.nifty.com', 'nifty'],
  ];
  for (const [host, group] of cases) assert.equal(m.groupOf([host])?.name, group, host);
  assert.equal(m.groupOf(['mx.example.org']), undefined);
  // Preference order: the first MX host that matches decides.
  assert.equal(m.groupOf(['mx.example.org', 'aspmx.l.google.com'])?.name, 'gmail');
});
