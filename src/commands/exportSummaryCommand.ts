import * as vscode from 'vscode';
import type { StatsView } from '../protocol/messages';
import { formatSummary, SUMMARY_EXTENSIONS, type SummaryFormat } from '../model/summaryExport';
import type { ModelRegistry } from '../views/modelRegistry';
import type { TensorService } from '../views/tensorService';
import { CommandIds } from './commandIds';
import { pickModel, uriOf, type ModelArg } from './modelPick';

/** The progress notification is updated at most this often (a message per tensor would flood it). */
const PROGRESS_INTERVAL_MS = 100;

/** What tests (and other commands) may pass instead of answering the pickers and the save dialog. */
export interface ExportSummaryArgs {
  uri: string | vscode.Uri;
  format: SummaryFormat;
  statistics: boolean;
  /** Where to write; the save dialog is skipped. */
  target?: string | vscode.Uri;
  /** Open the written file in an editor (default true). */
  open?: boolean;
}

const toUri = (u: string | vscode.Uri): vscode.Uri => (typeof u === 'string' ? vscode.Uri.parse(u) : u);

async function pickFormat(): Promise<{ format: SummaryFormat; statistics: boolean } | undefined> {
  const formats: Array<vscode.QuickPickItem & { format: SummaryFormat }> = [
    { label: 'Markdown', description: '.md', detail: vscode.l10n.t('Module tree and a parameter table, for notes and pull requests'), format: 'markdown' },
    { label: 'CSV', description: '.csv', detail: vscode.l10n.t('One row per tensor, for spreadsheets'), format: 'csv' },
    { label: 'JSON', description: '.json', detail: vscode.l10n.t('Everything `paramscope inspect --json` prints, for scripts'), format: 'json' },
  ];
  const f = await vscode.window.showQuickPick(formats, { title: vscode.l10n.t('ParamScope: Export Summary'), placeHolder: vscode.l10n.t('file format') });
  if (!f) return undefined;
  const content = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('Structure only'), detail: vscode.l10n.t('Names, access paths, dtypes, shapes and counts (like `paramscope inspect`); instant'), statistics: false },
      { label: vscode.l10n.t('With statistics'), detail: vscode.l10n.t('Adds min, max, mean, std, zeros, NaN, Inf and L2 per tensor (like `paramscope stats`); reads every tensor'), statistics: true },
    ],
    { title: vscode.l10n.t('ParamScope: Export Summary'), placeHolder: vscode.l10n.t('what to include') },
  );
  return content && { format: f.format, statistics: content.statistics };
}

/**
 * "Export Summary": a model's summary as Markdown, CSV or JSON (see model/summaryExport.ts), with
 * statistics computed in the worker pool under a cancellable progress notification if asked.
 */
export function registerExportSummaryCommand(registry: ModelRegistry, tensors: TensorService): vscode.Disposable {
  return vscode.commands.registerCommand(CommandIds.exportSummary, async (arg?: ModelArg | ExportSummaryArgs): Promise<vscode.Uri | undefined> => {
    const given = arg && 'format' in arg ? arg : undefined;
    const uri = given ? toUri(given.uri) : arg ? uriOf(arg as ModelArg) : await pickModel(registry, vscode.l10n.t('ParamScope: Export Summary'));
    if (!uri) return undefined;
    const entry = await registry.load(uri);
    const index = entry.index;
    if (!index) {
      void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: {0}', entry.error ?? vscode.l10n.t('cannot read {0}', uri.fsPath)));
      return undefined;
    }
    const choice = given ?? (await pickFormat());
    if (!choice) return undefined;
    const stem = uri.path.split('/').pop()!.replace(/\.[^.]*$/, '');
    const target = given?.target
      ? toUri(given.target)
      : await vscode.window.showSaveDialog({
          title: vscode.l10n.t('ParamScope: Export Summary'),
          defaultUri: vscode.Uri.joinPath(uri, '..', `${stem}.summary.${SUMMARY_EXTENSIONS[choice.format]}`),
          filters: { [choice.format.toUpperCase()]: [SUMMARY_EXTENSIONS[choice.format]] },
        });
    if (!target) return undefined;

    let stats: Map<string, StatsView> | undefined;
    if (choice.statistics) {
      stats = new Map();
      const done = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ParamScope: statistics of {0}', stem), cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          const step = 100 / Math.max(1, index.tensors.length);
          const failed: string[] = [];
          let pending = 0;
          let last = 0;
          // Batched in the pool: a 100,000-tensor model is a hundred worker requests, not 100,000.
          await tensors
            .statsMany(index, index.tensors, {
              signal: abort.signal,
              onEach: (t, r) => {
                if (r instanceof Error) failed.push(t.name); // complex/quantized: exported without statistics
                else stats!.set(t.name, r);
                pending += step;
                const now = Date.now();
                if (now - last >= PROGRESS_INTERVAL_MS) {
                  progress.report({ increment: pending, message: t.path || t.name });
                  [pending, last] = [0, now];
                }
              },
            })
            .catch((e: unknown) => {
              if (!abort.signal.aborted) throw e;
            });
          if (failed.length > 0) void vscode.window.showWarningMessage(vscode.l10n.t('ParamScope: no statistics for {0} tensor(s): {1}', failed.length, failed.slice(0, 5).join(', ')));
          return !abort.signal.aborted;
        },
      );
      if (!done) return undefined;
    }
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(formatSummary(choice.format, index, stats)));
    if (given?.open !== false) await vscode.window.showTextDocument(target, { preview: false });
    vscode.window.setStatusBarMessage(vscode.l10n.t('ParamScope: summary written to {0}', vscode.workspace.asRelativePath(target)), 5000);
    return target;
  });
}
