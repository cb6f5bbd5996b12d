import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { loadConfig } from '../../src/config';
import {
  base64url,
  commandIdScope,
  commandWorkflowId,
  deadLetterRetryId,
  fitId,
  MAX_ID_BYTES,
  MAX_PREFIX_LENGTH,
  reconcileChildId,
  SCHEDULE_RUN_SUFFIX_BYTES,
  scheduleId,
  sha256,
  syncStateId,
  throttleGateId,
  utf8,
  webhookWorkflowId,
} from '../../src/contracts/workflow-ids';
import { scheduleDefinitions } from '../../src/schedules/definitions';

// Every id the service builds fits the id limit of the server configs we ship, and carries the deployment's prefix.
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const longestPrefix = 'p'.repeat(MAX_PREFIX_LENGTH);
const longestClient = `c${'-'.repeat(62)}`;
const longestKey = '~'.repeat(255);

describe('the pure SHA-256, UTF-8 and base64url workflows use', () => {
  test('agree with node:crypto and Buffer for any text, one block or many', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const encoded = utf8(text);
        expect(Buffer.from(encoded)).toEqual(Buffer.from(text, 'utf8'));
        expect(base64url(sha256(encoded))).toBe(createHash('sha256').update(text, 'utf8').digest('base64url'));
      }),
      { numRuns: 300, seed: 22 },
    );
  });

  test('base64url agrees with Buffer for every length', () => {
    for (let n = 0; n < 70; n += 1) {
      const data = Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      expect(base64url(data)).toBe(Buffer.from(data).toString('base64url'));
    }
  });
});

describe('fitId', () => {
  test('keeps an id of at most 255 bytes as it is, and compacts a longer one to 255 bytes or fewer', () => {
    expect(fitId('x'.repeat(255))).toBe('x'.repeat(255));
    // 85 three-byte characters are 255 bytes; one more is over.
    expect(fitId('№'.repeat(85))).toBe('№'.repeat(85));
    const compacted = fitId('№'.repeat(86));
    expect(bytes(compacted)).toBeLessThanOrEqual(MAX_ID_BYTES);
    expect(compacted).toMatch(/^№+~[A-Za-z0-9_-]{43}$/);
  });

  test('distinct ids stay distinct, and a compacted one keeps its readable start', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }),
        fc.string({ maxLength: 3 }),
        (a, b) => {
          const one = fitId(`api:erp:${a}`);
          const other = fitId(`api:erp:${a}${b}`);
          expect(bytes(one)).toBeLessThanOrEqual(MAX_ID_BYTES);
          expect(one.startsWith('api:erp:')).toBe(true);
          if (b) expect(one).not.toBe(other);
        },
      ),
      { numRuns: 300, seed: 22 },
    );
  });
});

describe('the ids the service builds', () => {
  test('every shape, at its longest, fits 255 bytes and starts with the prefix', () => {
    const ids = [
      commandWorkflowId(longestPrefix, longestClient, longestKey),
      webhookWorkflowId(longestPrefix, 'shopify', '№'.repeat(300)),
      reconcileChildId(longestPrefix, '№'.repeat(300)),
      syncStateId(longestPrefix, 'contact'),
      throttleGateId(longestPrefix, 'email-platform'),
      deadLetterRetryId(longestPrefix, 'contact', 'x'.repeat(300), 'digest'),
    ];
    for (const id of ids) {
      expect(bytes(id)).toBeLessThanOrEqual(MAX_ID_BYTES);
      expect(id.startsWith(longestPrefix)).toBe(true);
    }
    // A compacted command id still names its client, which is how an operation is found to be the caller's.
    expect(ids[0]!.startsWith(commandIdScope(longestPrefix, longestClient))).toBe(true);
  });

  test("the schedules' ids leave room for the time Temporal appends to their runs' ids", () => {
    const config = loadConfig({ TASK_QUEUE_PREFIX: longestPrefix });
    for (const def of scheduleDefinitions(config)) {
      expect(def.id.startsWith(longestPrefix)).toBe(true);
      expect(bytes(def.id) + SCHEDULE_RUN_SUFFIX_BYTES).toBeLessThanOrEqual(MAX_ID_BYTES);
    }
    expect(() => scheduleId(longestPrefix, 'x'.repeat(255))).toThrow(/no room/);
  });

  test('two deployments never build the same id for the same input', () => {
    expect(commandWorkflowId('blue-', 'erp', 'k')).not.toBe(commandWorkflowId('green-', 'erp', 'k'));
    expect(webhookWorkflowId('blue-', 'shopify', 'e1')).not.toBe(webhookWorkflowId('green-', 'shopify', 'e1'));
    expect(reconcileChildId('blue-', 'ORD-1')).not.toBe(reconcileChildId('green-', 'ORD-1'));
  });

  test('the limit is the one the shipped cluster config sets', () => {
    const file = fs.readFileSync(path.resolve(__dirname, '../../deploy/temporal/dynamicconfig.yaml'), 'utf8');
    expect(file).toMatch(new RegExp(`limit\\.maxIDLength:\\s*\\n\\s*- value: ${MAX_ID_BYTES}\\b`));
  });

  test('a TASK_QUEUE_PREFIX over 48 characters is refused at config load, naming the variable and the limit', () => {
    expect(() => loadConfig({ TASK_QUEUE_PREFIX: 'p'.repeat(MAX_PREFIX_LENGTH + 1) })).toThrow(
      /TASK_QUEUE_PREFIX.*at most 48/s,
    );
    expect(loadConfig({ TASK_QUEUE_PREFIX: longestPrefix }).temporal.taskQueuePrefix).toBe(longestPrefix);
  });
});
