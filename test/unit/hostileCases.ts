// Builders for the rows of test/cases.json whose inputs are generated rather than committed
// (too big, or easier to read as code). Each returns the bytes of one file.
import { safetensorsBytes } from './builders';

export const CASE_BUILDERS: Record<string, { name: string; bytes: () => Uint8Array }> = {
  headerLengthBomb: { name: 'bomb.safetensors', bytes: () => safetensorsBytes({}, new Uint8Array(8), 1n << 60n) },
  controlCharacterNames: {
    name: 'names.safetensors',
    bytes: () =>
      safetensorsBytes(
        {
          'w\u001b]8;;https://evil.example\u0007x\u001b]8;;\u0007': { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          'b\r\r[Open](command:paramscope.bindVariable)': { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
          'a\u202eb': { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        new Uint8Array(12),
      ),
  },
};
