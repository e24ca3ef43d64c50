// The console's pages with 100,000 messages in the queue and the history
// (issue 10): the JSON each page loads (console-measure.ts), with more cases
// than `npm run bench` shows: a filtered first page (state=deferred), a
// subject search, a page deep inside (the 20th, by following cursors), and
// one message's page.
//
//   node dist/bench/console-bench.js [--messages N] [--reps R]
import { parseArgs } from 'node:util';
import { consoleTable, measureConsole } from './console-measure.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' }, reps: { type: 'string', default: '30' } } });
const messages = Number(values.messages);
const reps = Number(values.reps);

const figures = await measureConsole({
  messages,
  reps,
  log: (line) => process.stderr.write(`${line}\n`),
  extraCases: [
    ['queue: first page, state=deferred', '/messages?state=deferred'],
    ['queue: first page, subject search', '/messages?subject=order%204242'],
    ['queue: 20th page (cursor)', '/messages?cursor={cursor20}'],
    ['message page (deferred, explained)', '/messages/{lastDeferred}?lang=ja&tz=Asia%2FTokyo'],
  ],
});
process.stdout.write(consoleTable(messages, reps, figures) + '\n');
