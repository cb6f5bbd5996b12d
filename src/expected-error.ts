/**
 * An error that is an answer, not a bug: a refused signature, a payload the sender must fix, an HTTP status. It
 * carries no stack. Capturing one was the costliest step of refusing a delivery (P3 in `npm run bench`), and nobody
 * reads where in our code a bad signature was noticed; a bug still throws a plain Error, with its stack.
 */
export class ExpectedError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
