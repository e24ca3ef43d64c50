import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignedReturnPath, type ReturnPathDomain } from './return-path.js';

const shop: ReturnPathDomain = { name: 'shop.example', returnPathDomain: undefined };
const withBounces: ReturnPathDomain = { name: 'shop.example', returnPathDomain: 'bounce.shop.example' };

test('envelope sender alignment, row by row', () => {
  const rows: [string, string | undefined, ReturnPathDomain | undefined, string][] = [
    // already aligned: unchanged
    ['info@shop.example', 'info@shop.example', shop, 'info@shop.example'],
    ['web@mail.shop.example', 'info@shop.example', shop, 'web@mail.shop.example'],
    // a web server's own address: the From address takes its place
    ['www-data@vps-1234.provider.example', 'info@shop.example', shop, 'info@shop.example'],
    ['www-data@vps-1234.provider.example', 'News <news@shop.example>'.replace(/.*<|>/g, ''), shop, 'news@shop.example'],
    // a bounce subdomain: the same local part there
    ['www-data@vps-1234.provider.example', 'info@shop.example', withBounces, 'info@bounce.shop.example'],
    ['info@shop.example', 'info@shop.example', withBounces, 'info@bounce.shop.example'],
    ['x@bounce.shop.example', 'info@shop.example', withBounces, 'x@bounce.shop.example'],
    // unregistered From domain, no From, bounces: unchanged
    ['www-data@vps.example', 'info@other.example', undefined, 'www-data@vps.example'],
    ['www-data@vps.example', undefined, shop, 'www-data@vps.example'],
    ['', 'MAILER-DAEMON@mail.shop.example', shop, ''],
    // a From local part that cannot be a reverse-path as parsed: keep the client's
    ['www-data@vps.example', 'a b@shop.example', shop, 'www-data@vps.example'],
    ['www-data@vps.example', 'ä@shop.example', shop, 'www-data@vps.example'],
    ['ä@vps.example', 'ö@shop.example', shop, 'ö@shop.example'],
  ];
  for (const [mailFrom, from, domain, expected] of rows) {
    assert.equal(alignedReturnPath(mailFrom, from, domain), expected, `${mailFrom} / ${from} / ${JSON.stringify(domain)}`);
  }
});
