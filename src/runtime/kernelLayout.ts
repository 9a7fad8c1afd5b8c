/** Memory layout shared by wasm/kernels.wat and its TypeScript twins (kernelsTs.ts). */

/** Four histogram tables of 4,096 bins plus one "outside the range" entry each (uint32). */
export const HIST_TABLES = 0;
export const HIST_TABLE_ENTRIES = 4097;
export const HIST_TABLE_COUNT = 4;
/** Where f32_moments writes its 10 doubles. */
export const RESULTS = 0x10400;
/** Four bit-pattern tables of 65,536 uint32 each, 0x40000 bytes apart. */
export const PATTERN_TABLES = 0x20000;
export const PATTERN_TABLE_BYTES = 0x40000;
export const PATTERN_TABLE_COUNT = 4;
/** Chunk buffers start here (page-aligned). */
export const DATA = 0x120000;

/** Doubles per chunk record of `f32Moments`: [finite, Σ(x−k), Σ(x−k)², Σx², min, max, zeros, nan, inf, k]. */
export const MOMENT_FIELDS = 10;

/**
 * Bytes per chunk buffer: 4 MiB, ~1M float32. Node 20 optimizes a kernel called per chunk of
 * about a million elements; one call over a whole tensor can stay in a slow tier. Two buffers per
 * arena, so the next chunk is read while the current one is computed.
 */
export const CHUNK_BYTES = 4 << 20;
export const CHUNK_BUFFERS = 2;
