/**
 * Typed HTTP errors: every 4xx/5xx answer of the server is `{ error: { code, message } }` with a stable `code`.
 * @module
 */

/** Stable error codes of the server's answers. */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_adapter_id'
  | 'unknown_adapter'
  | 'adapter_invalid'
  | 'prompt_too_long'
  | 'payload_too_large'
  | 'not_found'
  | 'shutting_down'
  | 'overloaded'
  | 'internal';

/** The JSON body of an error answer. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/** An error the server answers with `status` and `{ error: { code, message } }`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The answer's body. */
  body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
