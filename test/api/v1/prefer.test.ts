import type { Request } from 'express';
import { waitPreferenceOf } from '../../../src/api/v1/answers';

// Prefer (RFC 7240) as the command routes read it: a hint, so what is not understood is ignored, never a 400.
const requestWith = (...prefer: string[]) => ({ headersDistinct: prefer.length ? { prefer } : {} }) as Request;

describe('Prefer: wait', () => {
  test.each([
    [['wait=3'], 3],
    [['WAIT = 3'], 3],
    [['wait="2"'], 2],
    [['respond-async, wait=10'], 10],
    [['respond-async', 'wait=7'], 7],
    [['wait=4; foo=bar'], 4],
    [['wait=0'], 0],
    [['wait=1', 'wait=9'], 1],
  ])('%j is a wait of %d s', (headers, seconds) => {
    expect(waitPreferenceOf(requestWith(...headers))).toBe(seconds);
  });

  test.each([
    [[]],
    [['respond-async']],
    [['wait']],
    [['wait=']],
    [['wait=-1']],
    [['wait=1.5']],
    [['wait=abc']],
    [['wait=9999999']],
    [['waiting=3']],
  ])('%j is no wait preference', (headers) => {
    expect(waitPreferenceOf(requestWith(...headers))).toBeUndefined();
  });
});
