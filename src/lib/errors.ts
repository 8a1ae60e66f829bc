// The few errors a handler throws on purpose. Each carries a status; the error handler renders
// views/errors/error.hbs (or JSON under /api/) with the hotline number, in the user's language.

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message = `HTTP ${statusCode}`,
  ) {
    super(message);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'too many requests');
  }
}
