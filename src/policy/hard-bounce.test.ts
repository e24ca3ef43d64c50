import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryFailure, DeliveryStage } from '../core/outcome.js';
import { expiredFailure } from '../queue/attempt-result.js';
import { suppressionFor } from './hard-bounce.js';

const MTA = 'mx.dest.test[192.0.2.1]';

function remote(stage: DeliveryStage, code: number, enhanced: string | undefined, status: string, text = 'some text'): DeliveryFailure {
  return { status, stage, remoteMta: MTA, remoteReply: { code, enhanced, text }, detail: `host ${MTA} said: ...` };
}

function local(stage: DeliveryStage, status: string, detail = 'detail'): DeliveryFailure {
  return { status, stage, remoteMta: undefined, remoteReply: undefined, detail };
}

// [what, failure, suppressed?]
const rows: Array<[string, DeliveryFailure, boolean]> = [
  ['550 5.1.1 at RCPT: no such mailbox', remote('rcpt', 550, '5.1.1', '5.1.1'), true],
  ['550 5.1.2 at RCPT: bad destination system', remote('rcpt', 550, '5.1.2', '5.1.2'), true],
  ['553 5.1.3 at RCPT: bad mailbox syntax', remote('rcpt', 553, '5.1.3', '5.1.3'), true],
  ['550 5.1.6 at RCPT: mailbox moved, no forwarding', remote('rcpt', 550, '5.1.6', '5.1.6'), true],
  ['556 5.1.10 at RCPT (a smarthost saw the null MX)', remote('rcpt', 556, '5.1.10', '5.1.10'), true],
  ['550 5.1.0 at RCPT: unspecified address status', remote('rcpt', 550, '5.1.0', '5.1.0'), false],
  ['550 5.1.4 at RCPT: ambiguous address', remote('rcpt', 550, '5.1.4', '5.1.4'), false],
  ['550 5.1.7 at RCPT: our sender address is bad', remote('rcpt', 550, '5.1.7', '5.1.7'), false],
  ['550 5.1.8 at RCPT: our sender domain is bad', remote('rcpt', 550, '5.1.8', '5.1.8'), false],
  ['550 5.7.1 at RCPT: policy / spam', remote('rcpt', 550, '5.7.1', '5.7.1'), false],
  ['552 5.2.2 at RCPT: mailbox full', remote('rcpt', 552, '5.2.2', '5.2.2'), false],
  ['550 without enhanced code (status is our 5.0.0)', remote('rcpt', 550, undefined, '5.0.0', 'User unknown'), false],
  ['550 4.1.1 (class moved to 5 by us): not the remote code', remote('rcpt', 550, '4.1.1', '5.1.1'), false],
  ['450 4.1.1 at RCPT: temporary', remote('rcpt', 450, '4.1.1', '4.1.1'), false],
  ['550 5.1.1 at MAIL: about the transaction, not this recipient', remote('mail', 550, '5.1.1', '5.1.1'), false],
  ['550 5.1.1 after DATA: cannot be pinned on one recipient', remote('data', 550, '5.1.1', '5.1.1'), false],
  ['null MX in DNS: 5.1.10', local('dns', '5.1.10', 'domain dest.test does not accept mail (null MX)'), true],
  ['NXDOMAIN in our resolver: 5.1.2', local('dns', '5.1.2', 'Host or domain name not found'), false],
  ['no route to domain: 5.1.2', local('dns', '5.1.2', 'no route to domain dest.test'), false],
  ['our own refusal to try a bad address: 5.1.3 local', local('local', '5.1.3', 'invalid recipient address'), false],
  ['message too big for the remote SIZE: 5.3.4', local('mail', '5.3.4'), false],
  ['expired after a remote 4.1.1: 5.4.7', expiredFailure(remote('rcpt', 450, '4.1.1', '4.1.1')), false],
  ['DNS timeout: 4.4.3', local('dns', '4.4.3'), false],
];

describe('suppressionFor', () => {
  for (const [what, failure, suppressed] of rows) {
    it(`${what} → ${suppressed ? 'suppress' : 'keep'}`, () => {
      assert.equal(suppressionFor(failure) !== undefined, suppressed);
    });
  }

  it('the reason says who said what, on one line', () => {
    const failure = remote('rcpt', 550, '5.1.1', '5.1.1', 'The email account does not exist.\nPlease check the address.');
    assert.deepEqual(suppressionFor(failure), {
      reason: `host ${MTA} said: 550 5.1.1 The email account does not exist. Please check the address.`,
    });
    assert.deepEqual(suppressionFor(local('dns', '5.1.10', 'domain dest.test does not accept mail (null MX)')), {
      reason: '5.1.10 domain dest.test does not accept mail (null MX)',
    });
  });
});
