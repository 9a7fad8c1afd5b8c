import type { ByteSource } from '../runtime/byteSource';
import type { FormatId, ReaderResult } from '../core/modelIndex';

/** What a reader may ask of its caller besides the file's own bytes. */
export interface ReaderContext {
  signal?: AbortSignal;
  /** Opens a file next to this one (shards of a sharded checkpoint); closed by the caller of `open`. */
  openSibling(relativePath: string): Promise<ByteSource>;
}

/** One reader per file format (see docs/architecture.md). */
export interface FormatReader {
  readonly id: FormatId;
  /** What the error for an unrecognised file lists (`safetensors`, `a PyTorch checkpoint`). */
  readonly label: string;
  /**
   * Lower-case file name endings this reader claims by name, most specific first: the workspace
   * scan lists such files, the summary editor opens them (package.json's selectors derive from these).
   */
  readonly extensions: readonly string[];
  /**
   * Endings other programs use too (`.bin`, `.pkl`, `.tar`): such files are listed, and opened in
   * the summary, only when `match` says they are this format.
   */
  readonly sniffedExtensions?: readonly string[];
  /** Cheap sniff of leading bytes; never throws on foreign input. */
  match(src: ByteSource): Promise<boolean>;
  /**
   * True when opening a file of this name reads files beside it too (a sharded index, the first
   * part of a split GGUF): the workspace scan then lists those files through this one only.
   */
  gathersSiblings?(fileName: string): boolean;
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
