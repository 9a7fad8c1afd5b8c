import { PickleTruncatedError } from './pickleError';

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Reads the operands of pickle opcodes. Every read is checked against the data's end first, so a
 * length field can never make the VM allocate or read past what it was given.
 */
export class PickleCursor {
  private readonly view: DataView;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.data.length) throw new PickleTruncatedError(this.data.length);
  }

  readonly u8 = (): number => {
    this.need(1);
    return this.data[this.pos++]!;
  };

  readonly u16 = (): number => {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  };

  readonly u32 = (): number => {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  };

  readonly i32 = (): number => {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  };

  /** An 8-byte length: larger than the data means the pickle is cut short (or lies). */
  readonly u64 = (): number => {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.data.length)) throw new PickleTruncatedError(this.data.length);
    return Number(v);
  };

  /** BINFLOAT's big-endian double. */
  readonly f64be = (): number => {
    this.need(8);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  };

  readonly bytes = (n: number): Uint8Array => {
    this.need(n);
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  };

  /** Text up to the next newline (protocol-0 operands). */
  readonly line = (): string => {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) throw new PickleTruncatedError(this.data.length);
    const s = textDecoder.decode(this.data.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  };

  readonly text = (b: Uint8Array): string => textDecoder.decode(b);
}
