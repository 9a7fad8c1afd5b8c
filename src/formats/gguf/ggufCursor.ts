import * as l10n from '@vscode/l10n';
import type { ByteSource } from '../../runtime/byteSource';
import { FormatError } from '../formatReader';

/** Bytes read from the file at a time while parsing the header (strings and arrays are many and small). */
const WINDOW_BYTES = 1 << 20;

/**
 * Sequential reads of a GGUF header in the file's byte order, through a window of the file.
 * Every length is checked against the bytes left in the file before anything is allocated, so a
 * string length of 2^63 or a count of 2^40 is a clear error, never a huge allocation or a hang.
 */
export class GgufCursor {
  private buf: Uint8Array = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  /** File offset of `buf[0]`. */
  private base = 0;
  /** File offset of the next byte to read. */
  pos = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(
    readonly src: ByteSource,
    readonly littleEndian: boolean,
  ) {}

  /** Bytes from the current position to the end of the file. */
  get remaining(): number {
    return this.src.size - this.pos;
  }

  fail(what: string): FormatError {
    return new FormatError('gguf', l10n.t('{0}: {1}', this.src.name, what));
  }

  /** Makes `n` bytes at `pos` readable from the window, or fails naming `what` was cut short. */
  private async need(n: number, what: string): Promise<void> {
    if (n > this.remaining) throw this.fail(l10n.t('the file ends inside {0} (needs {1} bytes at offset {2}, {3} left)', what, n, this.pos, this.remaining));
    if (this.pos >= this.base && this.pos + n <= this.base + this.buf.length) return;
    const length = Math.min(Math.max(n, WINDOW_BYTES), this.src.size - this.pos);
    this.buf = await this.src.read(this.pos, length);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.base = this.pos;
  }

  private at(n: number): number {
    const i = this.pos - this.base;
    this.pos += n;
    return i;
  }

  async u8(what: string): Promise<number> {
    await this.need(1, what);
    return this.view.getUint8(this.at(1));
  }
  async i8(what: string): Promise<number> {
    await this.need(1, what);
    return this.view.getInt8(this.at(1));
  }
  async u16(what: string): Promise<number> {
    await this.need(2, what);
    return this.view.getUint16(this.at(2), this.littleEndian);
  }
  async i16(what: string): Promise<number> {
    await this.need(2, what);
    return this.view.getInt16(this.at(2), this.littleEndian);
  }
  async u32(what: string): Promise<number> {
    await this.need(4, what);
    return this.view.getUint32(this.at(4), this.littleEndian);
  }
  async i32(what: string): Promise<number> {
    await this.need(4, what);
    return this.view.getInt32(this.at(4), this.littleEndian);
  }
  async f32(what: string): Promise<number> {
    await this.need(4, what);
    return this.view.getFloat32(this.at(4), this.littleEndian);
  }
  async f64(what: string): Promise<number> {
    await this.need(8, what);
    return this.view.getFloat64(this.at(8), this.littleEndian);
  }
  async u64(what: string): Promise<bigint> {
    await this.need(8, what);
    return this.view.getBigUint64(this.at(8), this.littleEndian);
  }
  async i64(what: string): Promise<bigint> {
    await this.need(8, what);
    return this.view.getBigInt64(this.at(8), this.littleEndian);
  }

  /** A uint64 count or length that must fit in what is left of the file at `minBytes` each. */
  async count(what: string, minBytes: number): Promise<number> {
    const n = await this.u64(what);
    if (n * BigInt(Math.max(minBytes, 1)) > BigInt(this.remaining)) {
      throw this.fail(l10n.t('{0} is {1}, but only {2} bytes are left in the file', what, n.toString(), this.remaining));
    }
    return Number(n);
  }

  /** A GGUF string: uint64 byte length, then UTF-8 bytes (no terminator). */
  async string(what: string): Promise<string> {
    const n = await this.count(l10n.t('the length of {0}', what), 1);
    if (n === 0) return '';
    if (n > WINDOW_BYTES) {
      const bytes = await this.src.read(this.pos, n);
      this.pos += n;
      return this.decoder.decode(bytes);
    }
    await this.need(n, what);
    const i = this.at(n);
    return this.decoder.decode(this.buf.subarray(i, i + n));
  }

  /** Skips `n` bytes already checked to be in the file. */
  skip(n: number): void {
    this.pos += n;
  }
}
