import * as vscode from 'vscode';
import { CONVERT_DTYPES, type ConvertDtype, type ConvertOptions, type ConvertResult } from '../core/convert';
import { AbortError } from '../core/abort';
import { isBlockDType, type DType } from '../core/dtypes';
import type { ModelIndex } from '../core/modelIndex';
import { ConvertError, planConversion } from '../model/convert/plan';
import type { ModelRegistry } from '../views/modelRegistry';
import { shortReason } from '../views/modelTreeProvider';
import { findModule, formatCount, type TreeNode } from '../views/treeNodes';
import { CommandIds } from './commandIds';
import { pickModel, uriOf, type ModelArg } from './modelPick';

/** The progress notification moves at most this often (a report per chunk would flood it). */
const PROGRESS_INTERVAL_MS = 100;

/** What runs a conversion: `TensorService.convert` (in the worker pool). */
export interface Converter {
  convert(file: string, out: string, options: ConvertOptions, opts: { signal?: AbortSignal; onProgress?: (doneBytes: number, totalBytes: number) => void }): Promise<ConvertResult>;
}

/** What tests (and other commands) may pass instead of answering the picks and the save dialog. */
export interface ConvertArgs {
  uri: string | vscode.Uri;
  /** Where to write; the save dialog is skipped (an existing file is replaced, as after the dialog's question). */
  target: string | vscode.Uri;
  dtype?: ConvertDtype;
  /** A sub-module's access path (`rgnet[0][1]`) or state_dict prefix. */
  module?: string;
  /** The checkpoint entry holding the model, when there are several. */
  key?: string;
  /** Show the "Wrote …" message with its buttons (default true); tests that only read the result pass false. */
  notify?: boolean;
}

/** What the command resolves to: the result, or why nothing was written. */
export type ConvertOutcome = { result: ConvertResult } | { cancelled: true } | { error: string } | undefined;

const toUri = (u: string | vscode.Uri): vscode.Uri => (typeof u === 'string' ? (/^[a-z][a-z0-9+.-]*:/i.test(u) && !/^[a-z]:[\\/]/i.test(u) ? vscode.Uri.parse(u) : vscode.Uri.file(u)) : u);
const isConvertArgs = (a: unknown): a is ConvertArgs => typeof a === 'object' && a !== null && 'target' in a;
const fileName = (u: vscode.Uri): string => u.path.split('/').pop() ?? u.fsPath;

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${formatCount(n)} B`;
}

/** The file name without its model ending: `net.state_dict.pt` → `net.state_dict`, `model.safetensors.index.json` → `model`. */
export function modelStem(name: string): string {
  return name.replace(/\.safetensors\.index\.json$/i, '').replace(/\.[^.]*$/, '') || name;
}

/** A module's name as part of a file name: `0.block 1` → `0.block_1`. */
const safePart = (s: string): string => s.replace(/[^\w.-]+/g, '_').replace(/^[._]+|[._]+$/g, '');

/**
 * The save dialog's suggestion beside the source: `<stem>.safetensors`, with the module
 * (`rgnet.0.block_1.safetensors`) and the cast dtype (`net.float16.safetensors`) when there are,
 * and never the source itself (`net.safetensors` kept as it is suggests `net.converted.safetensors`).
 */
export function defaultTargetName(source: string, options: Pick<ConvertOptions, 'dtype' | 'key'> & { moduleName?: string }): string {
  const parts = [modelStem(source)];
  if (options.key) parts.push(safePart(options.key));
  if (options.moduleName) parts.push(safePart(options.moduleName));
  if (options.dtype) parts.push(options.dtype);
  let name = `${parts.filter(Boolean).join('.')}.safetensors`;
  if (name.toLowerCase() === source.toLowerCase()) name = `${modelStem(source)}.converted.safetensors`;
  return name;
}

/**
 * The keys of a checkpoint dict's model entries, as the engine sees them: each top-level key the
 * engine's plan accepts as `key` (model/convert/plan.ts decides what is a model: optimizer state,
 * loose tensors and entries of scalars beside weights are not). Empty for a state_dict, a pickled
 * module and other formats (one model). Plans only, from the index: nothing is read.
 */
export function checkpointModelEntries(index: ModelIndex): string[] {
  const root = index.modules;
  if (root.type !== null) return [];
  const candidates = new Set<string>();
  for (const c of root.children) if (c.step !== undefined) candidates.add(c.qualifiedName);
  for (const t of index.tensors) {
    const first = t.containerPath?.[0];
    if (first && t.containerPath!.length >= 2) candidates.add(first.kind === 'attr' ? first.name : String(first.key));
  }
  return [...candidates].filter((key) => {
    try {
      planConversion(index, { key });
      return true;
    } catch (e) {
      if (e instanceof ConvertError) return false;
      throw e;
    }
  });
}

type DtypeItem = vscode.QuickPickItem & { dtype: ConvertDtype | undefined };

/** The dtype pick: "Keep dtypes" first (Enter takes it), then the casts; the file's own dtypes in the first row's description. */
async function pickDtype(index: ModelIndex, title: string): Promise<DtypeItem | undefined> {
  const counts = new Map<DType, number>();
  for (const t of index.tensors) if (t.kind !== 'optimizer') counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + 1);
  const mix = [...counts].sort((a, b) => b[1] - a[1]).map(([d]) => d);
  const casts: Record<ConvertDtype, string> = {
    float16: vscode.l10n.t('Half the bytes of float32; largest value ±65504, bigger ones overflow to ±inf'),
    bfloat16: vscode.l10n.t('Half the bytes of float32 with its range; fewer digits than float16'),
    float32: vscode.l10n.t('Full precision; half-precision tensors double in size'),
  };
  const items: DtypeItem[] = [
    {
      label: vscode.l10n.t('Keep dtypes'),
      description: mix.slice(0, 4).join(', ') + (mix.length > 4 ? ', …' : ''),
      // safetensors has no block types: the engine writes quantized tensors as ggml dequantizes them.
      detail: mix.some(isBlockDType) ? vscode.l10n.t('Quantized tensors dequantized to float32, as ggml does; the others bit for bit') : vscode.l10n.t('Every tensor as the file stores it, bit for bit'),
      dtype: undefined,
    },
    ...CONVERT_DTYPES.map((d) => ({ label: vscode.l10n.t('Cast to {0}', d), detail: casts[d], dtype: d })),
  ];
  return vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('dtype of the floating tensors (integer tensors stay as they are)'), ignoreFocusOut: true });
}

/** What a Models view module row stands for: a checkpoint entry (`key`), or a sub-module (`module`); `name` for the file name. */
interface RowTarget {
  key?: string;
  module?: string;
  name: string;
}

/**
 * A module row as the engine's options: a checkpoint's top-level model entry is its `key`; a
 * pickled module is its access path (`rgnet[0][1]`, `ckpt_gan['generator']`); a block derived from
 * state_dict names (whose rows have no access path of their own, such as `checkpoint['model']`'s
 * `0`) is its qualified name, the state_dict prefix.
 */
export function rowTarget(index: ModelIndex, node: TreeNode | undefined): RowTarget | undefined {
  if (!node || node.kind !== 'module') return undefined;
  const m = findModule(index, node.qualifiedName);
  if (!m || !m.qualifiedName) return undefined;
  if (m.step !== undefined && index.modules.children.includes(m) && checkpointModelEntries(index).includes(m.qualifiedName)) return { key: m.qualifiedName, name: m.qualifiedName };
  return { module: m.type !== null && m.path ? m.path : m.qualifiedName, name: m.qualifiedName };
}

/**
 * "Convert to safetensors…": the model (or a Models view module row's sub-module) written as a
 * safetensors file by the worker pool (TensorService.convert), after the picks a conversion needs,
 * under a cancellable notification that counts bytes. The save dialog asks before replacing a
 * file; the input itself is refused. A failed or cancelled conversion leaves no file behind (the
 * engine writes a temporary file and renames it when complete).
 */
export function registerConvertCommands(registry: ModelRegistry, tensors: Converter): vscode.Disposable[] {
  const title = vscode.l10n.t('ParamScope: Convert to safetensors');

  const run = async (arg?: ModelArg | ConvertArgs): Promise<ConvertOutcome> => {
    const given = isConvertArgs(arg) ? arg : undefined;
    const node = arg && !given && typeof arg === 'object' && 'kind' in arg ? (arg as TreeNode) : undefined;
    const uri = given ? toUri(given.uri) : arg ? uriOf(arg as ModelArg) : await pickModel(registry, title);
    if (!uri) return undefined;
    const entry = await registry.load(uri);
    const index = entry.index;
    if (!index) {
      const error = entry.error ?? vscode.l10n.t('cannot read {0}', uri.fsPath);
      void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: {0}', error));
      return { error };
    }

    const row = given ? undefined : rowTarget(index, node);
    const module = given ? given.module : row?.module;
    let key = given ? given.key : row?.key;
    if (!given && !row) {
      const entries = checkpointModelEntries(index);
      if (entries.length > 1) {
        const picked = await vscode.window.showQuickPick(
          entries.map((e) => {
            const m = index.modules.children.find((c) => c.name === e);
            return { label: e, description: m ? vscode.l10n.t('{0} params', formatCount(m.parameterCount)) : undefined, detail: m?.path, key: e };
          }),
          { title, placeHolder: vscode.l10n.t('the checkpoint holds several models: which one to write'), ignoreFocusOut: true },
        );
        if (!picked) return undefined;
        key = picked.key;
      }
    }

    let dtype = given?.dtype;
    if (!given) {
      const picked = await pickDtype(index, title);
      if (!picked) return undefined;
      dtype = picked.dtype;
    }

    let target: vscode.Uri | undefined;
    if (given) target = toUri(given.target);
    else {
      const suggestion = defaultTargetName(fileName(uri), { dtype, ...(row ? { moduleName: row.name } : { key }) });
      target = await vscode.window.showSaveDialog({
        title,
        defaultUri: vscode.Uri.joinPath(uri, '..', suggestion),
        filters: { safetensors: ['safetensors'] },
        saveLabel: vscode.l10n.t('Convert'),
      });
    }
    if (!target) return undefined;
    if (target.scheme !== 'file') {
      const error = vscode.l10n.t('can only write to a local file, not {0}', target.toString());
      void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: {0}', error));
      return { error };
    }
    if (samePath(target, uri)) {
      const error = vscode.l10n.t('{0} is the file being converted; choose another name for the safetensors file.', fileName(uri));
      void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: {0}', error));
      return { error };
    }

    const options: ConvertOptions = { force: true };
    if (dtype) options.dtype = dtype;
    if (module) options.module = module;
    if (key) options.key = key;
    const outcome = await convertWithProgress(tensors, uri, target, options);
    if ('error' in outcome) void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: cannot convert {0}: {1}', fileName(uri), outcome.error));
    else if ('cancelled' in outcome) void vscode.window.showInformationMessage(vscode.l10n.t('ParamScope: conversion cancelled; nothing was written.'));
    else {
      // The watcher lists a new file too, a moment later; "Open" reveals its row at once.
      if (vscode.workspace.getWorkspaceFolder(target)) registry.refresh();
      if (given?.notify !== false) void announce(registry, outcome.result, target, index.warnings);
    }
    return outcome;
  };

  return [vscode.commands.registerCommand(CommandIds.convertToSafetensors, run)];
}

function samePath(a: vscode.Uri, b: vscode.Uri): boolean {
  const norm = (u: vscode.Uri): string => (process.platform === 'win32' || process.platform === 'darwin' ? u.fsPath.toLowerCase() : u.fsPath);
  return norm(a) === norm(b);
}

async function convertWithProgress(tensors: Converter, uri: vscode.Uri, target: vscode.Uri, options: ConvertOptions): Promise<{ result: ConvertResult } | { cancelled: true } | { error: string }> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ParamScope: converting {0} to {1}', fileName(uri), fileName(target)), cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      let reported = 0;
      let last = 0;
      try {
        const result = await tensors.convert(uri.fsPath, target.fsPath, options, {
          signal: abort.signal,
          onProgress: (done, total) => {
            const now = Date.now();
            if (now - last < PROGRESS_INTERVAL_MS && done < total) return;
            last = now;
            const percent = total > 0 ? Math.min(100, (100 * done) / total) : 100;
            progress.report({ increment: percent - reported, message: vscode.l10n.t('{0} of {1} written', formatBytes(done), formatBytes(total)) });
            reported = percent;
          },
        });
        return { result };
      } catch (e) {
        // TensorService.convert settles a cancelled conversion once the worker removed its temporary file.
        if (abort.signal.aborted || e instanceof AbortError) return { cancelled: true as const };
        return { error: oneLine(e) };
      } finally {
        sub.dispose();
      }
    },
  );
}

/** An error as one line for a notification: its message without the path prefix or a stack. */
function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return shortReason(message.split('\n')[0]!.trim()) || message;
}

/**
 * "Wrote …" with Open and Reveal in Explorer. A source with warnings (a file cut short, a refused
 * pickle global) gives a warning instead, naming the first: the output holds only what was read.
 */
async function announce(registry: ModelRegistry, result: ConvertResult, target: vscode.Uri, warnings: readonly string[]): Promise<void> {
  const name = fileName(target);
  const parts = [result.tensors === 1 ? vscode.l10n.t('1 tensor') : vscode.l10n.t('{0} tensors', formatCount(result.tensors)), formatBytes(result.bytes)];
  if (result.aliases > 0) parts.push(result.aliases === 1 ? vscode.l10n.t('1 tied name kept in its metadata') : vscode.l10n.t('{0} tied names kept in its metadata', result.aliases));
  if (result.skipped.length > 0) parts.push(vscode.l10n.t('{0} skipped ({1})', result.skipped.length, result.skipped.slice(0, 3).map((s) => s.name).join(', ') + (result.skipped.length > 3 ? ', …' : '')));
  if (result.files.length > 1) parts.push(vscode.l10n.t('{0} files', result.files.length));
  const open = vscode.l10n.t('Open');
  const reveal = vscode.l10n.t('Reveal in Explorer');
  const wrote = vscode.l10n.t('ParamScope: wrote {0}: {1} (from {2})', name, parts.join(', '), result.source);
  const answer =
    warnings.length === 0
      ? await vscode.window.showInformationMessage(wrote, open, reveal)
      : await vscode.window.showWarningMessage(
          `${wrote} — ${vscode.l10n.t('the source has {0}: {1}', warnings.length === 1 ? vscode.l10n.t('1 warning') : vscode.l10n.t('{0} warnings', warnings.length), shortReason(warnings[0]!))}`,
          open,
          reveal,
        );
  if (answer === open) {
    await vscode.commands.executeCommand(CommandIds.openModel, target);
    // The Models view lists the workspace's files only; one written elsewhere just opens.
    await registry.list();
    if (registry.get(target)) await vscode.commands.executeCommand(CommandIds.revealParameter, { uri: target });
  } else if (answer === reveal) {
    await vscode.commands.executeCommand('revealInExplorer', target);
  }
}
