import type { RpcEndpoint } from '../src/protocol/rpc';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState<T>(): T | undefined;
  setState<T>(state: T): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** The webview's handle on the host; `acquireVsCodeApi` may be called only once per page. */
export const vscode = acquireVsCodeApi();

export const hostEndpoint: RpcEndpoint = {
  post: (m) => vscode.postMessage(m),
  listen: (h) => {
    const f = (e: MessageEvent): void => h(e.data);
    window.addEventListener('message', f);
    return () => window.removeEventListener('message', f);
  },
};

/** Creates an element with text content only (names in model files can be hostile: never HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; text?: string; title?: string; attrs?: Record<string, string> } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.text !== undefined) e.textContent = props.text;
  if (props.title) e.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

export const fmtCount = (n: number): string => n.toLocaleString('en-US');

/** Numbers for people: 6 significant digits, exponent form for very small or large values. */
export function fmtNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}
