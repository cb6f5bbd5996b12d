// The one place every workflow and schedule id Switchyard creates is built: the API (commands), the ingress
// (webhooks), the schedules, the ops commands, the activities and the workflows themselves (reconcile's children).
// Pure and deterministic (no node:crypto, no Buffer): workflows import it too. docs/workflow-ids.md describes the
// shapes.
//
// Every id starts with the deployment's TASK_QUEUE_PREFIX, so deployments that share a namespace never meet, and fits
// MAX_ID_BYTES bytes of UTF-8, the id limit of every server config we ship (limit.maxIDLength). An id that fits is kept
// as it is; a longer one keeps its first characters and ends in `~` and the base64url SHA-256 of the whole id.

/** Temporal's limit.maxIDLength in deploy/temporal/dynamicconfig.yaml and on the dev server: bytes of UTF-8. */
export const MAX_ID_BYTES = 255;

/** The longest TASK_QUEUE_PREFIX: leaves every id a readable part after it (and task queues their names). */
export const MAX_PREFIX_LENGTH = 48;

/**
 * The longest suffix Temporal adds to an id we build: a schedule starts its runs as `<schedule id>-<RFC 3339 time>`.
 * Schedule ids are kept that much shorter.
 */
export const SCHEDULE_RUN_SUFFIX_BYTES = '-2006-01-02T15:04:05Z'.length;

const DIGEST_CHARS = 43;
const HEAD_BYTES = MAX_ID_BYTES - 1 - DIGEST_CHARS;

/** The UTF-8 bytes of `value` as the gRPC layer sends them (a lone surrogate becomes U+FFFD, as TextEncoder does). */
export function utf8(value: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 1) {
    let code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const low = value.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i += 1;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else {
      out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
  }
  return out;
}

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];

/** SHA-256 (FIPS 180-4) in plain JavaScript: node:crypto is not available to workflow code. */
export function sha256(bytes: readonly number[]): number[] {
  const bitLength = bytes.length * 8;
  const padded = [...bytes, 0x80];
  while (padded.length % 64 !== 56) padded.push(0);
  const high = Math.floor(bitLength / 0x100000000);
  padded.push((high >>> 24) & 0xff, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff);
  padded.push((bitLength >>> 24) & 0xff, (bitLength >>> 16) & 0xff, (bitLength >>> 8) & 0xff, bitLength & 0xff);
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const w = new Array<number>(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let t = 0; t < 16; t += 1) {
      const i = offset + t * 4;
      w[t] = ((padded[i]! << 24) | (padded[i + 1]! << 16) | (padded[i + 2]! << 8) | padded[i + 3]!) >>> 0;
    }
    for (let t = 16; t < 64; t += 1) {
      const x = w[t - 15]!;
      const y = w[t - 2]!;
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as [number, number, number, number, number, number, number, number];
    for (let t = 0; t < 64; t += 1) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    [a, b, c, d, e, f, g, hh].forEach((v, i) => (h[i] = (h[i]! + v) >>> 0));
  }
  return h.flatMap((v) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding, as Buffer's 'base64url' writes it. */
export function base64url(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63].map((c) => BASE64URL[c]!);
    out += chars.slice(0, Math.min(4, bytes.length - i + 1)).join('');
  }
  return out;
}

/**
 * `id` as Temporal can take it: unchanged when its UTF-8 fits MAX_ID_BYTES; else its longest start (whole characters)
 * that leaves room for `~` and the base64url SHA-256 of the whole id's UTF-8, then those. Two ids give one only if
 * one was written as the other's compacted form.
 */
export function fitId(id: string): string {
  const bytes = utf8(id);
  if (bytes.length <= MAX_ID_BYTES) return id;
  let head = '';
  let used = 0;
  for (const char of id) {
    const size = utf8(char).length;
    if (used + size > HEAD_BYTES) break;
    head += char;
    used += size;
  }
  return `${head}~${base64url(sha256(bytes))}`;
}

/** What every id of a client's commands starts with, compacted or not: `<prefix>api:<client>:`. */
export function commandIdScope(prefix: string, client: string): string {
  return `${prefix}api:${client}:`;
}

/** The execution of a command: the Idempotency-Key, scoped by the deployment and the client. */
export function commandWorkflowId(prefix: string, client: string, key: string): string {
  return fitId(`${commandIdScope(prefix, client)}${key}`);
}

/** The execution of a webhook delivery: `<prefix><source>:<event id>` (or the adapter's dedupe key). */
export function webhookWorkflowId(prefix: string, source: string, eventKey: string): string {
  return fitId(`${prefix}${source}:${eventKey}`);
}

/** The child flow reconciliation starts for a paid order without an invoice. */
export function reconcileChildId(prefix: string, orderId: string): string {
  return fitId(`${prefix}reconcile:${orderId}`);
}

/** The long-lived workflow holding a sync's watermarks and dead-letter list. */
export function syncStateId(prefix: string, sync: string): string {
  return fitId(`${prefix}sync-state:${sync}`);
}

/** The gate of `system` for the deployment whose task queues share `prefix` (TASK_QUEUE_PREFIX). */
export function throttleGateId(prefix: string, system: string): string {
  return fitId(`${prefix}throttle-gate:${system}`);
}

/** The connection workflow of `system`: the only writer of its OAuth token set (src/flows/connection/). */
export function connectionWorkflowId(prefix: string, system: string): string {
  return fitId(`${prefix}connection:${system}`);
}

/** A declared schedule (`contact-sync`, `reconcile-orders`, `schedule-watchdog`): also its runs' id before the time. */
export function scheduleId(prefix: string, name: string): string {
  const id = `${prefix}${name}`;
  if (utf8(id).length + SCHEDULE_RUN_SUFFIX_BYTES > MAX_ID_BYTES) {
    throw new Error(`schedule id "${id}" leaves no room for the time Temporal appends to its runs' ids`);
  }
  return id;
}

/** An operator's re-send of the dead-letter list (`all`) or of one record, keyed by what it re-sends. */
export function deadLetterRetryId(prefix: string, sync: string, recordId: string | undefined, digest: string): string {
  return fitId(`${prefix}${sync}-sync:dlq-retry:${recordId === undefined ? 'all' : recordId}:${digest}`);
}
