import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

// Customer data (emails, names, addresses, totals) is encrypted before it leaves the process, so Temporal's database,
// its backups and a hosted namespace hold ciphertext only. The keys live in PAYLOAD_KEYS (src/config).

/** The metadata `encoding` of a payload this codec encrypted. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata field naming the key a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PayloadProto = temporal.api.common.v1.Payload;

/** One AES-256 key and the id written next to every payload it encrypts. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** A payload was encrypted with a key id that is not configured: the operator must list that key again. */
export class MissingPayloadKeyError extends Error {
  constructor(readonly keyId: string) {
    super(
      `payload encrypted with key id "${keyId}", which is not in PAYLOAD_KEYS: add that key back (after the ` +
        'encrypting one) to read executions written under it',
    );
    this.name = 'MissingPayloadKeyError';
  }
}

/**
 * A payload reached a production worker without encryption. Every Switchyard client encrypts, so such a payload was
 * written by something else with access to the namespace (a CLI, the Web UI, a script); its input is not run.
 */
export class UnencryptedPayloadError extends Error {
  constructor(readonly encoding: string | undefined) {
    super(
      `refused a payload that is not encrypted (encoding "${encoding ?? 'none'}"): in production a worker runs only ` +
        'inputs encrypted with PAYLOAD_KEYS, as every Switchyard client writes them. Start the execution through the ' +
        'API or `npm run ops`, or set PAYLOAD_ENCRYPTION=off to accept plain payloads',
    );
    this.name = 'UnencryptedPayloadError';
  }
}

/** How a cipher treats a payload it did not encrypt. */
export interface CipherOptions {
  /** Refuse it (a production worker) instead of passing it through (readers of older, plain histories). */
  refuseUnencrypted?: boolean;
  /** `mark`: a payload under a key that is not configured decodes to a stand-in naming it (see `reading()`). */
  missingKey?: 'throw' | 'mark';
}

/** The metadata `encoding` of a payload, as text (undefined when absent). */
export function encodingOf(payload: Payload): string | undefined {
  const raw = payload.metadata?.encoding;
  return raw ? Buffer.from(raw).toString('utf8') : undefined;
}

/** The key id of an encrypted payload; undefined for a payload this codec did not encrypt. */
export function keyIdOf(payload: Payload): string | undefined {
  if (encodingOf(payload) !== ENCRYPTED_ENCODING) return undefined;
  const raw = payload.metadata?.[KEY_ID_METADATA];
  return raw ? Buffer.from(raw).toString('utf8') : undefined;
}

/** The JSON field of the value a reading codec puts where a payload under a missing key was: that key's id. */
export const MISSING_KEY_FIELD = '$missingPayloadKey';

/** What a reading decode gives for a payload encrypted under a key that is not configured. */
export interface UnreadablePayload {
  [MISSING_KEY_FIELD]: string;
}

/** The missing key id when `value` is the stand-in of a payload a reading codec could not decrypt. */
export function missingKeyOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const id = (value as Record<string, unknown>)[MISSING_KEY_FIELD];
  return typeof id === 'string' ? id : undefined;
}

/** The first missing key id met in `value` (a memo, a description, any decoded value), searched depth first. */
export function firstMissingKey(value: unknown): string | undefined {
  const direct = missingKeyOf(value);
  if (direct !== undefined || value === null || typeof value !== 'object' || value instanceof Uint8Array) return direct;
  for (const child of Object.values(value)) {
    const found = firstMissingKey(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * AES-256-GCM over each whole payload (its metadata and data), with a fresh random 12-byte nonce per payload and the
 * key id as additional authenticated data. The first key encrypts; every key decrypts. Payloads it did not encrypt
 * pass through decode unchanged, so histories written before encryption was turned on stay readable, unless
 * `refuseUnencrypted` is set.
 */
export class PayloadCipher implements PayloadCodec {
  private readonly encrypting: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  /**
   * `missingKey: 'mark'` makes a reading codec: a payload under a key that is not configured decodes to an
   * {@link UnreadablePayload} naming it instead of failing the whole read. Only for what is shown to a person (a memo
   * in a list, a schedule being rewritten); never for a worker or a result handed to a caller.
   */
  constructor(
    private readonly keys: readonly PayloadKey[],
    private readonly options: CipherOptions = {},
  ) {
    if (keys.length === 0) throw new Error('PayloadCipher needs at least one key');
    this.encrypting = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key new payloads are encrypted with. */
  get encryptingKeyId(): string {
    return this.encrypting.id;
  }

  /** The same keys, as a reading codec (see the constructor). */
  reading(): PayloadCipher {
    // A reader shows what it finds: it neither fails on a missing key nor refuses a plain payload.
    return new PayloadCipher(this.keys, { missingKey: 'mark' });
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.encrypting;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const plain = PayloadProto.encode(payload).finish();
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: {
        encoding: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
        [KEY_ID_METADATA]: Buffer.from(id, 'utf8'),
      },
      data: Buffer.concat([nonce, body, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = encodingOf(payload);
    if (encoding !== ENCRYPTED_ENCODING) {
      if (this.options.refuseUnencrypted) throw new UnencryptedPayloadError(encoding);
      return payload;
    }
    const id = keyIdOf(payload);
    if (id === undefined) throw new Error(`an ${ENCRYPTED_ENCODING} payload has no ${KEY_ID_METADATA} metadata`);
    const key = this.byId.get(id);
    if (!key && this.options.missingKey === 'mark') {
      const stand: UnreadablePayload = { [MISSING_KEY_FIELD]: id };
      return {
        metadata: { encoding: Buffer.from('json/plain', 'utf8') },
        data: Buffer.from(JSON.stringify(stand), 'utf8'),
      };
    }
    if (!key) throw new MissingPayloadKeyError(id);
    const data = Buffer.from(payload.data ?? []);
    if (data.length < NONCE_BYTES + TAG_BYTES) {
      throw new Error(`a payload encrypted with key "${id}" is truncated (${data.length} bytes)`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return PayloadProto.decode(plain);
    } catch (err) {
      throw new Error(
        `a payload could not be decrypted with key "${id}": it was altered, or PAYLOAD_KEYS holds another key under ` +
          'that id',
        { cause: err },
      );
    }
  }
}

/** Where the failure converter lives: the workflow bundle needs it by path (it runs inside the sandbox too). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The one data converter of every client, worker and replayer: the cipher when keys are given (none means
 * PAYLOAD_ENCRYPTION=off), and failure messages and stack traces moved into an encoded payload so they are encrypted
 * too.
 */
export function createDataConverter(
  keys: readonly PayloadKey[] | undefined,
  options: CipherOptions = {},
): DataConverter {
  return {
    payloadCodecs: keys && keys.length ? [new PayloadCipher(keys, options)] : [],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

/** The data converter of a loaded config: see {@link createDataConverter}. */
export function dataConverterFor(config: { payloads: { keys: readonly PayloadKey[] } }): DataConverter {
  return createDataConverter(config.payloads.keys);
}

/**
 * The data converter a worker runs workflows and activities with. In production with encryption on, it refuses a
 * payload it did not encrypt: anyone who can reach the namespace could otherwise start `orderPaid` with a plain
 * input and have real invoices and emails sent. The workflow task fails with {@link UnencryptedPayloadError}, so the
 * input never runs and the execution shows the reason.
 */
export function workerDataConverterFor(config: {
  production: boolean;
  payloads: { keys: readonly PayloadKey[] };
}): DataConverter {
  return createDataConverter(config.payloads.keys, { refuseUnencrypted: config.production });
}

/**
 * `converter` with every cipher in it reading (see {@link PayloadCipher}): for clients that only show what they read.
 * Encoding is unchanged, so what such a client writes is encrypted with the first key as always.
 */
export function readingDataConverter(converter: DataConverter | undefined): DataConverter {
  return {
    ...converter,
    payloadCodecs: (converter?.payloadCodecs ?? []).map((c) => (c instanceof PayloadCipher ? c.reading() : c)),
  };
}

/** The id of the key `converter` encrypts with; undefined when it does not encrypt. */
export function encryptingKeyIdOf(converter: DataConverter | undefined): string | undefined {
  const cipher = converter?.payloadCodecs?.find((c): c is PayloadCipher => c instanceof PayloadCipher);
  return cipher?.encryptingKeyId;
}

/** The missing key id anywhere in `err`'s cause chain, when a read failed for want of a key. */
export function missingKeyInError(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth += 1) {
    // By name too: the SDK may hand back an error of another copy of this module.
    if (e instanceof MissingPayloadKeyError || (e as Error).name === 'MissingPayloadKeyError') {
      return (e as MissingPayloadKeyError).keyId;
    }
  }
  return undefined;
}

function isPayload(value: object): value is Payload {
  const metadata = (value as { metadata?: unknown }).metadata;
  return (
    typeof metadata === 'object' &&
    metadata !== null &&
    (metadata as Record<string, unknown>).encoding instanceof Uint8Array
  );
}

/**
 * A copy of `value` (a history, an event, any API message) with every payload in it, failures' encoded attributes
 * included, passed through `codecs`' decode, last codec first, as the SDK decodes. For reading histories, which the
 * client hands back as stored.
 */
export async function decodePayloadsDeep<T>(value: T, codecs: readonly PayloadCodec[]): Promise<T> {
  const visit = async (v: unknown): Promise<unknown> => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
    if (Array.isArray(v)) return Promise.all(v.map(visit));
    if (isPayload(v)) {
      let payloads: Payload[] = [v];
      for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
      return payloads[0];
    }
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) out[k] = await visit(child);
    return out;
  };
  return (await visit(value)) as T;
}
