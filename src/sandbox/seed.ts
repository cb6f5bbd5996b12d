import type { CrmData, CrmContact } from '../systems/crm/stand-in';
import { type EmailContactData, putEmailContact } from '../systems/email-platform/contacts-stand-in';
import { putShopOrder, type ShopData } from '../systems/shop/stand-in';

// Seed generators: N plausible records per system, deterministic for a given prefix so tests can name them.

const FIRST = ['Anna', 'Piotr', 'Maria', 'Jan', 'Ewa', 'Tomasz', 'Zofia', 'Marek', 'Ola', 'Kuba'];
const LAST = ['Nowak', 'Kowalska', 'Wiśniewski', 'Wójcik', 'Lewandowska', 'Zieliński', 'Szymańska', 'Dąbrowski'];
const COMPANY = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', null];

/** Adds `n` CRM contacts with ids `<prefix>00001`…, each field recorded as changed by a person now. */
export function seedCrmContacts(crm: CrmData, n: number, prefix = 'crm_'): CrmContact[] {
  const created: CrmContact[] = [];
  for (let i = 1; i <= n; i += 1) {
    const id = `${prefix}${String(i).padStart(5, '0')}`;
    created.push(
      putCrmContact(crm, {
        id,
        email: `${id.replace(/[^a-z0-9]/gi, '').toLowerCase()}@example.com`,
        name: `${FIRST[i % FIRST.length]} ${LAST[i % LAST.length]}`,
        company: COMPANY[i % COMPANY.length] ?? null,
      }),
    );
  }
  return created;
}

/** Adds or changes a CRM contact as a person would in the CRM's UI. */
export function putCrmContact(
  crm: CrmData,
  fields: Partial<Omit<CrmContact, 'updated_at' | 'field_changes'>> & { id: string },
): CrmContact {
  const at = crm.now();
  let contact = crm.contacts.get(fields.id);
  if (!contact) {
    contact = { id: fields.id, email: '', name: '', company: null, consent: null, updated_at: at, field_changes: {} };
    crm.contacts.set(contact.id, contact);
  }
  const target = contact as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'id' || v === undefined) continue;
    target[k] = v;
    contact.field_changes[k] = { at, by: 'user' };
  }
  contact.updated_at = at;
  return contact;
}

/** Adds `n` email-platform contacts linked to CRM ids `<prefix>00001`…, subscribed by the person now. */
export function seedEmailContacts(email: EmailContactData, n: number, prefix = 'crm_'): void {
  for (let i = 1; i <= n; i += 1) {
    const id = `${prefix}${String(i).padStart(5, '0')}`;
    putEmailContact(email, {
      external_id: id,
      email: `${id.replace(/[^a-z0-9]/gi, '').toLowerCase()}@example.com`,
      consent: { status: 'subscribed', at: email.now() },
    });
  }
}

/** Adds `n` paid orders `<prefix>00001`… to the shop. */
export function seedShopOrders(shop: ShopData, n: number, prefix = 'ORD-'): string[] {
  const ids: string[] = [];
  for (let i = 1; i <= n; i += 1) {
    const id = `${prefix}${String(i).padStart(5, '0')}`;
    putShopOrder(shop, { id, total: 10 + i, currency: 'PLN', customer_email: `buyer${i}@example.com` });
    ids.push(id);
  }
  return ids;
}
