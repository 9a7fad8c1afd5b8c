import * as l10n from '@vscode/l10n';

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
    super(l10n.t('pickle data ends early (at byte {0})', at));
    this.name = 'PickleTruncatedError';
  }
}
