import { type SharedWindows, ThrottleGate } from '../../src/kit/throttle';

// The per-process gate with a hand-driven clock: windows from Retry-After, and turns spaced at the system's rate, below
// it by a headroom where one is set (most tests here set 10 %; the default is none).
describe('the throttle gate', () => {
  let now = 1_000_000;
  const gate = (headroomPercent = 10) => new ThrottleGate({ now: () => now, headroomPercent });

  test("by default there is no headroom: each call counts until 1000 ms after its answer, the provider's own window", () => {
    const g = new ThrottleGate({ now: () => now });
    g.setRate('email-platform', 5);
    expect([0, 1, 2].map(() => g.reserve('email-platform', 10_000))).toEqual([
      { waitMs: 0 },
      { waitMs: 200 },
      { waitMs: 400 },
    ]);
    const start = now;
    const burst = Array.from({ length: 5 }, () => g.admit('email-platform'));
    now += 30;
    for (const call of burst) if ('answered' in call) call.answered();
    // The provider counted each on arrival, at the latest when it answered (start + 30): all five leave its rolling
    // second by start + 1030, whatever the lag on either side, so the sixth goes then and no earlier.
    expect(g.admit('email-platform')).toEqual({ waitMs: 1000 });
    now = start + 1029;
    expect(g.admit('email-platform')).toEqual({ waitMs: 1 });
    now = start + 1030;
    expect(g.admit('email-platform')).toHaveProperty('answered');
  });

  test('a closed window holds only its own system, and a shorter window never shortens a longer one', () => {
    const g = gate();
    g.closeFor('accounting', 3000);
    g.closeFor('accounting', 1000);
    expect(g.remainingMs('accounting')).toBe(3000);
    expect(g.remainingMs('email-platform')).toBe(0);
    now += 3000;
    expect(g.remainingMs('accounting')).toBe(0);
  });

  test('turns at 5 per second are spaced 220 ms apart (10 % headroom), starting after a closed window', () => {
    const g = gate();
    g.setRate('email-platform', 5);
    g.closeFor('email-platform', 1000);
    const waits = Array.from({ length: 4 }, () => g.reserve('email-platform', 10_000));
    expect(waits).toEqual([{ waitMs: 1000 }, { waitMs: 1220 }, { waitMs: 1440 }, { waitMs: 1660 }]);
  });

  test('a turn further away than the caller may wait is not reserved', () => {
    const g = gate();
    g.setRate('crm', 1);
    expect(g.reserve('crm', 500)).toEqual({ waitMs: 0 });
    expect(g.reserve('crm', 500)).toEqual({ retryInMs: 1100 });
    expect(g.reserve('crm', 2000)).toEqual({ waitMs: 1100 });
  });

  test('a turn taken late does not bunch up with the next: at most the rate is sent in any 1.1 s', () => {
    const g = gate();
    g.setRate('email-platform', 5);
    const start = now;
    // Five calls go out in one burst (their turns were spaced, but they all left late) and are answered at once.
    const burst = Array.from({ length: 5 }, () => g.admit('email-platform'));
    for (const call of burst) if ('answered' in call) call.answered();
    expect(burst.map((call) => 'answered' in call)).toEqual([true, true, true, true, true]);
    // The sixth waits until the first has left the 1100 ms window: a provider counting 1000 ms on its own clock has
    // 100 ms of margin for lag between our send and its count.
    expect(g.admit('email-platform')).toEqual({ waitMs: 1100 });
    now = start + 1099;
    expect(g.admit('email-platform')).toEqual({ waitMs: 1 });
    now = start + 1100;
    expect(g.admit('email-platform')).toHaveProperty('answered');
    expect(g.admit('crm')).toHaveProperty('answered'); // a system without a rate is never held
  });

  test('a call counts until one window after its answer: however late it arrived, it was before the answer', () => {
    const g = gate();
    g.setRate('crm', 2);
    const start = now;
    const first = g.admit('crm');
    const second = g.admit('crm');
    // Both still in flight: when a place frees up is unknown, so the caller asks again shortly.
    expect(g.admit('crm')).toEqual({ waitMs: 25 });
    now = start + 5000;
    expect(g.admit('crm')).toEqual({ waitMs: 25 });
    if ('answered' in first) first.answered();
    now = start + 5100;
    expect(g.admit('crm')).toEqual({ waitMs: 1000 });
    if ('answered' in first) first.answered(); // a second settle of the same call changes nothing
    now = start + 6100;
    expect(g.admit('crm')).toHaveProperty('answered');
    expect('answered' in second).toBe(true);
  });

  test('the headroom is configurable: 25 % spaces 5 per second 250 ms apart and counts them over 1.25 s', () => {
    const g = gate(25);
    g.setRate('email-platform', 5);
    expect(Array.from({ length: 3 }, () => g.reserve('email-platform', 10_000))).toEqual([
      { waitMs: 0 },
      { waitMs: 250 },
      { waitMs: 500 },
    ]);
    for (let i = 0; i < 5; i++) {
      const call = g.admit('email-platform');
      if ('answered' in call) call.answered();
    }
    expect(g.admit('email-platform')).toEqual({ waitMs: 1250 });
    const none = gate(0);
    none.setRate('crm', 4);
    expect([none.reserve('crm', 10_000), none.reserve('crm', 10_000)]).toEqual([{ waitMs: 0 }, { waitMs: 250 }]);
  });

  test('a negative or non-numeric headroom is refused with what was given', () => {
    expect(() => new ThrottleGate({ headroomPercent: -5 })).toThrow('got -5');
    expect(() => new ThrottleGate({ headroomPercent: Number.NaN })).toThrow('got NaN');
  });

  test('windows are shared: one replica reports, another learns it before calling, and a storm reports once', async () => {
    let t = 1_000_000;
    const windows = new Map<string, number>();
    const reports: Array<{ system: string; until: number }> = [];
    const shared: SharedWindows = {
      closedUntil: async (system) => windows.get(system) ?? 0,
      close: async (system, until) => {
        reports.push({ system, until });
        windows.set(system, Math.max(until, windows.get(system) ?? 0));
      },
    };
    const a = new ThrottleGate({ shared, now: () => t });
    const b = new ThrottleGate({ shared, now: () => t });

    await a.report('accounting', 3000, 'answered 429: wait 3000 ms');
    await a.report('accounting', 3000, 'answered 429: wait 3000 ms');
    t += 500;
    await a.report('accounting', 2000, 'answered 429: wait 2000 ms');
    expect(reports).toEqual([{ system: 'accounting', until: 1_003_000 }]);

    expect(b.remainingMs('accounting')).toBe(0);
    await b.learn('accounting');
    expect(b.remainingMs('accounting')).toBe(2500);
    await b.learn('email-platform');
    expect(b.remainingMs('email-platform')).toBe(0);
    // A longer window reported later is shared again; a past one is not learned.
    t += 2600;
    await b.report('accounting', 1000, 'answered 503: wait 1000 ms');
    expect(reports).toHaveLength(2);
    t += 1000;
    await a.learn('accounting');
    expect(a.remainingMs('accounting')).toBe(0);
  });
});
