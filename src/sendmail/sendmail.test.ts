import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSendmailArguments } from './arguments.js';
import { addressList, headerRecipients, messageFromInput, preparedMessage } from './message.js';
import { exitCodeFor } from '../cli/sendmail-command.js';
import { replies } from '../core/replies.js';
import { smtpReply } from '../core/smtp-reply.js';
import { decodeFrame, encodeFrame } from './frame.js';

test('the flags programs pass are understood or ignored', () => {
  const p = parseSendmailArguments(['-t', '-oi', '-odi', '-oem', '-bm', '-N', 'never', '-fcron@shop.test', '-F', 'Cron', '-v', '--', '-a@b.jp']);
  assert.ok(p.ok);
  assert.deepEqual(p.args, { extractRecipients: true, ignoreDots: true, sender: 'cron@shop.test', fullName: 'Cron', recipients: ['-a@b.jp'] });
  const ti = parseSendmailArguments(['-ti', 'x@y.jp']);
  assert.ok(ti.ok && ti.args.extractRecipients && ti.args.ignoreDots);
  assert.deepEqual(ti.ok && ti.args.recipients, ['x@y.jp']);
  for (const bad of [['-bp'], ['-bs'], ['-q'], ['-f'], ['-Z']]) assert.equal(parseSendmailArguments(bad).ok, false, bad.join(' '));
});

test('a lone dot ends the input unless -i', () => {
  const input = Buffer.from('Subject: x\r\n\r\nbody\r\n.\r\nrest\n');
  assert.equal(messageFromInput(input, false).toString(), 'Subject: x\r\n\r\nbody\r\n');
  assert.equal(messageFromInput(input, true), input);
  assert.equal(messageFromInput(Buffer.from('a\n..\nb\n'), false).toString(), 'a\n..\nb\n');
});

test('-t: To, Cc and Bcc by the one parser, with names, groups and carrier addresses', () => {
  const m = Buffer.from(
    'From: a@shop.test\nTo: "Yamada, Taro" <taro..yamada@docomo.ne.jp>,\n hanako.@ezweb.ne.jp\nCc: team: "x y"@shop.test, b@shop.test;\nBcc: c@shop.test\nTo: undisclosed-recipients:;\n\nTo: not@header.jp\n',
  );
  const r = headerRecipients(m);
  assert.ok(r.ok);
  assert.deepEqual(r.addresses, ['taro..yamada@docomo.ne.jp', 'hanako.@ezweb.ne.jp', '"x y"@shop.test', 'b@shop.test', 'c@shop.test']);
  const bad = headerRecipients(Buffer.from('To: ok@shop.test, x@@docomo.ne.jp\n\n'));
  assert.ok(!bad.ok && /x@@docomo\.ne\.jp.*To: two "@" signs/.test(bad.problem), JSON.stringify(bad));
  assert.equal(addressList('taro yamada@docomo.ne.jp', '').ok, false);
});

test('Bcc removed with its continuation lines, a From added only when missing', () => {
  const m = Buffer.from('To: a@b.jp\r\nBcc: c@d.jp,\r\n e@f.jp\r\nSubject: s\r\n\r\nBcc: in the body\r\n');
  assert.equal(preparedMessage(m, { removeBcc: true, sender: 'x@shop.test', fullName: 'Shop' }).toString(), 'To: a@b.jp\r\nSubject: s\r\nFrom: "Shop" <x@shop.test>\r\n\r\nBcc: in the body\r\n');
  assert.equal(preparedMessage(Buffer.from('From: me@x.jp\n\nb\n'), { removeBcc: true, sender: 'y@x.jp', fullName: undefined }).toString(), 'From: me@x.jp\n\nb\n');
  assert.equal(preparedMessage(Buffer.from('just text\n'), { removeBcc: false, sender: 'taro..y@x.jp', fullName: '太郎' }).toString(), 'From: =?UTF-8?B?5aSq6YOO?= <"taro..y"@x.jp>\n\njust text\n');
});

test('sysexits codes for our replies', () => {
  assert.equal(exitCodeFor(replies.queued('X')), 0);
  assert.equal(exitCodeFor(replies.localError), 75);
  assert.equal(exitCodeFor(replies.badRecipientAddress('two "@" signs')), 65);
  assert.equal(exitCodeFor(replies.headerFromMissing), 77);
  assert.equal(exitCodeFor(smtpReply(550, '5.1.1', 'unknown')), 67);
  assert.equal(exitCodeFor(smtpReply(554, '5.5.1', 'no')), 69);
});

test('frames round-trip and a truncated one is partial', () => {
  const frame = encodeFrame({ mailFrom: '', rcptTo: ['a@b.jp'], localUser: 'www-data' }, Buffer.from('x\r\n'));
  const d = decodeFrame(frame);
  assert.ok(d.state === 'complete');
  assert.equal(d.message.toString(), 'x\r\n');
  assert.equal(decodeFrame(frame.subarray(0, frame.length - 1)).state, 'partial');
  assert.equal(decodeFrame(Buffer.from('nope\n')).state, 'invalid');
});
