import * as vscode from 'vscode';
import type { ModelRegistry } from './modelRegistry';

/** A Hugging Face Trainer checkpoint folder: its model counts for the folder above it. */
export const TRAINER_CHECKPOINT = /^checkpoint-\d+$/;

const parentOf = (uri: vscode.Uri): vscode.Uri => vscode.Uri.joinPath(uri, '..');
const baseName = (uri: vscode.Uri): string => uri.path.split('/').filter(Boolean).pop() ?? '';

/** A folder that may be a training run: it holds two or more checkpoints (`count`). */
export interface RunFolder {
  uri: vscode.Uri;
  count: number;
}

/**
 * The folders among `files` (model files' URIs) that hold two or more checkpoints (model files,
 * or Trainer's `checkpoint-N/` folders), with their count. Cheap: names only, no file is read;
 * the run itself decides which checkpoints belong (docs/series.md).
 */
export function runFoldersOf(files: readonly vscode.Uri[]): RunFolder[] {
  const counts = new Map<string, { uri: vscode.Uri; members: Set<string> }>();
  const add = (folder: vscode.Uri, member: string): void => {
    const k = folder.toString();
    let c = counts.get(k);
    if (!c) counts.set(k, (c = { uri: folder, members: new Set() }));
    c.members.add(member);
  };
  for (const uri of files) {
    const dir = parentOf(uri);
    if (TRAINER_CHECKPOINT.test(baseName(dir))) add(parentOf(dir), dir.toString());
    else add(dir, uri.toString());
  }
  return [...counts.values()].filter((c) => c.members.size >= 2).map((c) => ({ uri: c.uri, count: c.members.size }));
}

/** The workspace's run folders, from the registry's listing. */
export async function runFolders(registry: ModelRegistry): Promise<RunFolder[]> {
  return runFoldersOf((await registry.list()).map((e) => e.uri));
}
