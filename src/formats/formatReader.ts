import * as l10n from '@vscode/l10n';
import type { ByteSource } from '../runtime/byteSource';
import type { FormatId, ReaderResult } from '../model/modelIndex';

/** What a reader may ask of its caller besides the file's own bytes. */
export interface ReaderContext {
  signal?: AbortSignal;
  /** Opens a file next to this one (shards of a sharded checkpoint); closed by the caller of `open`. */
  openSibling(relativePath: string): Promise<ByteSource>;
}

/** One reader per file format (see docs/architecture.md). */
export interface FormatReader {
  readonly id: FormatId;
  /** Lower-case file name endings this reader claims, most specific first. */
  readonly extensions: readonly string[];
  /** Cheap sniff of leading bytes; never throws on foreign input. */
  match(src: ByteSource): Promise<boolean>;
  open(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult>;
}

/** A file a reader cannot use. The message is meant for a person: it says what is wrong. */
export class FormatError extends Error {
  constructor(
    readonly format: FormatId | 'unknown',
    message: string,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(l10n.t('cancelled'));
}
