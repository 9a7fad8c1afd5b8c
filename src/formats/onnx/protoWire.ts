import * as l10n from '@vscode/l10n';
import { throwIfAborted } from '../../core/abort';
import type { ByteSource } from '../../runtime/byteSource';
import { FormatError } from '../formatReader';

/**
 * A walker of protobuf's wire format (protobuf.dev/programming-guides/encoding) over a ByteSource.
 * It yields each field's number, wire type and where its value lies in the file, and reads a value
 * only when asked: an ONNX file's structure is small while its `raw_data` fields may hold gigabytes,
 * which are located here and never read (see docs/dependencies.md for why not a protobuf library).
 */

/** Bytes read at a time: a window covers many small fields; a big `bytes` field is skipped, not read. */
const WINDOW_BYTES = 1 << 20;
/** A varint holds at most 64 bits, 7 per byte (protobuf's own limit): an 11th byte is corrupt data. */
export const MAX_VARINT_BYTES = 10;
/** Fields walked between abort checks: a message of a million fields stays cancellable. */
const FIELDS_PER_ABORT_CHECK = 4096;

/** Wire types (encoding guide, "Message Structure"). */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** One field of a message as it lies in the file. */
export interface Field {
  /** Field number (onnx.proto's `= N`). */
  no: number;
  wire: number;
  /** File offset of the value: after the tag, and for LEN fields after the length. */
  at: number;
  /** Bytes of the value: a LEN field's payload, 8 or 4 for fixed fields, a varint's own bytes. */
  len: number;
  /** A varint field's value (0n for other wire types). */
  value: bigint;
}

export class ProtoReader {
  private buf: Uint8Array = new Uint8Array(0);
  /** File offset of `buf[0]`. */
  private base = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(
    readonly src: ByteSource,
    readonly signal?: AbortSignal,
  ) {}

  fail(what: string): FormatError {
    return new FormatError('onnx', l10n.t('{0}: {1}', this.src.name, what));
  }

  /** Makes bytes `[pos, pos + n)` readable from the window; `n` is small (a tag, a varint, a short string). */
  private async window(pos: number, n: number): Promise<void> {
    if (pos >= this.base && pos + n <= this.base + this.buf.length) return;
    const length = Math.min(Math.max(n, WINDOW_BYTES), this.src.size - pos);
    this.buf = await this.src.read(pos, length);
    this.base = pos;
  }

  /** A varint at `pos` that must end before `end`; `what` names it for the error. */
  async varint(pos: number, end: number, what: string): Promise<{ value: bigint; next: number }> {
    const avail = Math.min(MAX_VARINT_BYTES, end - pos);
    if (avail <= 0) throw this.fail(l10n.t('{0} is cut short at offset {1}', what, pos));
    await this.window(pos, avail);
    const b = this.buf;
    let i = pos - this.base;
    // Up to 4 bytes (28 bits) in a number; the rest, rare, in BigInt.
    let low = 0;
    for (let k = 0; k < Math.min(avail, 4); k++, i++) {
      const byte = b[i]!;
      low |= (byte & 0x7f) << (7 * k);
      if (byte < 0x80) return { value: BigInt(low >>> 0), next: pos + k + 1 };
    }
    let value = BigInt(low >>> 0);
    for (let k = 4; k < avail; k++, i++) {
      const byte = b[i]!;
      value |= BigInt(byte & 0x7f) << BigInt(7 * k);
      if (byte < 0x80) return { value: BigInt.asUintN(64, value), next: pos + k + 1 };
    }
    if (avail < MAX_VARINT_BYTES) throw this.fail(l10n.t('{0} is cut short at offset {1}', what, pos));
    throw this.fail(l10n.t('{0} at offset {1} is a varint longer than {2} bytes', what, pos, MAX_VARINT_BYTES));
  }

  /**
   * The fields of the message in `[start, end)`, in file order. Each field's extent is checked
   * against the message's end before it is yielded: a length of 2^62 is an error, never a read.
   */
  async *fields(start: number, end: number, what: string): AsyncGenerator<Field> {
    let pos = start;
    let n = 0;
    while (pos < end) {
      if (++n % FIELDS_PER_ABORT_CHECK === 0) throwIfAborted(this.signal);
      const tag = await this.varint(pos, end, l10n.t('a field tag of {0}', what));
      const no = Number(tag.value >> 3n);
      const wire = Number(tag.value & 7n);
      if (no === 0 || tag.value >> 3n > 0x1fffffffn) throw this.fail(l10n.t('{0} has an invalid field number at offset {1}', what, pos));
      pos = tag.next;
      const left = end - pos;
      if (wire === WIRE_VARINT) {
        const v = await this.varint(pos, end, l10n.t('field {0} of {1}', no, what));
        yield { no, wire, at: pos, len: v.next - pos, value: v.value };
        pos = v.next;
      } else if (wire === WIRE_LEN) {
        const l = await this.varint(pos, end, l10n.t('the length of field {0} of {1}', no, what));
        const room = end - l.next;
        if (l.value > BigInt(room)) {
          if (end === this.src.size) throw this.fail(l10n.t('field {0} of {1} at offset {2} claims {3} bytes, but the file has {4} left: it is cut short or corrupt', no, what, pos, l.value.toString(), room));
          throw this.fail(l10n.t('field {0} of {1} at offset {2} claims {3} bytes, but its message has {4} left', no, what, pos, l.value.toString(), room));
        }
        const len = Number(l.value);
        yield { no, wire, at: l.next, len, value: 0n };
        pos = l.next + len;
      } else if (wire === WIRE_I64 || wire === WIRE_I32) {
        const len = wire === WIRE_I64 ? 8 : 4;
        if (len > left) throw this.fail(l10n.t('field {0} of {1} is cut short at offset {2}', no, what, pos));
        yield { no, wire, at: pos, len, value: 0n };
        pos += len;
      } else {
        // 3 and 4 are proto2 groups, which onnx.proto never uses; 6 and 7 do not exist.
        throw this.fail(l10n.t('{0} has a field of wire type {1} at offset {2}, which ONNX never writes', what, wire, pos));
      }
    }
  }

  /** The bytes of a small value already checked to lie in the file (callers cap `len`). */
  async bytes(at: number, len: number): Promise<Uint8Array> {
    if (len > WINDOW_BYTES) return this.src.read(at, len);
    await this.window(at, len);
    return this.buf.subarray(at - this.base, at - this.base + len);
  }

  /** A LEN field as UTF-8 text, refused past `max` bytes. */
  async text(f: Field, max: number, what: string): Promise<string> {
    if (f.wire !== WIRE_LEN) throw this.wrongWire(f, what);
    if (f.len > max) throw this.fail(l10n.t('{0} at offset {1} is {2} bytes long, more than the {3} this reader accepts', what, f.at, f.len, max));
    return this.decoder.decode(await this.bytes(f.at, f.len));
  }

  /** A field whose wire type is not the one its message defines. */
  wrongWire(f: Field, what: string): FormatError {
    return this.fail(l10n.t('{0} at offset {1} has wire type {2}, not the type its field is declared with', what, f.at, f.wire));
  }

  /** A varint field's value as a number (`int32`, `int64` fields: two's complement). */
  int(f: Field, what: string): number {
    if (f.wire !== WIRE_VARINT) throw this.wrongWire(f, what);
    return Number(BigInt.asIntN(64, f.value));
  }

  /** The values of a packed repeated varint field (`repeated int64 dims`), at most `max` of them. */
  async packedInts(f: Field, max: number, what: string): Promise<bigint[]> {
    const out: bigint[] = [];
    let pos = f.at;
    const end = f.at + f.len;
    while (pos < end) {
      if (out.length >= max) throw this.fail(l10n.t('{0} at offset {1} holds more than {2} values', what, f.at, max));
      const v = await this.varint(pos, end, what);
      out.push(BigInt.asIntN(64, v.value));
      pos = v.next;
    }
    return out;
  }

  /**
   * How many varints a packed field holds: its bytes below 0x80 (each ends one varint), counted
   * window by window; -1 when the field ends inside a value or holds a varint of 11 bytes or more.
   */
  async countVarints(at: number, len: number): Promise<number> {
    let count = 0;
    // Continuation bytes in a row: MAX_VARINT_BYTES of them make a varint too long to be one.
    let run = 0;
    for (let pos = at; pos < at + len; pos += WINDOW_BYTES) {
      throwIfAborted(this.signal);
      const n = Math.min(WINDOW_BYTES, at + len - pos);
      const chunk = await this.src.read(pos, n);
      for (let i = 0; i < n; i++) {
        if (chunk[i]! < 0x80) {
          count++;
          run = 0;
        } else if (++run >= MAX_VARINT_BYTES) return -1;
      }
    }
    return run === 0 ? count : -1;
  }

  /** A fixed 32-bit field as float32 (`float f = 2`). */
  async float32(f: Field): Promise<number> {
    const b = await this.bytes(f.at, 4);
    return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
  }
}
