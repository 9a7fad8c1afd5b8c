import * as l10n from '@vscode/l10n';
import type { ByteSource } from '../runtime/byteSource';
import { FormatError, type FormatReader } from './formatReader';
import { pytorchLegacyReader } from './pytorch/pytorchLegacyReader';
import { pytorchZipReader } from './pytorch/pytorchZipReader';
import { ggufReader } from './gguf/ggufReader';
import { kerasReader } from './keras/kerasReader';
import { onnxReader } from './onnx/onnxReader';
import { npyReader, npzReader } from './numpy/numpyReader';
import { safetensorsReader } from './safetensors/safetensorsReader';
import { shardedSafetensorsReader } from './safetensors/shardedSafetensorsReader';

/**
 * Every reader, most specific first. A new format is its folder plus one line here: the file
 * endings the workspace scan lists, the summary editor's selectors in package.json (checked by
 * test/unit/formatRegistry.test.ts), the sniffing order and the error for an unknown file all
 * derive from this list.
 */
export const READERS: readonly FormatReader[] = [shardedSafetensorsReader, safetensorsReader, kerasReader, pytorchZipReader, pytorchLegacyReader, ggufReader, npyReader, npzReader, onnxReader];

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** Endings some reader claims by name: listed by the scan, opened by the summary editor. */
export const MODEL_FILE_EXTENSIONS: readonly string[] = unique(READERS.flatMap((r) => r.extensions));

/** Generic endings (`.bin`): listed, and opened in the summary, only when a reader's sniff says so. */
export const SNIFFED_EXTENSIONS: readonly string[] = unique(READERS.flatMap((r) => r.sniffedExtensions ?? [])).filter((e) => !MODEL_FILE_EXTENSIONS.includes(e));

/** The summary editor's `filenamePattern`s (package.json `customEditors[0].selector`). */
export const SUMMARY_EDITOR_PATTERNS: readonly string[] = MODEL_FILE_EXTENSIONS.map((e) => `*${e}`);

/**
 * The default `paramscope.include` glob: every claimed or sniffed ending by its last segment
 * (`.safetensors.index.json` → `json`; `isModelFileName` then keeps only the full endings).
 */
export const DEFAULT_INCLUDE_GLOB = `**/*.{${unique([...MODEL_FILE_EXTENSIONS, ...SNIFFED_EXTENSIONS].map((e) => e.slice(e.lastIndexOf('.') + 1))).join(',')}}`;

/** The Explorer's "Open in ParamScope" `when` clause (package.json `menus.explorer/context`): every claimed or sniffed ending. */
export const EXPLORER_MENU_WHEN = `resourceFilename =~ /\\.(${[...MODEL_FILE_EXTENSIONS, ...SNIFFED_EXTENSIONS].map((e) => e.slice(1).replace(/\./g, '\\.')).join('|')})$/i`;

/** The endings the empty Models view names (`.pt`, …, `PyTorch .bin/.pkl/.tar`): claimed ones, then sniffed ones by reader label. */
export const FORMAT_LIST_ITEMS: readonly string[] = (() => {
  const sniffedByLabel = new Map<string, Set<string>>();
  for (const r of READERS) for (const e of r.sniffedExtensions ?? []) if (SNIFFED_EXTENSIONS.includes(e)) sniffedByLabel.set(r.label, (sniffedByLabel.get(r.label) ?? new Set()).add(e));
  return [...MODEL_FILE_EXTENSIONS, ...[...sniffedByLabel].map(([label, endings]) => `${label} ${[...endings].join('/')}`)];
})();

/** How a file's name makes it a model file: by name, by its leading bytes (`sniff`), or not at all. */
export function modelFileKind(fileName: string): 'named' | 'sniff' | null {
  const lower = fileName.toLowerCase();
  if (MODEL_FILE_EXTENSIONS.some((e) => lower.endsWith(e))) return 'named';
  if (SNIFFED_EXTENSIONS.some((e) => lower.endsWith(e))) return 'sniff';
  return null;
}

/** True when opening this file reads files beside it (their rows are then hidden behind it). */
export function gathersSiblings(fileName: string): boolean {
  return claimingReaders(fileName).some((r) => r.gathersSiblings?.(fileName) ?? false);
}

/** Readers whose `match` may claim a file of this name, by name first. */
function claimingReaders(fileName: string): FormatReader[] {
  const lower = fileName.toLowerCase();
  return READERS.filter((r) => [...r.extensions, ...(r.sniffedExtensions ?? [])].some((e) => lower.endsWith(e)));
}

/** True when a reader that claims this file's ending recognises its leading bytes. */
export async function sniffsAsModel(fileName: string, src: ByteSource): Promise<boolean> {
  for (const r of claimingReaders(fileName)) if (await r.match(src).catch(() => false)) return true;
  return false;
}

/**
 * Picks the reader for a file: readers claiming its extension are sniffed first, then all the
 * others (a `.bin` may be a PyTorch zip or a legacy pickle; a renamed file still opens).
 */
export async function selectReader(fileName: string, src: ByteSource): Promise<FormatReader> {
  const claimed = claimingReaders(fileName);
  for (const r of [...claimed, ...READERS.filter((r) => !claimed.includes(r))]) {
    if (await r.match(src).catch(() => false)) return r;
  }
  // An unambiguous extension (`.safetensors`) gets its reader's own, more precise, complaint.
  if (claimed.length === 1) return claimed[0]!;
  throw new FormatError('unknown', l10n.t('{0}: not a recognised model file (known formats: {1})', fileName, unique(READERS.map((r) => r.label)).join(', ')));
}
