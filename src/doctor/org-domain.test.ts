import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aligned, organisationalDomain } from './org-domain.js';

test('organisational domains follow the Public Suffix List', () => {
  assert.equal(organisationalDomain('mail.example.com'), 'example.com');
  assert.equal(organisationalDomain('bounce.news.example.co.jp'), 'example.co.jp');
  assert.equal(organisationalDomain('Example.COM.'), 'example.com');
});

test('RFC 7489 §3.1: relaxed = same organisational domain, strict = identical', () => {
  assert.equal(aligned('bounces.example.co.jp', 'example.co.jp', false), true);
  assert.equal(aligned('bounces.example.co.jp', 'example.co.jp', true), false);
  assert.equal(aligned('example.co.jp', 'other.co.jp', false), false);
  assert.equal(aligned('EXAMPLE.com', 'example.com.', true), true);
});
