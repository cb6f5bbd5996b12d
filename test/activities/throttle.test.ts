import { ThrottleGate } from '../../src/activities/throttle';

// The per-process gate with a hand-driven clock: windows from Retry-After, and turns spaced at the system's rate.
describe('the throttle gate', () => {
  let now = 1_000_000;
  const gate = () => new ThrottleGate(() => now);

  test('a closed window holds only its own system, and a shorter window never shortens a longer one', () => {
    const g = gate();
    g.closeFor('accounting', 3000);
    g.closeFor('accounting', 1000);
    expect(g.remainingMs('accounting')).toBe(3000);
    expect(g.remainingMs('email-platform')).toBe(0);
    now += 3000;
    expect(g.remainingMs('accounting')).toBe(0);
  });

  test('turns at 5 per second are spaced 210 ms apart (5 % headroom), starting after a closed window', () => {
    const g = gate();
    g.setRate('email-platform', 5);
    g.closeFor('email-platform', 1000);
    const waits = Array.from({ length: 4 }, () => g.reserve('email-platform', 10_000));
    expect(waits).toEqual([{ waitMs: 1000 }, { waitMs: 1210 }, { waitMs: 1420 }, { waitMs: 1630 }]);
  });

  test('a turn further away than the caller may wait is not reserved', () => {
    const g = gate();
    g.setRate('crm', 1);
    expect(g.reserve('crm', 500)).toEqual({ waitMs: 0 });
    expect(g.reserve('crm', 500)).toEqual({ retryInMs: 1050 });
    expect(g.reserve('crm', 2000)).toEqual({ waitMs: 1050 });
  });

  test('a turn taken late does not bunch up with the next: at most the rate is sent in any rolling second', () => {
    const g = gate();
    g.setRate('email-platform', 5);
    const start = now;
    // Five calls go out in one burst (their turns were spaced, but they all left late).
    expect(Array.from({ length: 5 }, () => g.admit('email-platform'))).toEqual([0, 0, 0, 0, 0]);
    // The sixth waits until the first has left the (1050 ms) window.
    expect(g.admit('email-platform')).toBe(1050);
    now = start + 1050;
    expect(g.admit('email-platform')).toBe(0);
    expect(g.admit('crm')).toBe(0); // a system without a rate is never held
  });
});
