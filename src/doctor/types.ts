// What the doctor reports. A finding is data: the renderer (text or JSON)
// decides how it looks, the catalogue (`messages.ts`) holds every sentence.

export type CheckStatus = 'ok' | 'warning' | 'error' | 'info';

/** One sentence in both languages the doctor speaks. */
export interface Text {
  readonly en: string;
  readonly ja: string;
}

export interface Fix extends Text {
  /** The DNS record (zone-file line) or config snippet to paste, as is. */
  readonly record?: string;
}

export interface Finding {
  /** Stable identifier of the check, e.g. 'spf.lookups'; several findings may share one. */
  readonly id: string;
  readonly status: CheckStatus;
  /** What was checked: a domain, an IP address, a file; for grouping in the output. */
  readonly subject?: string;
  readonly title: Text;
  readonly explanation: Text;
  readonly fix?: Fix;
}

/** The parts of a finding the message catalogue provides. */
export interface Message {
  readonly title: Text;
  readonly explanation: Text;
  readonly fix?: Text;
}

export function finding(
  id: string,
  status: CheckStatus,
  subject: string,
  message: Message,
  record?: string,
): Finding {
  const fix = message.fix === undefined ? undefined : record === undefined ? { ...message.fix } : { ...message.fix, record };
  return fix === undefined
    ? { id, status, subject, title: message.title, explanation: message.explanation }
    : { id, status, subject, title: message.title, explanation: message.explanation, fix };
}
