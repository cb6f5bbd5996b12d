import type { OAuthProvider } from '../../../kit/connections/oauth';
import { defineConnector, urlCheck } from '../../../kit/declare';
import type { AccountingActivities } from '../activities';
import { createXeroActivities } from './activities';
import { XERO_LIMITS } from './limits';

// Accounting in Xero (docs/xero.md): the invoice, its payments and the reconciliation's reads through xero-node, as
// the OAuth connection `accounting` (src/kit/connections), whose workflow alone refreshes its tokens.

/** The app the sandbox's Xero stand-in knows: ACCOUNTING_XERO_CLIENT_ID and _CLIENT_SECRET outside production. */
export const XERO_SANDBOX_APP = {
  clientId: 'SWITCHYARDSANDBOXXEROCLIENT0000',
  clientSecret: 'sandbox-xero-client-secret-not-for-production',
} as const;

/** Where the sandbox serves the stand-in (src/systems/accounting/xero/stand-in.ts). */
const standInUrl = (sandboxUrl: string) => `${sandboxUrl}/accounting-xero`;

/** Xero's OAuth2 endpoints and the app, from ACCOUNTING_XERO_* (by suffix), for the connection workflow. */
export function xeroOAuth(settings: Readonly<Record<string, string | undefined>>): OAuthProvider {
  const trim = (v: string | undefined) => (v ?? '').replace(/\/$/, '');
  return {
    authorizeUrl: settings.AUTHORIZE_URL!,
    tokenUrl: `${trim(settings.IDENTITY_URL)}/connect/token`,
    tenantsUrl: `${trim(settings.API_URL)}/connections`,
    clientId: settings.CLIENT_ID!,
    clientSecret: settings.CLIENT_SECRET!,
    scopes: settings.SCOPES!,
    redirectUrl: settings.REDIRECT_URL!,
    // Xero: a refresh token unused for 60 days dies.
    refreshTokenIdleDays: 60,
  };
}

const httpUrl = urlCheck(['http:', 'https:'], 'must be an http(s) URL');
const accountCode = (v: string) => (/^[A-Za-z0-9-]{1,10}$/.test(v) ? [] : ['must be a Xero account code']);

export const xeroConnector = defineConnector<AccountingActivities>({
  name: 'xero',
  title: 'invoices and payments in a Xero organisation, through xero-node as the `accounting` OAuth connection',
  variables: [
    {
      suffix: 'API_URL',
      description: "Xero's API, and its /connections",
      default: 'https://api.xero.com',
      development: standInUrl,
      check: httpUrl,
    },
    {
      suffix: 'CLIENT_ID',
      description: 'the client id of the Xero app (developer.xero.com/app/manage)',
      development: () => XERO_SANDBOX_APP.clientId,
    },
    {
      suffix: 'CLIENT_SECRET',
      description: 'the client secret of the Xero app',
      secret: true,
      development: () => XERO_SANDBOX_APP.clientSecret,
    },
    {
      suffix: 'REDIRECT_URL',
      description:
        "the operator listener's /connections/accounting/callback as the operator's browser reaches it, registered as " +
        "the Xero app's redirect URI",
      development: () => 'http://127.0.0.1:3001/connections/accounting/callback',
      check: httpUrl,
    },
    {
      suffix: 'IDENTITY_URL',
      description: "Xero's identity server, whose /connect/token issues and refreshes tokens",
      default: 'https://identity.xero.com',
      development: (sandboxUrl) => `${standInUrl(sandboxUrl)}/identity`,
      check: httpUrl,
    },
    {
      suffix: 'AUTHORIZE_URL',
      description: 'where an operator is sent to consent to the connection',
      default: 'https://login.xero.com/identity/connect/authorize',
      development: (sandboxUrl) => `${standInUrl(sandboxUrl)}/identity/connect/authorize`,
      check: httpUrl,
    },
    {
      suffix: 'SCOPES',
      description: 'the OAuth scopes asked for, space-separated (offline_access for a refresh token)',
      default: 'offline_access accounting.transactions accounting.contacts',
      check: (v) => (v.split(/\s+/).includes('offline_access') ? [] : ['must include offline_access']),
    },
    {
      suffix: 'SALES_ACCOUNT_CODE',
      description: "the revenue account of the invoice's line (Xero's default chart: 200 Sales)",
      default: '200',
      check: accountCode,
    },
    {
      suffix: 'PAYMENT_ACCOUNT_CODE',
      description:
        'the bank account payments are recorded into (Xero’s demo company: 090); it must allow payments ' +
        '(a bank account, or one with "enable payments to this account")',
      default: '090',
      check: accountCode,
    },
  ],
  standIn: true,
  oauth: (settings) => xeroOAuth(settings),
  limits: XERO_LIMITS,
  activities: createXeroActivities,
  activityNotes: {
    createInvoice:
      'an AUTHORISED ACCREC invoice with the order id as its Reference, looked up by Reference first (so a retry after ' +
      "Xero's idempotency window creates no second one), then created under Idempotency-Key invoice:<order id> " +
      '(≤128 characters, hashed when longer); the same conflict rule as the API',
    markInvoicePaid:
      'a Xero payment into ACCOUNTING_XERO_PAYMENT_ACCOUNT_CODE with the payment id as its Reference (one already on ' +
      'the invoice is not sent again), under Idempotency-Key invoice-payment:<payment id>; the same currency and ' +
      'over-payment rules as the API',
    findUninvoicedOrders: 'asks Xero by Reference, 25 references and 100 invoices a page at a time',
  },
});
