import * as vscode from 'vscode';
import type { ModelIndex } from '../core/modelIndex';
import { FOLDER_MODEL_FILES, sameModelGroup } from '../model/series/run';
import type { ModelRegistry } from './modelRegistry';

/** A Hugging Face Trainer checkpoint folder: its model counts for the folder above it. */
export const TRAINER_CHECKPOINT = /^checkpoint-\d+$/;

const parentOf = (uri: vscode.Uri): vscode.Uri => vscode.Uri.joinPath(uri, '..');
const baseName = (uri: vscode.Uri): string => uri.path.split('/').filter(Boolean).pop() ?? '';

/**
 * A folder that may be a training run: it holds two or more checkpoints (`count`), each read
 * through one model file (`models`: the file, or for a `checkpoint-N/` folder the model file the
 * run would read in it).
 */
export interface RunFolder {
  uri: vscode.Uri;
  count: number;
  models: vscode.Uri[];
}

/** The model file of a `checkpoint-N/` folder among its listed `files`: the run's preference, else the first. */
function trainerModel(files: readonly vscode.Uri[]): vscode.Uri {
  for (const name of FOLDER_MODEL_FILES) {
    const f = files.find((u) => baseName(u) === name);
    if (f) return f;
  }
  return files[0]!;
}

/**
 * The folders among `files` (model files' URIs) that hold two or more checkpoints (model files,
 * or Trainer's `checkpoint-N/` folders), with their count. Cheap: names only, no file is read;
 * `confirmRun` and the run itself decide which checkpoints belong (docs/series.md).
 */
export function runFoldersOf(files: readonly vscode.Uri[]): RunFolder[] {
  const counts = new Map<string, { uri: vscode.Uri; members: Map<string, vscode.Uri[]> }>();
  const add = (folder: vscode.Uri, member: string, file: vscode.Uri): void => {
    const k = folder.toString();
    let c = counts.get(k);
    if (!c) counts.set(k, (c = { uri: folder, members: new Map() }));
    const m = c.members.get(member);
    if (m) m.push(file);
    else c.members.set(member, [file]);
  };
  for (const uri of files) {
    const dir = parentOf(uri);
    if (TRAINER_CHECKPOINT.test(baseName(dir))) add(parentOf(dir), dir.toString(), uri);
    else add(dir, uri.toString(), uri);
  }
  return [...counts.values()].filter((c) => c.members.size >= 2).map((c) => ({ uri: c.uri, count: c.members.size, models: [...c.members.values()].map(trainerModel) }));
}

/**
 * How many of a run folder's checkpoints are of one model, from their indexes (`load`: the
 * registry's cache; an unreadable one is undefined): the run's own rule (`sameModelGroup`), so a
 * folder of unrelated or broken models is no run. 0 when fewer than two are.
 */
export async function confirmRun(folder: RunFolder, load: (uri: vscode.Uri) => Promise<ModelIndex | undefined>): Promise<number> {
  const indexes = (await Promise.all(folder.models.map(load))).filter((i): i is ModelIndex => i !== undefined);
  if (indexes.length < 2) return 0;
  const group = sameModelGroup(indexes);
  return group ? group.members.length + 1 : 0;
}

/**
 * The workspace's run folders, from the registry's listing, each with its checkpoints of one model
 * counted by `confirmRun` over the registry's cached indexes (a folder of unrelated models left out).
 */
export async function runFolders(registry: ModelRegistry): Promise<RunFolder[]> {
  const found = runFoldersOf((await registry.list()).map((e) => e.uri));
  const counts = await Promise.all(found.map((f) => confirmRun(f, async (u) => (await registry.load(u)).index)));
  return found.flatMap((f, i) => (counts[i]! >= 2 ? [{ ...f, count: counts[i]! }] : []));
}
