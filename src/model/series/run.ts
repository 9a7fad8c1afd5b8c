import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { throwIfAborted } from '../../core/abort';
import type { ModelIndex } from '../../core/modelIndex';
import type { SeriesCheckpoint, SeriesLeftOut, SeriesOrder } from '../../core/series';
import * as l10n from '@vscode/l10n';
import { modelFileKind } from '../../formats/registry';
import { matchTensors } from '../diff/matchTensors';
import { openModel } from '../openModel';
import { trainingProgress } from '../trainingState';

/**
 * Training runs (issue 16, docs/series.md): which files of a folder (or of a list) are the
 * checkpoints of one model, and their training order.
 */

/** A run's input that is not one: one checkpoint, none, unreadable ones, different models. One line for a person. */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}

/**
 * trainer_state.json is read whole: Trainer appends every logged step to `log_history`, so a long
 * run's file reaches tens of MB; past this it is left unread (ordering falls back to the names).
 */
export const MAX_TRAINER_STATE_BYTES = 64 << 20;

/**
 * A checkpoint belongs with the run's reference when at least this share of the names the two
 * hold (the diff's matching: state_dict names, a wrapper prefix dropped, optimizer state left out)
 * is held by both: a tensor added or removed in training changes a few names, another model most.
 */
export const SAME_MODEL_SHARE = 0.5;

/** The files a Hugging Face `checkpoint-N/` folder holds its model in, preferred first. */
export const FOLDER_MODEL_FILES = ['model.safetensors.index.json', 'model.safetensors', 'pytorch_model.bin', 'model.pt', 'model.pth'];

/** A shard behind an index (`model-00001-of-00002.safetensors`): read through its index, never a checkpoint alone. */
const SHARD_NAME = /-\d{5}-of-\d{5}\.[a-z]+$/i;

/** Something found that may be a checkpoint: its name, the file to open, and what its folder says of it. */
export interface CheckpointCandidate {
  file: string;
  modelFile: string;
  nameNumber?: number;
  mtimeMs: number;
  /** From trainer_state.json beside the model (Hugging Face Trainer). */
  trainerState?: { step?: number; epoch?: number };
}

/**
 * The last number in a file or folder name, its extensions cut: `epoch_10.pt` → 10,
 * `checkpoint-500` → 500, `model.safetensors` → undefined.
 */
export function nameNumber(name: string): number | undefined {
  const stem = name.replace(/(\.[A-Za-z][A-Za-z0-9]*)+$/, '');
  const m = /(\d+)(?!.*\d)/.exec(stem);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

interface Orderable {
  file: string;
  epoch?: number;
  step?: number;
  nameNumber?: number;
  mtimeMs: number;
}

const distinct = (xs: ReadonlyArray<number | undefined>): boolean => xs.every((x) => x !== undefined) && new Set(xs).size === xs.length;

/**
 * The training order: by the step every checkpoint records, else by the epoch, else by the number
 * in every name, else by modification time; each key only when every checkpoint has it and no two
 * share it (two "step 0" are no order). Pure.
 */
export function orderCheckpoints<T extends Orderable>(items: readonly T[]): { orderedBy: SeriesOrder; items: T[] } {
  const byName = (a: T, b: T): number => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);
  for (const key of ['step', 'epoch'] as const) {
    if (distinct(items.map((c) => c[key]))) return { orderedBy: key, items: [...items].sort((a, b) => a[key]! - b[key]!) };
  }
  if (distinct(items.map((c) => c.nameNumber))) return { orderedBy: 'name', items: [...items].sort((a, b) => a.nameNumber! - b.nameNumber!) };
  return { orderedBy: 'mtime', items: [...items].sort((a, b) => a.mtimeMs - b.mtimeMs || byName(a, b)) };
}

async function trainerState(folder: string): Promise<CheckpointCandidate['trainerState']> {
  const file = join(folder, 'trainer_state.json');
  try {
    const st = await stat(file);
    if (!st.isFile() || st.size > MAX_TRAINER_STATE_BYTES) return undefined;
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { global_step: step, epoch } = parsed as Record<string, unknown>;
    const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    return { step: num(step), epoch: num(epoch) };
  } catch {
    return undefined; // absent or not JSON: the folder's name orders it
  }
}

/** The model file of a `checkpoint-N/`-style folder, or undefined when it holds none we know. */
async function folderModel(folder: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return undefined;
  }
  const found = FOLDER_MODEL_FILES.find((n) => names.includes(n));
  return found && join(folder, found);
}

/** `folder`: the folder whose trainer_state.json tells of it, and (`folderNamed`) whose name numbers it. */
async function candidateOf(file: string, modelFile: string, folder?: string, folderNamed = true): Promise<CheckpointCandidate> {
  const st = await stat(modelFile);
  const c: CheckpointCandidate = { file, modelFile, mtimeMs: st.mtimeMs };
  const n = nameNumber(basename(folder && folderNamed ? folder : file));
  if (n !== undefined) c.nameNumber = n;
  if (folder) {
    const ts = await trainerState(folder);
    if (ts) c.trainerState = ts;
  }
  return c;
}

/**
 * The checkpoints `paths` name: one folder is searched (its model files, shards left to their
 * index, and its `checkpoint-N/`-style subfolders); several paths are each a model file or such a
 * folder. Paths that are neither are left out with a reason.
 */
export async function findCheckpoints(paths: readonly string[]): Promise<{ candidates: CheckpointCandidate[]; leftOut: SeriesLeftOut[] }> {
  const candidates: CheckpointCandidate[] = [];
  const leftOut: SeriesLeftOut[] = [];
  const add = async (path: string, searchFolder: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(path);
    } catch (e) {
      leftOut.push({ file: path, reason: l10n.t('cannot open ({0})', (e as NodeJS.ErrnoException).code ?? (e as Error).message) });
      return;
    }
    if (st.isFile()) {
      candidates.push(await candidateOf(path, path));
      return;
    }
    if (!st.isDirectory()) {
      leftOut.push({ file: path, reason: l10n.t('not a file or folder') });
      return;
    }
    if (!searchFolder) {
      const model = await folderModel(path);
      if (model) candidates.push(await candidateOf(path, model, path));
      else leftOut.push({ file: path, reason: l10n.t('no model file ({0})', FOLDER_MODEL_FILES.join(', ')) });
      return;
    }
    const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    const hasIndex = entries.some((e) => e.name.endsWith('.index.json'));
    for (const e of entries) {
      const full = join(path, e.name);
      if (e.isDirectory()) {
        const inner = await folderModel(full);
        if (inner) candidates.push(await candidateOf(full, inner, full));
      } else if (e.isFile() && modelFileKind(e.name) !== null && !(hasIndex && SHARD_NAME.test(e.name))) {
        // Trainer's output folder holds the final model beside its trainer_state.json.
        candidates.push(FOLDER_MODEL_FILES.includes(e.name) ? await candidateOf(full, full, path, false) : await candidateOf(full, full));
      }
    }
  };
  if (paths.length === 1) await add(paths[0]!, true);
  else for (const p of paths) await add(p, false);
  return { candidates, leftOut };
}

/** An opened run: its checkpoints in training order with their indexes. */
export interface OpenedRun {
  orderedBy: SeriesOrder;
  checkpoints: SeriesCheckpoint[];
  indexes: ModelIndex[];
  leftOut: SeriesLeftOut[];
}

export interface OpenRunOptions {
  signal?: AbortSignal;
  /** How an index is read (default: `openModel` without the tree); the editor passes its cached reader. */
  open?: (file: string, signal?: AbortSignal) => Promise<ModelIndex>;
  /** Paths are shown relative to this folder (default: as given). */
  relativeTo?: string;
}

/** Share of the names two indexes hold that both hold (the diff's matching). */
export function sharedNameShare(a: ModelIndex, b: ModelIndex): number {
  const m = matchTensors(a.tensors, b.tensors);
  if (m.pairs.length === 0) return 0;
  return m.pairs.filter((p) => p.a && p.b).length / m.pairs.length;
}

/**
 * Which of `indexes` are checkpoints of one model (the run's `SAME_MODEL_SHARE` rule): the
 * reference is the first when at least half the others share its names, else the first that half
 * the others do, else the one the most others do; undefined when no two share half their names.
 * Pure, from the indexes alone (the Models view's run rows use it too).
 */
export function sameModelGroup(indexes: readonly ModelIndex[]): { reference: number; members: number[] } | undefined {
  const same = (i: number, j: number): boolean => sharedNameShare(indexes[i]!, indexes[j]!) >= SAME_MODEL_SHARE;
  const others = (i: number): number[] => indexes.map((_, j) => j).filter((j) => j !== i && same(i, j));
  let reference = 0;
  let members = others(0);
  if (members.length < (indexes.length - 1) / 2) {
    for (let i = 1; i < indexes.length; i++) {
      const m = others(i);
      if (m.length > members.length) [reference, members] = [i, m];
      if (members.length >= (indexes.length - 1) / 2) break; // a majority's model: no other can have more
    }
  }
  return members.length ? { reference, members } : undefined;
}

/**
 * Finds, opens, groups and orders a run's checkpoints. A checkpoint that cannot be opened, or that
 * holds another model, is left out with its reason; fewer than two left is a `RunError`.
 * Reference of the "same model" rule: the first candidate when at least half the others share
 * its names, else the first that half the others do, else the one the most others do.
 */
export async function openRun(paths: readonly string[], opts: OpenRunOptions = {}): Promise<OpenedRun> {
  if (paths.length === 0) throw new RunError(l10n.t('series expects a folder or two or more checkpoint files'));
  const { candidates, leftOut } = await findCheckpoints(paths);
  const show = (f: string): string => (opts.relativeTo ? relative(resolve(opts.relativeTo), resolve(f)) || f : f);
  const open = opts.open ?? ((f: string, signal?: AbortSignal) => openModel(f, { signal, tree: false }));
  const opened: Array<{ c: CheckpointCandidate; index: ModelIndex }> = [];
  for (const c of candidates) {
    throwIfAborted(opts.signal);
    try {
      opened.push({ c, index: await open(c.modelFile, opts.signal) });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      leftOut.push({ file: c.file, reason: (e as Error).message });
    }
  }
  if (opened.length === 0) {
    const why = leftOut.map((l) => `${show(l.file)}: ${l.reason}`).join('; ');
    throw new RunError(candidates.length === 0 && leftOut.length === 0 ? l10n.t('no checkpoints found in {0}', paths.join(', ')) : why ? l10n.t('no readable checkpoint: {0}', why) : l10n.t('no readable checkpoint'));
  }
  if (opened.length === 1) {
    const why = leftOut.map((l) => `${show(l.file)}: ${l.reason}`).join('; ');
    const one = show(opened[0]!.c.file);
    throw new RunError(why ? l10n.t('a training run needs two or more checkpoints; found one readable ({0}); left out {1}', one, why) : l10n.t('a training run needs two or more checkpoints; found one readable ({0})', one));
  }

  const group = sameModelGroup(opened.map((o) => o.index));
  if (!group) throw new RunError(l10n.t('the {0} checkpoints are of different models (no two share half their tensor names)', opened.length));
  const { reference, members } = group;
  const inRun = new Set([reference, ...members]);
  opened.forEach((o, i) => {
    if (!inRun.has(i)) leftOut.push({ file: o.c.file, reason: l10n.t('another model: shares {0}% of its tensor names with {1}', Math.round(100 * sharedNameShare(opened[reference]!.index, o.index)), show(opened[reference]!.c.file)) });
  });

  const rows = opened
    .filter((_, i) => inRun.has(i))
    .map(({ c, index }) => {
      const p = trainingProgress(index);
      const epoch = p.epoch ?? c.trainerState?.epoch;
      const step = p.step ?? c.trainerState?.step;
      return { file: show(c.file), modelFile: c.modelFile, mtimeMs: c.mtimeMs, index, ...(epoch !== undefined ? { epoch } : {}), ...(step !== undefined ? { step } : {}), ...(c.nameNumber !== undefined ? { nameNumber: c.nameNumber } : {}) };
    });
  const { orderedBy, items } = orderCheckpoints(rows);
  return {
    orderedBy,
    checkpoints: items.map(({ index: _i, ...r }, order) => ({ ...r, order })),
    indexes: items.map((r) => r.index),
    leftOut: leftOut.map((l) => ({ ...l, file: show(l.file) })),
  };
}
