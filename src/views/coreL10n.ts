import * as l10n from '@vscode/l10n';

/**
 * Gives the core (formats, model, runtime: no `vscode` there) the display language's translations
 * on the extension host's main thread, where the pool merges split statistics and the ties and
 * diff pages call model code. Workers get the same bundle through `WorkerPool`. No bundle: English.
 */
export function localizeCore(bundle: Record<string, string> | undefined): void {
  if (bundle) l10n.config({ contents: bundle });
}
