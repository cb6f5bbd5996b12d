import { SYSTEMS } from '../registry';
import type { ActivityDoc } from '../kit/declare';
import { type ActivityName, FLOWS } from '../registry';
import { TEMPORAL_ACTIVITY_DOCS } from '../kit/temporal-activities';
import { CONNECTION_ACTIVITY_DOCS } from '../kit/connections/activities';

/** One thing a workflow changes (or reads) outside Temporal, and what keeps a re-run from doing it twice. */
export interface SideEffect {
  activity: string;
  system: string;
  effect: string;
  /**
   * What keeps a re-run from repeating the effect: the downstream idempotency key computed from the workflow's input;
   * or, for a key the activity derives at call time from what it sends, a description of it; or null for nothing.
   */
  idempotencyKey: ((input: never) => string) | { derivedAtCallTime: string } | null;
  /** Said next to an unprotected effect. */
  note?: string;
}

/** Where each activity is declared: its system (or `temporal`) and its doc. */
function activityIndex(): Map<string, { system: string; doc: ActivityDoc }> {
  const index = new Map<string, { system: string; doc: ActivityDoc }>();
  for (const system of SYSTEMS) {
    for (const [name, doc] of Object.entries(system.activityDocs)) index.set(name, { system: system.name, doc });
  }
  for (const [name, doc] of Object.entries(TEMPORAL_ACTIVITY_DOCS)) index.set(name, { system: 'temporal', doc });
  for (const [name, doc] of Object.entries(CONNECTION_ACTIVITY_DOCS)) index.set(name, { system: 'connection', doc });
  return index;
}

/**
 * The side effects of each workflow type, derived from the workflow declarations (which activities each schedules)
 * and the system declarations (what each activity does and its idempotency key). `redrive --dry-run` reads it;
 * test/ops checks that every activity a recorded history schedules is declared.
 */
export const SIDE_EFFECTS: Record<string, SideEffect[]> = (() => {
  const index = activityIndex();
  const table: Record<string, SideEffect[]> = {};
  for (const [type, declaration] of Object.entries(FLOWS)) {
    const keys = (declaration as { keys?: Partial<Record<ActivityName, (input: never) => string>> }).keys ?? {};
    const effects: SideEffect[] = declaration.activities.map((activity) => {
      const found = index.get(activity);
      if (!found) throw new Error(`workflow ${type} declares activity ${activity}, which no system declares`);
      const { system, doc } = found;
      const key = keys[activity];
      let idempotencyKey: SideEffect['idempotencyKey'] = null;
      if (doc.kind === 'write' && !doc.perRun) {
        idempotencyKey = key ?? (doc.idempotencyKey ? { derivedAtCallTime: doc.idempotencyKey } : null);
      }
      const note = doc.kind === 'read' ? `a read${doc.note ? `; ${doc.note}` : ''}` : doc.note;
      return {
        activity,
        system,
        effect: doc.kind === 'read' ? `${doc.does} (no change)` : doc.does,
        idempotencyKey,
        note,
      };
    });
    for (const child of 'children' in declaration ? (declaration.children ?? []) : []) {
      effects.push({
        activity: `${child.workflow} (child ${child.id})`,
        system: 'the child’s systems',
        effect: `runs ${child.workflow} as a child workflow`,
        idempotencyKey: null,
        note: child.note,
      });
    }
    table[type] = effects;
  }
  return table;
})();

export interface PlannedSideEffect {
  activity: string;
  system: string;
  effect: string;
  idempotencyKey: string | null;
  protected: boolean;
  note?: string;
}

/** The side effects a re-run of `workflowType` with `input` (its first argument) would perform, with their protection. */
export function sideEffectsOf(workflowType: string, input: unknown): PlannedSideEffect[] | undefined {
  const declared = SIDE_EFFECTS[workflowType];
  if (!declared) return undefined;
  return declared.map((s) => {
    let key: string | null = null;
    let note = s.note;
    if (s.idempotencyKey && typeof s.idempotencyKey === 'object') {
      key = s.idempotencyKey.derivedAtCallTime;
    } else if (s.idempotencyKey) {
      try {
        key = s.idempotencyKey(input as never);
      } catch {
        note = 'the workflow input does not have the expected shape: key unknown';
      }
    }
    return {
      activity: s.activity,
      system: s.system,
      effect: s.effect,
      idempotencyKey: key,
      protected: key !== null,
      note,
    };
  });
}
