import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import * as xero from 'xero-node';
import { minorUnitDecimals } from '../../../domain/money';
import { injectFaults, logRequest, type LoggedRequest, type StandIn, type SystemState } from '../../../kit/stand-in';
import {
  disconnect,
  grantOfBearer,
  identityData,
  type IdentityData,
  identityRouter,
  nowOf,
  revoke,
} from './identity-stand-in';

// Xero, as the sandbox serves it at /accounting-xero (the connector's stand-in; docs/xero.md):
//   /accounting-xero/identity/connect/authorize, /connect/token   the identity server (IDENTITY_URL, AUTHORIZE_URL)
//   /accounting-xero/connections                                  the tenants a token reaches
//   /accounting-xero/api.xro/2.0/Invoices, /Payments               the Accounting API (API_URL)
//   /__admin/accounting-xero/faults, /requests                    faults and the request log, as every system's
//   /__admin/accounting-xero/revoke, /limits, /forget-keys        revoke a connection, set the limits, expire keys
//   /__admin/accounting-xero/spent                                 answer the next calls 429 for one window
//   /__admin/accounting-xero/invoices?reference=                   the organisation's invoices, as Xero's screens list them
//   /__admin/accounting-xero/used                                  count calls made elsewhere in the minute or the day
//   /__admin/accounting-xero/disconnect                            the organisation disconnects the app (403s from then)
// Every request body is read with xero-node's ObjectSerializer into its models, and refused (400, a
// ValidationException) with a property its model lacks, a required field missing or a value outside its enum; every
// answer is built from the same models. Limits per tenant as Xero documents them: 5 calls in flight, 60 a minute,
// 5,000 a day, and 10,000 a minute for the app, answered 429 with Retry-After and X-Rate-Limit-Problem; every answer
// carries X-MinLimit-Remaining, X-DayLimit-Remaining and X-AppMinLimit-Remaining.

export interface XeroLimits {
  concurrent: number;
  minute: number;
  day: number;
  appMinute: number;
}
export const XERO_LIMITS: XeroLimits = { concurrent: 5, minute: 60, day: 5000, appMinute: 10_000 };

interface Usage {
  inFlight: number;
  minute: number[];
  day: number[];
}

export interface XeroData {
  identity: IdentityData;
  invoices: xero.Invoice[];
  limits: XeroLimits;
  /**
   * A window spent by callers the stand-in does not see (another app instance, Xero's own count): the next `count`
   * calls are answered 429 for it, with its remaining header 0 (set with PUT /__admin/accounting-xero/spent).
   */
  spent?: { window: 'concurrent' | 'minute' | 'day' | 'appminute'; retryAfterSeconds: number; count: number };
  /** Idempotency records, by tenant, path and key: the body they came with and the answer given. */
  idempotency: Map<string, { fingerprint: string; status: number; body: unknown }>;
}

// ---- the vendor's models as the check --------------------------------------------------------------------------

type Attribute = { name: string; baseName: string; type: string };
type ModelClass = { getAttributeTypeMap(): Attribute[]; new (): object };
const models = xero as unknown as Record<string, unknown>;
const PRIMITIVES = new Set(['string', 'number', 'boolean', 'any', 'object']);

function modelOf(type: string): ModelClass | undefined {
  const m = models[type];
  if (typeof m !== 'function') return undefined;
  return typeof (m as { getAttributeTypeMap?: unknown }).getAttributeTypeMap === 'function'
    ? (m as unknown as ModelClass)
    : undefined;
}

/** An enum's values: `Invoice.StatusEnum` (a model's own) or `CurrencyCode` (a shared one). */
function enumOf(type: string): string[] | undefined {
  const [owner, member] = type.split('.');
  const e = member ? (models[owner!] as Record<string, unknown> | undefined)?.[member] : models[type];
  if (!e || typeof e !== 'object') return undefined;
  return Object.values(e as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
}

/** What is wrong with `value` as the model type `type`: properties it lacks, wrong types, values outside enums. */
export function modelProblems(value: unknown, type: string, at = type): string[] {
  if (value === undefined || value === null) return [];
  if (type.startsWith('Array<')) {
    if (!Array.isArray(value)) return [`${at} must be an array`];
    const inner = type.slice(6, -1);
    return value.flatMap((v, i) => modelProblems(v, inner, `${at}[${i}]`));
  }
  if (PRIMITIVES.has(type.toLowerCase())) {
    const t = type.toLowerCase();
    return t === 'any' || t === 'object' || typeof value === t ? [] : [`${at} must be a ${t}`];
  }
  if (type === 'Date') return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? [] : [`${at} is no date`];
  const values = modelOf(type) ? undefined : enumOf(type);
  if (values) return values.includes(value as string) ? [] : [`${at} is not a valid ${type}: ${String(value)}`];
  const model = modelOf(type);
  if (!model) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${at} must be an object (${type})`];
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a]));
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
    const a = attributes.get(key);
    return a ? modelProblems(v, a.type, `${at}.${key}`) : [`${at}.${key} is not a property of ${type}`];
  });
}

const serialize = (value: unknown, type: string) => xero.ObjectSerializer.serialize(value, type) as unknown;
const deserialize = <T>(value: unknown, type: string) => xero.ObjectSerializer.deserialize(value, type) as T;

/** Xero's 400 for a body it refuses. */
function validationException(messages: string[]) {
  return {
    ErrorNumber: 10,
    Type: 'ValidationException',
    Message: 'A validation exception occurred',
    Elements: [{ ValidationErrors: messages.map((Message) => ({ Message })) }],
  };
}

/** Xero's problem-details answers for auth. */
const problem = (status: number, title: string, detail: string) => ({
  Type: null,
  Title: title,
  Status: status,
  Detail: detail,
  Instance: randomUUID(),
  Extensions: {},
});

// ---- the limits --------------------------------------------------------------------------------------------------

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

class Limiter {
  private readonly tenants = new Map<string, Usage>();
  private readonly app: number[] = [];

  constructor(private readonly data: XeroData) {}

  private usage(tenantId: string): Usage {
    let u = this.tenants.get(tenantId);
    if (!u) this.tenants.set(tenantId, (u = { inFlight: 0, minute: [], day: [] }));
    return u;
  }

  /** Counts the call, or says which limit it is over and when to come back (seconds). */
  admit(tenantId: string, res: Response): { problem: string; retryAfter: number } | undefined {
    const now = nowOf(this.data.identity);
    const u = this.usage(tenantId);
    const prune = (list: number[], span: number) => {
      while (list.length && list[0]! <= now - span) list.shift();
    };
    prune(u.minute, MINUTE);
    prune(u.day, DAY);
    prune(this.app, MINUTE);
    const limits = this.data.limits;
    const wait = (list: number[], span: number) => Math.max(1, Math.ceil((list[0]! + span - now) / 1000));
    let over: { problem: string; retryAfter: number } | undefined;
    const spent = this.data.spent;
    if (spent && spent.count > 0) {
      spent.count -= 1;
      over = { problem: spent.window, retryAfter: spent.retryAfterSeconds };
    } else if (u.inFlight >= limits.concurrent) over = { problem: 'concurrent', retryAfter: 1 };
    else if (u.minute.length >= limits.minute) over = { problem: 'minute', retryAfter: wait(u.minute, MINUTE) };
    else if (u.day.length >= limits.day) over = { problem: 'day', retryAfter: wait(u.day, DAY) };
    else if (this.app.length >= limits.appMinute) over = { problem: 'appminute', retryAfter: wait(this.app, MINUTE) };
    if (!over) {
      u.minute.push(now);
      u.day.push(now);
      this.app.push(now);
      u.inFlight += 1;
      res.on('close', () => (u.inFlight -= 1));
    }
    res.setHeader('X-MinLimit-Remaining', String(Math.max(0, limits.minute - u.minute.length)));
    res.setHeader('X-DayLimit-Remaining', String(Math.max(0, limits.day - u.day.length)));
    res.setHeader('X-AppMinLimit-Remaining', String(Math.max(0, limits.appMinute - this.app.length)));
    if (spent && over?.problem === spent.window) {
      const header = {
        minute: 'X-MinLimit-Remaining',
        day: 'X-DayLimit-Remaining',
        appminute: 'X-AppMinLimit-Remaining',
      };
      if (spent.window !== 'concurrent') res.setHeader(header[spent.window], '0');
    }
    return over;
  }

  /** Counts `count` calls the stand-in did not see (another replica, another integration of the app) in a window. */
  spend(tenantId: string, window: 'minute' | 'day', count: number): void {
    const now = nowOf(this.data.identity);
    const list = this.usage(tenantId)[window];
    for (let i = 0; i < count; i++) list.push(now);
  }

  reset(): void {
    this.tenants.clear();
    this.app.length = 0;
  }
}

// ---- the where filter --------------------------------------------------------------------------------------------

/** The references in `Reference=="a" OR Reference=="b"` (with \" and \\ escapes), or undefined for anything else. */
export function referencesIn(where: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const head = /^\s*Reference\s*==\s*"/.exec(where.slice(i));
    if (!head) return undefined;
    i += head[0].length;
    let value = '';
    for (;;) {
      const c = where[i];
      if (c === undefined) return undefined;
      i += 1;
      if (c === '"') break;
      if (c === '\\') {
        const next = where[i];
        if (next !== '"' && next !== '\\') return undefined;
        value += next;
        i += 1;
      } else value += c;
    }
    out.push(value);
    const rest = where.slice(i);
    if (/^\s*$/.test(rest)) return out;
    const or = /^\s+OR\s+/.exec(rest);
    if (!or) return undefined;
    i += or[0].length;
  }
}

// ---- the routes --------------------------------------------------------------------------------------------------

const round = (n: number, decimals: number) => Number(n.toFixed(decimals));
const decimalsOf = (n: number) => (Number.isInteger(n) ? 0 : (String(n).split('.')[1]?.length ?? 0));

/** The accounts a payment may go to: the demo company's bank account. */
const PAYMENT_ACCOUNTS = new Set(['090', '091']);

export function xeroRouter(state: SystemState, data: XeroData, limiter: Limiter): Router {
  const router = express.Router();
  router.use('/identity', identityRouter(state, data.identity));

  const api = express.Router();
  api.use(express.json({ limit: '2mb' }));
  const entries = new WeakMap<Request, LoggedRequest>();
  api.use((req, res, next) => {
    entries.set(req, logRequest(state, req, res));
    next();
  });
  // Auth, then the tenant, then the limits, then injected faults, as Xero's gateway.
  api.use((req: Request, res: Response, next: NextFunction) => {
    const grant = grantOfBearer(data.identity, req.header('authorization'));
    if (!grant) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      return void res.status(401).json(problem(401, 'Unauthorized', 'AuthenticationUnsuccessful'));
    }
    res.locals.grant = grant;
    if (req.path === '/connections') return next();
    const tenantId = req.header('xero-tenant-id');
    if (!tenantId || !grant.tenants.some((t) => t.tenantId === tenantId)) {
      return void res.status(403).json(problem(403, 'Forbidden', 'AuthorizationUnsuccessful'));
    }
    res.locals.tenantId = tenantId;
    const over = limiter.admit(tenantId, res);
    if (over) {
      res.setHeader('Retry-After', String(over.retryAfter));
      res.setHeader('X-Rate-Limit-Problem', over.problem);
      return void res.status(429).json(problem(429, 'Too Many Requests', `rate limit exceeded: ${over.problem}`));
    }
    next();
  });
  api.use(injectFaults(state));

  api.get('/connections', (_req, res) => {
    const grant = res.locals.grant as { tenants: Array<{ id: string; tenantId: string; tenantName: string }> };
    const at = new Date(nowOf(data.identity)).toISOString();
    res.json(
      grant.tenants.map((t) => ({
        id: t.id,
        authEventId: randomUUID(),
        tenantId: t.tenantId,
        tenantType: 'ORGANISATION',
        tenantName: t.tenantName,
        createdDateUtc: at,
        updatedDateUtc: at,
      })),
    );
  });

  /** Checks the body against `type`'s model, answers 400 when it fails, and records the outcome in the log. */
  const checked = <T>(req: Request, res: Response, type: string, required: (body: T) => string[]): T | undefined => {
    const problems = modelProblems(req.body, type);
    const body = problems.length ? undefined : deserialize<T>(req.body, type);
    if (body) problems.push(...required(body));
    const entry = entries.get(req);
    if (entry) entry.bodyProblems = problems;
    if (problems.length) return void res.status(400).json(validationException(problems));
    return body;
  };

  /** Xero's Idempotency-Key: the same key and body replay the first answer; another body is refused. */
  const idempotent = (req: Request, res: Response, handle: () => { status: number; body: unknown }) => {
    const key = req.header('idempotency-key');
    if (key && key.length > 128) {
      return void res.status(400).json(validationException(['Idempotency-Key must be at most 128 characters']));
    }
    const scoped = key && `${String(res.locals.tenantId)} ${req.method} ${req.path} ${key}`;
    const fingerprint = JSON.stringify(req.body ?? null);
    const stored = scoped ? data.idempotency.get(scoped) : undefined;
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        const message = 'The Idempotency-Key has already been used with a different request body';
        return void res.status(400).json(problem(400, 'Bad Request', message));
      }
      return void res.status(stored.status).json(stored.body);
    }
    const answer = handle();
    if (scoped && answer.status < 500) data.idempotency.set(scoped, { fingerprint, ...answer });
    res.status(answer.status).json(answer.body);
  };

  api.put('/api.xro/2.0/Invoices', (req, res) => {
    const unitdp = req.query.unitdp === '4' ? 4 : 2;
    const body = checked<xero.Invoices>(req, res, 'Invoices', (b) => {
      const list = b.invoices ?? [];
      if (list.length === 0) return ['Invoices is required'];
      return list.flatMap((inv, i) => {
        const at = `Invoices[${i}]`;
        const p: string[] = [];
        if (!inv.type) p.push(`${at}.Type is required`);
        if (!inv.contact || !(inv.contact.contactID || inv.contact.name))
          p.push(`${at}.Contact needs ContactID or Name`);
        if (!inv.lineItems?.length) p.push(`${at}.LineItems is required`);
        const status = String(inv.status ?? 'DRAFT');
        if (!['DRAFT', 'SUBMITTED', 'AUTHORISED'].includes(status))
          p.push(`${at}.Status cannot be ${status} on create`);
        const currency = String(inv.currencyCode ?? 'NZD');
        const decimals = Math.min(minorUnitDecimals(currency), unitdp);
        for (const [j, line] of (inv.lineItems ?? []).entries()) {
          if (!line.description) p.push(`${at}.LineItems[${j}].Description is required`);
          const amount = line.unitAmount ?? 0;
          // Xero keeps unit amounts to 2 decimals (4 with unitdp=4), and the currency's minor unit bounds them too.
          if (decimalsOf(amount) > decimals) {
            p.push(`${at}.LineItems[${j}].UnitAmount ${amount} has more decimals than ${currency} allows`);
          }
        }
        return p;
      });
    });
    if (!body) return;
    idempotent(req, res, () => {
      const made = body.invoices!.map((inv) => {
        const currency = String(inv.currencyCode ?? 'NZD');
        const decimals = minorUnitDecimals(currency);
        const total = round(
          (inv.lineItems ?? []).reduce((sum, l) => sum + (l.quantity ?? 1) * (l.unitAmount ?? 0), 0),
          decimals,
        );
        const created = Object.assign(new xero.Invoice(), inv, {
          invoiceID: randomUUID(),
          invoiceNumber: `INV-${String(data.invoices.length + 1).padStart(4, '0')}`,
          currencyCode: currency,
          status: inv.status ?? xero.Invoice.StatusEnum.DRAFT,
          contact: Object.assign(new xero.Contact(), inv.contact, {
            contactID: inv.contact?.contactID ?? randomUUID(),
          }),
          subTotal: total,
          totalTax: 0,
          total,
          amountDue: total,
          amountPaid: 0,
          payments: [],
          updatedDateUTC: new Date(nowOf(data.identity)),
        });
        data.invoices.push(created);
        return created;
      });
      return { status: 200, body: serialize(Object.assign(new xero.Invoices(), { invoices: made }), 'Invoices') };
    });
  });

  api.get('/api.xro/2.0/Invoices', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    let list = data.invoices;
    if (q.where) {
      const refs = referencesIn(q.where);
      if (!refs) return void res.status(400).json(validationException([`unsupported where: ${q.where}`]));
      list = list.filter((i) => refs.includes(i.reference ?? ''));
    }
    if (q.IDs) {
      const ids = q.IDs.split(',');
      list = list.filter((i) => ids.includes(i.invoiceID ?? ''));
    }
    if (q.Statuses) {
      const statuses = q.Statuses.split(',');
      list = list.filter((i) => statuses.includes(String(i.status)));
    }
    const pageSize = Math.min(Math.max(Number(q.pageSize) || 100, 1), 1000);
    const page = Math.max(Number(q.page) || 1, 1);
    const shown = q.page ? list.slice((page - 1) * pageSize, page * pageSize) : list;
    // Contacts summarised to ContactID and Name, so the connector cannot rely on more than a list is sure to carry.
    const summarised = shown.map((i) =>
      Object.assign(new xero.Invoice(), i, {
        contact: Object.assign(new xero.Contact(), { contactID: i.contact?.contactID, name: i.contact?.name }),
      }),
    );
    const answer = Object.assign(new xero.Invoices(), { invoices: summarised });
    if (q.page) {
      answer.pagination = Object.assign(new xero.Pagination(), {
        page,
        pageSize,
        pageCount: Math.ceil(list.length / pageSize),
        itemCount: list.length,
      });
    }
    res.json(serialize(answer, 'Invoices'));
  });

  const payments = (req: Request, res: Response) => {
    const single = !(req.body && typeof req.body === 'object' && 'Payments' in req.body);
    const type = single ? 'Payment' : 'Payments';
    const required = (p: xero.Payment, at: string) => [
      ...(!p.invoice || !(p.invoice.invoiceID || p.invoice.invoiceNumber) ? [`${at}.Invoice needs InvoiceID`] : []),
      ...(!p.account || !(p.account.accountID || p.account.code) ? [`${at}.Account needs AccountID or Code`] : []),
      ...(p.amount === undefined ? [`${at}.Amount is required`] : []),
      ...(!p.date ? [`${at}.Date is required`] : []),
    ];
    const body = checked<xero.Payment | xero.Payments>(req, res, type, (b) =>
      single
        ? required(b as xero.Payment, 'Payment')
        : ((b as xero.Payments).payments ?? []).flatMap((p, i) => required(p, `Payments[${i}]`)),
    );
    if (!body) return;
    const list = single ? [body as xero.Payment] : ((body as xero.Payments).payments ?? []);
    idempotent(req, res, () => {
      const made: xero.Payment[] = [];
      for (const p of list) {
        const invoice = data.invoices.find(
          (i) => i.invoiceID === p.invoice!.invoiceID || i.invoiceNumber === p.invoice!.invoiceNumber,
        );
        if (!invoice) return { status: 400, body: validationException(['Invoice could not be found']) };
        if (!PAYMENT_ACCOUNTS.has(p.account!.code ?? '')) {
          return { status: 400, body: validationException(['Payments cannot be made to this account']) };
        }
        if (String(invoice.status) !== 'AUTHORISED') {
          return { status: 400, body: validationException(['Payment can only be applied to an AUTHORISED invoice']) };
        }
        const decimals = minorUnitDecimals(String(invoice.currencyCode));
        const amount = p.amount!;
        if (amount <= 0 || round(amount, decimals) !== amount) {
          return { status: 400, body: validationException(['Payment amount is not valid for the currency']) };
        }
        if (amount > (invoice.amountDue ?? 0)) {
          const message = 'The payment amount exceeds the amount outstanding on this document';
          return { status: 400, body: validationException([message]) };
        }
        const payment = Object.assign(new xero.Payment(), {
          paymentID: randomUUID(),
          amount,
          date: p.date,
          reference: p.reference,
          status: xero.Payment.StatusEnum.AUTHORISED,
          paymentType: xero.Payment.PaymentTypeEnum.ACCRECPAYMENT,
        });
        invoice.payments = [...(invoice.payments ?? []), payment];
        invoice.amountPaid = round((invoice.amountPaid ?? 0) + amount, decimals);
        invoice.amountDue = round((invoice.total ?? 0) - invoice.amountPaid, decimals);
        if (invoice.amountDue <= 0) {
          invoice.status = xero.Invoice.StatusEnum.PAID;
          invoice.fullyPaidOnDate = p.date;
        }
        made.push(
          Object.assign(payment, {
            invoice: Object.assign(new xero.Invoice(), { invoiceID: invoice.invoiceID, status: invoice.status }),
          }),
        );
      }
      return { status: 200, body: serialize(Object.assign(new xero.Payments(), { payments: made }), 'Payments') };
    });
  };
  api.put('/api.xro/2.0/Payments', payments);
  api.post('/api.xro/2.0/Payments', payments);

  router.use(api);
  return router;
}

/** The Xero stand-in, as the sandbox mounts a connector's: /accounting-xero, admin at /__admin/accounting-xero. */
export function standIn(state: SystemState): StandIn<XeroData> {
  const data: XeroData = {
    identity: identityData(),
    invoices: [],
    limits: { ...XERO_LIMITS },
    idempotency: new Map(),
  };
  const limiter = new Limiter(data);
  const admin = express.Router();
  admin.use(express.json());
  admin.post('/revoke', (req, res) => {
    const tenantId = (req.body as { tenantId?: string } | undefined)?.tenantId;
    res.json({ revoked: revoke(data.identity, tenantId) });
  });
  // The organisation disconnects the app: the token endpoint still refreshes, /connections no longer lists it, and
  // calls for it answer 403.
  admin.post('/disconnect', (req, res) => {
    const tenantId = (req.body as { tenantId?: string } | undefined)?.tenantId ?? data.identity.organisation.tenantId;
    res.json({ disconnected: disconnect(data.identity, tenantId) });
  });
  admin.put('/limits', (req, res) => {
    Object.assign(data.limits, req.body as Partial<XeroLimits>);
    res.json(data.limits);
  });
  const SPENT = z.object({
    window: z.enum(['concurrent', 'minute', 'day', 'appminute']),
    retryAfterSeconds: z.number().int().min(0).max(86_400),
    count: z.number().int().min(1).max(1000).default(1),
  });
  admin.put('/spent', (req, res) => {
    const parsed = SPENT.safeParse(req.body ?? {});
    if (!parsed.success) return void res.status(400).json({ error: 'invalid_spent', issues: parsed.error.issues });
    data.spent = parsed.data;
    res.json(data.spent);
  });
  // Calls made elsewhere today or this minute, which Xero counts and the connector never saw: its remaining headers
  // say so from the next answer.
  const USED = z.object({ window: z.enum(['minute', 'day']), count: z.number().int().min(1).max(100_000) });
  admin.post('/used', (req, res) => {
    const parsed = USED.safeParse(req.body ?? {});
    if (!parsed.success) return void res.status(400).json({ error: 'invalid_used', issues: parsed.error.issues });
    limiter.spend(data.identity.organisation.tenantId, parsed.data.window, parsed.data.count);
    res.json(parsed.data);
  });
  // The organisation's invoices as Xero's own screens would list them (no token needed: this is the sandbox's admin).
  admin.get('/invoices', (req, res) => {
    const reference = typeof req.query.reference === 'string' ? req.query.reference : undefined;
    const invoices = data.invoices.filter((i) => reference === undefined || i.reference === reference);
    res.json(serialize(Object.assign(new xero.Invoices(), { invoices }), 'Invoices'));
  });
  // Xero keeps a key for a while only: after that a retry under it is a new request.
  admin.post('/forget-keys', (_req, res) => {
    const n = data.idempotency.size;
    data.idempotency.clear();
    res.json({ forgotten: n });
  });
  return {
    router: xeroRouter(state, data, limiter),
    data,
    admin,
    reset: () => {
      const fresh = identityData();
      Object.assign(data.identity, { ...fresh, organisation: data.identity.organisation });
      data.invoices.length = 0;
      data.idempotency.clear();
      data.spent = undefined;
      Object.assign(data.limits, XERO_LIMITS);
      limiter.reset();
    },
  };
}
