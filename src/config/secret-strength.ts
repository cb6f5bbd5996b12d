import { createHash } from 'node:crypto';

// What production asks of its secrets beyond their format (docs/configuration-secrets.md): not a known development
// value, not guessable, not shared between two roles, and a codec origin that is an origin. Every problem names the
// variable and says what to do, never the value or any part of it.

/** Estimated strength a token or key must reach in production, in bits (see estimateBits). */
export const MIN_SECRET_BITS = 60;
/** Estimated strength a 32-byte payload key must reach: a random one estimates about 150. */
export const MIN_KEY_BITS = 100;

const GENERATE = 'generate one with `openssl rand -base64 32`';

// Words a person puts in a secret they made up, removed before estimating: what is left must be strong on its own.
// The service's own vocabulary is here too, because a value built from the variable's name is guessable.
const COMMON_WORDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'changeme',
  'change',
  'letmein',
  'welcome',
  'admin',
  'administrator',
  'root',
  'default',
  'example',
  'sample',
  'test',
  'testing',
  'dev',
  'development',
  'prod',
  'production',
  'staging',
  'local',
  'localhost',
  'key',
  'api',
  'codec',
  'payload',
  'webhook',
  'whsec',
  'shop',
  'shopify',
  'stripe',
  'crm',
  'email',
  'platform',
  'accounting',
  'switchyard',
  'temporal',
  'qwerty',
  'qwertz',
  'azerty',
  'asdf',
  'zxcv',
  'iloveyou',
  'monkey',
  'dragon',
  'master',
  'football',
  'baseball',
  'sunshine',
  'princess',
  'shadow',
  'trustno',
  'abc',
  'xyz',
];

// The commonest passwords that no word or pattern above catches: refused as they are, whatever their length.
const COMMON_PASSWORDS = new Set(['hunter2', 'p@ssw0rd', 'pa55word', 'mustang', 'michael', 'jordan23', 'superman']);

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };

function shannon(values: number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let bits = 0;
  for (const c of counts.values()) {
    const p = c / values.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** The shortest prefix the sequence repeats (a value that is one pattern over and over is as strong as the pattern). */
function period(values: number[]): number[] {
  for (let p = 1; p < values.length; p++) {
    let repeats = true;
    for (let i = p; i < values.length && repeats; i++) repeats = values[i] === values[i - p];
    if (repeats) return values.slice(0, p);
  }
  return values;
}

/**
 * A conservative estimate of how many bits of guessing a sequence of symbols resists: its length times the empirical
 * entropy of its symbols or of the steps between them, whichever is lower, after reducing a repeated pattern to one
 * copy. A run of one symbol, a repeated short pattern and a counting sequence (abcdef…, 0123…) estimate near 0; a
 * random value estimates near its true strength (random hex of 32 characters about 90, base64 of 32 bytes about 190).
 */
export function estimateSymbolBits(sequence: number[]): number {
  const values = period(sequence);
  if (values.length < 2) return 0;
  const steps = values.slice(1).map((v, i) => v - values[i]!);
  return values.length * Math.min(shannon(values), shannon(steps));
}

/** The part of a token left once common words (also in l33t spelling) and a format prefix (whsec_, shpss_) are removed. */
function withoutGuessableParts(value: string): string {
  let rest = value.replace(/^[A-Za-z]{2,6}_(?=.)/, '');
  const normal = [...rest.toLowerCase()].map((c) => LEET[c] ?? c).join('');
  const keep = new Array<boolean>(rest.length).fill(true);
  for (const word of COMMON_WORDS) {
    for (let at = normal.indexOf(word); at >= 0; at = normal.indexOf(word, at + 1)) {
      for (let i = at; i < at + word.length; i++) keep[i] = false;
    }
  }
  rest = [...rest].filter((_, i) => keep[i]).join('');
  return rest;
}

/** Estimated strength of a token in bits, after removing what a guesser tries first (see estimateSymbolBits). */
export function estimateBits(token: string): number {
  return estimateSymbolBits([...withoutGuessableParts(token)].map((c) => c.codePointAt(0)!));
}

/** Why a token or key is too weak for production (never quoting it), or undefined when it is strong enough. */
export function tokenWeakness(token: string): string | undefined {
  const normal = [...token.toLowerCase()].map((c) => LEET[c] ?? c).join('');
  if (COMMON_PASSWORDS.has(token.toLowerCase()) || COMMON_WORDS.includes(normal)) {
    return `is on the list of commonly used values; ${GENERATE}`;
  }
  const bits = estimateBits(token);
  if (bits < MIN_SECRET_BITS) {
    return (
      `is too weak (about ${Math.floor(bits)} bits estimated, ${MIN_SECRET_BITS} needed: a run of one character, a ` +
      `repeated pattern, a sequence or common words do not count); ${GENERATE}`
    );
  }
  return undefined;
}

/** Why raw key bytes are degenerate (all one byte, a repeated pattern, a sequence, few distinct bytes), or undefined. */
export function keyWeakness(key: Buffer): string | undefined {
  const bits = estimateSymbolBits([...key]);
  if (bits < MIN_KEY_BITS) {
    return `is not random (all one byte, a repeated pattern or a sequence); ${GENERATE}`;
  }
  return undefined;
}

/** One secret a variable holds (a variable may hold several: each payload key, each webhook secret during a rotation). */
export interface SecretPart {
  variable: string;
  /** Where in the variable, when it holds several ("key 2", "[1]"); never the value. */
  at?: string;
  /** The secret itself, or undefined when only its SHA-256 is known (API_CLIENTS keys given as sha256:<hex>). */
  value?: string;
  /** SHA-256 (hex) of the secret as a caller presents it. */
  sha256: string;
}

const sha256Hex = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A secret part from its value. */
export function secretPart(variable: string, value: string, at?: string): SecretPart {
  return { variable, value, sha256: sha256Hex(value), ...(at ? { at } : {}) };
}

const label = (p: SecretPart) => (p.at ? `${p.variable} ${p.at}` : p.variable);

// The high-entropy cores of a value: its runs of base64/hex characters of 16 or more, so a core recognises the
// development value inside another format (whsec_<core>, id:<core>, a URL path ending in it).
const CORE = /[A-Za-z0-9+/=]{16,}/g;

/**
 * Recognises the service's own development values wherever they appear: a value holding one, a value that is a
 * 16+ character slice of one, or the sha256:<hex> of one.
 */
export class DevelopmentValues {
  private readonly cores: string[];
  private readonly digests: Set<string>;

  constructor(values: readonly string[]) {
    const cores = new Set<string>();
    const digests = new Set<string>();
    for (const value of values) {
      for (const word of value.split(/[\s",:{}[\]]+/).filter((w) => w.length >= 16)) digests.add(sha256Hex(word));
      for (const core of value.match(CORE) ?? []) {
        // Compared without case: a hex value in capitals is the same secret.
        cores.add(core.toLowerCase());
        digests.add(sha256Hex(core));
      }
    }
    this.cores = [...cores];
    this.digests = digests;
  }

  /** True when the part is, holds or is cut from a development value. */
  matches(part: SecretPart): boolean {
    if (this.digests.has(part.sha256.toLowerCase())) return true;
    const value = part.value?.toLowerCase();
    if (value === undefined) return false;
    if (this.cores.some((core) => value.includes(core))) return true;
    return (value.match(CORE) ?? []).some((piece) => this.cores.some((core) => core.includes(piece)));
  }
}

/**
 * Problems for every group of secret parts that share one value: two roles with one token cannot be told apart, and
 * a leak of one is a leak of both. A part given as `whsec_<x>` shares with a part `<x>`.
 */
export function sharedSecretProblems(parts: readonly SecretPart[]): string[] {
  const groups = new Map<string, SecretPart[]>();
  const add = (identity: string, part: SecretPart) => {
    const group = groups.get(identity) ?? [];
    if (!group.includes(part)) group.push(part);
    groups.set(identity, group);
  };
  for (const part of parts) {
    add(part.sha256.toLowerCase(), part);
    const unprefixed = part.value?.replace(/^[A-Za-z]{2,6}_(?=.)/, '');
    if (unprefixed !== undefined && unprefixed !== part.value && unprefixed.length >= 16) {
      add(sha256Hex(unprefixed), part);
    }
  }
  const problems = new Set<string>();
  for (const group of groups.values()) {
    // The same secret listed twice within one webhook variable is a rotation that repeats itself, not two roles.
    const distinct = group.filter((p, i) => group.findIndex((q) => label(q) === label(p)) === i);
    if (distinct.length < 2) continue;
    if (distinct.every((p) => p.variable === distinct[0]!.variable && /_WEBHOOK_SECRET$/.test(p.variable))) continue;
    problems.add(
      `${distinct.map(label).join(' and ')} hold the same secret: give each its own, so that one leaking or ` +
        'being rotated does not expose or break the other',
    );
  }
  return [...problems];
}

/**
 * Why a browser origin is unusable as the one origin allowed (null, file:, a path, userinfo, a wildcard), or
 * undefined when it is http(s)://host[:port].
 */
export function originProblem(value: string): string | undefined {
  const expected = 'must be an origin, http(s)://host[:port], with no path, query, user or wildcard';
  if (value.includes('*')) return expected;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return expected;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return expected;
  if (parsed.origin === 'null' || !parsed.hostname) return expected;
  if (parsed.username || parsed.password || parsed.search || parsed.hash || value.includes('@')) return expected;
  if (parsed.pathname !== '/' || !/^https?:\/\/[^/?#]+\/?$/i.test(value)) return expected;
  return undefined;
}
