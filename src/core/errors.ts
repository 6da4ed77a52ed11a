/**
 * Error registry. Every error promptpilot raises carries a stable `code`, says
 * whether retrying can help, and keeps the native `cause`.
 *
 * @remarks Subclasses follow how an error is handled, not where it is thrown:
 * configuration (fatal at start), transient IO (retry with backoff), poison
 * input (dead-letter, keep going), invariant (a bug: fail loudly).
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_UNREADABLE: 'CONFIG_UNREADABLE',
  USAGE: 'USAGE',
  INPUT_INVALID: 'INPUT_INVALID',
  IO_TRANSIENT: 'IO_TRANSIENT',
  IO_FATAL: 'IO_FATAL',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHORIZED: 'UNAUTHORIZED',
  OVERLOADED: 'OVERLOADED',
  INVARIANT: 'INVARIANT',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base class of every error promptpilot throws on purpose. */
export class PromptpilotError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** How long the failing side asked us to wait before retrying (an HTTP `Retry-After`), ms; absent when it did not say. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retriable?: boolean; retryAfterMs?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A configuration file or override is wrong; the message names the path. */
export class ConfigError extends PromptpilotError {
  constructor(message: string, options: { cause?: unknown; code?: ErrorCode } = {}) {
    super(options.code ?? ErrorCodes.CONFIG_INVALID, message, options);
  }
}

/** Bad command-line usage or bad input file: exit 2 with one line. */
export class UsageError extends PromptpilotError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCodes.USAGE, message, options);
  }
}

/** One input message cannot be processed; it goes to the dead-letter path. */
export class PoisonMessageError extends PromptpilotError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCodes.INPUT_INVALID, message, options);
  }
}

/** An IO dependency failed in a way that retrying may fix. */
export class TransientIoError extends PromptpilotError {
  constructor(message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(ErrorCodes.IO_TRANSIENT, message, { ...options, retriable: true });
  }
}

/** A domain object was not found (unknown route, experiment, ...). */
export class NotFoundError extends PromptpilotError {
  constructor(message: string) {
    super(ErrorCodes.NOT_FOUND, message);
  }
}

/** A state transition is not allowed now (experiment already running, ...). */
export class ConflictError extends PromptpilotError {
  constructor(message: string) {
    super(ErrorCodes.CONFLICT, message);
  }
}

/**
 * The pipeline's queue is full: nothing of the refused input was taken. Retry
 * later (HTTP/OTLP answer 503 with `Retry-After`; Kafka pauses and retries).
 */
export class OverloadedError extends PromptpilotError {
  constructor(message: string) {
    super(ErrorCodes.OVERLOADED, message, { retriable: true });
  }
}

/** Something that must never happen did: a bug. */
export class InvariantError extends PromptpilotError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCodes.INVARIANT, message, options);
  }
}

/**
 * Why a file could not be read, in the words every command uses: `file not found`, `is a directory`,
 * `permission denied`, else the error's own message.
 */
export function fileReadReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return describeError(err);
}

/** One-line description of any thrown value, for CLI output and logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
