import * as vscode from 'vscode';
import { modelFileKind, sniffsAsModel } from '../formats/registry';
import { FileByteSource } from '../runtime/byteSource';
import { SUMMARY_EDITOR_VIEW_TYPE } from './modelSummaryEditor';

/**
 * `.bin`, `.pkl` and `.tar` are generic endings, so our editor cannot claim them by name. When such
 * a file opens in the default editor and a reader claiming its ending recognises its leading bytes,
 * reopen it in the model summary instead.
 */
export function redirectSniffedModelFiles(): vscode.Disposable {
  return vscode.window.tabGroups.onDidChangeTabs(async (e) => {
    for (const tab of e.opened) {
      const input = tab.input;
      if (!(input instanceof vscode.TabInputText) || modelFileKind(input.uri.path) !== 'sniff' || input.uri.scheme !== 'file') continue;
      if (!(await sniffs(input.uri.fsPath))) continue;
      await vscode.window.tabGroups.close(tab);
      await vscode.commands.executeCommand('vscode.openWith', input.uri, SUMMARY_EDITOR_VIEW_TYPE);
    }
  });
}

async function sniffs(path: string): Promise<boolean> {
  let src: FileByteSource | undefined;
  try {
    src = await FileByteSource.open(path);
    return await sniffsAsModel(path, src);
  } catch {
    return false;
  } finally {
    await src?.close();
  }
}
