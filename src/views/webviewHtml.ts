import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** Same id as webview/l10n.ts reads (the webview cannot import host code). */
const L10N_ELEMENT_ID = 'paramscope-l10n';

/**
 * Page shell for our webviews: strict CSP (`default-src 'none'`), our script only with a fresh
 * nonce, styles and the script from our own folders. All content is inserted by the script as text.
 * `styles`: a page's extra stylesheets (relative to the extension, e.g. `dist/webview/uPlot.min.css`),
 * linked after the shared one; the CSP stays as it is (files from our folders only).
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: { script: string; title: string; styles?: readonly string[] }): string {
  const nonce = randomBytes(16).toString('base64');
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, opts.script));
  const styleUris = ['media/webview.css', ...(opts.styles ?? [])].map((s) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, s)));
  const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styleUris.map((u) => `<link rel="stylesheet" href="${escapeHtml(u.toString())}">`).join('\n')}
<title>${escapeHtml(opts.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script type="application/json" id="${L10N_ELEMENT_ID}">${jsonForScript(vscode.l10n.bundle ?? {})}</script>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}

/**
 * JSON that is safe inside a `<script type="application/json">` element: `<` escaped so no
 * `</script>` or comment opener can close it (translations are ours, but stay careful).
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Webview options limited to our own folders. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')] };
}

/** An RpcEndpoint over a webview. */
export function webviewEndpoint(webview: vscode.Webview): { post(m: unknown): void; listen(h: (m: unknown) => void): () => void } {
  return {
    post: (m) => void webview.postMessage(m),
    listen: (h) => {
      const d = webview.onDidReceiveMessage(h);
      return () => d.dispose();
    },
  };
}
