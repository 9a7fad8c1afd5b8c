import * as l10n from '@vscode/l10n';
import type { ReaderResult } from '../../core/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import { elementBytes } from '../../core/dtypes';
import { FormatError, type FormatReader, type ReaderContext } from '../formatReader';
import { throwIfAborted } from '../../core/abort';
import { unpickle } from '../pickle/unpickler';
import { ZipReader, type ZipEntry } from '../zip/zipReader';
import { StorageCollector } from './storageResolver';
import { createTorchGlobalResolver } from './torchGlobals';
import { interpretTorchObject, type StorageBytes } from './torchObjects';
import type { StorageRef } from './torchValues';

/** data.pkl holds structure only (names, shapes); 256 MiB is ~100× a 70B model's (CWE-770). */
export const MAX_DATA_PKL_BYTES = 256 * 1024 * 1024;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // "PK\3\4", a local file header

/** `torch.save` files since PyTorch 1.6: a stored zip with `<archive>/data.pkl` and `<archive>/data/<key>`. */
export const pytorchZipReader: FormatReader = {
  id: 'pytorch-zip',
  label: 'PyTorch',
  extensions: ['.pt', '.pth', '.ckpt'],
  sniffedExtensions: ['.bin', '.pkl', '.tar'],

  async match(src: ByteSource): Promise<boolean> {
    if (src.size < 4) return false;
    const head = await src.read(0, 4);
    return ZIP_MAGIC.every((b, i) => head[i] === b);
  },

  async open(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
    try {
      return await openZip(src, ctx);
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new FormatError('pytorch-zip', l10n.t('{0}: not a readable PyTorch file: {1}', src.name, (e as Error).message));
    }
  },
};

async function openZip(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
  const zip = await ZipReader.open(src);
  const pkl = [...zip.entries.values()].find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pkl) throw new FormatError('pytorch-zip', l10n.t('{0}: zip archive without data.pkl, so not a torch.save file', src.name));
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const warnings: string[] = [];
  const notes: string[] = [];
  if (zip.entries.has(`${prefix}constants.pkl`)) warnings.push(l10n.t('TorchScript archive: module code is not run; tensors shown from its data'));

  const byteorderEntry = zip.entries.get(`${prefix}byteorder`);
  const byteOrder = byteorderEntry ? (new TextDecoder().decode(await zip.readEntry(byteorderEntry, 16)).trim() === 'big' ? 'big' : 'little') : 'little';

  const collector = new StorageCollector();
  const data = await zip.readEntry(pkl, MAX_DATA_PKL_BYTES);
  throwIfAborted(ctx.signal);
  const { value } = unpickle(data, 0, {
    resolveGlobal: createTorchGlobalResolver({ warn: (m) => warnings.push(m), note: (m) => notes.push(m) }),
    persistentLoad: (pid) => collector.persistentLoad(pid),
    warn: (m) => warnings.push(m),
  });

  const located = new Map<StorageRef, StorageBytes>();
  const refs = collector.all();
  const entryOf = (ref: StorageRef): ZipEntry | undefined => zip.entries.get(`${prefix}data/${ref.key}`);
  // Located together (neighbouring records share reads); a refusal is thrown in the order below.
  const offsets = await zip.dataOffsets(refs.map(entryOf).filter((e): e is ZipEntry => e !== undefined && e.method === 0));
  for (const ref of refs) {
    const entry = entryOf(ref);
    if (!entry) continue; // reported per tensor by interpretTorchObject
    if (entry.method !== 0) {
      warnings.push(l10n.t('storage {0} is compressed inside the zip; its tensors cannot be read lazily and are skipped', ref.key));
      continue;
    }
    const offset = offsets.get(entry)!;
    if (offset instanceof Error) throw offset;
    const claimed = ref.numel * elementBytes(ref.dtype);
    if (claimed > entry.uncompressedSize) warnings.push(l10n.t('storage {0} claims {1} bytes but its record holds {2}', ref.key, claimed, entry.uncompressedSize));
    located.set(ref, { file: src.name, offset, bytes: entry.uncompressedSize, byteOrder, crc32: entry.crc32 });
  }
  return { ...interpretTorchObject(value, 'pytorch-zip', located, warnings), notes };
}
