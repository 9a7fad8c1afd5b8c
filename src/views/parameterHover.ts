import * as vscode from 'vscode';
import { rootNameForFile } from '../core/accessPath';
import { biasFanIn } from '../model/init/detectModelInit';
import type { TensorEntry } from '../core/modelIndex';
import { expressionsAt, type ParameterExpression } from '../model/pythonExpression';
import { decide, findCandidates, moduleType, resolveKey, type Match, type MatchBasis, type ModelRef } from '../model/resolveExpression';
import { isFloatingDType } from '../core/dtypes';
import { codeBindings } from './codeBindings';
import { ambiguousHover, comparingHover, loadingHover, moduleHover, tensorHover, type TensorHoverInfo } from './hoverContent';
import type { ModelEntry, ModelRegistry } from './modelRegistry';
import type { TensorFingerprints } from './tensorFingerprints';
import type { TensorService } from './tensorService';
import { tiedPaths } from './treeNodes';
import type { VariableBindings } from './variableBindings';

/** The most a hover waits for indexes, fingerprints and small tensors' statistics: it must feel instant. */
const HOVER_WAIT_MS = 300;
/**
 * Statistics of tensors up to this many elements are awaited (within HOVER_WAIT_MS: a few ms in
 * the pool); bigger ones are computed in the background and shown by the next hover.
 */
const SMALL_TENSOR_ELEMENTS = 1_000_000;

/** Python in files, untitled editors and notebook cells (`vscode-notebook-cell`) alike. */
const PYTHON: vscode.DocumentSelector = { language: 'python' };

type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };

/** `p`'s outcome if it settles before `deadline` (epoch ms); one already settled always counts. */
async function within<T>(p: Promise<T>, deadline: number): Promise<Settled<T> | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
  const outcome = p.then(
    (value): Settled<T> => ({ ok: true, value }),
    (error: unknown): Settled<T> => ({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }),
  );
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Answer {
  content: vscode.MarkdownString;
  /** One model's answer; otherwise ("matches N models", "reading…") a later interpretation may do better. */
  definite: boolean;
}

/** Models asked about and whether all of them were read in time. */
interface Consulted {
  refs: ModelRef[];
  incomplete: boolean;
  basis: MatchBasis;
}

export interface ParameterHoverDeps {
  registry: ModelRegistry;
  tensors: TensorService;
  fingerprints: TensorFingerprints;
  bindings: VariableBindings;
}

const tensorOf = (m: Match): TensorEntry => (m.target as Extract<Match['target'], { kind: 'tensor' }>).tensor;

/**
 * Hover previews of parameter expressions in Python files and notebook cells, from the registry's
 * cached indexes and cached statistics. Whatever is not known yet is started in the background.
 */
export class ParameterHoverProvider implements vscode.HoverProvider {
  constructor(private readonly deps: ParameterHoverDeps) {}

  static register(deps: ParameterHoverDeps): vscode.Disposable {
    return vscode.languages.registerHoverProvider(PYTHON, new ParameterHoverProvider(deps));
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const exprs = expressionsAt(document.getText(), document.offsetAt(position));
    if (exprs.length === 0) return undefined;
    const deadline = Date.now() + HOVER_WAIT_MS;
    // After the first scan the list is cached; a hover may start that scan but never waits for it.
    // While a refresh scans again, the last listing answers.
    const listed = await within(this.deps.registry.list(), Date.now());
    const entries = listed?.ok ? listed.value : this.deps.registry.lastListing();
    if (!entries || token.isCancellationRequested) return undefined;
    // The code's own loads (`sd = torch.load('a.pt')` above), then the person's bindings over them.
    // Stored as URI strings; parsed and printed again so they compare equal to the registry's.
    const bindings = codeBindings(document, position, entries);
    for (const [v, m] of this.deps.bindings.of(document.uri)) bindings.set(v, vscode.Uri.parse(m).toString());
    // "Bind Variable to Model…" on `sd['wte.weight']`'s key still means `sd`.
    const variable = exprs.find((e) => e.kind === 'chain')?.root;
    let fallback: vscode.Hover | undefined;
    for (const expr of exprs) {
      const answer = await this.answer(document.uri, expr, entries, bindings, deadline, variable);
      if (token.isCancellationRequested) return undefined;
      if (!answer) continue;
      const hover = new vscode.Hover(answer.content, new vscode.Range(document.positionAt(expr.start), document.positionAt(expr.end)));
      if (answer.definite) return hover;
      fallback ??= hover;
    }
    return fallback;
  }

  private async answer(document: vscode.Uri, expr: ParameterExpression, entries: readonly ModelEntry[], bindings: ReadonlyMap<string, string>, deadline: number, variable: string | undefined): Promise<Answer | undefined> {
    const consulted = await this.consult(expr, entries, bindings, deadline);
    if (consulted.incomplete) {
      // A variable named like a model (or bound) is surely meant: say the models are on their way.
      return consulted.basis === 'binding' || consulted.basis === 'rootName' ? { content: loadingHover(), definite: false } : undefined;
    }
    const { matches, basis } = findCandidates(expr, consulted.refs, bindings);
    const print = (m: Match): string | undefined => (m.target.kind === 'tensor' ? this.deps.fingerprints.peek(m.model.index, m.target.tensor) : undefined);
    let decision = decide(matches, print);
    if (decision.kind === 'needsFingerprints') {
      const pending = decision.matches.map((m) => this.deps.fingerprints.get(m.model.index, tensorOf(m)));
      await within(Promise.allSettled(pending), deadline);
      decision = decide(matches, print);
      if (decision.kind === 'needsFingerprints') return basis === 'content' ? undefined : { content: comparingHover(decision.matches.length), definite: false };
    }
    switch (decision.kind) {
      case 'none':
        return undefined;
      case 'ambiguous':
        // A variable named like no model file whose steps fit several models (`layer[0].weight`) is
        // likely no model at all: asking to bind it on every such hover would be noise.
        if (basis === 'content') return undefined;
        return { content: ambiguousHover(document, expr.kind === 'chain' ? { variable: expr.root } : { key: expr.key, variable }, decision.matches.length), definite: false };
      case 'one': {
        const file = vscode.Uri.parse(decision.match.model.id);
        const sameIn = decision.sameIn.map((m) => vscode.Uri.parse(m.id));
        const target = decision.match.target;
        if (target.kind === 'module') return { content: moduleHover(file, target.module, moduleType(matches) ?? null, sameIn), definite: true };
        return { content: tensorHover(await this.tensorInfo(decision.match, file, sameIn, target.grad, deadline)), definite: true };
      }
    }
  }

  /** Reads (from the cache where possible) the models the rules of `findCandidates` need for `expr`. */
  private async consult(expr: ParameterExpression, entries: readonly ModelEntry[], bindings: ReadonlyMap<string, string>, deadline: number): Promise<Consulted> {
    const all = entries.filter((e) => !e.error).map((e) => e.uri);
    if (expr.kind === 'chain') {
      const bound = bindings.get(expr.root);
      if (bound !== undefined) return this.read([vscode.Uri.parse(bound)], deadline, 'binding');
      const named = all.filter((u) => rootNameForFile(u.fsPath) === expr.root);
      return named.length > 0 ? this.read(named, deadline, 'rootName') : this.read(all, deadline, 'content');
    }
    const bound = [...new Set(bindings.values())].map((m) => vscode.Uri.parse(m));
    if (bound.length > 0) {
      const inBound = await this.read(bound, deadline, 'binding');
      if (!inBound.incomplete && inBound.refs.some((r) => resolveKey(r.index, expr.key))) return inBound;
    }
    return this.read(all, deadline, 'key');
  }

  private async read(uris: readonly vscode.Uri[], deadline: number, basis: MatchBasis): Promise<Consulted> {
    const { registry } = this.deps;
    const results: Array<ModelEntry | undefined> = new Array(uris.length);
    const pending = uris.map((u, i) => {
      const cached = registry.get(u);
      const p = cached && (cached.index || cached.error) ? Promise.resolve(cached) : registry.load(u);
      return p.then((e) => (results[i] = e));
    });
    await within(Promise.allSettled(pending), deadline);
    const refs: ModelRef[] = [];
    uris.forEach((u, i) => {
      const index = results[i]?.index;
      if (index) refs.push({ id: u.toString(), index });
    });
    return { refs, incomplete: results.filter((r) => r !== undefined).length < uris.length, basis };
  }

  /** Statistics and init from the caches; started in the background when missing. */
  private async tensorInfo(match: Match, file: vscode.Uri, sameIn: vscode.Uri[], grad: boolean, deadline: number): Promise<TensorHoverInfo> {
    const { tensors } = this.deps;
    const { index } = match.model;
    const t = tensorOf(match);
    // Big tensors: show only what is already known; the next hover finds the rest in the cache.
    const waitUntil = t.count <= SMALL_TENSOR_ELEMENTS ? deadline : 0;
    const statsP = tensors.peekStats(index, t) ?? tensors.stats(index, t);
    const wantsInit = isFloatingDType(t.dtype) && (t.kind === 'parameter' || t.kind === 'tensor');
    // The model-level verdict (judged with its module type's layers) once that pass is done; it is
    // started here for small models, and the tensor's own verdict shows meanwhile.
    const whole = wantsInit ? tensors.peekModelInit(index, t) : undefined;
    if (wantsInit && !whole && tensors.judgesWhole(index)) void tensors.modelInit(index).catch(() => undefined);
    const initP = wantsInit ? (whole ? Promise.resolve(whole) : tensors.init(index, t, biasFanIn(index, t))) : undefined;
    const [stats, init] = await Promise.all([within(statsP, waitUntil), initP && within(initP, waitUntil)]);
    return {
      file,
      index,
      tensor: t,
      grad,
      sameIn,
      stats: stats === undefined ? 'pending' : stats.ok ? stats.value : { error: stats.error.message },
      init: init?.ok ? init.value : undefined,
      tiedWith: tiedPaths(index).get(t.name) ?? [],
    };
  }
}
