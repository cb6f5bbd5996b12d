import {
  CONTACT_OWNERSHIP,
  type ContactSide,
  type OwnershipMap,
  planContact,
  validateOwnership,
} from '../../../src/domain/ownership';

const crm = (values: ContactSide['values'], changed: ContactSide['changed']): ContactSide => ({
  id: 'c1',
  values,
  changed,
});
const email = crm;
const T1 = '2025-01-01T10:00:00.000Z';
const T2 = '2025-01-01T11:00:00.000Z';

describe('the contact ownership map', () => {
  test('the CRM owns email, name and company; the email platform owns consent; every field is one-way', () => {
    expect(CONTACT_OWNERSHIP).toEqual({
      email: { owner: 'crm', direction: 'one-way' },
      name: { owner: 'crm', direction: 'one-way' },
      company: { owner: 'crm', direction: 'one-way' },
      consent: { owner: 'email-platform', direction: 'one-way' },
    });
    expect(validateOwnership(CONTACT_OWNERSHIP as unknown as Record<string, unknown>)).toBe(CONTACT_OWNERSHIP);
  });

  test('a two-way field without a conflict rule, an unknown owner or an unknown field is refused', () => {
    const twoWayNoRule = { ...CONTACT_OWNERSHIP, name: { owner: 'crm', direction: 'two-way' } };
    expect(() => validateOwnership(twoWayNoRule)).toThrow(/name: a two-way field must declare its conflict rule/);
    expect(() => validateOwnership({ ...CONTACT_OWNERSHIP, name: { owner: 'erp', direction: 'one-way' } })).toThrow(
      /unknown owner/,
    );
    expect(() => validateOwnership({ ...CONTACT_OWNERSHIP, phone: { owner: 'crm', direction: 'one-way' } })).toThrow(
      /phone: not a contact field/,
    );
    const { consent: _omit, ...missing } = CONTACT_OWNERSHIP;
    expect(() => validateOwnership(missing)).toThrow(/consent: no owner declared/);
  });
});

describe('planning one contact', () => {
  test('a CRM change to an owned field goes to the email platform, with the email as the upsert key', () => {
    const plan = planContact(CONTACT_OWNERSHIP, crm({ email: 'a@x.io', name: 'Ann' }, { name: T1 }), undefined);
    expect(plan).toEqual({ toEmail: { email: 'a@x.io', name: 'Ann' }, conflicts: [] });
  });

  test('an email-platform consent change goes to the CRM', () => {
    const consent = { status: 'unsubscribed', at: T1 } as const;
    const plan = planContact(CONTACT_OWNERSHIP, undefined, email({ consent }, { consent: T1 }));
    expect(plan).toEqual({ toCrm: { consent }, conflicts: [] });
  });

  test('a change in a system that does not own the field never leaves it (one-way)', () => {
    const plan = planContact(
      CONTACT_OWNERSHIP,
      crm({ email: 'a@x.io', consent: { status: 'subscribed', at: T1 } }, { consent: T1 }),
      email({ name: 'Edited in email' }, { name: T1 }),
    );
    expect(plan).toEqual({ conflicts: [] });
  });

  test('a one-way field changed on both sides is a conflict the owner wins, even when the other side is later', () => {
    const plan = planContact(
      CONTACT_OWNERSHIP,
      crm({ email: 'a@x.io', name: 'CRM name', consent: { status: 'subscribed', at: T1 } }, { name: T1, consent: T2 }),
      email({ name: 'Email name', consent: { status: 'unsubscribed', at: T1 } }, { name: T2, consent: T1 }),
    );
    expect(plan.toEmail).toEqual({ email: 'a@x.io', name: 'CRM name' });
    expect(plan.toCrm).toEqual({ consent: { status: 'unsubscribed', at: T1 } });
    expect(plan.conflicts).toEqual([
      expect.objectContaining({ field: 'name', rule: 'owner-wins', winner: 'crm' }),
      expect.objectContaining({ field: 'consent', rule: 'owner-wins', winner: 'email-platform' }),
    ]);
  });

  test('the same value written on both sides is no conflict and nothing is sent', () => {
    const plan = planContact(
      CONTACT_OWNERSHIP,
      crm({ email: 'a@x.io', name: 'Same' }, { name: T1 }),
      email({ name: 'Same' }, { name: T2 }),
    );
    expect(plan).toEqual({ conflicts: [] });
  });

  const twoWay = (conflict: 'owner-wins' | 'latest-wins'): OwnershipMap => ({
    ...CONTACT_OWNERSHIP,
    company: { owner: 'crm', direction: 'two-way', conflict },
  });

  test('a two-way field changed on one side only flows either way', () => {
    const fromEmail = planContact(twoWay('owner-wins'), undefined, email({ company: 'Globex' }, { company: T1 }));
    expect(fromEmail).toEqual({ toCrm: { company: 'Globex' }, conflicts: [] });
    const fromCrm = planContact(
      twoWay('owner-wins'),
      crm({ email: 'a@x.io', company: 'Acme' }, { company: T1 }),
      undefined,
    );
    expect(fromCrm).toEqual({ toEmail: { email: 'a@x.io', company: 'Acme' }, conflicts: [] });
  });

  test('owner-wins on a two-way field: the owner wins even when the other side changed later', () => {
    const plan = planContact(
      twoWay('owner-wins'),
      crm({ email: 'a@x.io', company: 'Acme' }, { company: T1 }),
      email({ company: 'Globex' }, { company: T2 }),
    );
    expect(plan.toEmail).toEqual({ email: 'a@x.io', company: 'Acme' });
    expect(plan.toCrm).toBeUndefined();
    expect(plan.conflicts).toEqual([
      {
        contactId: 'c1',
        field: 'company',
        rule: 'owner-wins',
        winner: 'crm',
        crm: { value: 'Acme', at: T1 },
        emailPlatform: { value: 'Globex', at: T2 },
      },
    ]);
  });

  test('latest-wins on a two-way field: the later change wins, whichever side made it; a tie goes to the owner', () => {
    const emailLater = planContact(
      twoWay('latest-wins'),
      crm({ email: 'a@x.io', company: 'Acme' }, { company: T1 }),
      email({ company: 'Globex' }, { company: T2 }),
    );
    expect(emailLater.toCrm).toEqual({ company: 'Globex' });
    expect(emailLater.toEmail).toBeUndefined();
    expect(emailLater.conflicts[0]).toMatchObject({ rule: 'latest-wins', winner: 'email-platform' });

    const crmLater = planContact(
      twoWay('latest-wins'),
      crm({ email: 'a@x.io', company: 'Acme' }, { company: T2 }),
      email({ company: 'Globex' }, { company: T1 }),
    );
    expect(crmLater.toEmail).toEqual({ email: 'a@x.io', company: 'Acme' });
    expect(crmLater.conflicts[0]).toMatchObject({ winner: 'crm' });

    const tie = planContact(
      twoWay('latest-wins'),
      crm({ email: 'a@x.io', company: 'Acme' }, { company: T1 }),
      email({ company: 'Globex' }, { company: T1 }),
    );
    expect(tie.conflicts[0]).toMatchObject({ winner: 'crm' });
  });
});
