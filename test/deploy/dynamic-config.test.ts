import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { queueFor } from '../../src/contracts/task-queues';
import { SYSTEMS } from '../../src/registry';

// The shipped cluster config gives each declared system's task queue one partition: the server splits a queue's
// maxTaskQueueActivitiesPerSecond between its partitions, and a new system must not dispatch at a fraction of its
// rate. (test/cluster validates the file's keys and types with the pinned server binary.)

type Values = Array<{ value: unknown; constraints: Record<string, unknown> }>;
const config = parse(
  fs.readFileSync(path.resolve(__dirname, '../../deploy/temporal/dynamicconfig.yaml'), 'utf8'),
) as Record<string, Values>;

test.each(['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions'])(
  '%s is 1 for every system queue, and left at the default for the orchestration queue',
  (key) => {
    const values = config[key] ?? [];
    for (const system of SYSTEMS) {
      expect(values).toContainEqual({ value: 1, constraints: { taskQueueName: queueFor('', system.name) } });
    }
    expect(values.map((v) => v.constraints.taskQueueName)).not.toContain(queueFor('', 'orchestration'));
    expect(values.every((v) => typeof v.constraints.taskQueueName === 'string')).toBe(true);
  },
);
