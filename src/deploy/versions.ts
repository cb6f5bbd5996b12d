import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { quote } from '../ops/context';

// Worker Versioning for operators: which versions of the Worker Deployment exist, which one gets new executions,
// and how many running executions are still pinned to each, so an operator knows when an old worker can stop.

const { WorkerDeploymentVersionStatus, VersionDrainageStatus } = temporal.api.enums.v1;

export interface VersionStatus {
  buildId: string;
  /** current, ramping, draining, drained, inactive (the server's word for it). */
  status: string;
  /** The server's drainage status, once it has computed one (it does so periodically). */
  drainage?: string;
  /** Running executions pinned to this version, from visibility: 0 means its workers may stop. */
  pinnedRunning: number;
  createdAt?: string;
}

export interface DeploymentStatus {
  deployment: string;
  current: string | null;
  ramping: { buildId: string; percent: number } | null;
  versions: VersionStatus[];
}

function enumName(values: Record<string, unknown>, value: number | null | undefined, prefix: string): string {
  const name = Object.entries(values).find(([, v]) => v === value)?.[0] ?? 'UNSPECIFIED';
  return name.replace(prefix, '').toLowerCase();
}

const toIso = (t?: { seconds?: unknown; nanos?: number | null } | null) =>
  t?.seconds == null ? undefined : new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();

/** The deployment as the server sees it; a deployment no worker has joined yet is an error that says so. */
export async function deploymentStatus(client: Client, deployment: string): Promise<DeploymentStatus> {
  let info: temporal.api.deployment.v1.IWorkerDeploymentInfo | null | undefined;
  try {
    ({ workerDeploymentInfo: info } = await client.workflowService.describeWorkerDeployment({
      namespace: client.options.namespace,
      deploymentName: deployment,
    }));
  } catch (err) {
    if ((err as { code?: number }).code === 5) {
      throw new Error(
        `no Worker Deployment "${deployment}" in namespace ${client.options.namespace}: no worker with ` +
          'WORKER_BUILD_ID set has polled yet (WORKER_DEPLOYMENT_NAME must match)',
        { cause: err },
      );
    }
    throw err;
  }
  const routing = info?.routingConfig;
  const versions = await Promise.all(
    (info?.versionSummaries ?? []).map(async (v): Promise<VersionStatus> => {
      const buildId = v.deploymentVersion?.buildId ?? '';
      const { count } = await client.workflow.count(
        `TemporalWorkerDeploymentVersion = ${quote(`${deployment}:${buildId}`)} AND ExecutionStatus = "Running"`,
      );
      const drainage = v.drainageInfo?.status;
      return {
        buildId,
        status: enumName(WorkerDeploymentVersionStatus, v.status, 'WORKER_DEPLOYMENT_VERSION_STATUS_'),
        ...(drainage ? { drainage: enumName(VersionDrainageStatus, drainage, 'VERSION_DRAINAGE_STATUS_') } : {}),
        pinnedRunning: count,
        createdAt: toIso(v.createTime),
      };
    }),
  );
  const current = routing?.currentDeploymentVersion?.buildId ?? null;
  const rampingId = routing?.rampingDeploymentVersion?.buildId;
  return {
    deployment,
    current,
    ramping: rampingId ? { buildId: rampingId, percent: routing?.rampingVersionPercentage ?? 0 } : null,
    versions: versions.sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '')),
  };
}

/** Makes `buildId` the version every new execution (and every AUTO_UPGRADE one) runs on. */
export async function setCurrentVersion(client: Client, deployment: string, buildId: string, identity: string) {
  await client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: client.options.namespace,
    deploymentName: deployment,
    buildId,
    identity,
  });
}

/** Sends `percent` of new executions to `buildId`, the rest to the current version; 0 stops the ramp. */
export async function rampVersion(
  client: Client,
  deployment: string,
  buildId: string,
  percent: number,
  identity: string,
) {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new Error(`ramp: the percentage must be between 0 and 100, got ${percent}`);
  }
  await client.workflowService.setWorkerDeploymentRampingVersion({
    namespace: client.options.namespace,
    deploymentName: deployment,
    buildId: percent === 0 ? '' : buildId,
    percentage: percent,
    identity,
  });
}
