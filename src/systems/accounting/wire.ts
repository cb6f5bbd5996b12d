// Accounting's invoice as it travels on the wire: what the activities read and the stand-in serves.

export interface InvoicePayment {
  payment_id: string;
  amount: number;
  currency: string;
}

export interface Invoice {
  id: string;
  order_id: string;
  total: number;
  currency: string;
  customer_email: string;
  /** partially_paid: payments are recorded and a balance remains. */
  status: 'open' | 'partially_paid' | 'paid';
  payments: InvoicePayment[];
}
