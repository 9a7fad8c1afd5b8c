import * as l10n from '@vscode/l10n';
import type { ByteSource } from '../runtime/byteSource';
import { FormatError, type FormatReader } from './formatReader';
import { pytorchLegacyReader } from './pytorch/pytorchLegacyReader';
import { pytorchZipReader } from './pytorch/pytorchZipReader';
import { safetensorsReader } from './safetensors/safetensorsReader';
import { shardedSafetensorsReader } from './safetensors/shardedSafetensorsReader';

/** Every reader, most specific first. */
export const READERS: readonly FormatReader[] = [shardedSafetensorsReader, safetensorsReader, pytorchZipReader, pytorchLegacyReader];

/** File name endings any reader claims: the workspace scan and the editor use these. */
export const MODEL_FILE_EXTENSIONS: readonly string[] = [...new Set(READERS.flatMap((r) => r.extensions))];

/**
 * Picks the reader for a file: readers claiming its extension are sniffed first, then all the
 * others (a `.bin` may be a PyTorch zip or a legacy pickle; a renamed file still opens).
 */
export async function selectReader(fileName: string, src: ByteSource): Promise<FormatReader> {
  const lower = fileName.toLowerCase();
  const claimed = READERS.filter((r) => r.extensions.some((e) => lower.endsWith(e)));
  for (const r of [...claimed, ...READERS.filter((r) => !claimed.includes(r))]) {
    if (await r.match(src).catch(() => false)) return r;
  }
  // An unambiguous extension (`.safetensors`) gets its reader's own, more precise, complaint.
  if (claimed.length === 1) return claimed[0]!;
  throw new FormatError('unknown', l10n.t('{0}: not a recognised model file (expected safetensors or a PyTorch checkpoint)', fileName));
}
