import * as vscode from 'vscode';
import type { SummaryNotifications, SummaryRequests } from '../protocol/messages';
import { CommandIds } from '../commands/commandIds';
import { Rpc } from '../protocol/rpc';
import type { ModelRegistry } from './modelRegistry';
import { summarize } from './modelSummary';
import { shortReason } from './modelTreeProvider';
import type { ParameterPanels } from './parameterPanel';
import { webviewEndpoint, webviewHtml, webviewOptions } from './webviewHtml';

export const SUMMARY_EDITOR_VIEW_TYPE = 'paramscope.modelSummary';

/**
 * Read-only editor for model files: a summary page (format, totals by dtype, the module tree like
 * `print(model)`, warnings) instead of VS Code's binary-file notice.
 */
export class ModelSummaryEditor implements vscode.CustomReadonlyEditorProvider {
  static register(context: vscode.ExtensionContext, registry: ModelRegistry, panels: ParameterPanels): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(SUMMARY_EDITOR_VIEW_TYPE, new ModelSummaryEditor(context.extensionUri, registry, panels), {
      supportsMultipleEditorsPerDocument: true,
    });
  }

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly registry: ModelRegistry,
    private readonly panels: ParameterPanels,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, { script: 'dist/webview/modelSummary.js', title: document.uri.path.split('/').pop() ?? 'model' });
    const rpc = new Rpc<SummaryRequests, SummaryNotifications>(webviewEndpoint(panel.webview));
    const send = async (): Promise<void> => {
      const entry = await this.registry.load(document.uri);
      if (entry.index) rpc.notify('summary', summarize(entry.index));
      else rpc.notify('failed', { message: shortReason(entry.error ?? vscode.l10n.t('cannot read this file')), fileName: document.uri.path.split('/').pop() ?? '' });
    };
    rpc.onNotify('ready', () => void send());
    rpc.onNotify('openParameter', ({ name }) => {
      this.panels.show(document.uri, name).catch((e: Error) => void vscode.window.showErrorMessage(`ParamScope: ${e.message}`));
    });
    rpc.onNotify('showOverview', () => void vscode.commands.executeCommand(CommandIds.showOverview, document.uri));
    const sub = this.registry.onDidChange((uri) => {
      if (!uri || uri.toString() === document.uri.toString()) void send();
    });
    panel.onDidDispose(() => {
      sub.dispose();
      rpc.dispose();
    });
  }
}
