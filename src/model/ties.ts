import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { FileByteSource } from '../runtime/byteSource';
import { isBlockDType, storageBytes } from '../core/dtypes';
import { streamRawChunks } from '../runtime/elementStream';
import { broadcastReduction } from '../runtime/tensorLayout';
import { decodedView } from '../runtime/encodedSource';
import { storageRegionKey } from './buildIndex';
import type { ModelIndex, ModuleNode, TensorEntry } from '../core/modelIndex';
import { realPathInside } from './openModel';

/**
 * Why parameters are one thing:
 * - `storage`: the same bytes of one storage (a tied layer saved once by torch);
 * - `module`: the same module object at two paths of a pickled model (`net[2] is net[4]`);
 * - `metadata`: the file or its `config.json` says so (`tie_word_embeddings`, safetensors'
 *   removed-duplicate names);
 * - `content`: byte-identical values found by hashing — equal, but not necessarily tied.
 */
export type TieEvidence = 'storage' | 'module' | 'metadata' | 'content';

export interface TieGroup {
  /** Tensor names (for `module`: module qualified names). A name not stored in the file is kept as the file says it. */
  names: string[];
  evidence: TieEvidence;
  /** Bytes of one copy: what storing the group once saves per extra member. */
  bytes: number;
}

/** Tensors that share part of one storage without being the same view (`x` and `x.t()`, `x[1:3]`). */
export interface StorageViews {
  storageKey: string;
  names: string[];
}

export interface TieReport {
  groups: TieGroup[];
  views: StorageViews[];
}

/** config.json beside a checkpoint is small; anything larger is not a model config. */
const MAX_CONFIG_BYTES = 1024 * 1024;
const EMBEDDING_NAME = /(^|\.)(embed_tokens|wte|word_embeddings|tok_embeddings|embed_in|shared)\.weight$/;
const OUTPUT_NAMES = ['lm_head.weight', 'output.weight', 'embed_out.weight'];

function bytesOf(t: TensorEntry): number {
  return storageBytes(t.dtype, t.count);
}

/** Elements [first, last] of the storage a view touches (-1 … -2 for empty views). */
function span(t: TensorEntry): [number, number] {
  if (t.count === 0) return [-1, -2];
  const l = t.location;
  return [l.elementOffset, l.elementOffset + t.shape.reduce((a, d, i) => a + (d - 1) * l.strides[i]!, 0)];
}

/** Storage ties (same region) and storage views (overlapping, different regions). */
export function findStorageTies(index: ModelIndex): TieReport {
  // Region keys only for storages that several tensors view: a safetensors file of 100,000
  // tensors (one storage each) builds no key at all.
  const byStorage = new Map<string, TensorEntry[]>();
  for (const t of index.tensors) {
    const s = `${t.location.file}\u0000${t.location.storageKey}`;
    const g = byStorage.get(s);
    if (g) g.push(t);
    else byStorage.set(s, [t]);
  }
  const order = new Map<TensorEntry, number>();
  const byRegion = new Map<string, TensorEntry[]>();
  for (const members of byStorage.values()) {
    if (members.length < 2) continue;
    for (const t of members) {
      const r = storageRegionKey(t);
      const g = byRegion.get(r);
      if (g) g.push(t);
      else byRegion.set(r, [t]);
    }
  }
  if (byRegion.size > 0) index.tensors.forEach((t, i) => order.set(t, i));
  // In the order the file lists each group's first tensor.
  const groups: TieGroup[] = [...byRegion.values()]
    .filter((g) => g.length > 1)
    .sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!)
    .map((g) => ({ names: g.map((t) => t.name), evidence: 'storage', bytes: bytesOf(g[0]!) }));
  const views: StorageViews[] = [];
  for (const members of byStorage.values()) {
    if (members.length < 2 || new Set(members.map(storageRegionKey)).size < 2) continue;
    // Union of regions whose element spans overlap.
    const sorted = [...members].sort((a, b) => span(a)[0] - span(b)[0]);
    let current: TensorEntry[] = [];
    let end = -Infinity;
    const flush = (): void => {
      if (new Set(current.map(storageRegionKey)).size > 1) views.push({ storageKey: current[0]!.location.storageKey, names: current.map((t) => t.name) });
    };
    for (const t of sorted) {
      const [a, b] = span(t);
      if (b < a) continue;
      if (a > end && current.length > 0) {
        flush();
        current = [];
      }
      current.push(t);
      end = Math.max(end, b);
    }
    if (current.length > 0) flush();
  }
  return { groups, views };
}

/** The same module object at several places of a pickled model. */
export function findModuleTies(index: ModelIndex): TieGroup[] {
  const byFirst = new Map<string, ModuleNode[]>();
  const all = new Map<string, ModuleNode>();
  const walk = (m: ModuleNode): void => {
    all.set(m.qualifiedName, m);
    if (m.sameAs !== undefined) byFirst.set(m.sameAs, [...(byFirst.get(m.sameAs) ?? []), m]);
    m.children.forEach(walk);
  };
  walk(index.modules);
  const byName = new Map(index.tensors.map((t) => [t.name, t]));
  const moduleBytes = (m: ModuleNode): number => {
    let b = m.parameters.reduce((acc, n) => acc + (byName.has(n) ? bytesOf(byName.get(n)!) : 0), 0);
    for (const c of m.children) b += moduleBytes(c);
    return b;
  };
  const groups: TieGroup[] = [...byFirst.entries()].map(([first, others]) => ({ names: [first, ...others.map((o) => o.qualifiedName)], evidence: 'module', bytes: all.has(first) ? moduleBytes(all.get(first)!) : 0 }));
  // `nets.0 is nets.2` already says `nets.0.1 is nets.2.1`: keep only the outermost repeats.
  const inside = (name: string, outer: TieGroup): boolean => outer.names.some((o) => name.startsWith(`${o}.`));
  return groups.filter((g) => !groups.some((h) => h !== g && g.names.every((n) => inside(n, h))));
}

/** Ties the file's metadata or a `config.json` beside it declare. */
export async function findMetadataTies(index: ModelIndex): Promise<TieGroup[]> {
  const groups: TieGroup[] = [];
  const names = new Map(index.tensors.map((t) => [t.name, t]));
  // safetensors' save_model drops duplicates and records `removed name → kept name` in metadata.
  for (const [key, value] of Object.entries(index.metadata)) {
    const kept = typeof value === 'string' ? names.get(value) : undefined;
    if (kept && !names.has(key) && key.includes('.')) groups.push({ names: [kept.name, key], evidence: 'metadata', bytes: bytesOf(kept) });
  }
  const config = await readConfig(index.file);
  const tieEmbeddings = config?.tie_word_embeddings ?? config?.text_config?.tie_word_embeddings;
  if (tieEmbeddings === true) {
    const embedding = index.tensors.find((t) => EMBEDDING_NAME.test(t.name));
    if (embedding) {
      const output = index.tensors.find((t) => OUTPUT_NAMES.includes(t.name) || t.name.endsWith('.lm_head.weight'));
      const outName = output?.name ?? 'lm_head.weight';
      if (!groups.some((g) => g.names.includes(outName))) groups.push({ names: [embedding.name, outName], evidence: 'metadata', bytes: bytesOf(embedding) });
    }
  }
  return groups;
}

interface ModelConfig {
  tie_word_embeddings?: unknown;
  text_config?: { tie_word_embeddings?: unknown };
}

/**
 * config.json beside the model, read as the shards are: a regular file (a FIFO named config.json
 * would block a plain read forever) whose real path stays in the model's folder. Any problem
 * means no config: the ties it could add are hints, not the model.
 */
async function readConfig(modelFile: string): Promise<ModelConfig | undefined> {
  let src: FileByteSource | undefined;
  try {
    src = await FileByteSource.open(await realPathInside(dirname(modelFile), 'config.json'), { noFollow: true });
    if (src.size > MAX_CONFIG_BYTES) return undefined;
    const parsed: unknown = JSON.parse(new TextDecoder().decode(await src.read(0, src.size)));
    return typeof parsed === 'object' && parsed !== null ? (parsed as ModelConfig) : undefined;
  } catch {
    return undefined;
  } finally {
    await src?.close();
  }
}

/**
 * Byte-identical tensors, by SHA-256 of their elements. Only tensors with a same-dtype,
 * same-shape peer in another storage region are read, so most files are not read at all.
 */
export async function findContentTies(index: ModelIndex, signal?: AbortSignal): Promise<TieGroup[]> {
  const candidates = new Map<string, TensorEntry[]>();
  const seenRegion = new Set<string>();
  for (const t of index.tensors) {
    const region = storageRegionKey(t);
    if (t.count === 0 || seenRegion.has(region)) continue;
    seenRegion.add(region);
    const k = `${t.dtype}\u0000${t.shape.join(',')}`;
    candidates.set(k, [...(candidates.get(k) ?? []), t]);
  }
  const sources = new Map<string, FileByteSource>();
  try {
    const groups: TieGroup[] = [];
    for (const same of candidates.values()) {
      if (same.length < 2) continue;
      const byHash = new Map<string, TensorEntry[]>();
      for (const stored of same) {
        let file = sources.get(stored.location.file);
        if (!file) sources.set(stored.location.file, (file = await FileByteSource.open(stored.location.file)));
        // An encoded storage (a deflated .npz member) is hashed as its decoded bytes.
        const { src, tensor: t } = decodedView(file, stored);
        const h = createHash('sha256');
        // A broadcast view (stride 0) is hashed as its distinct elements plus which dims repeat:
        // two views of one shape with the same repeated dims are equal exactly when those are.
        const b = broadcastReduction(t.shape, t.location.strides);
        if (b) h.update(`broadcast ${t.shape.map((d, i) => (d > 1 && t.location.strides[i] === 0 ? 'b' : '.')).join('')}\u0000`);
        const view = b ? { shape: b.shape, location: { ...t.location, strides: b.strides } } : t;
        if (isBlockDType(t.dtype)) {
          // Blocks are stored whole and contiguous: the same blocks are the same values.
          for (let at = 0; at < t.location.storageBytes; at += 1 << 20) h.update(await src.read(t.location.storageOffset + at, Math.min(1 << 20, t.location.storageBytes - at)));
        } else for await (const chunk of streamRawChunks(src, t.dtype, view.shape, view.location, { signal })) h.update(chunk.bytes);
        const digest = h.digest('hex');
        byHash.set(digest, [...(byHash.get(digest) ?? []), stored]);
      }
      for (const g of byHash.values()) if (g.length > 1) groups.push({ names: g.map((t) => t.name), evidence: 'content', bytes: bytesOf(g[0]!) });
    }
    // Hashes of a file rewritten meanwhile would pair tensors of two versions.
    for (const s of sources.values()) await s.assertUnchanged();
    return groups;
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close()));
  }
}

/** Every tie group with its evidence; content hashing is optional (it reads tensor bytes). */
export async function findTies(index: ModelIndex, opts: { content?: boolean; signal?: AbortSignal } = {}): Promise<TieReport> {
  const storage = findStorageTies(index);
  const groups = [...storage.groups, ...findModuleTies(index), ...(await findMetadataTies(index))];
  if (opts.content !== false) for (const g of await findContentTies(index, opts.signal)) groups.push(g); // no spread: one group per tensor can pass the argument limit
  return { groups, views: storage.views };
}

/** For each tensor name, the other names it is tied with (storage, module or metadata evidence). */
export function tiedWith(report: TieReport): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of report.groups) {
    if (g.evidence === 'content' || g.evidence === 'module') continue;
    for (const n of g.names) out.set(n, [...(out.get(n) ?? []), ...g.names.filter((m) => m !== n)]);
  }
  return out;
}
