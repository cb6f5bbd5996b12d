// The data-ownership map: for each field of an entity, which system is its source of truth and whether it is copied
// one way (owner → other) or both ways under a named conflict rule. Pure, so workflows plan with it directly.

export const CONTACT_SYSTEMS = ['crm', 'email-platform'] as const;
export type ContactSystem = (typeof CONTACT_SYSTEMS)[number];
export type ConflictRule = 'owner-wins' | 'latest-wins';

export type FieldRule =
  | { owner: ContactSystem; direction: 'one-way' }
  | { owner: ContactSystem; direction: 'two-way'; conflict: ConflictRule };

export type ContactField = 'email' | 'name' | 'company' | 'consent';
export const CONTACT_FIELDS: readonly ContactField[] = ['email', 'name', 'company', 'consent'];

export interface Consent {
  status: 'subscribed' | 'unsubscribed';
  /** When the person gave or withdrew consent, as recorded by the email platform. */
  at: string;
}

export interface ContactValues {
  email?: string;
  name?: string;
  company?: string | null;
  consent?: Consent | null;
}

export type OwnershipMap = Record<ContactField, FieldRule>;

/** Who owns each field of a contact. The CRM owns identity, the email platform owns consent; nothing is two-way. */
export const CONTACT_OWNERSHIP: OwnershipMap = {
  email: { owner: 'crm', direction: 'one-way' },
  name: { owner: 'crm', direction: 'one-way' },
  company: { owner: 'crm', direction: 'one-way' },
  consent: { owner: 'email-platform', direction: 'one-way' },
};

const UNIT = 'test/flows/contact-sync/ownership.test.ts';

/**
 * Where each ownership rule is tested ("file › describe › test"), for the catalog. Declared next to the map, since
 * the deployed service has no test folder to search; test/integrations/catalog.test.ts checks that each test exists.
 */
export const OWNERSHIP_TESTS: Record<
  'declared' | `copied from ${ContactSystem}` | 'one-way' | `two-way, ${ConflictRule}` | 'end to end',
  string[]
> = {
  declared: [
    `${UNIT} › the contact ownership map › the CRM owns email, name and company; the email platform owns consent; every field is one-way`,
  ],
  'copied from crm': [
    `${UNIT} › planning one contact › a CRM change to an owned field goes to the email platform, with the email as the upsert key`,
  ],
  'copied from email-platform': [`${UNIT} › planning one contact › an email-platform consent change goes to the CRM`],
  'one-way': [
    `${UNIT} › planning one contact › a change in a system that does not own the field never leaves it (one-way)`,
    `${UNIT} › planning one contact › a one-way field changed on both sides is a conflict the owner wins, even when the other side is later`,
  ],
  'two-way, owner-wins': [
    `${UNIT} › planning one contact › a two-way field changed on one side only flows either way`,
    `${UNIT} › planning one contact › owner-wins on a two-way field: the owner wins even when the other side changed later`,
  ],
  'two-way, latest-wins': [
    `${UNIT} › planning one contact › a two-way field changed on one side only flows either way`,
    `${UNIT} › planning one contact › latest-wins on a two-way field: the later change wins, whichever side made it; a tie goes to the owner`,
  ],
  'end to end': [
    'test/flows/contact-sync/contact-sync.test.ts › contactSync › each field flows only from its owner; conflicts are settled by rule, recorded, and not sent again',
  ],
};

/** The tests covering one field's rule: its declaration, the copy from its owner, its direction and conflict rule. */
export function testsOfRule(rule: FieldRule): string[] {
  const direction =
    rule.direction === 'one-way' ? OWNERSHIP_TESTS['one-way'] : OWNERSHIP_TESTS[`two-way, ${rule.conflict}`];
  const all = [
    ...OWNERSHIP_TESTS.declared,
    ...OWNERSHIP_TESTS[`copied from ${rule.owner}`],
    ...direction,
    ...OWNERSHIP_TESTS['end to end'],
  ];
  return [...new Set(all)];
}

/** Checks a map built at run time (the type already forbids a two-way field without a rule). Throws on a bad one. */
export function validateOwnership(map: Record<string, unknown>): OwnershipMap {
  const problems: string[] = [];
  for (const field of CONTACT_FIELDS) {
    const rule = map[field] as Partial<FieldRule> & { conflict?: unknown };
    if (!rule) problems.push(`${field}: no owner declared`);
    else if (!CONTACT_SYSTEMS.includes(rule.owner as ContactSystem)) problems.push(`${field}: unknown owner`);
    else if (rule.direction === 'two-way') {
      if (rule.conflict !== 'owner-wins' && rule.conflict !== 'latest-wins') {
        problems.push(`${field}: a two-way field must declare its conflict rule (owner-wins or latest-wins)`);
      }
    } else if (rule.direction !== 'one-way') problems.push(`${field}: direction must be one-way or two-way`);
  }
  for (const field of Object.keys(map)) {
    if (!CONTACT_FIELDS.includes(field as ContactField)) problems.push(`${field}: not a contact field`);
  }
  if (problems.length) throw new Error(`invalid ownership map: ${problems.join('; ')}`);
  return map as OwnershipMap;
}

/** One system's view of a contact: its current values and when a person (not this sync) last changed each field. */
export interface ContactSide {
  /** The CRM id, which the email platform stores as external_id. */
  id: string;
  values: ContactValues;
  /** Fields changed by someone other than the sync since the last successful watermark, with the change time. */
  changed: Partial<Record<ContactField, string>>;
}

export interface Conflict {
  contactId: string;
  field: ContactField;
  rule: ConflictRule;
  winner: ContactSystem;
  crm: { value: unknown; at: string };
  emailPlatform: { value: unknown; at: string };
}

export interface ContactPlan {
  /** Values to write to the email platform (always with `email` when anything is written, for the upsert). */
  toEmail?: ContactValues;
  /** Values to PATCH into the CRM. */
  toCrm?: ContactValues;
  conflicts: Conflict[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The rule that settles a conflict on a field: a one-way field's owner always wins. */
export function ruleOf(rule: FieldRule): ConflictRule {
  return rule.direction === 'two-way' ? rule.conflict : 'owner-wins';
}

/**
 * Plans one contact: each field flows from a side that changed it to the other, if the map lets it flow that way.
 * A field changed on both sides to different values is a conflict, settled by its rule (a one-way field's owner always
 * wins). A change made in a system that does not own a one-way field never leaves that system.
 */
export function planContact(
  map: OwnershipMap,
  crm: ContactSide | undefined,
  email: ContactSide | undefined,
): ContactPlan {
  const toEmail: ContactValues = {};
  const toCrm: ContactValues = {};
  const conflicts: Conflict[] = [];
  const id = crm?.id ?? email?.id ?? '';

  for (const field of CONTACT_FIELDS) {
    const rule = map[field];
    const crmAt = crm?.changed[field];
    const emailAt = email?.changed[field];
    const crmValue = crm?.values[field];
    const emailValue = email?.values[field];
    let from: ContactSystem | undefined;

    if (crmAt !== undefined && emailAt !== undefined) {
      if (same(crmValue, emailValue)) continue;
      const conflictRule = ruleOf(rule);
      let winner: ContactSystem = rule.owner;
      if (conflictRule === 'latest-wins' && crmAt !== emailAt) winner = crmAt > emailAt ? 'crm' : 'email-platform';
      conflicts.push({
        contactId: id,
        field,
        rule: conflictRule,
        winner,
        crm: { value: crmValue ?? null, at: crmAt },
        emailPlatform: { value: emailValue ?? null, at: emailAt },
      });
      from = winner;
    } else if (crmAt !== undefined) {
      from = 'crm';
    } else if (emailAt !== undefined) {
      from = 'email-platform';
    }
    if (!from) continue;
    if (rule.direction === 'one-way' && from !== rule.owner) continue;
    if (from === 'crm') {
      if (email && same(crmValue, emailValue) && email.values[field] !== undefined) continue;
      (toEmail as Record<string, unknown>)[field] = crmValue ?? null;
    } else {
      if (crm && same(crmValue, emailValue) && crm.values[field] !== undefined) continue;
      (toCrm as Record<string, unknown>)[field] = emailValue ?? null;
    }
  }

  const plan: ContactPlan = { conflicts };
  if (Object.keys(toEmail).length) plan.toEmail = { email: crm?.values.email, ...toEmail };
  if (Object.keys(toCrm).length) plan.toCrm = toCrm;
  return plan;
}
