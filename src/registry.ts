import type { ActivitiesOf } from './flows/common/activities';
import type { TemporalActivities } from './kit/temporal-activities';
import type { CanonicalEvent } from './domain/events';
import type { Client } from '@temporalio/client';
import type { CredentialStateSource } from './kit/credentials';
import { connectionStateSource } from './kit/connections/credentials';
import { accounting } from './systems/accounting/system';
import { emailPlatform } from './systems/email-platform/system';
import { crm } from './systems/crm/system';
import { shop } from './systems/shop/system';
import { alerts } from './systems/alerts/system';
import { stripe } from './systems/stripe/system';
import { shopSource } from './sources/shop/source';
import { shopifySource } from './sources/shopify/source';
import { stripeSource } from './sources/stripe/source';
import { orderPaidFlow } from './flows/order-paid/flow';
import { invoiceOrderFlow } from './flows/invoice-order/flow';
import { upsertContactFlow } from './flows/upsert-contact/flow';
import { paymentSucceededFlow } from './flows/payment-succeeded/flow';
import { contactSyncFlow } from './flows/contact-sync/flow';
import { syncStateFlow } from './flows/sync-state/flow';
import { reconcileOrdersFlow } from './flows/reconcile-orders/flow';
import { reconcilePaymentsFlow } from './flows/reconcile-payments/flow';
import { scheduleWatchdogFlow } from './flows/schedule-watchdog/flow';
import { throttleGateFlow } from './flows/throttle-gate/flow';
import { connectionFlow } from './flows/connection/flow';
import type { ConnectionActivities } from './kit/connections/activities';
import { credentialCheckFlow } from './flows/credential-check/flow';

// The only lists. Every integration is one folder and one line here (docs/extending.md):
// - a system we call:    src/systems/<name>/ (system.ts, activities, stand-in.ts, which only the sandbox loads)
// - a webhook sender:    src/sources/<name>/ (source.ts, adapter.ts, sender.ts)
// - a workflow type:     src/flows/<name>/ (flow.ts, workflow.ts)
// Config, task queues, workers, the sandbox, the ingress, the workflow bundle, the catalog, .env.example and the compose
// environment all derive from these three.

/** Every downstream system, in the order the catalog lists them. */
export const SYSTEMS = [accounting, emailPlatform, crm, shop, stripe, alerts] as const;

/** Every webhook source, in the order the catalog lists them. */
export const SOURCES = [shopSource, shopifySource, stripeSource] as const;

/** Every workflow type the worker serves, by its type name (the workflow function's name), in the catalog's order. */
export const FLOWS = {
  orderPaid: orderPaidFlow,
  invoiceOrder: invoiceOrderFlow,
  upsertContact: upsertContactFlow,
  paymentSucceeded: paymentSucceededFlow,
  contactSync: contactSyncFlow,
  syncState: syncStateFlow,
  reconcileOrders: reconcileOrdersFlow,
  reconcilePayments: reconcilePaymentsFlow,
  scheduleWatchdog: scheduleWatchdogFlow,
  throttleGate: throttleGateFlow,
  connection: connectionFlow,
  credentialCheck: credentialCheckFlow,
} as const;

/** What the registry needs of a configuration (the registry sits below config): each system's selected connector. */
interface SelectedConnectors {
  systems: Readonly<Record<string, { connector: { name: string } }>>;
}

/** The systems whose connector holds an OAuth connection: those `config` selects, or with `all`, every one declared. */
export function oauthSystems(config: SelectedConnectors, all = false): string[] {
  return SYSTEMS.filter((system) => {
    const selected = config.systems[system.name] as { connector: { name: string } } | undefined;
    return system.connectors?.some((c) => c.oauth && (all || c.name === selected?.connector.name));
  }).map((system) => system.name);
}

/**
 * Where credentials that are not variables report their state (issued, expires, broken): the OAuth connections this
 * configuration selects, read from their workflows. The variables' own credentials are derived, never listed
 * (src/config/credentials.ts).
 */
export function credentialStateSources(
  config: SelectedConnectors & { temporal: { taskQueuePrefix: string } },
  temporal: Client | (() => Promise<Client>),
): CredentialStateSource[] {
  const systems = oauthSystems(config);
  return systems.length ? [connectionStateSource({ temporal, prefix: config.temporal.taskQueuePrefix, systems })] : [];
}

export type SystemName = (typeof SYSTEMS)[number]['name'];
export type SourceName = (typeof SOURCES)[number]['name'];
export type WorkflowType = keyof typeof FLOWS;

/** Any activity a workflow can schedule: a declared system's, or one that only talks to Temporal. */
export type ActivityName =
  | { [S in (typeof SYSTEMS)[number] as S['name']]: keyof ActivitiesOf<S> & string }[SystemName]
  | keyof TemporalActivities
  | keyof ConnectionActivities;

// A flow that names an activity no queue serves is a compile error here (at run time it would fail with NotFoundError).
type Undeclared = Exclude<(typeof FLOWS)[WorkflowType]['activities'][number], ActivityName>;
const everyActivityIsServed: [Undeclared] extends [never] ? true : Undeclared = true;
void everyActivityIsServed;

/** Which workflow handles each canonical event, from the flows' triggers. */
export const EVENT_FLOWS = Object.fromEntries(
  Object.entries(FLOWS).flatMap(([type, d]) => ('event' in d.trigger ? [[d.trigger.event, type]] : [])),
) as Record<CanonicalEvent['type'], WorkflowType>;

/**
 * The flow a canonical event starts, with its business key (what idempotency keys and searches are built from) and
 * what makes its second argument, if it takes one.
 */
export function flowOf(event: CanonicalEvent): {
  workflowType: WorkflowType;
  businessKey: string;
  startOptions?: (deployment: { production: boolean }) => unknown;
} {
  const workflowType = EVENT_FLOWS[event.type];
  const trigger = FLOWS[workflowType].trigger as {
    businessKey(e: CanonicalEvent): string;
    startOptions?(deployment: { production: boolean }): unknown;
  };
  const startOptions = trigger.startOptions?.bind(trigger);
  return { workflowType, businessKey: trigger.businessKey(event), ...(startOptions ? { startOptions } : {}) };
}
