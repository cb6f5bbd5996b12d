import { SIDE_EFFECTS, sideEffectsOf } from '../../src/ops/side-effects';
import { loadRecordedHistories } from '../replay/histories';

// redrive --dry-run trusts the declared table; the recorded histories say what each workflow really schedules.
describe('the side-effect table behind redrive --dry-run', () => {
  const recorded = loadRecordedHistories();

  test.each([...new Set(recorded.map((r) => r.workflowType))].map((t) => [t]))(
    'every activity a recorded %s history schedules is declared',
    (type) => {
      const scheduled = new Set(
        recorded
          .filter((r) => r.workflowType === type)
          .flatMap((r) => r.history.events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name))
          .filter((n): n is string => !!n),
      );
      // A type that declares side effects must be seen scheduling them; one that declares none (syncState) must not.
      expect(scheduled.size > 0).toBe((SIDE_EFFECTS[type] ?? []).length > 0);
      const declared = (SIDE_EFFECTS[type] ?? []).map((s) => s.activity);
      expect([...scheduled].filter((a) => !declared.includes(a))).toEqual([]);
    },
  );
});

describe('sideEffectsOf', () => {
  test('a key the activity derives from what it sends counts as protection, and says how it is made', () => {
    const planned = sideEffectsOf('contactSync', {})!;
    expect(planned.find((s) => s.activity === 'upsertEmailContacts')).toMatchObject({
      protected: true,
      idempotencyKey: 'contact-upsert:<hash of the batch and of each record’s latest change time>',
    });
    expect(planned.find((s) => s.activity === 'sendAlert')).toMatchObject({ protected: false, idempotencyKey: null });
  });
});
