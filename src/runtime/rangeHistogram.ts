import { throwIfAborted } from '../core/abort';
import type { ByteSource } from './byteSource';
import { elementView } from './dequantizedView';
import { streamElements, type TensorRef } from './elementStream';
import { HistcCounter, MAX_HISTOGRAM_BINS, histcEdges } from './histc';
import { broadcastOf } from './stats';

/**
 * torch.histc(x.double(), bins, min, max) of a whole tensor on a range the caller gives (the run
 * page's ridge plot bins every checkpoint on one shared range): NaN and ±inf never count, nor
 * values outside [min, max]; the last bin is closed (histc.ts has the rule). Counts as doubles.
 * A broadcast view counts its distinct elements, each weighted by how often the view repeats it.
 */
export async function histogramOnRange(src: ByteSource, entry: TensorRef, min: number, max: number, bins: number, opts: { signal?: AbortSignal; chunkElements?: number } = {}): Promise<Float64Array> {
  if (!Number.isSafeInteger(bins) || bins < 1 || bins > MAX_HISTOGRAM_BINS) throw new RangeError(`bins must be an integer in 1..${MAX_HISTOGRAM_BINS}, got ${bins}`);
  if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) throw new RangeError(`the range must be finite with min <= max, got [${min}, ${max}]`);
  ({ src, tensor: entry } = elementView(src, entry));
  const broadcast = broadcastOf(entry);
  const weight = broadcast?.weight ?? 1;
  const t = broadcast?.distinct ?? entry;
  const counter = new HistcCounter(histcEdges(min, max, bins), bins);
  throwIfAborted(opts.signal);
  // Counts ignore order: read in storage order, as the statistics do.
  for await (const chunk of streamElements(src, t.dtype, t.shape, t.location, { chunkElements: opts.chunkElements, signal: opts.signal, order: 'storage' })) counter.add(chunk);
  const counts = Float64Array.from(counter.counts());
  if (weight !== 1) for (let i = 0; i < counts.length; i++) counts[i] = counts[i]! * weight;
  return counts;
}
