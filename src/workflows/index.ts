// The workflow bundle's entry point: every workflow type the worker serves is exported here, with how it behaves
// across deploys under Worker Versioning (WORKER_BUILD_ID set; see docs/deploying.md, "Deploying a new version"):
// - PINNED: a running execution finishes on the worker version it started on, so new code never replays an old
//   history; an old version's workers keep running until `npm run deploy -- status` shows it drained.
// - AUTO_UPGRADE: long-lived or self-continuing executions move to the current version at their next workflow task;
//   their code changes go through patched() and the replay tests, as before.
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { contactSync } from './contact-sync';
import { orderPaid } from './order-paid';
import { paymentSucceeded } from './payment-succeeded';
import { reconcileOrders } from './reconcile-orders';
import { scheduleWatchdog } from './schedule-watchdog';
import { syncState } from './sync-state';
import { invoiceOrder } from './invoice-order';
import { throttleGate } from './throttle-gate';
import { upsertContact } from './upsert-contact';

export {
  contactSync,
  invoiceOrder,
  orderPaid,
  paymentSucceeded,
  reconcileOrders,
  scheduleWatchdog,
  syncState,
  throttleGate,
  upsertContact,
};

// An unversioned worker (WORKER_BUILD_ID unset, the time-skipping tests) must not declare a behaviour: the SDK refuses
// the task completion. So the behaviour is declared only when this task runs on a versioned worker.
const behaviour = (versioningBehavior: VersioningBehavior) => () =>
  workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {};

setWorkflowOptions(behaviour('PINNED'), orderPaid);
setWorkflowOptions(behaviour('PINNED'), paymentSucceeded);
setWorkflowOptions(behaviour('PINNED'), reconcileOrders);
setWorkflowOptions(behaviour('PINNED'), scheduleWatchdog);
// A command a caller waits for finishes on the code it started with.
setWorkflowOptions(behaviour('PINNED'), invoiceOrder);
setWorkflowOptions(behaviour('PINNED'), upsertContact);
// syncState lives forever; contactSync continues as new page by page; a throttle gate must never wait on a drained
// version.
setWorkflowOptions(behaviour('AUTO_UPGRADE'), syncState);
setWorkflowOptions(behaviour('AUTO_UPGRADE'), contactSync);
setWorkflowOptions(behaviour('AUTO_UPGRADE'), throttleGate);
