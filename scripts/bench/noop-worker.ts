// P4's baseline worker: the same workflow bundle on the same task queues with the same options as src/worker/main.ts,
// but every activity returns at once without a call (no HTTP client layer, rate gate, interceptors or sandbox), and
// no server-side rate limit. What the real worker adds on top of this is what the figure is about.
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { CreateInvoiceInput, CreatedInvoice } from '../../src/systems/accounting/activities';
import type { EmailMessage, SendInvoiceEmailInput } from '../../src/systems/email-platform/activities';
import { createTemporalActivities } from '../../src/kit/temporal-activities';
import { loadConfig } from '../../src/config';
import { queueFor } from '../../src/contracts/task-queues';
import { dataConverterFor } from '../../src/temporal/codec';
import { connectionOptions, resolveTemporalTarget } from '../../src/temporal/connection';

async function main(): Promise<void> {
  const config = loadConfig(process.env, 'worker');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const target = resolveTemporalTarget(config, process.env);
  const connection = await NativeConnection.connect(connectionOptions(target));
  const dataConverter = dataConverterFor(config);
  const namespace = target.namespace;
  const prefix = config.temporal.taskQueuePrefix;
  const common = {
    connection,
    namespace,
    dataConverter,
    shutdownGraceTime: Math.floor(config.shutdown.timeoutMs / 2),
    shutdownForceTime: config.shutdown.timeoutMs,
  };
  let n = 0;
  const workers = [
    await Worker.create({
      ...common,
      taskQueue: queueFor(prefix, 'orchestration'),
      workflowBundle: { codePath: config.worker.workflowBundlePath! },
      maxCachedWorkflows: config.worker.maxCachedWorkflows,
      activities: createTemporalActivities({ temporal: new Client({ connection, namespace, dataConverter }) }),
    }),
    await Worker.create({
      ...common,
      taskQueue: queueFor(prefix, 'accounting'),
      activities: {
        async createInvoice(input: CreateInvoiceInput): Promise<CreatedInvoice> {
          return {
            id: `inv_${++n}`,
            order_id: input.orderId,
            total: input.total,
            currency: input.currency,
            customer_email: input.customerEmail,
            status: 'open',
            payments: [],
            existedBefore: false,
          };
        },
      },
    }),
    await Worker.create({
      ...common,
      taskQueue: queueFor(prefix, 'email-platform'),
      activities: {
        async sendInvoiceEmail(input: SendInvoiceEmailInput): Promise<EmailMessage> {
          return { id: `msg_${++n}`, to: input.to, subject: `Invoice ${input.invoiceId}` };
        },
      },
    }),
    await Worker.create({ ...common, taskQueue: queueFor(prefix, 'alerts'), activities: { async sendAlert() {} } }),
  ];
  process.stdout.write(`${JSON.stringify({ msg: 'worker running' })}\n`);
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`noop worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
