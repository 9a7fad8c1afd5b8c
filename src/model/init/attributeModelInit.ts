import { arrangeVerdict, conventionRank, isNamedScheme, schemeKey, type InitDetection, type ModuleScheme, type SchemeFit } from './detectInit';

/** One tensor's detection with what the model says about it. */
export interface InitLayer {
  /** state_dict name (`features.3.conv.1.0.weight`). */
  name: string;
  shape: readonly number[];
  /** Class of the module that owns the tensor (`Conv2d`), when the file pickles modules; null for state_dicts. */
  moduleType?: string | null;
  detection: InitDetection;
}

/**
 * The group a tensor is initialised with: layers of one type go through one init loop
 * (`net.apply(init)`, torchvision's `for m in self.modules(): if isinstance(m, nn.Conv2d): …`).
 * With a pickled module tree: the module's class and the parameter's name (`Conv2d.weight`,
 * `Linear.bias`). For state_dicts, which name no class: the shape's role, from the weight's rank
 * (a bias takes its weight's): `conv.weight` (3-D and up: Conv1d/2d/3d kernels), `linear.weight`
 * (2-D: Linear, and embeddings, which a state_dict cannot tell apart), `norm.weight` (1-D weights:
 * BatchNorm/LayerNorm scales), `conv.bias`, `linear.bias`, `norm.bias`; anything else
 * `<rank>-D <name>`.
 */
export function initGroup(name: string, shape: readonly number[], moduleType: string | null | undefined, shapeOf: (name: string) => readonly number[] | undefined): string {
  const param = name.slice(name.lastIndexOf('.') + 1);
  if (moduleType) return `${moduleType.slice(moduleType.lastIndexOf('.') + 1)}.${param}`;
  const role = (rank: number): string | undefined => (rank >= 3 ? 'conv' : rank === 2 ? 'linear' : rank === 1 ? 'norm' : undefined);
  if (param === 'weight' && role(shape.length)) return `${role(shape.length)}.weight`;
  if (param === 'bias' && shape.length === 1) {
    const w = shapeOf(name.replace(/bias$/, 'weight'));
    if (w && role(w.length)) return `${role(w.length)}.bias`;
  }
  return `${shape.length}-D ${param}`;
}

/** The identity arguments of a named scheme: what the init call passes, not what the shape makes of it. */
function identity(s: SchemeFit): Record<string, number | string> {
  if (s.scheme.startsWith('kaiming_')) return { mode: s.params.mode!, nonlinearity: s.params.nonlinearity! };
  if (s.scheme.startsWith('xavier_')) return { gain: s.params.gain!, nonlinearity: s.params.nonlinearity! };
  return {};
}

/**
 * Model-level init attribution. Per group (module type, see `initGroup`), the layers whose own
 * values single out one law (every named scheme that passes gives the same distribution) vote for
 * the schemes that give it; the scheme with most votes (ties: the ecosystem's habit) is the
 * group's, if more than half of the strong layers vote for it. A layer whose values cannot tell
 * the group's scheme from its own verdict (the group's scheme passes this layer's tests too: the
 * same law for its shape, or one its sample cannot distinguish) is attributed to the group's
 * scheme; a layer whose values rule it out keeps its own. Returns the detections in input order,
 * each with the group's `moduleScheme` when it has one.
 */
export function attributeModelInit(layers: readonly InitLayer[]): InitDetection[] {
  const shapes = new Map(layers.map((l) => [l.name, l.shape]));
  const groups = new Map<string, number[]>();
  layers.forEach((l, i) => {
    const g = initGroup(l.name, l.shape, l.moduleType, (n) => shapes.get(n));
    const members = groups.get(g);
    if (members) members.push(i);
    else groups.set(g, [i]);
  });
  const out = layers.map((l) => l.detection);
  for (const [group, members] of groups) {
    const votes: Vote[] = [];
    let strong = 0;
    for (const i of members) {
      const d = layers[i]!.detection;
      if (d.scheme === 'normal') {
        // No named scheme fits (or the verdict would be one): a fixed-std normal, torchvision's
        // normal_(0, 0.01) and trunc_normal_(std=0.02). Layers with about the same std vote together.
        strong++;
        const std = Number(d.params.std);
        const v = votes.find((x) => x.stds && Math.abs(Math.log(std / x.stds[0]!)) < SAME_STD);
        if (v) {
          v.count++;
          v.stds!.push(std);
        } else votes.push({ key: `normal#${votes.length}`, count: 1, example: d, stds: [std] });
        continue;
      }
      if (!isNamedScheme(d.scheme) || d.equivalent.some((e) => e.relation !== 'same_law')) continue;
      strong++;
      const keys = new Map([d, ...d.equivalent].map((s) => [schemeKey(s), s]));
      for (const [k, s] of keys) {
        const v = votes.find((x) => x.key === k);
        if (v) v.count++;
        else votes.push({ key: k, count: 1, example: s });
      }
    }
    if (strong === 0) continue;
    const rank = Math.max(2, layers[members[0]!]!.shape.length);
    const top = votes.sort((a, b) => b.count - a.count || Number(!!a.stds) - Number(!!b.stds) || conventionRank(a.example, rank) - conventionRank(b.example, rank))[0]!;
    // The strong layers must mostly agree: a file of unrelated tensors (or layers initialised by
    // hand, one by one) has no scheme per type, and a plurality would be a guess.
    if (2 * top.count <= strong) continue;
    const groupStd = top.stds ? median(top.stds) : undefined;
    const moduleScheme: ModuleScheme = groupStd !== undefined
      ? { group, scheme: 'normal', params: { mean: 0, std: Number(groupStd.toPrecision(3)) }, layers: members.length, strong, votes: top.count }
      : { group, scheme: top.example.scheme, params: identity(top.example), layers: members.length, strong, votes: top.count };
    for (const i of members) {
      const d = layers[i]!.detection;
      const layerRank = Math.max(2, layers[i]!.shape.length);
      out[i] = { ...d, moduleScheme };
      if (FITTED.has(d.scheme) && groupStd === undefined && top.count >= MIN_VOTES_LOOSE) {
        // No named scheme fits this layer at α = 0.001, but the group's scheme fits at 10⁻⁵: with
        // an init loop seen on MIN_VOTES_LOOSE other layers, a 1-in-1000 draw is the likelier story.
        const c = d.candidates.find((x) => x.passLoose && schemeKey(x) === top.key);
        if (c) out[i] = { ...d, ...arrangeVerdict(c, d.candidates, layerRank), moduleScheme, decidedBy: 'module' };
        continue;
      }
      if (!isNamedScheme(d.scheme)) continue;
      let c: SchemeFit | undefined;
      if (groupStd !== undefined) {
        // The layer's own normal fit must be within its sampling error of the group's std, mean 0.
        const g = d.candidates.find((x) => x.pass && x.scheme === 'normal');
        const n = g?.fit?.n ?? 0;
        const std = Number(g?.params.std);
        if (g && Math.abs(Math.log(std / groupStd)) * Math.sqrt(2 * n) <= Z_CRIT && (Math.abs(Number(g.params.mean)) / std) * Math.sqrt(n) <= Z_CRIT) c = g;
      } else if (schemeKey(d) !== top.key) {
        c = d.candidates.find((x) => x.pass && schemeKey(x) === top.key);
      }
      if (!c) continue; // the group's scheme is what the layer says already, or its own values rule it out
      out[i] = { ...d, ...arrangeVerdict(c, d.candidates, layerRank), moduleScheme, decidedBy: 'module' };
    }
  }
  return out;
}

interface Vote {
  key: string;
  count: number;
  example: SchemeFit;
  /** For a fixed-std normal: the stds of the layers that vote for it. */
  stds?: number[];
}

/** Verdicts that say no named scheme fits: a fitted family, or nothing at all. */
const FITTED = new Set(['normal', 'uniform', 'trunc_normal', 'unknown']);
/** Strong layers a module type's scheme needs before it may explain a layer its own values reject at α = 0.001 only. */
const MIN_VOTES_LOOSE = 3;
/** Fitted stds this close (log ratio) are one fixed-std init (0.01 ± sampling error). */
const SAME_STD = 0.1;
/** Two-sided normal quantile at α = 0.001, as detectInit's scale test. */
const Z_CRIT = 3.29;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
