import * as vscode from 'vscode';
import { pytorchLegacyReader } from '../formats/pytorch/pytorchLegacyReader';
import { pytorchZipReader } from '../formats/pytorch/pytorchZipReader';
import { FileByteSource } from '../runtime/byteSource';
import { SUMMARY_EDITOR_VIEW_TYPE } from './modelSummaryEditor';

/**
 * `.bin` is a generic extension, so our editor cannot claim it by name. When a `.bin` opens in the
 * default editor and its leading bytes say PyTorch, reopen it in the model summary instead.
 */
export function redirectPyTorchBinFiles(): vscode.Disposable {
  return vscode.window.tabGroups.onDidChangeTabs(async (e) => {
    for (const tab of e.opened) {
      const input = tab.input;
      if (!(input instanceof vscode.TabInputText) || !input.uri.path.toLowerCase().endsWith('.bin') || input.uri.scheme !== 'file') continue;
      if (!(await sniffsAsPyTorch(input.uri.fsPath))) continue;
      await vscode.window.tabGroups.close(tab);
      await vscode.commands.executeCommand('vscode.openWith', input.uri, SUMMARY_EDITOR_VIEW_TYPE);
    }
  });
}

async function sniffsAsPyTorch(path: string): Promise<boolean> {
  let src: FileByteSource | undefined;
  try {
    src = await FileByteSource.open(path);
    return (await pytorchZipReader.match(src)) || (await pytorchLegacyReader.match(src));
  } catch {
    return false;
  } finally {
    await src?.close();
  }
}
