import { and, OpsInputError } from '../../src/ops/context';

// An operator's clause is ANDed with the command's own (status, time, queue). It must stay one filter inside its
// parentheses: whatever the clause says, `(ExecutionStatus = "Failed") AND (<clause>)` must still mean "failed".
describe('an operator query clause combined with and()', () => {
  const status = 'ExecutionStatus = "Failed"';

  test.each([
    ['a simple comparison', 'WorkflowType = "orderPaid"'],
    ['AND and a time', 'WorkflowType = "orderPaid" AND StartTime > "2024-11-12T00:00:00Z"'],
    ['an OR inside its own parentheses', '(WorkflowType = "a" OR WorkflowType = "b")'],
    ['IN with a list', 'WorkflowId IN ("shop:evt_1", "shop:evt_2")'],
    ['parentheses and OR inside a quoted value', 'BusinessKey = "ORD-(1) OR (x"'],
    ['an escaped quote inside a value', 'BusinessKey = "a \\" ) OR ( b"'],
    ['a doubled single quote', "BusinessKey = 'it''s'"],
    ['NOT with parentheses', 'IntegrationStatus = "failed" AND NOT (Source = "shop")'],
    ['a boolean attribute', 'ApiVersionDrift = true'],
    ['|| inside parentheses', '(WorkflowType = "a" || WorkflowType = "b")'],
    ['a word that starts with OR', 'OrderCount > 1 AND Source = "vendor"'],
  ])('%s is accepted and wrapped in parentheses', (_case, clause) => {
    expect(and(status, clause)).toBe(`(${status}) AND (${clause})`);
  });

  test.each([
    ['the parenthesis escape from the security review', 'x="1") OR (WorkflowId != ""', /parenthes/],
    ['a closing parenthesis first, even without OR', 'WorkflowType = "a") AND (Source = "shop"', /parenthes/],
    ['an unclosed parenthesis', '(WorkflowType = "a"', /parenthes/],
    ['a top-level OR', 'WorkflowType = "a" OR WorkflowId != ""', /top-level OR/],
    ['a top-level or in lower case', 'WorkflowType = "a" or WorkflowId != ""', /top-level OR/],
    ['a top-level OR without spaces', 'WorkflowType="a"OR(WorkflowId != "")', /top-level OR/],
    ['a top-level ||', 'WorkflowType = "a" || WorkflowId != ""', /top-level OR/],
    ['a top-level XOR', 'WorkflowType = "a" XOR WorkflowId != ""', /top-level XOR/],
    ['a backtick that a backslash does not escape', '`a\\` OR WorkflowId != "" AND `b`', /top-level OR/],
    ['an unterminated double-quoted value', 'WorkflowType = "orderPaid', /unterminated/],
    ['an unterminated single-quoted value', "WorkflowType = 'orderPaid", /unterminated/],
    ['an escape that eats the closing quote', 'WorkflowType = "orderPaid\\"', /unterminated/],
    ['a line comment', 'WorkflowType = "a" -- ) OR (x', /comment/],
    ['a block comment', 'WorkflowType = "a" /* ( */', /comment/],
    ['a hash comment', 'WorkflowType = "a" # x', /comment/],
    ['a statement separator', 'WorkflowType = "a"; DROP', /;/],
    ['ORDER BY', 'WorkflowType = "a" ORDER BY StartTime', /ORDER BY/],
    ['a control character', 'WorkflowType = "a"\u0000', /control character/],
  ])('%s is refused with a reason', (_case, clause, reason) => {
    let thrown: unknown;
    try {
      and(status, clause);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OpsInputError);
    expect((thrown as Error).message).toMatch(reason);
  });

  test('an empty or blank clause is dropped, as before', () => {
    expect(and(status, undefined, '  ', '')).toBe(`(${status})`);
  });
});
