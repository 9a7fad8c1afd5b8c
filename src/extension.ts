import * as vscode from 'vscode';
import { CommandIds } from './commands/commandIds';

/** Composition root: construct, register, and hand every disposable to the context. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('ParamScope', { log: true });
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand(CommandIds.refreshModels, () => {
      output.info('refresh requested');
    }),
  );
  output.info('ParamScope activated');
}

export function deactivate(): void {}
