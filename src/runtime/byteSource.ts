import * as l10n from '@vscode/l10n';
import { open, type FileHandle } from 'node:fs/promises';

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

class WindowSource implements ByteSource {
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

/** A file read with positioned reads through one open handle; call `close()` when done. */
export class FileByteSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly name: string,
    readonly size: number,
    readonly mtimeMs: number,
  ) {}

  static async open(path: string): Promise<FileByteSource> {
    const handle = await open(path, 'r');
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(l10n.t('{0} is not a regular file', path));
      return new FileByteSource(handle, path, st.size, st.mtimeMs);
    } catch (e) {
      await handle.close();
      throw e;
    }
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
