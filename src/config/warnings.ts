import type { Logger } from '../logger';
import type { Config } from '.';

/** Says loudly, at every start, what in the configuration a person should fix before production. */
export function warnAboutConfig(
  config: Pick<Config, 'defaultedSecrets' | 'deprecations'> & Partial<Pick<Config, 'payloads'>>,
  logger: Logger,
): void {
  if (config.payloads && !config.payloads.encryption) {
    logger.warn(
      { variable: 'PAYLOAD_ENCRYPTION' },
      'PAYLOAD ENCRYPTION IS OFF: customer data reaches Temporal (its database, backups and UI) in plain text. ' +
        'Set PAYLOAD_KEYS and remove PAYLOAD_ENCRYPTION=off.',
    );
  }
  for (const deprecation of config.deprecations) logger.warn({ deprecation }, 'deprecated configuration variable');
  if (config.defaultedSecrets.length) {
    logger.warn(
      { variables: config.defaultedSecrets },
      'DEVELOPMENT SECRETS IN USE: these are public, so anyone can sign webhooks or call as this service. ' +
        'Set each variable before exposing this process.',
    );
  }
}
