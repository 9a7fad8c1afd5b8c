import { createHash } from 'node:crypto';
import type { ByteSource } from './byteSource';
import { streamRawChunks, type TensorRef } from './elementStream';
import { elementView } from './dequantizedView';

/**
 * SHA-256 of a tensor's dtype, shape and elements in logical order, little-endian. Equal
 * fingerprints mean the same values bit for bit, whatever the file format, strides, storage
 * offset or byte order they were stored with (a `.pt` and a `.safetensors` of one model agree).
 */
export async function tensorFingerprint(src: ByteSource, t: TensorRef, signal?: AbortSignal): Promise<string> {
  ({ src, tensor: t } = elementView(src, t));
  const h = createHash('sha256');
  h.update(`${t.dtype}\u0000${t.shape.join(',')}\u0000`);
  for await (const chunk of streamRawChunks(src, t.dtype, t.shape, t.location, { signal })) h.update(chunk.bytes);
  return h.digest('hex');
}
