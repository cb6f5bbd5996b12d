import { deadLettersText, planText, retryText } from '../../src/ops/cli';
import type { ExecutionSummary } from '../../src/ops/executions';
import { executionsTable } from '../../src/ops/format';
import type { RedrivePlan } from '../../src/ops/redrive';

// What the ops CLI prints comes partly from outside: a downstream's error message, a record's fields, a business key.
// Printed raw, ESC sequences, carriage returns, bidi overrides or a line feed in them could rewrite what the operator
// reads, e.g. hide a line of a redrive plan or forge one.
const HOSTILE = 'rejected\u001b[1A\u001b[2K\rSKIP  nothing to see\u202eevil\u202c\u009b2J\nWOULD RE-RUN forged-wf';
// Anything the terminal would act on, and a line feed where the output did not put one.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

function linesOf(text: string): string[] {
  return text.split('\n');
}

function expectInert(text: string, expectedLines: number) {
  for (const line of linesOf(text)) expect(line).not.toMatch(UNSAFE);
  expect(linesOf(text)).toHaveLength(expectedLines);
  expect(text).toContain('\\u001b[2K');
}

const execution: ExecutionSummary = {
  workflowId: `shop:evt_1${HOSTILE}`,
  runId: 'run-1',
  type: 'orderPaid',
  status: 'FAILED',
  integrationStatus: 'failed',
  businessKey: `ORD-1${HOSTILE}`,
  startTime: '2024-11-12T09:41:07.123Z',
  lastError: `accounting POST /invoices answered 400: ${HOSTILE}`,
  link: 'http://localhost:8233/namespaces/default/workflows/shop%3Aevt_1/run-1/history',
};

describe('ops output shows text from outside inert, one value per line it belongs to', () => {
  test('the executions table', () => {
    expectInert(executionsTable([execution]), 4);
  });

  test('a redrive dry run', () => {
    const plan: RedrivePlan = {
      query: 'ExecutionStatus = "Failed"',
      planId: 'p1',
      limit: 1000,
      truncated: false,
      items: [
        {
          execution,
          action: 'reset',
          sideEffects: [
            { activity: 'createInvoice', system: 'accounting', effect: HOSTILE, idempotencyKey: 'k', protected: true },
            {
              activity: 'sendAlert',
              system: 'alerts',
              effect: 'alert',
              idempotencyKey: null,
              protected: false,
              note: HOSTILE,
            },
          ],
        },
        { execution, action: 'skip', skipReason: HOSTILE },
      ],
    };
    const text = planText(plan);
    expectInert(text, 11);
    expect(text.match(/^WOULD RE-RUN/gm)).toHaveLength(1);
  });

  test('the dead-letter list and a retry report', () => {
    const entry = {
      id: `crm_1${HOSTILE}`,
      system: 'email-platform' as const,
      activity: 'upsertEmailContacts' as const,
      record: { externalId: 'crm_1', email: `k@example.com${HOSTILE}`, name: 'K', company: null, consent: null },
      error: HOSTILE,
      firstSeen: '2024-11-12T09:41:07Z',
      lastSeen: '2024-11-12T09:41:07Z',
      attempts: 1,
    };
    expectInert(deadLettersText({ stateWorkflowId: 'state', exists: true, deadLetters: [entry], notKept: 0 }), 5);
    const retried = retryText({
      delivered: [`crm_2${HOSTILE}`],
      rejected: [{ id: 'crm_1', error: HOSTILE }],
      missing: [HOSTILE],
      workflowId: 'contact-sync:dlq-retry:all:x',
      link: 'http://localhost:8233/x',
    });
    expectInert(retried, 6);
  });
});
