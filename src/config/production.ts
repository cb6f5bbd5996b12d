import { type Declared, derivedVariables, REGISTERED } from './derived';
import { developmentToken } from './development';
import { parsePayloadKeys } from './payload-keys';
import {
  DevelopmentValues,
  keyWeakness,
  secretPart,
  sharedSecretProblems,
  tokenWeakness,
  type SecretPart,
} from './secret-strength';

/**
 * Every public development value the service derives (what `npm start` uses and prints when a secret is unset), taken
 * from the same declarations that derive them, so the list cannot drift from what is printed.
 */
function developmentSecretValues(declared: Declared = REGISTERED, sandboxPort = 4000): string[] {
  return [
    ...derivedVariables(declared)
      .filter((v) => v.doc.secret)
      .map((v) => v.development(sandboxPort)),
    developmentToken('CODEC_TOKEN'),
  ];
}

const SHA256_KEY = /^sha256:([0-9a-f]{64})$/i;

/**
 * What production refuses beyond each variable's format (docs/configuration-secrets.md): a development value wherever
 * it came from, a guessable token or a degenerate key, one secret shared by two roles, and a codec origin that is not
 * http(s)://host[:port]. Every problem names the variable, never its value.
 */
export function productionSecretProblems(
  env: NodeJS.ProcessEnv,
  values: Record<string, string>,
  valid: ReadonlySet<string>,
  declared: Declared,
  sandboxPort: number,
): string[] {
  const problems: string[] = [];
  const parts: SecretPart[] = [];
  const raw = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const token = (name: string, value: string, at?: string) => {
    const part = secretPart(name, value, at);
    parts.push(part);
    const weakness = tokenWeakness(value);
    if (weakness) problems.push(`${at ? `${name} ${at}` : name} ${weakness}`);
  };

  for (const name of ['ADMIN_TOKEN', 'CODEC_TOKEN', 'TEMPORAL_API_KEY']) {
    const value = raw(name);
    // Shorter than 16 is already refused by its format check.
    if (value !== undefined && (name === 'TEMPORAL_API_KEY' || value.length >= 16)) token(name, value);
  }
  for (const variable of derivedVariables(declared)) {
    const { name, secret } = variable.doc;
    const value = values[name];
    if (!secret || value === undefined || !valid.has(name)) continue;
    if (name === 'PAYLOAD_KEYS') {
      parsePayloadKeys(value).keys.forEach(({ key }, i) => {
        const at = `key ${i + 1}`;
        parts.push(secretPart(name, key.toString('base64'), at));
        const weakness = keyWeakness(key);
        if (weakness) problems.push(`${name} ${at} ${weakness}`);
      });
    } else if (name === 'API_CLIENTS') {
      (JSON.parse(value) as Array<{ name: string; key: string }>).forEach((client) => {
        const at = `client "${client.name}"`;
        const hashed = SHA256_KEY.exec(client.key);
        if (hashed) parts.push({ variable: name, at, sha256: hashed[1]!.toLowerCase() });
        else token(name, client.key, at);
      });
    } else if (name.endsWith('_WEBHOOK_SECRET')) {
      const secrets = value.split(/\s+/).filter(Boolean);
      secrets.forEach((s, i) => token(name, s, secrets.length > 1 ? `secret ${i + 1}` : undefined));
    } else if (name.endsWith('_WEBHOOK_URL')) {
      // The provider made this URL and its token: checked for development values and sharing, not for strength.
      parts.push(secretPart(name, value));
    } else {
      token(name, value);
    }
  }

  const development = new DevelopmentValues(developmentSecretValues(declared, sandboxPort));
  const developmentVariables = [
    ...new Set(parts.filter((p) => development.matches(p)).map((p) => (p.at ? `${p.variable} ${p.at}` : p.variable))),
  ];
  for (const name of developmentVariables) {
    problems.push(
      `${name} is a public development value (the service derives it for \`npm start\`, so anyone can sign or ` +
        'call with it): set a value of your own, e.g. `openssl rand -base64 32`',
    );
  }
  problems.push(...sharedSecretProblems(parts));

  const corsOrigin = raw('CODEC_CORS_ORIGIN');
  const uiUrl = raw('TEMPORAL_UI_URL');
  if (
    corsOrigin === undefined &&
    uiUrl !== undefined &&
    URL.canParse(uiUrl) &&
    !/^https?:$/.test(new URL(uiUrl).protocol)
  ) {
    problems.push(
      "TEMPORAL_UI_URL is not http(s), so its origin cannot be the codec server's allowed origin: set CODEC_CORS_ORIGIN",
    );
  }
  return problems;
}
