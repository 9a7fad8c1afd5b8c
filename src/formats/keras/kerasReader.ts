import * as l10n from '@vscode/l10n';
import type { PathStep, RawTensor, ReaderResult } from '../../core/modelIndex';
import { MemoryByteSource, type ByteSource } from '../../runtime/byteSource';
import { AbortError, throwIfAborted } from '../../core/abort';
import { FormatError, type FormatReader, type ReaderContext } from '../formatReader';
import { ZipReader } from '../zip/zipReader';
import { type AttributeValue, type Hdf5Dataset, Hdf5File } from './hdf5File';
import { Hdf5Error } from './hdf5Messages';
import { keras3Paths, type KerasModel, layerFromKey, layersByName, ModuleTreeBuilder, NON_TRAINABLE_NAMES, optimizerClass, parseModelConfig, subSaveable, variableNames } from './kerasModel';
import { datasetTensor, type TensorRole, type WeightsPlacement } from './kerasTensors';

/** `config.json`/`metadata.json` and an `.h5`'s `model_config`: Keras configs are kilobytes to a few MB; 64 MiB (CWE-770). */
export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;
/**
 * A deflated `model.weights.h5` (Keras itself stores it; a re-zipped archive may not) is inflated
 * into memory to read its HDF5 structure, up to this size; tensors then decode it from the record
 * (TensorLocation.encoding), never held whole. Past it the file is refused with a message.
 */
export const MAX_INFLATED_WEIGHTS_BYTES = 256 * 1024 * 1024;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** What Keras's `saving_lib` writes into a `.keras` zip, first entry first. */
const KERAS_ENTRIES = new Set(['metadata.json', 'config.json', 'model.weights.h5', 'model.weights.npz']);
const WEIGHTS_ENTRY = 'model.weights.h5';

const fail = (src: ByteSource, msg: string): FormatError => new FormatError('keras', `${src.name}: ${msg}`);

function parseJson(bytes: Uint8Array | string, src: ByteSource, what: string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw fail(src, l10n.t('{0} is not valid JSON ({1})', what, (e as Error).message));
  }
}

function modelOf(json: unknown, src: ByteSource, what: string): KerasModel {
  try {
    return parseModelConfig(json, what);
  } catch (e) {
    throw fail(src, (e as Error).message);
  }
}

/** A string-array attribute, or Keras's chunked form of a long one (`layer_names0`, `layer_names1`, …). */
function stringList(attrs: ReadonlyMap<string, AttributeValue> | undefined, name: string): string[] | undefined {
  if (!attrs) return undefined;
  const asList = (v: AttributeValue): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
  if (attrs.has(name)) return asList(attrs.get(name));
  if (!attrs.has(`${name}0`)) return undefined;
  const out: string[] = [];
  for (let i = 0; attrs.has(`${name}${i}`); i++) out.push(...asList(attrs.get(`${name}${i}`)));
  return out;
}

interface Walked {
  h5: Hdf5File;
  datasets: Hdf5Dataset[];
  attributes: Map<string, Map<string, AttributeValue>>;
  warnings: string[];
}

/** A dataset's role and where it sorts: mapped ones in the config's order, the rest after, by path. */
type Role = TensorRole & { order: number; depth: number; modules?: Array<{ path: string; type: string }> };
type Roles = Map<string, Role>;

/** `.kernel`, or `.weights[i]` where the name is positional or not one attribute. */
const varSteps = (local: string, i: number): PathStep[] => (/^[A-Za-z_]\w*$/.test(local) ? [{ kind: 'attr', name: local }] : [{ kind: 'attr', name: 'weights' }, { kind: 'key', key: i }]);

/**
 * Saveables beside the model's layers that hold training state, not weights: the optimizer
 * (`optimizer/vars`, Keras 2's `optimizer_weights`), compiled metrics and losses.
 */
const isTrainingState = (path: string): boolean => /^(optimizer|optimizer_weights|compile_metrics|compile_loss|metrics|loss)(\/|$)/.test(path);

/** Keras 2: `layer_names` on the weights group, `weight_names` on each layer's group; `optimizer_weights` apart. */
function keras2Roles(w: Walked, group: string, model: KerasModel | undefined): Roles {
  const roles: Roles = new Map();
  const prefix = group ? `${group}/` : '';
  const known = layersByName(model);
  for (const layer of stringList(w.attributes.get(group), 'layer_names') ?? []) {
    for (const [i, weight] of (stringList(w.attributes.get(`${prefix}${layer}`), 'weight_names') ?? []).entries()) {
      // tf.keras 2 writes `dense/kernel:0`, Keras 3's legacy writer the variable's path
      // (`sequential/dense/kernel`), a nested model's group its layers' names (`inner/kernel:0`).
      const bare = weight.replace(/:\d+$/, '').split('/');
      const at = bare.indexOf(layer);
      const name = at >= 0 && at < bare.length - 1 ? bare.slice(at).join('/') : `${layer}/${bare.join('/')}`;
      const parts = name.split('/');
      let depth = 1;
      while (depth < parts.length - 1 && known.has(parts.slice(0, depth + 1).join('/'))) depth++;
      const owner = known.get(parts.slice(0, depth).join('/'));
      const kind = NON_TRAINABLE_NAMES.has(parts[parts.length - 1]!) || owner?.frozen ? 'buffer' : 'parameter';
      const role: Role = { name, kind, order: roles.size, depth };
      if (owner) role.steps = [...owner.steps, ...varSteps(parts.slice(depth).join('/'), i)];
      roles.set(`${prefix}${layer}/${weight}`, role);
    }
  }
  for (const [i, weight] of (stringList(w.attributes.get('optimizer_weights'), 'weight_names') ?? []).entries()) {
    const steps: PathStep[] = [{ kind: 'attr', name: 'optimizer' }, { kind: 'attr', name: 'weights' }, { kind: 'key', key: i }];
    roles.set(`optimizer_weights/${weight}`, { name: `optimizer_weights/${weight.replace(/:\d+$/, '')}`, kind: 'optimizer', order: roles.size, depth: 1, steps });
  }
  return roles;
}

/**
 * Keras 3: `<saveable path>/vars/<i>`; layers named from the config, the optimizer's, metrics' and
 * losses' variables training state, anything else (a subclassed model's attributes) by its path.
 */
function keras3Roles(w: Walked, model: KerasModel | undefined): Roles {
  const roles: Roles = new Map();
  const groups = new Map<string, Hdf5Dataset[]>();
  for (const ds of w.datasets) {
    const m = /^(?:(.*)\/)?vars\/(\d+)$/.exec(ds.path);
    if (!m) continue;
    const group = m[1] ?? '';
    const list = groups.get(group);
    if (list) list.push(ds);
    else groups.set(group, [ds]);
  }
  if (!model) return weightsOnlyRoles(groups);
  const places = keras3Paths(model);
  const placeOrder = [...places.keys()];
  const placeIndex = new Map(placeOrder.map((p, i) => [p, i]));
  for (const [group, list] of groups) {
    list.sort((a, b) => Number(a.path.slice(a.path.lastIndexOf('/') + 1)) - Number(b.path.slice(b.path.lastIndexOf('/') + 1)));
    const exact = places.get(group);
    // The deepest layer whose path holds this group (a layer's own sub-saveable, such as an RNN's `cell`).
    const owner = exact ? group : placeOrder.filter((p) => group.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0];
    if (owner === undefined) {
      list.forEach((ds, i) => {
        const state = isTrainingState(group);
        const role: Role = { name: ds.path, kind: state ? 'optimizer' : group === '' ? 'parameter' : 'tensor', order: 1e9 + roles.size, depth: state ? 1 : group ? group.split('/').length : 0 };
        if (group === 'optimizer') role.steps = [{ kind: 'attr', name: 'optimizer' }, { kind: 'attr', name: 'variables' }, { kind: 'key', key: i }];
        roles.set(ds.path, role);
      });
      continue;
    }
    const placed = places.get(owner)!;
    const base = placed.names.join('/');
    const order = placeIndex.get(owner)! * 1e4;
    if (exact) {
      const vars = variableNames(exact.layer, list.length);
      list.forEach((ds, i) =>
        roles.set(ds.path, { name: `${base}/${vars[i]!.name}`, kind: vars[i]!.trainable && !placed.frozen ? 'parameter' : 'buffer', order: order + i, depth: placed.names.length, steps: [...placed.steps, ...varSteps(vars[i]!.name, i)] }),
      );
    } else {
      const rest = group.slice(owner.length + 1);
      const sub = subSaveable(placed.layer, rest, list.length);
      const frozen = placed.frozen || sub?.parts.some((p) => p.layer.config.trainable === false);
      // Keras's order: a Bidirectional's forward layer before its backward one.
      const at = order + 5000 + (sub?.parts.some((p) => p.attr === 'backward_layer') ? 1000 : 0);
      list.forEach((ds, i) => {
        if (!sub) return void roles.set(ds.path, { name: `${base}/${rest}/vars/${i}`, kind: frozen ? 'buffer' : 'parameter', order: at + i, depth: placed.names.length });
        // Named as Keras's variable paths name them (`lstm/lstm_cell/kernel`,
        // `bidirectional/forward_lstm/lstm_cell/bias`), reached by attribute (`.forward_layer.cell.bias`).
        const v = sub.variables[i]!;
        const names = sub.parts.map((p) => p.layer.name);
        const steps: PathStep[] = [...placed.steps, ...sub.parts.map((p): PathStep => ({ kind: 'attr', name: p.attr })), ...varSteps(v.name, i)];
        const modules = sub.parts.map((p, k) => ({ path: [base, ...names.slice(0, k + 1)].join('/'), type: p.layer.className }));
        roles.set(ds.path, { name: [base, ...names, v.name].join('/'), kind: v.trainable && !frozen ? 'parameter' : 'buffer', order: at + i, depth: placed.names.length + names.length, steps, modules });
      });
    }
  }
  return roles;
}

/**
 * A Keras 3 `.weights.h5` has no config, but each layer's group is named by its class
 * (`layers/conv2d_1/vars`): a built-in layer's variables get their names and kinds
 * (`layers/batch_normalization/moving_mean`, a buffer), its module the class. Groups in path
 * order, segment by segment (`conv2d` before `conv2d_1`); other groups keep their default roles.
 */
function weightsOnlyRoles(groups: ReadonlyMap<string, Hdf5Dataset[]>): Roles {
  const roles: Roles = new Map();
  const collator = new Intl.Collator('en', { numeric: true });
  const bySegments = (a: string, b: string): number => {
    const [x, y] = [a.split('/'), b.split('/')];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return collator.compare(x[i]!, y[i]!);
    return x.length - y.length;
  };
  for (const group of [...groups.keys()].sort(bySegments)) {
    const m = /^(?:.*\/)?layers\/([^/]+)$/.exec(group);
    const list = groups.get(group)!;
    const known = m && !isTrainingState(group) ? layerFromKey(m[1]!, list.length) : undefined;
    if (!known) continue;
    list.forEach((ds, i) => {
      const v = known.variables[i]!;
      roles.set(ds.path, { name: `${group}/${v.name}`, kind: v.trainable ? 'parameter' : 'buffer', order: roles.size, depth: group.split('/').length, modules: [{ path: group, type: known.className }] });
    });
  }
  return roles;
}

async function walk(inner: ByteSource, src: ByteSource): Promise<Walked> {
  try {
    const h5 = await Hdf5File.open(inner);
    return { h5, ...(await h5.walk()) };
  } catch (e) {
    if (e instanceof Hdf5Error) throw fail(src, l10n.t('not a readable HDF5 file: {0}', e.message));
    throw e;
  }
}

/**
 * Keras stores a bfloat16 variable as h5py stores ml_dtypes' bfloat16 — a 2-byte opaque type —
 * and marks it with a `dtype` attribute (saving_lib.py `H5Entry.__setitem__`); numpy's bytes are
 * little-endian on every platform Keras runs on.
 */
function kerasBfloat16(ds: Hdf5Dataset, attrs: ReadonlyMap<string, AttributeValue> | undefined): Hdf5Dataset {
  if (ds.type.cls !== 'other' || !ds.type.opaque || ds.type.size !== 2 || attrs?.get('dtype') !== 'bfloat16') return ds;
  return { ...ds, type: { cls: 'number', dtype: 'bfloat16', size: 2, byteOrder: 'little' } };
}

/** The tensors of a walked Keras HDF5 file, in the config's order, and the tree they make. */
function assemble(w: Walked, roles: Roles, model: KerasModel | undefined, at: WeightsPlacement, layerNames: readonly string[]): { tensors: RawTensor[]; tree: ModuleTreeBuilder; warnings: string[] } {
  const warnings = [...w.warnings];
  const tree = new ModuleTreeBuilder(model);
  if (!model) for (const name of layerNames) tree.addLayer(name);
  const found: Array<{ t: RawTensor; order: number; depth: number; modules?: Role['modules'] }> = [];
  const collator = new Intl.Collator('en', { numeric: true });
  const rest = w.datasets.filter((ds) => !roles.has(ds.path)).sort((a, b) => collator.compare(a.path, b.path));
  const defaultRole = (ds: Hdf5Dataset, i: number): TensorRole & { order: number; depth: number } => {
    const top = ds.path.split('/')[0]!;
    const kind = isTrainingState(top) ? 'optimizer' : NON_TRAINABLE_NAMES.has(ds.path.split('/').pop()!.replace(/:\d+$/, '')) ? 'buffer' : 'tensor';
    const parts = ds.path.split('/');
    const depth = parts.length > 2 && parts[parts.length - 2] === 'vars' ? parts.length - 2 : parts.length - 1;
    return { name: ds.path.replace(/:\d+$/, ''), kind, order: 2e9 + i, depth: kind === 'optimizer' ? 1 : depth };
  };
  rest.forEach((ds, i) => roles.set(ds.path, defaultRole(ds, i)));
  for (const ds of w.datasets) {
    const role = roles.get(ds.path)!;
    const t = datasetTensor(kerasBfloat16(ds, w.attributes.get(ds.path)), role, at);
    if (typeof t === 'string') warnings.push(t);
    else found.push({ t, order: role.order, depth: role.depth, modules: role.modules });
  }
  found.sort((a, b) => a.order - b.order);
  const seen = new Set<string>();
  const tensors: RawTensor[] = [];
  for (const { t, depth, modules } of found) {
    if (seen.has(t.name)) {
      warnings.push(l10n.t("two datasets are named '{0}'; the second ({1}) is left out", t.name, String(t.details?.hdf5Path)));
      continue;
    }
    seen.add(t.name);
    tensors.push(t);
    tree.add(t.name, t.kind === 'buffer', depth);
    for (const m of modules ?? []) tree.setType(m.path, m.type);
  }
  return { tensors, tree, warnings };
}

/** Reads a Keras HDF5 file (Keras 2 model or weights, Keras 3 weights) at `at`; `config` is a `.keras`'s config.json. */
async function readWeightsFile(inner: ByteSource, src: ByteSource, at: Omit<WeightsPlacement, 'base' | 'size'>, config: KerasModel | undefined, ctx: ReaderContext): Promise<ReaderResult> {
  const w = await walk(inner, src);
  throwIfAborted(ctx.signal);
  const root = w.attributes.get('') ?? new Map<string, AttributeValue>();
  const isKeras2Model = root.has('model_config') || stringList(w.attributes.get('model_weights'), 'layer_names') !== undefined;
  const isKeras2Weights = stringList(root, 'layer_names') !== undefined;
  const isKeras3 = w.datasets.some((d) => /(^|\/)vars\/\d+$/.test(d.path)) || w.attributes.has('vars') || w.attributes.has('layers');
  if (!config && !isKeras2Model && !isKeras2Weights && !isKeras3) throw fail(src, l10n.t('an HDF5 file without a Keras layout (no model_config or layer_names attribute, no model_weights or layers group)'));
  let model = config;
  if (!model && typeof root.get('model_config') === 'string') {
    const text = root.get('model_config') as string;
    if (text.length > MAX_CONFIG_BYTES) throw fail(src, l10n.t('model_config is over the {0}-byte limit', MAX_CONFIG_BYTES));
    model = modelOf(parseJson(text, src, 'model_config'), src, 'model_config');
    const training = root.get('training_config');
    const optimizer = typeof training === 'string' && training.length <= MAX_CONFIG_BYTES ? optimizerClass(parseJson(training, src, 'training_config')) : undefined;
    if (optimizer) model.optimizer = optimizer;
  }
  // Keras 2's attributes decide over Keras 3's group names (a Keras 2 layer may be called `layers`).
  const keras3 = config !== undefined || (isKeras3 && !isKeras2Model && !isKeras2Weights);
  const roles = keras3 ? keras3Roles(w, model) : keras2Roles(w, isKeras2Model ? 'model_weights' : '', model);
  const placement: WeightsPlacement = { ...at, base: w.h5.base, size: inner.size };
  const layerNames = keras3 ? [] : (stringList(w.attributes.get(isKeras2Model ? 'model_weights' : ''), 'layer_names') ?? []);
  const { tensors, tree, warnings } = assemble(w, roles, model, placement, layerNames);
  if (model?.optimizer) for (const group of ['optimizer', 'optimizer_weights']) tree.setType(group, model.optimizer);
  const metadata: Record<string, unknown> = {};
  for (const key of ['keras_version', 'backend']) {
    const v = root.get(key) ?? w.attributes.get('model_weights')?.get(key);
    if (typeof v === 'string') metadata[key] = v;
  }
  if (typeof root.get('training_config') === 'string') metadata.training_config = root.get('training_config');
  // model.summary()'s totals: trainable weights and non-trainable ones (moving statistics), each counted once.
  const counted = new Map<string, { count: number; trainable: boolean }>();
  for (const t of tensors) if (t.kind !== 'optimizer') counted.set(`${t.location.file}\u0000${t.location.storageKey}`, { count: t.shape.reduce((a, b) => a * b, 1), trainable: t.kind !== 'buffer' });
  const trainable = [...counted.values()].filter((c) => c.trainable).reduce((a, c) => a + c.count, 0);
  const total = [...counted.values()].reduce((a, c) => a + c.count, 0);
  const layout = config ? l10n.t('Keras 3 (.keras)') : !keras3 && isKeras2Model ? l10n.t('Keras 2 HDF5 model') : !keras3 ? l10n.t('Keras 2 HDF5 weights') : l10n.t('Keras 3 weights (.weights.h5)');
  return {
    format: 'keras',
    tensors,
    moduleTree: tree.root,
    // Layers and their classes from the model config (or, weights only, the file's layer groups).
    moduleTreeSource: 'config',
    metadata,
    container: {
      layout,
      'HDF5 superblock version': w.h5.superblockVersion,
      ...(model ? { model: `${model.className} ${model.name}`.trim() } : {}),
      'model.summary()': l10n.t('{0} params: {1} trainable, {2} non-trainable', total.toLocaleString('en-US'), trainable.toLocaleString('en-US'), (total - trainable).toLocaleString('en-US')),
    },
    warnings,
  };
}

/** A Keras 3 `.keras` zip: config.json for the layers, model.weights.h5 (stored: read in place) for the variables. */
async function openArchive(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
  const zip = await ZipReader.open(src);
  const entry = (name: string) => zip.entries.get(name);
  const configEntry = entry('config.json');
  if (!configEntry) throw fail(src, l10n.t('the archive has no config.json (not a Keras 3 .keras file)'));
  const weights = entry(WEIGHTS_ENTRY);
  if (!weights) throw fail(src, entry('model.weights.npz') ? l10n.t('the weights are in model.weights.npz, which this reader does not read') : l10n.t('the archive has no {0}', WEIGHTS_ENTRY));
  const model = modelOf(parseJson(await zip.readEntry(configEntry, MAX_CONFIG_BYTES), src, 'config.json'), src, 'config.json');
  const metaEntry = entry('metadata.json');
  const meta = metaEntry ? parseJson(await zip.readEntry(metaEntry, MAX_CONFIG_BYTES), src, 'metadata.json') : undefined;
  throwIfAborted(ctx.signal);
  const dataOffset = await zip.dataOffset(weights);
  let inner: ByteSource;
  let deflated: WeightsPlacement['deflated'];
  if (weights.method === 0) {
    if (weights.compressedSize !== weights.uncompressedSize) throw fail(src, l10n.t('{0} is stored but its sizes disagree ({1} and {2} bytes)', WEIGHTS_ENTRY, weights.compressedSize, weights.uncompressedSize));
    inner = src.slice(dataOffset, weights.compressedSize);
  } else {
    if (weights.uncompressedSize > MAX_INFLATED_WEIGHTS_BYTES) {
      throw fail(src, l10n.t('{0} is compressed and {1} bytes; compressed weights are read only up to {2} bytes (Keras itself stores them uncompressed: save the model again)', WEIGHTS_ENTRY, weights.uncompressedSize, MAX_INFLATED_WEIGHTS_BYTES));
    }
    const bytes = await zip.readEntry(weights, MAX_INFLATED_WEIGHTS_BYTES);
    if (bytes.length !== weights.uncompressedSize) throw fail(src, l10n.t('{0} inflates to {1} bytes, not the {2} its zip entry says', WEIGHTS_ENTRY, bytes.length, weights.uncompressedSize));
    inner = new MemoryByteSource(bytes, src.name);
    deflated = { offset: dataOffset, bytes: weights.compressedSize };
  }
  const result = await readWeightsFile(inner, src, { file: src.name, offset: weights.method === 0 ? dataOffset : 0, ...(deflated ? { deflated } : {}), keyPrefix: `${WEIGHTS_ENTRY}:` }, model, ctx);
  if (meta && typeof meta === 'object') for (const [k, v] of Object.entries(meta as Record<string, unknown>)) if (typeof v === 'string') result.metadata[k] = v;
  if (deflated) result.container = { ...result.container, [WEIGHTS_ENTRY]: l10n.t('deflated (inflated in memory to read its structure)') };
  return result;
}

/** Whether the first local header of a zip names one of Keras's entries. */
async function looksLikeKerasZip(src: ByteSource): Promise<boolean> {
  if (src.size < 30) return false;
  const head = await src.read(0, 30);
  if (!ZIP_MAGIC.every((b, i) => head[i] === b)) return false;
  const nameLength = head[26]! | (head[27]! << 8);
  if (30 + nameLength > src.size) return false;
  return KERAS_ENTRIES.has(new TextDecoder().decode(await src.read(30, nameLength)));
}

/** Whether an HDF5 file's root looks like Keras wrote it (a few small reads). */
async function looksLikeKerasHdf5(src: ByteSource): Promise<boolean> {
  if ((await Hdf5File.findSignature(src)) < 0) return false;
  const h5 = await Hdf5File.open(src);
  const msgs = await h5.messages(h5.rootAddress, '/');
  const attrs = await h5.attributes(msgs, '/').catch(() => new Map<string, AttributeValue>());
  if (attrs.has('model_config') || attrs.has('layer_names') || attrs.has('layer_names0')) return true;
  const names = new Set((await h5.members(msgs, '/')).map(([n]) => n));
  return names.has('model_weights') || names.has('layers') || names.has('vars') || names.has('_layer_checkpoint_dependencies');
}

/** Keras models: Keras 3 `.keras` archives, Keras 2 `.h5` models and weights, Keras 3 `.weights.h5`. */
export const kerasReader: FormatReader = {
  id: 'keras',
  label: 'Keras',
  extensions: ['.keras'],
  // `.h5` is any HDF5 file: listed only when its root has Keras's layout.
  sniffedExtensions: ['.h5', '.hdf5'],

  async match(src: ByteSource): Promise<boolean> {
    try {
      return (await looksLikeKerasZip(src)) || (await looksLikeKerasHdf5(src));
    } catch {
      return false;
    }
  },

  async open(src: ByteSource, ctx: ReaderContext): Promise<ReaderResult> {
    try {
      const head = await src.read(0, Math.min(4, src.size));
      if (ZIP_MAGIC.every((b, i) => head[i] === b)) return await openArchive(src, ctx);
      return await readWeightsFile(src, src, { file: src.name, offset: 0, keyPrefix: '' }, undefined, ctx);
    } catch (e) {
      if (e instanceof FormatError || e instanceof AbortError) throw e;
      throw fail(src, l10n.t('not a readable Keras file: {0}', (e as Error).message));
    }
  },
};
