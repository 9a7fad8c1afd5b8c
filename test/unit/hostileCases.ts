// Builders for the rows of test/cases.json whose inputs are generated rather than committed
// (too big, or easier to read as code). Each returns the bytes of one file.
import { deflateRawSync } from 'node:zlib';
import { PickleBuilder, patchZipRecord, safetensorsBytes, storedZip, torchZip } from './builders';

export const CASE_BUILDERS: Record<string, { name: string; bytes: () => Uint8Array }> = {
  headerLengthBomb: { name: 'bomb.safetensors', bytes: () => safetensorsBytes({}, new Uint8Array(8), 1n << 60n) },
  // Pickle and torch-object bombs (see pickleBombs.test.ts for the measured versions).
  sharedListBomb: {
    name: 'sharedlist.pt',
    bytes: () => {
      const b = new PickleBuilder().emptyList().floatTensor('0', 1).append().emptyList().memoize().mark();
      for (let i = 0; i < 1_000_000; i++) b.op(0x4b).op(i & 0x7f); // BININT1
      b.appends().append().mark();
      for (let i = 0; i < 9_999; i++) b.get(0);
      return torchZip(b.appends().stop(), { '0': 1 });
    },
  },
  long4Bomb: { name: 'long4.pt', bytes: () => torchZip(new PickleBuilder().long4(1_000_000).stop()) },
  memoBomb: { name: 'memo.pt', bytes: () => torchZip(new PickleBuilder(4).none().repeat(0x94, (1 << 22) + 10).stop()) }, // MEMOIZE
  stackBomb: { name: 'stack.pt', bytes: () => torchZip(new PickleBuilder(4).repeat(0x4e, (1 << 22) + 10).stop()) }, // NONE
  nestedLists: { name: 'lists.pt', bytes: () => torchZip(new PickleBuilder().repeat(0x5d, 1_000_000).repeat(0x61, 999_999).stop()) }, // EMPTY_LIST, APPEND
  nestedDicts: {
    name: 'dicts.pt',
    bytes: () => {
      const b = new PickleBuilder();
      for (let i = 0; i < 1_000_000; i++) b.emptyDict().op(0x4b).op(0);
      b.emptyDict();
      for (let i = 0; i < 1_000_000; i++) b.setitem();
      return torchZip(b.stop());
    },
  },
  nestedMarks: { name: 'tuples.pt', bytes: () => torchZip(new PickleBuilder().repeat(0x28, 1_000_000).repeat(0x74, 1_000_000).stop()) }, // MARK, TUPLE
  nestedTupleKey: { name: 'tuplekey.pt', bytes: () => torchZip(new PickleBuilder().emptyDict().emptyTuple().repeat(0x85, 100_000).none().setitem().stop()) }, // TUPLE1
  intAndStrKeys: {
    name: 'keys.pt',
    bytes: () => {
      const b = new PickleBuilder().emptyDict().mark();
      b.int(1).tensorView('0', 4, 0, [1], [1]).str('1').tensorView('0', 4, 1, [1], [1]);
      b.true().tensorView('0', 4, 2, [1], [1]).str('True').tensorView('0', 4, 3, [1], [1]);
      return torchZip(b.setitems().stop(), { '0': 4 });
    },
  },
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
  // Zip records that lie (zipLies.test.ts has the full set).
  zipStoredSizesLie: { name: 'sizes.pt', bytes: () => patchZipRecord(oneTensorZip(), 'archive/data/0', (v, c) => v.setUint32(c + 24, 1 << 20, true)) },
  zip64SizeClaim: {
    name: 'zip64.pt',
    bytes: () =>
      storedZip(
        [
          ['archive/data.pkl', oneTensorPkl()],
          ['archive/data/0', new Uint8Array(16)],
        ],
        { zip64Uncompressed: { 'archive/data/0': 2n ** 52n } },
      ),
  },
  zipLocalHeaderLies: { name: 'local.pt', bytes: () => patchZipRecord(oneTensorZip(), 'archive/data/0', (v, _c, l) => v.setUint32(l + 14, 0xdeadbeef, true)) },
  zipSharedRecord: { name: 'shared.pt', bytes: () => patchZipRecord(oneTensorZip(), 'archive/version', (v, c) => v.setUint32(c + 42, 0, true)) },
  zipRecordTwice: {
    name: 'twice.pt',
    bytes: () =>
      storedZip([
        ['archive/data.pkl', oneTensorPkl()],
        ['archive/data/0', new Uint8Array(16)],
        ['archive/data/0', new Uint8Array(16)],
      ]),
  },
  zipCorruptStorage: {
    name: 'corrupt.pt',
    bytes: () => {
      const z = oneTensorZip();
      // The storage's bytes follow its local header and name; flipping one breaks its CRC-32.
      return patchZipRecord(z, 'archive/data/0', (v, _c, l) => v.setUint8(l + 30 + 'archive/data/0'.length + 3, 0x7f));
    },
  },
  // safetensors headers the reference library refuses (safetensorsLayout.test.ts).
  safetensorsDuplicateKey: { name: 'dup.safetensors', bytes: () => safetensorsBytes(`{"a":${f32At(0, 4)},"a":${f32At(4, 8)}}`, new Uint8Array(8)) },
  safetensorsOverlap: { name: 'overlap.safetensors', bytes: () => safetensorsBytes(`{"a":${f32At(0, 8)},"b":${f32At(4, 12)}}`, new Uint8Array(12)) },
  safetensorsHole: { name: 'hole.safetensors', bytes: () => safetensorsBytes(`{"a":${f32At(0, 4)},"b":${f32At(8, 12)}}`, new Uint8Array(12)) },
  safetensorsTrailingBytes: { name: 'trailing.safetensors', bytes: () => safetensorsBytes(`{"a":${f32At(0, 4)}}`, new Uint8Array(8)) },
  // NumPy files that lie (numpyReader.test.ts has NumPy's own files).
  npzDeflateBomb: {
    name: 'bomb.npz',
    // The member's header promises 4 floats; its stream inflates to 64 MiB more. Only the promised
    // bytes are ever decoded.
    bytes: () => {
      const member = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(16));
      const stream = deflateRawSync(Buffer.concat([member, Buffer.alloc(64 << 20)]), { level: 9 });
      return storedZip([['w.npy', new Uint8Array(stream)]], { deflated: { 'w.npy': member.length } });
    },
  },
  npzMemberSizeLie: {
    name: 'lie.npz',
    bytes: () => {
      const member = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000,), }", new Uint8Array(16));
      return storedZip([
        ['big.npy', member],
        ['ok.npy', npyBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(4))],
      ]);
    },
  },
  npyHeaderLengthBomb: { name: 'bomb.npy', bytes: () => npyBytes('{}', new Uint8Array(0), 2, 0x7fffffff) },
  npyTupleDepthBomb: { name: 'depth.npy', bytes: () => npyBytes(`{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(100_000)}${')'.repeat(100_000)}}`, new Uint8Array(0), 2) },
  npyObjectArray: { name: 'objects.npy', bytes: () => npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16)) },
  npyStructured: { name: 'records.npy', bytes: () => npyBytes("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16)) },
};

/** A `.npy` file: magic, version, header length (`declared` when it lies), header text, data. */
function npyBytes(header: string, data: Uint8Array, major = 1, declared?: number): Buffer {
  const text = Buffer.from(`${header}\n`, 'latin1');
  const prefix = Buffer.alloc(major === 1 ? 10 : 12);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(prefix);
  if (major === 1) prefix.writeUInt16LE(declared ?? text.length, 8);
  else prefix.writeUInt32LE(declared ?? text.length, 8);
  return Buffer.concat([prefix, text, data]);
}

/** `{'w': torch.zeros(4)}` as a torch.save-style stored zip. */
function oneTensorPkl(): Uint8Array {
  return new PickleBuilder().emptyDict().str('w').floatTensor('0', 4).setitem().stop();
}
function oneTensorZip(): Uint8Array {
  return torchZip(oneTensorPkl(), { '0': 4 });
}
/** A float32 safetensors entry at data bytes [begin, end). */
function f32At(begin: number, end: number): string {
  return `{"dtype":"F32","shape":[${(end - begin) / 4}],"data_offsets":[${begin},${end}]}`;
}
