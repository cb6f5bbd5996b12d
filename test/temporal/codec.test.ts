import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  encodingOf,
  ENCRYPTED_ENCODING,
  firstMissingKey,
  keyIdOf,
  KEY_ID_METADATA,
  missingKeyInError,
  missingKeyOf,
  MissingPayloadKeyError,
  PayloadCipher,
} from '../../src/temporal/codec';

const key = (id: string) => ({ id, key: randomBytes(32) });
const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (p: Payload) => Buffer.from(p.data ?? []).toString('utf8');

describe('the AES-256-GCM payload codec', () => {
  test('an encrypted payload names its encoding and key id and carries none of the plain text', async () => {
    const codec = new PayloadCipher([key('a')]);
    const [encrypted] = await codec.encode([plain({ customerEmail: 'k.nowak@example.com', total: 1234.5 })]);
    expect(encodingOf(encrypted!)).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encrypted!.metadata![KEY_ID_METADATA]!).toString()).toBe('a');
    expect(text(encrypted!)).not.toContain('k.nowak');
    expect(text(encrypted!)).not.toContain('1234.5');
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({
      customerEmail: 'k.nowak@example.com',
      total: 1234.5,
    });
  });

  test('the same payload encrypts differently each time (a fresh nonce per payload)', async () => {
    const codec = new PayloadCipher([key('a')]);
    const [x, y] = await codec.encode([plain('same'), plain('same')]);
    expect(Buffer.from(x!.data!).equals(Buffer.from(y!.data!))).toBe(false);
  });

  test('a payload it did not encrypt passes through decode unchanged, so old histories stay readable', async () => {
    const codec = new PayloadCipher([key('a')]);
    const old = plain({ orderId: 'ORD-1' });
    const [decoded] = await codec.decode([old]);
    expect(decoded).toBe(old);
  });

  test('the first key encrypts and every listed key decrypts (rotation)', async () => {
    const a = key('a');
    const b = key('b');
    const [underA] = await new PayloadCipher([a]).encode([plain('written under a')]);
    const rotated = new PayloadCipher([b, a]);
    const [underB] = await rotated.encode([plain('written under b')]);
    expect(Buffer.from(underB!.metadata![KEY_ID_METADATA]!).toString()).toBe('b');
    const decoded = await rotated.decode([underA!, underB!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['written under a', 'written under b']);
  });

  test('a payload under a key no longer listed fails naming the key id', async () => {
    const [underA] = await new PayloadCipher([key('a')]).encode([plain('x')]);
    const withoutA = new PayloadCipher([key('b')]);
    await expect(withoutA.decode([underA!])).rejects.toThrow(MissingPayloadKeyError);
    await expect(withoutA.decode([underA!])).rejects.toThrow(/key id "a".*PAYLOAD_KEYS/);
  });

  test('a tampered payload is refused, never decoded to something else', async () => {
    const codec = new PayloadCipher([key('a')]);
    const [encrypted] = await codec.encode([plain('amount 10')]);
    const data = Buffer.from(encrypted!.data!);
    data[data.length - 1]! ^= 1;
    await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow(/could not be decrypted with key "a"/);
  });

  test('a payload with the same key id but another key is refused', async () => {
    const [encrypted] = await new PayloadCipher([key('a')]).encode([plain('x')]);
    await expect(new PayloadCipher([key('a')]).decode([encrypted!])).rejects.toThrow(/could not be decrypted/);
  });

  test('a reading codec decodes a payload under a key no longer listed to a stand-in naming it, and the rest as usual', async () => {
    const [underA] = await new PayloadCipher([key('a')]).encode([plain({ bodyHash: 'h1' })]);
    const b = key('b');
    const [underB] = await new PayloadCipher([b]).encode([plain('readable')]);
    const reading = new PayloadCipher([b]).reading();
    const [stand, readable] = await reading.decode([underA!, underB!]);
    const value = defaultPayloadConverter.fromPayload(stand!);
    expect(missingKeyOf(value)).toBe('a');
    expect(firstMissingKey({ memo: { bodyHash: value, client: 'erp' } })).toBe('a');
    expect(defaultPayloadConverter.fromPayload(readable!)).toBe('readable');
    // It encrypts as the strict one does, and still refuses what fails authentication.
    const [written] = await reading.encode([plain('x')]);
    expect(keyIdOf(written!)).toBe('b');
    const data = Buffer.from(underB!.data!);
    data[data.length - 1]! ^= 1;
    await expect(reading.decode([{ ...underB!, data }])).rejects.toThrow(/could not be decrypted with key "b"/);
  });

  test('the missing key id is found through the causes of an error', () => {
    const wrapped = new Error('describe failed', { cause: new MissingPayloadKeyError('2026-01') });
    expect(missingKeyInError(wrapped)).toBe('2026-01');
    expect(missingKeyInError(new Error('other'))).toBeUndefined();
  });
});
