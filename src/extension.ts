import * as vscode from 'vscode';
import { registerModelCommands } from './commands/modelCommands';
import { registerParameterCommands } from './commands/parameterCommands';
import { registerReportCommands } from './commands/reportCommands';
import { WorkerPool } from './runtime/worker/workerPool';
import { redirectPyTorchBinFiles } from './views/binFileRedirect';
import { InitReportPanels } from './views/initReportPanel';
import { ModelRegistry } from './views/modelRegistry';
import { ModelSummaryEditor } from './views/modelSummaryEditor';
import { ModelTreeProvider } from './views/modelTreeProvider';
import { ParameterPanels } from './views/parameterPanel';
import { TensorService } from './views/tensorService';
import { TiesPanels } from './views/tiesPanel';
import type { TreeNode } from './views/treeNodes';

export const MODELS_VIEW_ID = 'paramscope.models';

/** What `activate` returns: used by the integration tests to look inside. */
export interface ParamScopeApi {
  registry: ModelRegistry;
  tree: ModelTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  panels: ParameterPanels;
  initReports: InitReportPanels;
  ties: TiesPanels;
}

/** Composition root: construct, register, and hand every disposable to the context. */
export function activate(context: vscode.ExtensionContext): ParamScopeApi {
  const log = vscode.window.createOutputChannel('ParamScope', { log: true });
  const pool = new WorkerPool(vscode.Uri.joinPath(context.extensionUri, 'dist', 'tensorWorker.js').fsPath);
  const registry = new ModelRegistry(pool, log);
  const tensors = new TensorService(pool);
  const panels = new ParameterPanels(context.extensionUri, registry, tensors, log);
  const initReports = new InitReportPanels(context.extensionUri, registry, tensors, log);
  const ties = new TiesPanels(context.extensionUri, registry, pool, log);
  const tree = new ModelTreeProvider(registry);
  const treeView = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });

  context.subscriptions.push(
    log,
    { dispose: () => void pool.dispose() },
    registry,
    panels,
    initReports,
    ties,
    tree,
    treeView,
    ModelSummaryEditor.register(context, registry, panels),
    panels.registerSerializer(),
    initReports.registerSerializer(),
    ties.registerSerializer(),
    redirectPyTorchBinFiles(),
    ...registerModelCommands(tree),
    ...registerParameterCommands(registry, panels),
    ...registerReportCommands({ registry, tree, treeView, initReports, ties }),
  );
  log.info('ParamScope activated');
  return { registry, tree, treeView, panels, initReports, ties };
}

export function deactivate(): void {}
