import type { Config } from '../config';
import type { Logger } from '../logger';
import { oauthSystems, SYSTEMS } from '../registry';

// `npm start` only: the OAuth connections whose provider is the sandbox's stand-in are authorised at start, so
// `ACCOUNTING_CONNECTOR=xero npm start` then `npm run send-sample` invoices in the stand-in with no step in between.
// It is the operator's own path, run by this process instead of a browser: GET /connections/<system>/authorize on the
// operator listener, the stand-in's consent (which consents at once), and its redirect back to the callback. It runs
// at every start, connected or not: the stand-in keeps its tokens in memory and starts empty, while the dev server
// keeps the connection in .data/, so the token set a connection holds from the last run is one this stand-in never
// issued. A provider that is not the sandbox's is never touched: a person authorises a real organisation.

export interface StandInAuthorisation {
  system: string;
  outcome: 'authorised' | 'not a stand-in';
}

export async function authoriseStandInConnections(deps: {
  config: Config;
  /** The operator listener, where /connections is served. */
  operatorUrl: string;
  sandboxUrl: string;
  logger: Logger;
}): Promise<StandInAuthorisation[]> {
  const { config, operatorUrl, sandboxUrl, logger } = deps;
  const out: StandInAuthorisation[] = [];
  for (const system of oauthSystems(config)) {
    const settings = config.systems[system as keyof Config['systems']].connector;
    const connector = SYSTEMS.find((s) => s.name === system)!.connectors!.find((c) => c.name === settings.name)!;
    const provider = connector.oauth!(settings.settings, system);
    if (new URL(provider.authorizeUrl).origin !== new URL(sandboxUrl).origin) {
      out.push({ system, outcome: 'not a stand-in' });
      continue;
    }
    const start = await fetch(`${operatorUrl}/connections/${system}/authorize`, { redirect: 'manual' });
    const consentUrl = start.headers.get('location');
    if (start.status !== 302 || !consentUrl) {
      throw new Error(`${system}: the authorise link answered ${start.status}: ${(await start.text()).slice(0, 200)}`);
    }
    const consent = await fetch(consentUrl, { redirect: 'manual' });
    const back = consent.headers.get('location');
    if (consent.status !== 302 || !back) {
      throw new Error(
        `${system}: the stand-in's consent answered ${consent.status}: ${(await consent.text()).slice(0, 200)}`,
      );
    }
    // The redirect URI is the operator listener as a browser reaches it; deliver it to this one, wherever it listens.
    const done = await fetch(`${operatorUrl}/connections/${system}/callback${new URL(back).search}`);
    if (done.status !== 200) {
      throw new Error(`${system}: the callback answered ${done.status}: ${(await done.text()).slice(0, 200)}`);
    }
    logger.info({ system }, "connection authorised with the sandbox's stand-in");
    out.push({ system, outcome: 'authorised' });
  }
  return out;
}
