import * as vscode from 'vscode';
import { activeModel } from '../views/activePanelModel';
import type { ModelRegistry } from '../views/modelRegistry';
import type { ParameterPanels } from '../views/parameterPanel';
import { findModule, findTensor, formatCount, shapeText, type TreeNode } from '../views/treeNodes';
import { fuzzyScoreAll } from '../model/fuzzyMatch';
import { CommandIds } from './commandIds';

/** A parameter reference from the tree, a test, or another command. */
export type ParameterArg = TreeNode | { uri: string | vscode.Uri; name: string };

function parseArg(arg: ParameterArg): { uri: vscode.Uri; name: string } | undefined {
  if ('kind' in arg) return arg.kind === 'param' ? { uri: vscode.Uri.parse(arg.uri), name: arg.name } : undefined;
  return { uri: typeof arg.uri === 'string' ? vscode.Uri.parse(arg.uri) : arg.uri, name: arg.name };
}

/**
 * Rows the pick shows: enough to scroll through, few enough that the workbench lays them out at
 * once. A 100,000-tensor model is filtered here on every keystroke and only the best rows are
 * handed to the QuickPick (it would otherwise render and filter all of them itself).
 */
const MAX_FUZZY_RESULTS = 200;

type ParameterItem = vscode.QuickPickItem & { uri: vscode.Uri; name: string; texts: string[] };

/**
 * The items a query shows: the first ones for none, else the fuzzy matches, best first
 * (model/fuzzyMatch.ts). Typing on narrows: a query that extends the last one (`l3e` after `l3`)
 * scores only the last one's matches, as long as no items were added in between.
 */
class ParameterFilter {
  private lastQuery = '';
  private lastHits: ParameterItem[] | undefined;
  private lastSize = -1;

  items(all: readonly ParameterItem[], query: string): ParameterItem[] {
    if (!query.trim()) {
      this.lastHits = undefined;
      return all.slice(0, MAX_FUZZY_RESULTS).map((i) => ({ ...i, alwaysShow: true }));
    }
    const narrowing = this.lastHits && all.length === this.lastSize && query.startsWith(this.lastQuery) && this.lastQuery.trim() !== '' && !/\s$/.test(this.lastQuery);
    const candidates = narrowing ? this.lastHits! : all;
    const scored: Array<[ParameterItem, number]> = [];
    for (const item of candidates) {
      const s = fuzzyScoreAll(query, item.texts);
      if (s !== null) scored.push([item, s]);
    }
    this.lastQuery = query;
    this.lastSize = all.length;
    this.lastHits = scored.map(([i]) => i);
    scored.sort((a, b) => b[1] - a[1]);
    // alwaysShow: VS Code's own filter takes only prefixes and contiguous substrings; ours decides.
    return scored.slice(0, MAX_FUZZY_RESULTS).map(([i]) => ({ ...i, alwaysShow: true }));
  }
}

/**
 * Lets a person pick a parameter across all models (Find Parameter, and the parameter commands run
 * from the palette). The pick opens at once and fills in as models are read, so a big workspace
 * does not keep it blank; the query matches access paths, state_dict names and file names fuzzily
 * (`b1bias` finds `rgnet[0][1][0].bias`), best matches first.
 */
async function pickParameter(registry: ModelRegistry, title: string, query = ''): Promise<{ uri: vscode.Uri; name: string } | undefined> {
  const qp = vscode.window.createQuickPick<ParameterItem>();
  qp.title = title;
  qp.placeholder = vscode.l10n.t('parameter name or access path (e.g. net[2].bias)');
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.busy = true;
  const all: ParameterItem[] = [];
  const active = activeModel.uri?.toString();
  const filter = new ParameterFilter();
  const render = (): void => {
    qp.items = filter.items(all, qp.value);
  };
  qp.onDidChangeValue(render);
  qp.value = query;
  qp.show();
  const loading = (async () => {
    const entries = await registry.list();
    await Promise.all(
      entries.map(async (e) => {
        const loaded = await registry.load(e.uri);
        const file = vscode.workspace.asRelativePath(e.uri);
        for (const t of loaded.index?.tensors ?? []) {
          const label = t.path || t.name;
          all.push({ label, description: `${shapeText(t)} · ${formatCount(t.count)}`, detail: `${t.name} — ${file}`, uri: e.uri, name: t.name, texts: [label, t.name, file] });
        }
        // Keep the order stable whichever file finished first: the active model's parameters
        // first (the status bar's model), then by file, then as stored.
        all.sort((a, b) => Number(b.uri.toString() === active) - Number(a.uri.toString() === active) || a.uri.path.localeCompare(b.uri.path));
        render();
      }),
    );
    qp.busy = false;
    if (all.length === 0) qp.placeholder = vscode.l10n.t('No model files with parameters were found in this workspace.');
  })();
  loading.catch(() => (qp.busy = false));
  const picked = await new Promise<ParameterItem | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
  });
  qp.dispose();
  return picked && { uri: picked.uri, name: picked.name };
}

export function registerParameterCommands(registry: ModelRegistry, panels: ParameterPanels): vscode.Disposable[] {
  const resolve = async (arg?: ParameterArg, title = vscode.l10n.t('ParamScope: Show Parameter')): Promise<{ uri: vscode.Uri; name: string } | undefined> => (arg ? parseArg(arg) : pickParameter(registry, title));

  const copy = async (arg: ParameterArg | undefined, what: 'path' | 'key'): Promise<void> => {
    if (arg && 'kind' in arg && arg.kind === 'module') {
      const index = registry.get(vscode.Uri.parse(arg.uri))?.index;
      const m = index && findModule(index, arg.qualifiedName);
      if (m) await vscode.env.clipboard.writeText(what === 'path' ? m.path : m.qualifiedName);
      return;
    }
    const target = await resolve(arg);
    if (!target) return;
    const index = (await registry.load(target.uri)).index;
    const t = index && findTensor(index, target.name);
    if (!t) return;
    await vscode.env.clipboard.writeText(what === 'path' ? t.path || t.name : t.name);
    vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', what === 'path' ? t.path || t.name : t.name), 3000);
  };

  const show = async (arg: ParameterArg | undefined, title?: string, query?: string): Promise<void> => {
    const clickedAt = Date.now();
    const target = query !== undefined ? await pickParameter(registry, title!, query) : await resolve(arg, title);
    if (!target) return;
    try {
      // A tree row's click (its command) may be half of a double click, which pins the panel.
      await panels.show(target.uri, target.name, { click: arg !== undefined && 'kind' in arg, clickedAt });
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('ParamScope: {0}', (e as Error).message));
    }
  };

  return [
    vscode.commands.registerCommand(CommandIds.showParameter, (arg?: ParameterArg) => show(arg)),
    // `{ query }` opens the pick with a search already typed (links, tests).
    vscode.commands.registerCommand(CommandIds.findParameter, (arg?: { query?: string }) => show(undefined, vscode.l10n.t('ParamScope: Find Parameter'), typeof arg?.query === 'string' ? arg.query : '')),
    vscode.commands.registerCommand(CommandIds.copyAccessPath, (arg?: ParameterArg) => copy(arg, 'path')),
    vscode.commands.registerCommand(CommandIds.copyStateDictKey, (arg?: ParameterArg) => copy(arg, 'key')),
  ];
}
