// Text that came from outside (a downstream's error, a record's field, a workflow's failure) is shown to people by
// the ops CLI and the alerts. Raw, its control characters are instructions to the terminal or the reader: ESC starts
// sequences that move the cursor, erase lines, retitle the window or hide text; a carriage return overwrites what the
// line said; bidi overrides show characters in another order than they are; zero-width characters make two strings
// look alike. Shown through printable(), each becomes visible text, the JSON escape of its code unit (`\u001b`): inert,
// and the operator still sees that something was there. In JSON, that escape is the same character, so JSON output
// passed through printable() parses to the same value.

// C0 and C1 controls, DEL, format characters (bidi embeddings, overrides and isolates, marks, zero-width characters,
// soft hyphen, BOM), line and paragraph separators, and unpaired surrogates.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|\p{Cs}/gu;
const LINE_BREAK = /\r\n|[\n\r\u2028\u2029]/g;

const escaped = (char: string) =>
  Array.from({ length: char.length }, (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/**
 * `text` with every control, format and invisible character shown as its escape. `multiline` keeps line feeds and tabs
 * (output whose lines are its structure: a table, a plan); otherwise a line break becomes a space, so a value cannot
 * start a line of its own in what it is shown in.
 */
export function printable(text: string, options: { multiline?: boolean } = {}): string {
  const flat = options.multiline ? text : text.replace(LINE_BREAK, ' ').replace(/\t/g, ' ');
  return flat.replace(UNSAFE, (char) => (options.multiline && (char === '\n' || char === '\t') ? char : escaped(char)));
}
