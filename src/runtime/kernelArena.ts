import * as l10n from '@vscode/l10n';
import { CHUNK_BUFFERS, CHUNK_BYTES, DATA, HIST_TABLE_COUNT, HIST_TABLE_ENTRIES, HIST_TABLES, MOMENT_FIELDS, PATTERN_TABLE_BYTES, PATTERN_TABLE_COUNT, PATTERN_TABLES, RESULTS } from './kernelLayout';
import { f32HistcTs, f32MomentsTs, countU16Ts, countU8Ts } from './kernelsTs';
import { loadWasmKernels, type WasmKernelExports } from './wasmKernels';

/**
 * Memory the statistics kernels work in: one `WebAssembly.Memory` per arena, laid out as in
 * wasm/kernels.wat. Chunks are read straight into it (no copy), and the TypeScript twins of the
 * kernels use the same layout, so the two are interchangeable.
 *
 * Positioned reads into this memory are also fast for a reason of their own: it is page-aligned,
 * and on this project's reference machine (AMD EPYC, Linux) a page-cache read into a 64-byte
 * aligned buffer ran at 5.6 GB/s against 1.6 GB/s into a malloc'd (16-byte aligned) one.
 */

const PAGE = 65536;

export type KernelKind = 'wasm' | 'ts';

/** The kernels, on addresses in the arena's memory. */
export interface Kernels {
  readonly kind: KernelKind;
  /** Moments of `n` float32 at `ptr`; `MOMENT_FIELDS` doubles at `out`. */
  f32Moments(ptr: number, n: number, out: number): void;
  /** torch.histc counts of `n` float32 at `ptr` into the histogram tables; `lo32`/`hi32` bound [left, right] in float32. */
  f32Histc(ptr: number, n: number, left: number, right: number, lo32: number, hi32: number, bins: number): void;
  /** Same, for a chunk whose values all lie in [left, right]. */
  f32HistcInRange(ptr: number, n: number, left: number, right: number, bins: number): void;
  /** Counts 16-bit patterns into the pattern tables. */
  countU16(ptr: number, n: number): void;
  /** Counts byte patterns into the pattern tables. */
  countU8(ptr: number, n: number): void;
}

export class KernelArena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;

  private constructor(kind: KernelKind, exports: WasmKernelExports | undefined) {
    this.memory = new WebAssembly.Memory({ initial: (DATA + CHUNK_BUFFERS * CHUNK_BYTES) / PAGE });
    if (kind === 'wasm' && exports) {
      const instance = new WebAssembly.Instance(exports.module, { env: { memory: this.memory } }).exports as unknown as WasmInstanceExports;
      this.kernels = {
        kind: 'wasm',
        f32Moments: instance.f32_moments,
        f32Histc: instance.f32_histc,
        f32HistcInRange: instance.f32_histc_in_range,
        countU16: instance.count_u16,
        countU8: instance.count_u8,
      };
    } else {
      const buf = this.memory.buffer;
      this.kernels = {
        kind: 'ts',
        f32Moments: (ptr, n, out) => f32MomentsTs(buf, ptr, n, out),
        f32Histc: (ptr, n, left, right, _lo32, _hi32, bins) => f32HistcTs(buf, ptr, n, left, right, bins),
        f32HistcInRange: (ptr, n, left, right, bins) => f32HistcTs(buf, ptr, n, left, right, bins),
        countU16: (ptr, n) => countU16Ts(buf, ptr, n),
        countU8: (ptr, n) => countU8Ts(buf, ptr, n),
      };
    }
  }

  /** Chunk buffer `i` (0 or 1), `CHUNK_BYTES` long. */
  chunkBuffer(i: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, DATA + i * CHUNK_BYTES, CHUNK_BYTES);
  }

  /** The moments record the last `f32Moments(…, RESULTS)` wrote. */
  results(): Float64Array {
    return new Float64Array(this.memory.buffer, RESULTS, MOMENT_FIELDS);
  }

  /** Adds the histogram tables' first `bins` entries into `totals` and clears the tables. */
  flushHistogram(bins: number, totals: Float64Array): void {
    const t = new Uint32Array(this.memory.buffer, HIST_TABLES, HIST_TABLE_COUNT * HIST_TABLE_ENTRIES);
    for (let j = 0; j < HIST_TABLE_COUNT; j++) {
      const base = j * HIST_TABLE_ENTRIES;
      for (let b = 0; b < bins; b++) totals[b] += t[base + b];
    }
    t.fill(0);
  }

  /** Adds the pattern tables' first `patterns` entries into `totals` and clears them. */
  flushPatterns(patterns: number, totals: Float64Array): void {
    for (let j = 0; j < PATTERN_TABLE_COUNT; j++) {
      const t = new Uint32Array(this.memory.buffer, PATTERN_TABLES + j * PATTERN_TABLE_BYTES, patterns);
      for (let p = 0; p < patterns; p++) totals[p] += t[p];
      t.fill(0);
    }
  }

  // One thread can run several requests at once (they interleave at each read), so arenas are
  // lent out, not shared. A couple stay cached: creating one is a 9 MiB allocation.
  private static readonly idle = new Map<KernelKind, KernelArena[]>();
  private static readonly MAX_IDLE = 2;

  /** An arena with kernels of `kind` (`auto`: WASM when its binary is available). */
  static async acquire(kind: KernelKind | 'auto' = 'auto'): Promise<KernelArena> {
    const exports = kind === 'ts' ? undefined : await loadWasmKernels();
    if (kind === 'wasm' && !exports) throw new Error(l10n.t('WASM kernels are not available (kernels.wasm was not found next to the bundle)'));
    const resolved: KernelKind = exports ? 'wasm' : 'ts';
    const cached = KernelArena.idle.get(resolved)?.pop();
    if (cached) return cached;
    return new KernelArena(resolved, exports);
  }

  /**
   * Gives an arena back once nothing reads into it any more. `clean`: the user flushed every table
   * it counted into (a pass that ran to its end), so the 1.1 MiB of tables need no clearing, which
   * would cost more than a small tensor's whole pass.
   */
  static release(arena: KernelArena, clean = false): void {
    let list = KernelArena.idle.get(arena.kernels.kind);
    if (!list) KernelArena.idle.set(arena.kernels.kind, (list = []));
    if (list.length < KernelArena.MAX_IDLE) {
      // Tables start clean for the next user.
      if (!clean) new Uint32Array(arena.memory.buffer, 0, DATA / 4).fill(0);
      list.push(arena);
    }
  }
}

interface WasmInstanceExports {
  f32_moments(ptr: number, n: number, out: number): void;
  f32_histc(ptr: number, n: number, left: number, right: number, lo32: number, hi32: number, bins: number): void;
  f32_histc_in_range(ptr: number, n: number, left: number, right: number, bins: number): void;
  count_u16(ptr: number, n: number): void;
  count_u8(ptr: number, n: number): void;
}
