import * as l10n from '@vscode/l10n';
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { FormatError, type ReaderContext } from '../formats/formatReader';
import { selectReader } from '../formats/registry';
import { FileByteSource, NotRegularFileError } from '../runtime/byteSource';
import { buildModelIndex } from './buildIndex';
import type { ModelIndex } from '../core/modelIndex';

export interface OpenModelOptions {
  signal?: AbortSignal;
  /**
   * false: tensors and counts only, without the module tree and access paths (an empty root,
   * paths ''): for a pass over every tensor's bytes (`paramscope stats`), where the tree of a big
   * mixture of experts would be half the index's memory and never shown.
   */
  tree?: boolean;
}

/** Reads a model file's index (names, shapes, locations, tree); tensor bytes stay on disk. */
export async function openModel(path: string, opts: OpenModelOptions = {}): Promise<ModelIndex> {
  const file = resolve(path);
  let src: FileByteSource;
  try {
    src = await FileByteSource.open(file);
  } catch (e) {
    if (e instanceof NotRegularFileError) throw new FormatError('unknown', e.message);
    throw new FormatError('unknown', l10n.t('{0}: cannot open ({1})', path, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
  const siblings: FileByteSource[] = [];
  const ctx: ReaderContext = {
    signal: opts.signal,
    async openSibling(rel: string) {
      // Read through its real path, named by its path beside the index (as the registry lists it).
      const s = await FileByteSource.open(await realPathInside(dirname(file), rel), { noFollow: true, name: resolve(dirname(file), rel) });
      siblings.push(s);
      return s;
    },
  };
  try {
    const reader = await selectReader(file, src);
    const result = await reader.open(src, ctx);
    return buildModelIndex(result, file, { tree: opts.tree });
  } finally {
    await Promise.all([src, ...siblings].map((s) => s.close().catch(() => undefined)));
  }
}

/** A file beside a model whose real path (symlinks resolved) leaves the model's real folder. */
export class OutsideFolderError extends Error {
  constructor(rel: string, real: string, folder: string) {
    super(l10n.t('{0} resolves to {1}, outside the model\'s folder {2}', rel, real, folder));
    this.name = 'OutsideFolderError';
  }
}

/**
 * The real path of `rel` under `dir`, refusing any that leaves `dir`'s real path: a shard or
 * config.json that is a symlink (or sits in a symlinked folder) pointing elsewhere is not read.
 * Callers open the result with `noFollow`, so a symlink swapped in after the check is refused too.
 */
export async function realPathInside(dir: string, rel: string): Promise<string> {
  const target = resolve(dir, rel);
  if (!isInside(dir, target)) throw new OutsideFolderError(rel, target, dir);
  const [realDir, realTarget] = [await realpath(dir), await realpath(target)];
  if (!isInside(realDir, realTarget)) throw new OutsideFolderError(rel, realTarget, realDir);
  return realTarget;
}

function isInside(dir: string, target: string): boolean {
  const r = relative(dir, target);
  return r !== '' && r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r);
}
