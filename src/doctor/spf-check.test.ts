import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddresses, mergeRecords } from './spf-check.js';

test('missing addresses go right after v=spf1, where they are tested first', () => {
  assert.equal(addAddresses('v=spf1 include:_spf.google.com ~all', ['203.0.113.5']), 'v=spf1 ip4:203.0.113.5 include:_spf.google.com ~all');
  assert.equal(addAddresses('v=spf1 mx -all', ['2001:db8::25']), 'v=spf1 ip6:2001:db8::25 mx -all');
  assert.equal(addAddresses('v=spf1 ip4:203.0.113.5 ~all', ['203.0.113.5']), 'v=spf1 ip4:203.0.113.5 ~all');
});

test('merging keeps every term once and one "all" at the end', () => {
  assert.equal(
    mergeRecords(['v=spf1 include:_spf.google.com mx ~all', 'v=spf1 mx ip4:198.51.100.1 -all'], ['203.0.113.5']),
    'v=spf1 ip4:203.0.113.5 include:_spf.google.com mx ip4:198.51.100.1 ~all',
  );
  assert.equal(mergeRecords(['v=spf1 a', 'v=spf1 redirect=x.example'], []), 'v=spf1 a ~all');
});
