import { accounting } from '../systems/accounting/system';
import { emailPlatform } from '../systems/email-platform/system';
import { crm } from '../systems/crm/system';
import { shop } from '../systems/shop/system';
import { alerts } from '../systems/alerts/system';

// Every third-party system Switchyard calls: each is one folder, src/systems/<name>/ (its declaration in system.ts,
// its activities, and its stand-in, which only the sandbox loads), and one line here (see docs/extending.md).

export { accounting, emailPlatform, crm, shop, alerts };

/** Every downstream system, in the order the catalog lists them. */
export const SYSTEMS = [accounting, emailPlatform, crm, shop, alerts] as const;

export type SystemName = (typeof SYSTEMS)[number]['name'];
