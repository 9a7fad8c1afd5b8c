import * as vscode from 'vscode';
import { registerConvertCommands } from './commands/convertCommands';
import { registerDiffCommands } from './commands/diffCommands';
import { registerExportSummaryCommand } from './commands/exportSummaryCommand';
import { registerBindCommands } from './commands/bindCommands';
import { registerModelCommands } from './commands/modelCommands';
import { registerParameterCommands } from './commands/parameterCommands';
import { registerReportCommands } from './commands/reportCommands';
import { registerRevealCommands } from './commands/revealCommands';
import { registerSeriesCommands } from './commands/seriesCommands';
import { WorkerPool } from './runtime/workerPool';
import { redirectSniffedModelFiles } from './views/binFileRedirect';
import { localizeCore } from './views/coreL10n';
import { DiffPanels } from './views/diffPanel';
import { InitReportPanels } from './views/initReportPanel';
import { OverviewPanels } from './views/overviewPanel';
import { ModelRegistry } from './views/modelRegistry';
import { ModelStatusBar } from './views/modelStatusBar';
import { ModelSummaryEditor } from './views/modelSummaryEditor';
import { ModelTreeProvider } from './views/modelTreeProvider';
import { ParameterHoverProvider } from './views/parameterHover';
import { ParameterPanels } from './views/parameterPanel';
import { SeriesPanels } from './views/seriesPanel';
import { TensorFingerprints } from './views/tensorFingerprints';
import { TensorService } from './views/tensorService';
import { TiesPanels } from './views/tiesPanel';
import type { TreeNode } from './views/treeNodes';
import { VariableBindings } from './views/variableBindings';

export const MODELS_VIEW_ID = 'paramscope.models';

/** What `activate` returns: used by the integration tests to look inside. */
export interface ParamScopeApi {
  registry: ModelRegistry;
  tree: ModelTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  panels: ParameterPanels;
  initReports: InitReportPanels;
  overviews: OverviewPanels;
  ties: TiesPanels;
  /** Which model file a Python variable holds, per document (for hovers). */
  bindings: VariableBindings;
  diffs: DiffPanels;
  statusBar: ModelStatusBar;
  /** Training run pages, by folder. */
  series: SeriesPanels;
}

/** Composition root: construct, register, and hand every disposable to the context. */
export function activate(context: vscode.ExtensionContext): ParamScopeApi {
  const activated = Date.now();
  localizeCore(vscode.l10n.bundle);
  const log = vscode.window.createOutputChannel('ParamScope', { log: true });
  const pool = new WorkerPool(vscode.Uri.joinPath(context.extensionUri, 'dist', 'tensorWorker.js').fsPath, undefined, vscode.l10n.bundle);
  const registry = new ModelRegistry(pool, log);
  const tensors = new TensorService(pool, async (file) => (await registry.load(vscode.Uri.file(file))).index);
  const panels = new ParameterPanels(context.extensionUri, registry, tensors, log);
  const initReports = new InitReportPanels(context.extensionUri, registry, tensors, log);
  const overviews = new OverviewPanels(context.extensionUri, registry, tensors, log);
  const ties = new TiesPanels(context.extensionUri, registry, pool, log);
  const diffs = new DiffPanels(context.extensionUri, registry, pool, log);
  const series = new SeriesPanels(context.extensionUri, registry, pool, log);
  const tree = new ModelTreeProvider(registry);
  const bindings = new VariableBindings(context.workspaceState);
  const treeView = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  const statusBar = new ModelStatusBar(registry, treeView, bindings);

  context.subscriptions.push(
    log,
    { dispose: () => void pool.dispose() },
    registry,
    panels,
    initReports,
    overviews,
    ties,
    tree,
    treeView,
    ModelSummaryEditor.register(context, registry, panels),
    panels.registerSerializer(),
    initReports.registerSerializer(),
    overviews.registerSerializer(),
    ties.registerSerializer(),
    redirectSniffedModelFiles(),
    ...registerModelCommands(tree),
    ...registerParameterCommands(registry, panels),
    ...registerReportCommands({ registry, tree, treeView, initReports, overviews, ties }),
    bindings,
    ParameterHoverProvider.register({ registry, tensors, fingerprints: new TensorFingerprints(pool), bindings }),
    ...registerBindCommands(registry, bindings),
    ...registerRevealCommands(registry, tree, treeView),
    diffs,
    diffs.registerSerializer(),
    ...registerDiffCommands(registry, diffs),
    statusBar,
    registerExportSummaryCommand(registry, tensors),
    ...registerConvertCommands(registry, tensors),
    series,
    series.registerSerializer(),
    ...registerSeriesCommands(registry, series),
  );
  log.info('ParamScope activated');
  log.info(`timing: activate ${Date.now() - activated} ms`);
  return { registry, tree, treeView, panels, initReports, overviews, ties, bindings, diffs, statusBar, series };
}

export function deactivate(): void {}
