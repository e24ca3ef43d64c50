// The command line of `hikyaku sendmail` (and of /usr/sbin/sendmail when
// linked to it): the options programs actually pass, as Postfix's sendmail
// understands them. Options that only tune Sendmail's own delivery (-odi,
// -oem, -bm, -N…, -v, -oX…) are accepted and ignored; modes we do not have
// (-bs, -bp, -bt, -bv, -bd, -q…) are refused with EX_USAGE.

export interface SendmailArguments {
  /** -t: recipients from the To, Cc and Bcc fields (added to those given as arguments, as Postfix does). */
  readonly extractRecipients: boolean;
  /** -i / -oi: a line with a single "." does not end the message. */
  readonly ignoreDots: boolean;
  /** -f / -r: the envelope sender as given ('' for "<>"), or undefined for the default. */
  readonly sender: string | undefined;
  /** -F: the display name for a From field we add. */
  readonly fullName: string | undefined;
  readonly recipients: readonly string[];
}

export type ParsedArguments = { readonly ok: true; readonly args: SendmailArguments } | { readonly ok: false; readonly problem: string };

/** Options that take a value: given attached (-fuser@x) or as the next argument (-f user@x). */
const WITH_VALUE = new Set(['f', 'r', 'F', 'N', 'R', 'V', 'B', 'C', 'L', 'h', 'X']);

export function parseSendmailArguments(argv: readonly string[]): ParsedArguments {
  let extractRecipients = false;
  let ignoreDots = false;
  let sender: string | undefined;
  let fullName: string | undefined;
  const recipients: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      recipients.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      recipients.push(arg);
      continue;
    }
    const letter = arg[1] as string;
    if (WITH_VALUE.has(letter)) {
      let value = arg.slice(2);
      if (value === '') {
        if (i + 1 >= argv.length) return { ok: false, problem: `option -${letter} needs a value` };
        value = argv[++i] as string;
      }
      if (letter === 'f' || letter === 'r') sender = value;
      else if (letter === 'F') fullName = value;
      // -N (DSN notify), -R (DSN ret), -V (envid), -B (body type), -C (config), -L, -h, -X: ignored.
      continue;
    }
    if (letter === 'o') {
      // -oi (ignore dots); -odb/-odi/-odq (delivery mode), -oem/-oee/-oep (error mode) and any other -oX: ignored.
      if (arg === '-oi') ignoreDots = true;
      continue;
    }
    if (letter === 'b') {
      if (arg === '-bm') continue; // "deliver mail": the default
      return { ok: false, problem: `option ${arg} is not supported (only -bm, the default mode)` };
    }
    if (letter === 'q') return { ok: false, problem: `option ${arg} is not supported (the queue is run by the server: hikyaku queue)` };
    // A cluster of flags without values: -t, -i, -ti, -v, -m (me too), -U (initial submission), -n, -G.
    for (const flag of arg.slice(1)) {
      if (flag === 't') extractRecipients = true;
      else if (flag === 'i') ignoreDots = true;
      else if (!'vmUnGAe'.includes(flag)) return { ok: false, problem: `unknown option ${arg}` };
    }
  }
  return { ok: true, args: { extractRecipients, ignoreDots, sender, fullName, recipients } };
}
