import * as bundled from '../../src/workflows';
import { SOURCES } from '../../src/integrations/sources';
import { SYSTEMS } from '../../src/integrations/systems';
import { FLOWS, WORKFLOWS } from '../../src/integrations/workflows';

// The declarations are the one place an integration is described: these checks keep them and the code in step.
describe('the declarations', () => {
  test('every workflow the worker bundles is declared, each with its own function, and nothing else is', () => {
    expect(Object.keys(WORKFLOWS).sort()).toEqual(Object.keys(bundled).sort());
    for (const [type, declaration] of Object.entries(WORKFLOWS)) {
      expect(declaration.workflow).toBe((bundled as Record<string, unknown>)[type]);
    }
  });

  test('every canonical event a source produces has a flow', () => {
    for (const source of SOURCES) {
      for (const canonical of Object.values(source.events)) expect(FLOWS).toHaveProperty(canonical);
    }
  });

  test('names are unique kebab-case, and no activity is declared by two systems', () => {
    const names = [...SYSTEMS.map((s) => s.name), ...SOURCES.map((s) => `source:${s.name}`)];
    expect(new Set(names).size).toBe(names.length);
    for (const s of SYSTEMS) expect(s.name).toMatch(/^[a-z][a-z0-9-]*$/);
    const activities = SYSTEMS.flatMap((s) => Object.keys(s.activityDocs));
    expect(new Set(activities).size).toBe(activities.length);
  });
});
