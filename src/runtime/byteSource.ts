import * as l10n from '@vscode/l10n';
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/**
 * Random access to the bytes of one file (or a window of it). Readers and kernels only ever ask
 * for bounded ranges, so a multi-gigabyte checkpoint never sits in memory whole.
 */
export interface ByteSource {
  /** A name for messages and for resolving siblings (usually the absolute path). */
  readonly name: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`; rejects if the range is outside the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** A window of this source; offsets of the window start at 0. */
  slice(offset: number, length: number): ByteSource;
}

/** Thrown when a read falls outside a source: a truncated or lying file. */
export class OutOfRangeError extends Error {
  constructor(source: string, offset: number, length: number, size: number) {
    super(l10n.t('{0}: read of {1} bytes at offset {2} is past the end (size {3})', source, length, offset, size));
    this.name = 'OutOfRangeError';
  }
}

function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new OutOfRangeError(name, offset, length, size);
  }
}

/** A window of another source: offsets start at 0 and are checked against the window. */
export class WindowSource implements ByteSource {
  constructor(
    private readonly parent: ByteSource,
    private readonly base: number,
    readonly size: number,
  ) {}
  get name(): string {
    return this.parent.name;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length);
    return this.parent.read(this.base + offset, length);
  }
  slice(offset: number, length: number): ByteSource {
    checkRange(this.name, this.size, offset, length);
    return new WindowSource(this.parent, this.base + offset, length);
  }
}

/** Bytes already in memory: used by tests and for small embedded blobs. */
export class MemoryByteSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly name = '<memory>',
  ) {
    this.size = bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, this.size, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  slice(offset: number, length: number): ByteSource {
    checkRange(this.name, this.size, offset, length);
    return new WindowSource(this, offset, length);
  }
}

/** A path that names no regular file (a FIFO, socket, device or directory): opening it could block forever. */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    st: Stats,
  ) {
    super(notRegularMessage(path, st));
    this.name = 'NotRegularFileError';
  }
}

function notRegularMessage(path: string, st: Stats): string {
  if (st.isFIFO()) return l10n.t('{0} is a named pipe (FIFO), not a regular file', path);
  if (st.isDirectory()) return l10n.t('{0} is a folder, not a regular file', path);
  if (st.isSocket()) return l10n.t('{0} is a socket, not a regular file', path);
  if (st.isCharacterDevice() || st.isBlockDevice()) return l10n.t('{0} is a device, not a regular file', path);
  return l10n.t('{0} is not a regular file', path);
}

/**
 * The file was written to, truncated or replaced while a computation read it: its numbers may mix
 * two versions. Callers recompute (the extension) or report it (the CLI).
 */
export class FileChangedError extends Error {
  constructor(readonly path: string) {
    super(l10n.t('{0}: the file changed while it was read', path));
    this.name = 'FileChangedError';
  }
}

/**
 * The error says a file changed while it was read, here or in a worker (the RPC carries the
 * class name as `remoteName`): the caller should read the file's index again and recompute.
 */
export function isFileChanged(e: unknown): boolean {
  return e instanceof FileChangedError || (e instanceof Error && (e as { remoteName?: unknown }).remoteName === 'FileChangedError');
}

/** What tells one version of a file from another: size, modification time and identity. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

const stampOf = (st: Stats): FileStamp => ({ size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino });
const sameStamp = (a: FileStamp, b: FileStamp): boolean => a.size === b.size && a.mtimeMs === b.mtimeMs && a.dev === b.dev && a.ino === b.ino;

/** The path's current stamp (following symlinks), or undefined when it cannot be stat'ed. */
export async function fileStamp(path: string): Promise<FileStamp | undefined> {
  try {
    return stampOf(await stat(path));
  } catch {
    return undefined;
  }
}

/** Throws `FileChangedError` unless `path` still has the stamp `before`. */
export async function assertSameFile(path: string, before: FileStamp | undefined): Promise<void> {
  const now = await fileStamp(path);
  if (!before || !now || !sameStamp(before, now)) throw new FileChangedError(path);
}

/**
 * Open flags: read-only, and non-blocking so that a FIFO swapped in after the type check cannot
 * block the open (reads of regular files ignore O_NONBLOCK). Windows has neither flag nor FIFOs.
 */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export interface FileOpenOptions {
  /** Refuse a symlink as the last component (the path is already a resolved real path). */
  noFollow?: boolean;
  /** The source's `name` when it differs from `path` (a real path opened for a name beside a model). */
  name?: string;
}

/** A file read with positioned reads through one open handle; call `close()` when done. */
export class FileByteSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly name: string,
    readonly size: number,
    readonly mtimeMs: number,
    private readonly stamp: FileStamp,
  ) {}

  /**
   * Opens a regular file. The type is checked before opening (so a FIFO or device is never
   * opened at all) and again on the open handle (so one swapped in between is refused too):
   * a FIFO named like a model ends in `NotRegularFileError` at once instead of blocking forever.
   */
  static async open(path: string, opts: FileOpenOptions = {}): Promise<FileByteSource> {
    const before = await stat(path);
    if (!before.isFile()) throw new NotRegularFileError(path, before);
    const handle = await open(path, OPEN_FLAGS | (opts.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new NotRegularFileError(path, st);
      return new FileByteSource(handle, opts.name ?? path, st.size, st.mtimeMs, stampOf(st));
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /**
   * Whether the file was written to or truncated through any name (the open handle's size and
   * mtime) or its path now names another file (replaced by a rename) since this source was opened.
   */
  async changed(): Promise<boolean> {
    if (!sameStamp(this.stamp, stampOf(await this.handle.stat()))) return true;
    const now = await fileStamp(this.name);
    return !now || !sameStamp(this.stamp, now);
  }

  /** Throws `FileChangedError` if `changed()`: computations call it after their last read. */
  async assertUnchanged(): Promise<void> {
    if (await this.changed()) throw new FileChangedError(this.name);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.readInto(out, offset);
    return out;
  }

  /** Fills `target` from `offset` without allocating: the streaming kernels reuse one buffer. */
  async readInto(target: Uint8Array, offset: number): Promise<void> {
    checkRange(this.name, this.size, offset, target.length);
    let done = 0;
    while (done < target.length) {
      const { bytesRead } = await this.handle.read(target, done, target.length - done, offset + done);
      if (bytesRead === 0) throw new OutOfRangeError(this.name, offset + done, target.length - done, this.size);
      done += bytesRead;
    }
  }

  slice(offset: number, length: number): ByteSource {
    checkRange(this.name, this.size, offset, length);
    return new WindowSource(this, offset, length);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/**
 * Opens `path`, runs `fn` on it, checks that the file did not change while `fn` read it (see
 * `FileByteSource.assertUnchanged`) and closes it: the one way the workers read tensor bytes.
 */
export async function withFileSource<T>(path: string, fn: (src: FileByteSource) => Promise<T>): Promise<T> {
  const src = await FileByteSource.open(path);
  try {
    let result: T;
    try {
      result = await fn(src);
    } catch (e) {
      // A read past a shrunken end, or bytes that no longer parse: the change is the cause.
      if (await src.changed().catch(() => false)) throw new FileChangedError(path);
      throw e;
    }
    await src.assertUnchanged();
    return result;
  } finally {
    await src.close();
  }
}
