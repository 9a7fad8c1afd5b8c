/** Malformed or unsupported pickle data. */
export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

/** The pickle ran past the bytes we were given: a caller may retry with a larger window. */
export class PickleTruncatedError extends PickleError {
  constructor(at: number) {
    super(`pickle data ends early (at byte ${at})`);
    this.name = 'PickleTruncatedError';
  }
}
