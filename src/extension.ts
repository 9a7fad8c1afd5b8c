import * as vscode from 'vscode';
import { registerModelCommands } from './commands/modelCommands';
import { registerParameterCommands } from './commands/parameterCommands';
import { WorkerPool } from './runtime/worker/workerPool';
import { redirectPyTorchBinFiles } from './views/binFileRedirect';
import { ModelRegistry } from './views/modelRegistry';
import { ModelSummaryEditor } from './views/modelSummaryEditor';
import { ModelTreeProvider } from './views/modelTreeProvider';
import { ParameterPanels } from './views/parameterPanel';
import { TensorService } from './views/tensorService';

export const MODELS_VIEW_ID = 'paramscope.models';

/** What `activate` returns: used by the integration tests to look inside. */
export interface ParamScopeApi {
  registry: ModelRegistry;
  tree: ModelTreeProvider;
  panels: ParameterPanels;
}

/** Composition root: construct, register, and hand every disposable to the context. */
export function activate(context: vscode.ExtensionContext): ParamScopeApi {
  const log = vscode.window.createOutputChannel('ParamScope', { log: true });
  const pool = new WorkerPool(vscode.Uri.joinPath(context.extensionUri, 'dist', 'tensorWorker.js').fsPath);
  const registry = new ModelRegistry(pool, log);
  const tensors = new TensorService(pool);
  const panels = new ParameterPanels(context.extensionUri, registry, tensors, log);
  const tree = new ModelTreeProvider(registry);
  const treeView = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });

  context.subscriptions.push(
    log,
    { dispose: () => void pool.dispose() },
    registry,
    panels,
    tree,
    treeView,
    ModelSummaryEditor.register(context, registry, panels),
    panels.registerSerializer(),
    redirectPyTorchBinFiles(),
    ...registerModelCommands(tree),
    ...registerParameterCommands(registry, panels),
  );
  log.info('ParamScope activated');
  return { registry, tree, panels };
}

export function deactivate(): void {}
