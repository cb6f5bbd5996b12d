import PDFDocument from 'pdfkit';
import { minorUnitDecimals } from '../../../domain/money';

/** What the invoice PDF shows: the accounting system owns the invoice; this is its copy for the customer. */
export interface InvoiceDocument {
  orderId: string;
  invoiceId: string;
  total: number;
  currency: string;
  /** The seller's name, from the sender address's display name or its domain. */
  seller: string;
  issuedAt: Date;
}

/** The amount as the currency writes it: 120.5 PLN → "120.50 PLN", 1200 JPY → "1200 JPY". */
export function formatAmount(total: number, currency: string): string {
  return `${total.toFixed(minorUnitDecimals(currency))} ${currency.toUpperCase()}`;
}

/** Renders the invoice as a one-page PDF (pdfkit, its standard fonts). */
export function renderInvoicePdf(doc: InvoiceDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pdf = new PDFDocument({
      size: 'A4',
      margin: 56,
      info: { Title: `Invoice ${doc.invoiceId}`, Author: doc.seller, CreationDate: doc.issuedAt },
    });
    const chunks: Buffer[] = [];
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
    pdf.fontSize(22).text('Invoice', { align: 'left' });
    pdf.moveDown(0.5).fontSize(11).fillColor('#555').text(doc.seller);
    pdf.moveDown(1.5).fillColor('#000');
    const rows: Array<[string, string]> = [
      ['Invoice', doc.invoiceId],
      ['Order', doc.orderId],
      ['Issued', doc.issuedAt.toISOString().slice(0, 10)],
      ['Total', formatAmount(doc.total, doc.currency)],
    ];
    for (const [label, value] of rows) {
      const y = pdf.y;
      pdf.font('Helvetica-Bold').text(label, 56, y, { width: 120 });
      pdf.font('Helvetica').text(value, 180, y);
      pdf.moveDown(0.4);
    }
    pdf.moveDown(2).fontSize(9).fillColor('#555').text('Paid in full. Thank you for your order.');
    pdf.end();
  });
}
