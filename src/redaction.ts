import { createHash } from 'node:crypto';

// Customers' email addresses are personal data. Logs, spans, alerts and failure messages outlive and travel further
// than Temporal's encrypted payloads, so whatever enters them passes through here: every address, in whichever
// spelling a system or a URL gave it, becomes its hash, and text from outside is cut to a bound. The work is linear in
// the text: one pass decodes, one pass around each `@` finds the address; nothing backtracks.

/** The most characters of a downstream's own text (an error body, a rejection) kept in an error, alert or span. */
export const MAX_MESSAGE_LENGTH = 500;

/** What a log line, span or alert shows instead of an email address: a short hash, the same for every spelling. */
export function emailHash(email: string): string {
  return `email:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 12)}`;
}

// Where an `@` may hide: itself, percent-encoded (any number of times), an HTML entity (itself escaped or not), a
// JS/JSON escape, the fullwidth and small forms. A text with none of these holds no address, whatever else it holds.
const AT = /@|%(?:25)*40|%u0040|&(?:amp;)*(?:#0*64|#x0*40|commat)|\\(?:u0*40|x40|u\{0*40\})|[\uFF20\uFE6B]/i;

const PERCENT = /%(?:25)*([0-9a-f]{2})|%u([0-9a-f]{4})/iy;
const ENTITY = /&(?:amp;)*(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(commat|period|plus|lowbar|hyphen|dash|percnt|amp));?/iy;
const ESCAPE = /\\(?:u\{([0-9a-f]{1,6})\}|u([0-9a-f]{4})|x([0-9a-f]{2}))/iy;
const NAMED: Record<string, string> = {
  commat: '@',
  period: '.',
  plus: '+',
  lowbar: '_',
  hyphen: '-',
  dash: '-',
  percnt: '%',
  amp: '&',
};
const IGNORABLE = /^[\p{Cf}\u00AD\u180E]$/u;
const LETTER = /^[\p{L}\p{N}\p{M}]$/u;

/**
 * The text as a sequence of units, each one character as a reader would see it (`%40`, `&#64;`, `\u0040` and `＠`
 * are each one `@`) with where it stands in the original. Invisible format characters are units of no character, so a
 * zero-width space cannot split an address.
 */
function units(text: string): { chars: string[]; starts: number[]; ends: number[] } {
  const chars: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const push = (char: string, start: number, end: number) => {
    chars.push(char);
    starts.push(start);
    ends.push(end);
  };
  const sticky = (re: RegExp, at: number) => {
    re.lastIndex = at;
    return re.exec(text);
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      // A run of backslashes before an escape is the escape escaped again (`\\u0040` in JSON of JSON): one unit.
      // The run is read once, so a long one costs its length and no more.
      let last = i;
      while (text.charCodeAt(last + 1) === 0x5c) last += 1;
      const m = sticky(ESCAPE, last);
      const decoded = m ? decode(m) : undefined;
      if (decoded !== undefined) {
        push(decoded, i, ESCAPE.lastIndex);
        i = ESCAPE.lastIndex;
      } else {
        for (; i <= last; i += 1) push('\\', i, i + 1);
      }
      continue;
    }
    if (c === 0x25 || c === 0x26) {
      const re = c === 0x25 ? PERCENT : ENTITY;
      const m = sticky(re, i);
      const decoded = m ? decode(m) : undefined;
      if (m && decoded !== undefined) {
        if (c === 0x25 && decoded.charCodeAt(0) >= 0xc0 && decoded.length === 1) {
          // A UTF-8 sequence in percent-encoding (`j%C3%B3zef`): one character, so it hashes as its literal form.
          const bytes = [decoded.charCodeAt(0)];
          let end = re.lastIndex;
          const need = bytes[0]! >= 0xf0 ? 4 : bytes[0]! >= 0xe0 ? 3 : 2;
          while (bytes.length < need) {
            const next = sticky(PERCENT, end);
            const byte = next?.[1] === undefined ? NaN : parseInt(next[1], 16);
            if (!(byte >= 0x80 && byte < 0xc0)) break;
            bytes.push(byte);
            end = PERCENT.lastIndex;
          }
          if (bytes.length === need) {
            push(Buffer.from(bytes).toString('utf8'), i, end);
            i = end;
            continue;
          }
        }
        push(decoded, i, re.lastIndex);
        i = re.lastIndex;
        continue;
      }
    }
    const code = text.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    let char = text.slice(i, i + width);
    if (code >= 0xff01 && code <= 0xff5e) char = String.fromCharCode(code - 0xfee0);
    else if (code === 0xfe6b) char = '@';
    else if (code === 0x3002 || code === 0xff61 || code === 0xfe52) char = '.';
    else if (code === 0x34f || (code >= 0x80 && IGNORABLE.test(char))) char = '';
    push(char, i, i + width);
    i += width;
  }
  return { chars, starts, ends };
}

function decode(m: RegExpExecArray): string | undefined {
  const [, a, b, c] = m;
  if (m[0].startsWith('%')) return String.fromCharCode(parseInt((a ?? b)!, 16));
  if (m[0].startsWith('&')) {
    if (c !== undefined) return NAMED[c.toLowerCase()];
    const code = a !== undefined ? parseInt(a, 10) : parseInt(b!, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  const code = parseInt((a ?? b ?? c)!, 16);
  return code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

function isLocal(char: string): boolean {
  return /^[A-Za-z0-9._+'-]$/.test(char) || (char.charCodeAt(0) >= 0x80 && LETTER.test(char));
}

function isDomain(char: string): boolean {
  return /^[A-Za-z0-9.-]$/.test(char) || (char.charCodeAt(0) >= 0x80 && LETTER.test(char));
}

/**
 * Replaces every email address in `text`, in any of the spellings above (mixed case, `+tags`, inside a URL or a query
 * string), by its `emailHash`. An `@` counts as an address when a local part stands before it and a domain with a
 * letter after it: `pkg@1.2.3` stays, `ops@localhost` goes; this errs towards hiding.
 */
export function redactEmails(text: string): string {
  if (!AT.test(text)) return text;
  const { chars, starts, ends } = units(text);
  let out = '';
  let copied = 0;
  // Each scan stops where the one before ended, so every unit is looked at a bounded number of times.
  let floor = 0;
  for (let k = 0; k < chars.length; k += 1) {
    if (chars[k] !== '@') continue;
    let first = k;
    while (first > floor && (chars[first - 1] === '' || isLocal(chars[first - 1]!))) first -= 1;
    while (first < k && (chars[first] === '' || chars[first] === '.' || chars[first] === "'")) first += 1;
    let last = k;
    while (last + 1 < chars.length && (chars[last + 1] === '' || isDomain(chars[last + 1]!))) last += 1;
    while (last > k && (chars[last] === '' || chars[last] === '.' || chars[last] === '-')) last -= 1;
    floor = k + 1;
    const local = chars.slice(first, k).join('');
    const domain = chars.slice(k + 1, last + 1).join('');
    if (!local || !/[^\d.-]/.test(domain)) continue;
    out += text.slice(copied, starts[first]) + emailHash(`${local}@${domain}`);
    copied = ends[last]!;
    floor = last + 1;
    k = last;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Whether `text` holds an email address in any spelling `redactEmails` knows. */
export function containsEmail(text: string): boolean {
  return redactEmails(text) !== text;
}

/**
 * At most `max` characters of `text`, ending in `…` when cut. A word the cut falls in is dropped whole: half an address
 * (`k.nowak+promo…`) no longer looks like one, so it would pass the redactor.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // What cannot stand in an address in any spelling ends the word.
  const separator = (char: string | undefined) => char === undefined || !/[\w.+'%&#;\\@\u0080-\uffff-]/.test(char);
  let end = Math.max(0, max - 1);
  if (!separator(text[end])) while (end > 0 && !separator(text[end - 1])) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Text from outside (a downstream's answer, an error message) as it may enter an error, alert, log or span. */
export function safeText(text: string, max = MAX_MESSAGE_LENGTH): string {
  const redacted = redactEmails(clip(text, max));
  return redacted.length > max ? `${redacted.slice(0, max - 1)}…` : redacted;
}

export interface ScrubLimits {
  /** Objects nested deeper than this are replaced by `[too deep]`. */
  depth: number;
  /** Strings longer than this are cut (`clip`). */
  string: number;
  /** Values visited in one call; the rest is replaced by `[too large]`. */
  nodes: number;
}

const DEFAULT_LIMITS: ScrubLimits = { depth: 10, string: 10_000, nodes: 5_000 };

/**
 * A copy of `value` that holds no email address: strings and object keys redacted, Errors (their subclass, message,
 * stack, cause and own properties kept), Maps, Sets, class instances and `toJSON` values walked, binary data replaced
 * by its size (it may be an encoding of anything). Past the depth or size bound, values are replaced, never passed
 * through; a cycle becomes `[circular]`.
 */
export function scrub(value: unknown, limits: Partial<ScrubLimits> = {}): unknown {
  const max = { ...DEFAULT_LIMITS, ...limits };
  const ancestors = new Set<object>();
  let visited = 0;
  const text = (s: string) => redactEmails(clip(s, max.string));

  function walk(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth > max.depth) return '[too deep]';
    if (ancestors.has(v)) return '[circular]';
    if ((visited += 1) > max.nodes) return '[too large]';
    ancestors.add(v);
    try {
      return inner(v, depth + 1);
    } catch {
      return '[unreadable]';
    } finally {
      ancestors.delete(v);
    }
  }

  function entries(v: object, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[text(k)] = walk(x, depth);
    return out;
  }

  function inner(v: object, depth: number): unknown {
    if (Array.isArray(v)) return v.map((x) => walk(x, depth));
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return `[${v.byteLength} bytes]`;
    if (v instanceof Map) return [...v].map(([k, x]) => [walk(k, depth), walk(x, depth)]);
    if (v instanceof Set) return [...v].map((x) => walk(x, depth));
    if (v instanceof Date) return v;
    if (v instanceof Error) {
      // Same prototype, so the logger still names the subclass (`type`) and serializes it as an error.
      const copy = Object.create(Object.getPrototypeOf(v) as object) as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(v)) {
        copy[text(key)] = walk((v as unknown as Record<string, unknown>)[key], depth);
      }
      if (!('cause' in copy) && v.cause !== undefined) copy.cause = walk(v.cause, depth);
      return copy;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return walk(toJSON.call(v), depth);
    }
    return entries(v, depth);
  }

  return walk(value, 0);
}
