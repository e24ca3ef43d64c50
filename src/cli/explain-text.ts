// The explanation lines `queue show` and `history` print under a recipient's
// last reply (src/explain/), in the CLI's language and the machine's time zone.
import { explainReply, type ExplainInput, type Explanation } from '../explain/explain-reply.js';
import type { Lang } from './language.js';

/** A queue recipient's lastError as queue/delivery-log.ts writes it: "host MTA said: REPLY" or "MTA: detail" or "detail". */
export function explainLastError(lastError: string, lastStatus: string | undefined, nextAttemptAtMs: number | undefined, lang: Lang): Explanation {
  const said = /^host (\S+) said: (.*)$/s.exec(lastError);
  const input: ExplainInput = said
    ? { outcome: 'deferred', remoteMta: said[1], text: said[2], enhanced: lastStatus, nextAttemptAtMs }
    : { outcome: 'deferred', text: lastError, enhanced: lastStatus, nextAttemptAtMs };
  return explainReply(input, lang);
}

/** Two indented lines: what it means, what to do. */
export function explanationLines(e: Explanation, lang: Lang, indent = '  '): string[] {
  const [meaning, todo] = lang === 'ja' ? ['意味', '対応'] : ['meaning', 'to do'];
  return [`${indent}${meaning}: ${e.summary}`, `${indent}${todo}: ${e.action}`];
}
