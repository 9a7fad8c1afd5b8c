// Loads the page's translations into @vscode/l10n. Import this module for its side effect, first,
// in every webview module that calls `l10n.t` (`import './l10n'` then
// `import * as l10n from '@vscode/l10n'`): ES modules run a dependency before its importer, so the
// bundle is in place before any string is looked up. Call `l10n.t` by that name: the string
// extractor (`npm run l10n`) only recognises calls on an `@vscode/l10n` or `vscode` import.
import * as l10n from '@vscode/l10n';

/** Id of the JSON script element the host writes the bundle into (see src/views/webviewHtml.ts). */
export const L10N_ELEMENT_ID = 'paramscope-l10n';

// The host puts `vscode.l10n.bundle` (the translations of the display language, or nothing for
// English) into the page as inert JSON.
const data = document.getElementById(L10N_ELEMENT_ID)?.textContent;
if (data && data !== '{}') {
  try {
    l10n.config({ contents: JSON.parse(data) as Record<string, string> });
  } catch {
    // A broken bundle leaves the English strings, which is better than no page.
  }
}
