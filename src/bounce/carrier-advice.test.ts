// When the DSN tells the sender that a legacy carrier address needs replacing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RemoteReply } from '../core/outcome.js';
import { carrierAdvice, isCarrierDomain } from './carrier-advice.js';

const refused: RemoteReply = { code: 550, enhanced: '5.1.1', text: 'Unknown user' };
const busy: RemoteReply = { code: 451, enhanced: '4.3.0', text: 'try later' };

test('carrierAdvice: only a 5xx from a carrier domain for a local part with misplaced dots', () => {
  const cases: [string, RemoteReply | undefined, boolean][] = [
    ['taro..yamada@docomo.ne.jp', refused, true],
    ['"taro..yamada"@docomo.ne.jp', refused, true],
    ['hanako.@ezweb.ne.jp', refused, true],
    ['.taro@au.com', refused, true],
    ['taro..yamada@i.softbank.jp', refused, true],
    ['taro..yamada@biz.ezweb.ne.jp', refused, true],
    ['taro..yamada@DOCOMO.NE.JP', refused, true],
    // Nothing to advise: a valid address, another domain, a temporary reply, no reply, quotes for a space.
    ['taro.yamada@docomo.ne.jp', refused, false],
    ['taro..yamada@example.jp', refused, false],
    ['taro..yamada@notdocomo.ne.jp', refused, false],
    ['taro..yamada@docomo.ne.jp', busy, false],
    ['taro..yamada@docomo.ne.jp', undefined, false],
    ['"taro yamada"@docomo.ne.jp', refused, false],
  ];
  for (const [rcptTo, reply, advised] of cases) assert.equal(carrierAdvice(rcptTo, reply) !== undefined, advised, rcptTo);
});

test('isCarrierDomain: the domain or a subdomain of one in the table', () => {
  assert.equal(isCarrierDomain('docomo.ne.jp'), true);
  assert.equal(isCarrierDomain('t.vodafone.ne.jp'), true);
  assert.equal(isCarrierDomain('ne.jp'), false);
  assert.equal(isCarrierDomain('xdocomo.ne.jp'), false);
});
