import type { AlertKind } from '../contracts/alerts';
import type { DownstreamClient } from './http';

/** What the worker gives each system's activity factory: the system's own client, and where links point. */
export interface SystemActivityDeps {
  /** The HTTP client bound to this system (its URL, credentials, rate gate), through the one client layer. */
  client: DownstreamClient;
  temporalUiUrl: string;
  namespace: string;
  /** Told of every alert that reached the alert webhook (metrics). */
  onAlertSent?(kind: AlertKind): void;
}

/** The Web UI link of one execution. */
export function executionLink(deps: Pick<SystemActivityDeps, 'temporalUiUrl' | 'namespace'>, id: string, run: string) {
  const ns = encodeURIComponent(deps.namespace);
  return `${deps.temporalUiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(id)}/${encodeURIComponent(run)}/history`;
}
