import * as l10n from '@vscode/l10n';
import { dirname, resolve, sep } from 'node:path';
import { FormatError, type ReaderContext } from '../formats/formatReader';
import { selectReader } from '../formats/registry';
import { FileByteSource } from '../runtime/byteSource';
import { buildModelIndex } from './buildIndex';
import type { ModelIndex } from './modelIndex';

export interface OpenModelOptions {
  signal?: AbortSignal;
}

/** Reads a model file's index (names, shapes, locations, tree); tensor bytes stay on disk. */
export async function openModel(path: string, opts: OpenModelOptions = {}): Promise<ModelIndex> {
  const file = resolve(path);
  let src: FileByteSource;
  try {
    src = await FileByteSource.open(file);
  } catch (e) {
    throw new FormatError('unknown', l10n.t('{0}: cannot open ({1})', path, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
  const siblings: FileByteSource[] = [];
  const ctx: ReaderContext = {
    signal: opts.signal,
    async openSibling(rel: string) {
      const dir = dirname(file);
      const target = resolve(dir, rel);
      if (!target.startsWith(dir + sep)) throw new Error(l10n.t('{0} is outside {1}', rel, dir));
      const s = await FileByteSource.open(target);
      siblings.push(s);
      return s;
    },
  };
  try {
    const reader = await selectReader(file, src);
    const result = await reader.open(src, ctx);
    return buildModelIndex(result, file);
  } finally {
    await Promise.all([src, ...siblings].map((s) => s.close().catch(() => undefined)));
  }
}
