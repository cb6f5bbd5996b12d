import { limitsProblems, type ProviderLimits, WindowBudget } from '../../src/kit/provider-limits';
import { ThrottleGate } from '../../src/kit/throttle';
import { XERO_LIMITS } from '../../src/systems/accounting/xero/limits';

// A provider's declared windows with a hand-driven clock: calls in flight, a rolling minute and a day, the provider's
// remaining headers, and the reserve a scheduled sync keeps off.
describe("a provider's windows", () => {
  let now = 5_000_000;
  const clock = { now: () => now };
  const limits: ProviderLimits = {
    problemHeader: 'X-Rate-Limit-Problem',
    windows: [
      { name: 'concurrent', description: '3 at once', limit: 3 },
      {
        name: 'minute',
        description: '6 a minute',
        limit: 6,
        spanMs: 60_000,
        remainingHeader: 'X-Min-Left',
        reserve: 2,
      },
      {
        name: 'day',
        description: '100 a day',
        limit: 100,
        spanMs: 86_400_000,
        remainingHeader: 'X-Day-Left',
        reserve: 10,
      },
    ],
  };
  const budget = (replicas = 1) => new WindowBudget(limits, { replicas, ...clock });
  const answer = (headers: Record<string, string>) => new Headers(headers);
  type Out = ReturnType<WindowBudget['take']>;
  const isTaken = (t: Out): t is Extract<Out, { answered(): void }> => 'answered' in t;
  const held = (t: Out) => (isTaken(t) ? undefined : t);

  test('calls in flight: the fourth waits until one settles; with two replicas each worker takes one', () => {
    const b = budget();
    const calls = [b.take(false), b.take(false), b.take(false)];
    expect(calls.every(isTaken)).toBe(true);
    expect(held(b.take(false))).toMatchObject({ reason: '3 at once: all in flight', yielded: false });
    (calls[0] as { answered(): void }).answered();
    expect(isTaken(b.take(false))).toBe(true);

    const shared = budget(2);
    expect(isTaken(shared.take(false))).toBe(true);
    expect(held(shared.take(false))?.reason).toBe('3 at once (1 from this worker): all in flight');
  });

  test("a rolling minute by this process's own calls: each counts until 60 s after its answer", () => {
    const b = new WindowBudget(
      { windows: [{ name: 'minute', description: '6 a minute', limit: 6, spanMs: 60_000 }] },
      { replicas: 1, ...clock },
    );
    for (let i = 0; i < 6; i++) {
      const t = b.take(false);
      if (!isTaken(t)) throw new Error('held');
      now += 100;
      t.answered();
    }
    const start = now;
    // The first answered 100 ms after it left, and 500 ms before now: free 60 s after that answer.
    expect(held(b.take(false))?.waitMs).toBe(60_000 - 500);
    now = start + 59_499;
    expect(held(b.take(false))).toBeDefined();
    now = start + 59_500;
    expect(isTaken(b.take(false))).toBe(true);
  });

  test("the provider's remaining count wins over what this process sent: none left holds every call", () => {
    const b = budget();
    const t = b.take(false);
    if (!isTaken(t)) throw new Error('held');
    t.answered();
    // Other replicas spent the minute: the provider says none is left.
    b.observe(answer({ 'X-Min-Left': '0', 'X-Day-Left': '80' }));
    const h = held(b.take(false));
    expect(h).toMatchObject({ reason: '6 a minute: none left', yielded: false });
    // The other 5 free at the window's pace over a minute: the first after 12 s (this process's own call is counted
    // until 60 s after its answer).
    expect(h!.waitMs).toBe(12_000);
    now += 11_999;
    expect(held(b.take(false))).toBeDefined();
    now += 1;
    expect(isTaken(b.take(false))).toBe(true);
    // That call is counted against the estimate until the next answer says otherwise.
    expect(held(b.take(false))?.reason).toBe('6 a minute: none left');
  });

  test("after a burst of this process's own, it waits until its own calls leave the provider's window", () => {
    const b = budget();
    for (let i = 0; i < 3; i++) {
      const t = b.take(false);
      if (!isTaken(t)) throw new Error('held');
      now += 10;
      t.answered();
      // The provider counted 3 of 6 before: those 3 are others', freeing over the minute.
      b.observe(answer({ 'X-Min-Left': String(2 - i) }));
    }
    // 3 others' (ceil: 3 until 20 s have passed) + 3 own (until 60 s after each answer) = 6.
    const h = held(b.take(false));
    expect(h?.reason).toBe('6 a minute: none left');
    expect(h!.waitMs).toBe(20_000);
  });

  test('a scheduled sync keeps off the reserve, which event flows still use', () => {
    const b = budget();
    b.observe(answer({ 'X-Min-Left': '5', 'X-Day-Left': '10' }));
    const sync = held(b.take(true));
    expect(sync).toMatchObject({ yielded: true });
    expect(sync!.reason).toBe('100 a day: about 10 left, kept for event flows (a scheduled sync waits below 11)');
    // The 90 calls counted free over the day: the first of them, after 960 s, lets the sync go.
    expect(sync!.waitMs).toBe(960_000);
    const event = b.take(false);
    expect(isTaken(event)).toBe(true);
  });

  test('a 429 naming a window starts it anew once its Retry-After has passed; the other windows keep their count', () => {
    const b = budget();
    const t = b.take(false);
    if (!isTaken(t)) throw new Error('held');
    t.answered();
    b.observe(answer({ 'X-Min-Left': '3', 'X-Day-Left': '0', 'X-Rate-Limit-Problem': 'day' }), 429);
    // The gate is closed to the system until Retry-After (throttle.ts); after it, the day is Xero's new day.
    expect(b.left('day')).toBeUndefined();
    expect(b.left('minute')).toBe(3);
    expect(isTaken(b.take(true))).toBe(true);
    // The same headers on an answer that is not a 429 are a reading like any other.
    b.observe(answer({ 'X-Day-Left': '0', 'X-Rate-Limit-Problem': 'day' }), 200);
    expect(held(b.take(false))?.reason).toBe('100 a day: none left');
  });

  test('a count beyond the limit, or not a number, is not a reading', () => {
    const b = budget();
    b.observe(answer({ 'X-Min-Left': 'lots', 'X-Day-Left': '-3' }));
    expect(b.left('minute')).toBeUndefined();
    expect(b.left('day')).toBeUndefined();
    b.observe(answer({ 'X-Min-Left': '9999' }));
    expect(b.left('minute')).toBe(6);
  });

  test('a 429 names the window by the problem header, and one not declared as such', () => {
    const b = budget();
    expect(b.named(answer({ 'X-Rate-Limit-Problem': 'Minute' }))).toBe('X-Rate-Limit-Problem: Minute, 6 a minute');
    expect(b.named(answer({ 'X-Rate-Limit-Problem': 'hourly' }))).toBe(
      'X-Rate-Limit-Problem: hourly, a limit this connector does not declare',
    );
    expect(b.named(answer({}))).toBeUndefined();
  });

  test('the gate holds calls to every window as well as the rate, and says which one', () => {
    const gate = new ThrottleGate({ ...clock });
    gate.setRate('accounting', 20);
    gate.setLimits('accounting', limits);
    gate.observe('accounting', answer({ 'X-Min-Left': '0' }));
    const h = gate.admit('accounting');
    expect(h).toMatchObject({ reason: '6 a minute: none left' });
    expect(gate.left('accounting', 'minute')).toBe(0);
    expect(gate.windowNamed('accounting', answer({ 'X-Rate-Limit-Problem': 'day' }))).toMatch(/100 a day/);
    // Another system is not held.
    expect('answered' in gate.admit('crm')).toBe(true);
  });

  test('declarations are checked: Xero’s are whole, and a wrong one says what is wrong', () => {
    expect(limitsProblems(XERO_LIMITS)).toEqual([]);
    expect(
      limitsProblems({
        windows: [
          { name: 'a', description: '', limit: 0 },
          { name: 'a', description: '', limit: 5, spanMs: 1.5 },
          { name: 'b', description: '', limit: 5, reserve: 1 },
          { name: 'c', description: '', limit: 5, spanMs: 1000, reserve: 5 },
        ],
      }),
    ).toEqual([
      'window "a": limit must be a whole number ≥ 1',
      'window "a" is declared twice',
      'window "a": spanMs must be a whole number of milliseconds > 0',
      'window "b" limits calls in flight: it has no remaining header or reserve',
      'window "c": reserve must be a whole number from 0 to below the limit',
    ]);
  });
});
