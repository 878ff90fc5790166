/**
 * The API's error class: thrown anywhere in a request, mapped to the JSON error body and status by
 * the error handler (`handler.ts`). The code list and body shape live in core/http/error-body.ts.
 */
import {
  type ErrorBody,
  type ErrorCode,
  type ErrorStatus,
  errorBody,
  errorStatus,
} from "../../core/http/error-body.ts";

export { type ErrorBody, type ErrorCode, type ErrorStatus, errorBody, errorStatus };

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.status = errorStatus[code];
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}
