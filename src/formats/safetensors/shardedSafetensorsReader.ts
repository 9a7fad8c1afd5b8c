import * as l10n from '@vscode/l10n';
import type { RawTensor, ReaderResult } from '../../core/modelIndex';
import type { ByteSource } from '../../runtime/byteSource';
import { FormatError, type FormatReader, type ReaderContext } from '../formatReader';
import { throwIfAborted } from '../../core/abort';
import { firstNames, formatBytes, readSafetensorsHeader, type SafetensorsHeader, type SafetensorsTruncation } from './safetensorsReader';

/** Index JSON cap: a 1,000-shard, 100k-tensor index is ~10 MB (CWE-770). */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;

const fail = (src: ByteSource, msg: string): FormatError => new FormatError('safetensors-sharded', `${src.name}: ${msg}`);

/** Why a shard file could not be opened, in words (a missing file is the usual case). */
function openFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return l10n.t('the file does not exist');
  return code ?? (e as Error).message;
}

/** The warning of a shard that cannot be opened or read: which shard, why, what it costs. */
function unreadableShardWarning(shard: string, reason: string, missing: readonly string[]): string {
  if (missing.length === 0) return l10n.t('shard {0} cannot be read ({1})', shard, reason);
  if (missing.length === 1) return l10n.t('shard {0} cannot be read ({1}); 1 tensor of weight_map missing: {2}', shard, reason, firstNames(missing));
  return l10n.t('shard {0} cannot be read ({1}); {2} tensors of weight_map missing: {3}', shard, reason, missing.length, firstNames(missing));
}

/** The warning of a shard cut short inside its data section: its intact tensors are listed. */
function truncatedShardWarning(shard: string, cut: SafetensorsTruncation, missing: readonly string[]): string {
  const [present, needed] = [formatBytes(cut.presentBytes), formatBytes(cut.expectedBytes)];
  if (missing.length === 0) return l10n.t('shard {0} is cut short: {1} of {2} data bytes present', shard, present, needed);
  if (missing.length === 1) return l10n.t('shard {0} is cut short: {1} of {2} data bytes present; 1 tensor of weight_map missing: {3}', shard, present, needed, firstNames(missing));
  return l10n.t('shard {0} is cut short: {1} of {2} data bytes present; {3} tensors of weight_map missing: {4}', shard, present, needed, missing.length, firstNames(missing));
}

/**
 * `model.safetensors.index.json` (Hugging Face sharded checkpoints): `weight_map` names the shard
 * holding each tensor. Shards are merged into one model, in `weight_map` order.
 */
export const shardedSafetensorsReader: FormatReader = {
  id: 'safetensors-sharded',
  label: 'safetensors',
  extensions: ['.safetensors.index.json'],
  gathersSiblings: () => true,

  async match(src: ByteSource): Promise<boolean> {
    if (src.size > MAX_INDEX_BYTES || src.size < 2) return false;
    const text = new TextDecoder().decode(await src.read(0, Math.min(src.size, 4096)));
    return text.trimStart().startsWith('{') && text.includes('"weight_map"');
  },

  async open(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
    if (src.size > MAX_INDEX_BYTES) throw fail(src, l10n.t('index is {0} bytes, over the {1}-byte limit', src.size, MAX_INDEX_BYTES));
    let index: unknown;
    try {
      index = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await src.read(0, src.size)));
    } catch (e) {
      throw fail(src, l10n.t('index is not valid JSON ({0})', (e as Error).message));
    }
    const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) throw fail(src, l10n.t('index has no weight_map object'));
    const entries = Object.entries(weightMap as Record<string, unknown>);
    const shardNames = [...new Set(entries.map(([, f]) => f))];
    for (const f of shardNames) {
      // Shards live beside the index: no absolute paths, no climbing out of the folder.
      if (typeof f !== 'string' || f === '' || f.startsWith('/') || f.includes('\\') || f.split('/').includes('..')) {
        throw fail(src, l10n.t('weight_map names an unsafe shard path {0}', String(JSON.stringify(f))));
      }
    }
    const byName = new Map<string, RawTensor>();
    const metadata: Record<string, unknown> = {};
    const indexMeta = (index as { metadata?: unknown }).metadata;
    if (indexMeta && typeof indexMeta === 'object') Object.assign(metadata, indexMeta);
    const warnings: string[] = [];
    const shardOf = new Map<string, string>();
    // A shard that is missing or unreadable, or cut short, costs only its own tensors (an
    // interrupted download): the others are listed, and each problem shard gets one warning.
    const unavailable = new Map<string, { reason: string; error: unknown }>();
    const truncated = new Map<string, { cut: SafetensorsTruncation; missing: Set<string> }>();
    for (const shard of shardNames as string[]) {
      throwIfAborted(ctx.signal);
      let shardSrc: ByteSource;
      try {
        shardSrc = await ctx.openSibling(shard);
      } catch (e) {
        unavailable.set(shard, { reason: openFailure(e), error: fail(src, l10n.t('cannot open shard {0}: {1}', shard, (e as Error).message)) });
        continue;
      }
      let header: SafetensorsHeader;
      try {
        header = await readSafetensorsHeader(shardSrc);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        // The shard's own message without its path: the warning names the shard already.
        unavailable.set(shard, { reason: e.message.startsWith(`${shardSrc.name}: `) ? e.message.slice(shardSrc.name.length + 2) : e.message, error: e });
        continue;
      }
      if (header.truncation) truncated.set(shard, { cut: header.truncation, missing: new Set(header.truncation.missing) });
      for (const t of header.tensors) {
        if (byName.has(t.name)) warnings.push(l10n.t('{0} appears in both {1} and {2}; the first is shown', t.name, String(shardOf.get(t.name)), shard));
        else {
          byName.set(t.name, t);
          shardOf.set(t.name, shard);
        }
      }
      for (const [k, v] of Object.entries(header.metadata)) metadata[`${shard}:${k}`] = v;
    }
    // Nothing readable: the first shard's error, as when any one failure stopped the model.
    if (shardNames.length > 0 && unavailable.size === shardNames.length) throw unavailable.get(shardNames[0] as string)!.error;

    const tensors: RawTensor[] = [];
    const missingIn = new Map<string, string[]>();
    for (const [name, shard] of entries) {
      const t = byName.get(name);
      if (!t) {
        const f = shard as string;
        if (unavailable.has(f) || truncated.get(f)?.missing.has(name)) {
          const list = missingIn.get(f);
          if (list) list.push(name);
          else missingIn.set(f, [name]);
          continue;
        }
        throw fail(src, l10n.t("weight_map puts '{0}' in {1}, which does not contain it", name, f));
      }
      if (shardOf.get(name) !== shard) warnings.push(l10n.t("'{0}' is mapped to {1} but found in {2}", name, String(shard), String(shardOf.get(name))));
      tensors.push(t);
    }
    // The problem shards first: they explain the gaps in the model.
    const shardWarnings: string[] = [];
    for (const shard of shardNames as string[]) {
      const missing = missingIn.get(shard) ?? [];
      const u = unavailable.get(shard);
      const t = truncated.get(shard);
      if (u) shardWarnings.push(unreadableShardWarning(shard, u.reason, missing));
      else if (t) shardWarnings.push(truncatedShardWarning(shard, t.cut, missing));
    }
    const mapped = new Set(entries.map(([n]) => n));
    const extra = [...byName.keys()].filter((n) => !mapped.has(n));
    if (extra.length > 0) warnings.push(l10n.t('{0} tensor(s) in the shards are missing from weight_map (e.g. {1}); shown anyway', extra.length, extra[0]!));
    for (const n of extra) tensors.push(byName.get(n)!);
    return { format: 'safetensors-sharded', tensors, metadata, warnings: [...shardWarnings, ...warnings] };
  },
};
