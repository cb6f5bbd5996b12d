import * as bundled from '../../src/flows/bundle';
import { EVENT_FLOWS, FLOWS, SOURCES, SYSTEMS } from '../../src/registry';

// The declarations are the one place an integration is described: these checks keep them and the code in step.
describe('the declarations', () => {
  test('every workflow the worker bundles is declared, each with its own function, and nothing else is', () => {
    expect(Object.keys(FLOWS).sort()).toEqual(Object.keys(bundled).sort());
    for (const [type, declaration] of Object.entries(FLOWS)) {
      expect(declaration.workflow).toBe((bundled as Record<string, unknown>)[type]);
      expect(declaration.workflow.name).toBe(type);
    }
  });

  test('every canonical event a source produces has a flow', () => {
    for (const source of SOURCES) {
      for (const canonical of Object.values(source.events)) expect(EVENT_FLOWS).toHaveProperty(canonical);
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
