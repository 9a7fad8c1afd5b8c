import * as vscode from 'vscode';

/** Workspace-state key of the bindings: { [document URI]: { [variable]: model URI } }. */
const STATE_KEY = 'paramscope.variableBindings';
/** Documents remembered; the least recently bound are forgotten first (workspace state is not a database). */
const MAX_DOCUMENTS = 500;
/** Variables per document: a file binds a handful of model variables. */
const MAX_VARIABLES_PER_DOCUMENT = 100;

type Stored = Record<string, Record<string, string>>;

/** The open notebook a cell document belongs to, if any. */
export function notebookOfCell(cellUri: vscode.Uri): vscode.NotebookDocument | undefined {
  const cell = cellUri.toString();
  return vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document.uri.toString() === cell));
}

/**
 * The document a binding belongs to: a notebook cell binds for its whole notebook (cells share one
 * Python kernel, so `net` means the same object in all of them).
 */
export function bindingScope(uri: vscode.Uri): vscode.Uri {
  if (uri.scheme !== 'vscode-notebook-cell') return uri;
  const notebook = notebookOfCell(uri);
  // Closed notebook: cell URIs are the notebook's URI with another scheme and a fragment.
  return notebook?.uri ?? uri.with({ scheme: 'file', fragment: '' });
}

/**
 * Which model file a variable of a Python file or notebook refers to, set by "Bind Variable to
 * Model…" and remembered in workspace state.
 */
export class VariableBindings implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires with the document (or notebook) whose bindings changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  private all(): Stored {
    return this.state.get<Stored>(STATE_KEY) ?? {};
  }

  /** variable → model URI string, for a document or notebook cell. */
  of(document: vscode.Uri): ReadonlyMap<string, string> {
    return new Map(Object.entries(this.all()[bindingScope(document).toString()] ?? {}));
  }

  get(document: vscode.Uri, variable: string): vscode.Uri | undefined {
    const m = this.of(document).get(variable);
    return m === undefined ? undefined : vscode.Uri.parse(m);
  }

  /** Binds `variable` to `model`, or removes its binding when `model` is undefined. */
  async set(document: vscode.Uri, variable: string, model: vscode.Uri | undefined): Promise<void> {
    const scope = bindingScope(document);
    const key = scope.toString();
    const all = { ...this.all() };
    const vars = { ...(all[key] ?? {}) };
    if (model) vars[variable] = model.toString();
    else delete vars[variable];
    delete all[key];
    const kept = Object.entries(vars).slice(-MAX_VARIABLES_PER_DOCUMENT);
    // Re-inserted last: object key order is the least-recently-bound order used for trimming.
    if (kept.length > 0) all[key] = Object.fromEntries(kept);
    const docs = Object.keys(all);
    for (const old of docs.slice(0, Math.max(0, docs.length - MAX_DOCUMENTS))) delete all[old];
    await this.state.update(STATE_KEY, all);
    this.changed.fire(scope);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
