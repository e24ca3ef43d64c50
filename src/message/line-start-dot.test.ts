import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextLineStartDot } from './line-start-dot.js';

/** The same answer by a byte loop. */
function reference(buf: Buffer, from: number): number {
  for (let i = Math.max(from, 1); i < buf.length; i++) if (buf[i] === 0x2e && buf[i - 1] === 0x0a) return i;
  return -1;
}

test('nextLineStartDot finds every dot after LF, with sparse and dense dots, from any position', () => {
  const cases = [
    'a\r\n.b\r\n..c\r\n',
    '.at start is not after an LF\n.x',
    'no dots here\r\nat all\r\n',
    'www.example.com/a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z\n1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18\n.found after dense dots\n',
    '.'.repeat(200) + '\n' + '.'.repeat(5) + '\n' + 'x.'.repeat(100) + '\n.',
  ];
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 300; n++) {
    let s = '';
    const len = Math.floor(random() * 400);
    for (let i = 0; i < len; i++) s += '.\n\rx'[Math.floor(random() * (n % 2 === 0 ? 4 : 2.2))];
    cases.push(s);
  }
  for (const text of cases) {
    const buf = Buffer.from(text, 'latin1');
    for (let from = 0; from <= buf.length; from++) assert.equal(nextLineStartDot(buf, from), reference(buf, from), `${JSON.stringify(text)} from ${from}`);
  }
});
