import fs from 'node:fs';
import path from 'node:path';
import { variableDocs } from '../../src/config';

// docs/configuration.md's table is written by hand for people; this keeps it from losing a variable.
test('every variable the config reads is in the configuration reference', () => {
  const table = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  // A family of variables may be listed by its prefix, as `TEMPORAL_TLS_*`.
  const prefixes = [...table.matchAll(/`([A-Z][A-Z0-9_]*)\*`/g)].map((m) => m[1]!);
  const listed = (name: string) =>
    table.includes(`\`${name}\``) ||
    prefixes.some((p) => name.startsWith(p)) ||
    (name.endsWith('_RATE_LIMIT_PER_SECOND') && table.includes('`<SYSTEM>_RATE_LIMIT_PER_SECOND`'));
  expect(
    variableDocs()
      .filter((d) => !listed(d.name))
      .map((d) => d.name),
  ).toEqual([]);
});
