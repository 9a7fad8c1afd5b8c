import * as l10n from '@vscode/l10n';
import type { Fans, PathStep, RawModule } from '../../core/modelIndex';

/**
 * What a Keras model config says about the weights: the layers (names and classes, nested models
 * inside), each layer's place in a Keras 3 weights file, and the names of the variables Keras
 * stores by position. Sources (keras-team/keras): keras/src/saving/saving_lib.py (`_walk_saveable`,
 * `_save_container_state`: a container's saveables are named by class in snake case with a
 * per-class counter), keras/src/utils/naming.py (`to_snake_case`), each layer's `build()` for the
 * order of its variables (trainable first: `Layer.save_own_variables`), and
 * keras/src/initializers/random_initializers.py (`compute_fans`).
 */

/** Nested models deeper than this are refused: far beyond real models, and it bounds recursion. */
export const MAX_MODEL_NESTING = 64;
/** Layers in one config, counted over all nesting levels (CWE-770). */
export const MAX_LAYERS = 1_000_000;

/** One layer of a model config. */
export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Set for nested models (Sequential, Functional, or any layer whose config lists layers). */
  layers?: KerasLayer[];
}

/** A model config: the root's class and name, and its layers. */
export interface KerasModel {
  className: string;
  name: string;
  layers: KerasLayer[];
  /** The optimizer's class, from Keras 3's `compile_config` or Keras 2's `training_config`. */
  optimizer?: string;
  /** The whole model frozen (`trainable: false` in the root's config). */
  frozen?: boolean;
}

/** `compile_config.optimizer.class_name` (Keras 3) or `optimizer_config.class_name` (Keras 2's training_config). */
export function optimizerClass(json: unknown): string | undefined {
  if (!isObject(json)) return undefined;
  const opt = isObject(json.compile_config) ? json.compile_config.optimizer : json.optimizer_config;
  return isObject(opt) && typeof opt.class_name === 'string' ? opt.class_name : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a model config (`config.json` of a `.keras`, the `model_config` attribute of an `.h5`). */
export function parseModelConfig(json: unknown, what: string): KerasModel {
  let count = 0;
  const layersOf = (cfg: Record<string, unknown>, depth: number): KerasLayer[] | undefined => {
    if (!Array.isArray(cfg.layers)) return undefined;
    if (depth > MAX_MODEL_NESTING) throw new Error(l10n.t('{0}: models nested more than {1} deep', what, MAX_MODEL_NESTING));
    return cfg.layers.map((entry: unknown, i: number) => {
      if (++count > MAX_LAYERS) throw new Error(l10n.t('{0}: more than {1} layers', what, MAX_LAYERS));
      if (!isObject(entry) || typeof entry.class_name !== 'string') throw new Error(l10n.t('{0}: layer {1} has no class_name', what, i));
      const config = isObject(entry.config) ? entry.config : {};
      const name = typeof config.name === 'string' ? config.name : typeof entry.name === 'string' ? entry.name : `layer_${i}`;
      const layer: KerasLayer = { name, className: entry.class_name, config };
      const inner = layersOf(config, depth + 1);
      if (inner) layer.layers = inner;
      return layer;
    });
  };
  if (!isObject(json) || typeof json.class_name !== 'string') throw new Error(l10n.t('{0}: the model config is not an object with a class_name', what));
  const config = isObject(json.config) ? json.config : {};
  const model: KerasModel = { className: json.class_name, name: typeof config.name === 'string' ? config.name : '', layers: layersOf(config, 0) ?? [] };
  const optimizer = optimizerClass(json);
  if (optimizer) model.optimizer = optimizer;
  if (config.trainable === false) model.frozen = true;
  return model;
}

/** `keras.src.utils.naming.to_snake_case`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** `model.layers` of a layer list: Sequential leaves its InputLayer out (Functional keeps it). */
export function modelLayers(className: string, layers: readonly KerasLayer[]): KerasLayer[] {
  return className === 'Sequential' ? layers.filter((l) => l.className !== 'InputLayer') : [...layers];
}

/** A layer with its path in a Keras 3 weights file (`layers/sequential/layers/dense_1`) and its names from the root. */
export interface PlacedLayer {
  layer: KerasLayer;
  /** Layer names from the outermost model down to this layer. */
  names: string[];
  /** How Python reaches it from the model: `.layers[1].layers[0]`. */
  steps: PathStep[];
  /** `trainable: false` in its config or a container's: model.summary() counts its variables non-trainable. */
  frozen: boolean;
}

const frozenIn = (config: Record<string, unknown>, parent: boolean): boolean => parent || config.trainable === false;

/** Every layer by its names from the root joined with `/` (`block/inner_dense`). */
export function layersByName(model: KerasModel | undefined): Map<string, PlacedLayer> {
  const out = new Map<string, PlacedLayer>();
  const place = (className: string, layers: readonly KerasLayer[], names: readonly string[], steps: readonly PathStep[], frozen: boolean): void => {
    modelLayers(className, layers).forEach((layer, i) => {
      const placed: PlacedLayer = { layer, names: [...names, layer.name], steps: [...steps, { kind: 'attr', name: 'layers' }, { kind: 'key', key: i }], frozen: frozenIn(layer.config, frozen) };
      out.set(placed.names.join('/'), placed);
      if (layer.layers) place(layer.className, layer.layers, placed.names, placed.steps, placed.frozen);
    });
  };
  if (model) place(model.className, model.layers, [], [], model.frozen === true);
  return out;
}

/** Every layer by its Keras 3 weights-file path (`_save_container_state` naming), nested models included. */
export function keras3Paths(model: KerasModel): Map<string, PlacedLayer> {
  const out = new Map<string, PlacedLayer>();
  const place = (className: string, layers: readonly KerasLayer[], prefix: string, names: readonly string[], steps: readonly PathStep[], frozen: boolean): void => {
    const used = new Map<string, number>();
    for (const [i, layer] of modelLayers(className, layers).entries()) {
      let key = toSnakeCase(layer.className);
      const n = used.get(key);
      used.set(key, n === undefined ? 0 : n + 1);
      if (n !== undefined) key = `${key}_${n + 1}`;
      const path = `${prefix}layers/${key}`;
      const placed: PlacedLayer = { layer, names: [...names, layer.name], steps: [...steps, { kind: 'attr', name: 'layers' }, { kind: 'key', key: i }], frozen: frozenIn(layer.config, frozen) };
      out.set(path, placed);
      // Keras 2.13's `.keras` names the same container `_layer_checkpoint_dependencies`.
      out.set(path.replace(/(^|\/)layers\//g, '$1_layer_checkpoint_dependencies/'), placed);
      if (layer.layers) place(layer.className, layer.layers, `${path}/`, placed.names, placed.steps, placed.frozen);
    }
  };
  place(model.className, model.layers, '', [], [], model.frozen === true);
  return out;
}

/** A variable's name and whether Keras counts it as trainable. */
export interface KerasVariable {
  name: string;
  trainable: boolean;
}

const flag = (config: Record<string, unknown>, key: string): boolean => config[key] !== false;
const named = (...names: Array<string | false>): KerasVariable[] => names.filter((n): n is string => n !== false).map((name) => ({ name, trainable: true }));

/**
 * Each class's variables in the order its `build()` creates them, trainable first as
 * `save_own_variables` stores them. Classes not listed keep positional names (`vars/0`).
 */
const recurrent = (c: Record<string, unknown>): KerasVariable[] => named('kernel', 'recurrent_kernel', flag(c, 'use_bias') && 'bias');

const VARIABLES: Record<string, (c: Record<string, unknown>) => KerasVariable[]> = {
  Dense: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  EinsumDense: (c) => named('kernel', typeof c.bias_axes === 'string' && 'bias'),
  Conv1D: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  Conv2D: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  Conv3D: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  Conv1DTranspose: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  Conv2DTranspose: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  Conv3DTranspose: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  DepthwiseConv1D: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  DepthwiseConv2D: (c) => named('kernel', flag(c, 'use_bias') && 'bias'),
  SeparableConv1D: (c) => named('depthwise_kernel', 'pointwise_kernel', flag(c, 'use_bias') && 'bias'),
  SeparableConv2D: (c) => named('depthwise_kernel', 'pointwise_kernel', flag(c, 'use_bias') && 'bias'),
  Embedding: () => named('embeddings'),
  PReLU: () => named('alpha'),
  LayerNormalization: (c) => named(flag(c, 'scale') && 'gamma', flag(c, 'center') && 'beta'),
  GroupNormalization: (c) => named(flag(c, 'scale') && 'gamma', flag(c, 'center') && 'beta'),
  // moving_mean and moving_variance are non-trainable: model.summary() counts them apart.
  LSTMCell: recurrent,
  GRUCell: recurrent,
  SimpleRNNCell: recurrent,
  ConvLSTMCell: recurrent,
  BatchNormalization: (c) => [...named(flag(c, 'scale') && 'gamma', flag(c, 'center') && 'beta'), { name: 'moving_mean', trainable: false }, { name: 'moving_variance', trainable: false }],
};

/** The names of a layer's `count` stored variables; positional where the class or the count is not the known one. */
export function variableNames(layer: KerasLayer, count: number): KerasVariable[] {
  const known = VARIABLES[layer.className]?.(layer.config);
  if (known && known.length === count) return known;
  return Array.from({ length: count }, (_, i) => ({ name: `vars/${i}`, trainable: true }));
}

/**
 * The recurrent layers' cells: Keras saves one at the layer's `cell` attribute
 * (`layers/lstm/cell/vars`) and names it by class (keras/src/layers/rnn/lstm.py builds
 * `LSTMCell(..., name="lstm_cell")` with the layer's `use_bias`; gru.py, simple_rnn.py and
 * conv_lstm.py the same). A generic `RNN`'s config holds its cell's.
 */
const CELLS: Record<string, { className: string; name: string }> = {
  LSTM: { className: 'LSTMCell', name: 'lstm_cell' },
  GRU: { className: 'GRUCell', name: 'gru_cell' },
  SimpleRNN: { className: 'SimpleRNNCell', name: 'simple_rnn_cell' },
  ConvLSTM1D: { className: 'ConvLSTMCell', name: 'conv_lstm_cell' },
  ConvLSTM2D: { className: 'ConvLSTMCell', name: 'conv_lstm_cell' },
  ConvLSTM3D: { className: 'ConvLSTMCell', name: 'conv_lstm_cell' },
};

/** A layer from a serialized one inside a config (`{class_name, config: {name}}`). */
function layerOf(v: unknown): KerasLayer | undefined {
  if (!isObject(v) || typeof v.class_name !== 'string') return undefined;
  const config = isObject(v.config) ? v.config : {};
  return typeof config.name === 'string' ? { name: config.name, className: v.class_name, config } : undefined;
}

/**
 * What a layer keeps at one attribute that Keras saves as a saveable of its own: an RNN's `cell`,
 * a Bidirectional's `forward_layer` and `backward_layer` (keras/src/layers/rnn/bidirectional.py:
 * the configs `layer` and `backward_layer`; without the latter, the forward one renamed `backward_…`).
 */
function child(layer: KerasLayer, attr: string): KerasLayer | undefined {
  const c = layer.config;
  if (attr === 'cell') {
    const cell = CELLS[layer.className];
    return cell ? { ...cell, config: { use_bias: c.use_bias } } : layer.className === 'RNN' ? layerOf(c.cell) : undefined;
  }
  if (layer.className !== 'Bidirectional') return undefined;
  const forward = layerOf(c.layer);
  if (attr === 'forward_layer') return forward;
  if (attr !== 'backward_layer') return undefined;
  return layerOf(c.backward_layer) ?? (forward && { ...forward, name: `backward_${forward.name.replace(/^forward_/, '')}` });
}

/** A saveable below a layer's own path: the attributes down to it with their layers, and its variables. */
export interface SubSaveable {
  parts: Array<{ attr: string; layer: KerasLayer }>;
  variables: KerasVariable[];
}

/** What a layer keeps at `<layer path>/<attr path>` (`forward_layer/cell`) with `count` variables; undefined where not known. */
export function subSaveable(layer: KerasLayer, attrPath: string, count: number): SubSaveable | undefined {
  const parts: SubSaveable['parts'] = [];
  let at: KerasLayer | undefined = layer;
  for (const attr of attrPath.split('/')) {
    at = at && child(at, attr);
    if (!at) return undefined;
    parts.push({ attr, layer: at });
  }
  const variables = VARIABLES[at!.className]?.(at!.config);
  return variables && variables.length === count ? { parts, variables } : undefined;
}

const CLASS_BY_KEY = new Map(Object.keys(VARIABLES).map((c) => [toSnakeCase(c), c]));

/**
 * A built-in layer's class and variable names from its group in a Keras 3 weights file without a
 * config: `_save_container_state` names the group by the class in snake case with a per-class
 * counter (`conv2d_1`: Conv2D). Its variables as the class's default config makes them, or
 * without a bias; undefined where neither gives `count` variables.
 */
export function layerFromKey(key: string, count: number): { className: string; variables: KerasVariable[] } | undefined {
  const className = CLASS_BY_KEY.get(key.replace(/_\d+$/, ''));
  if (className === undefined) return undefined;
  for (const config of [{}, { use_bias: false }]) {
    const variables = VARIABLES[className]!(config);
    if (variables.length === count) return { className, variables };
  }
  return undefined;
}

/** Variable names Keras never trains, wherever they appear (a Keras 2 weight name's last part). */
export const NON_TRAINABLE_NAMES: ReadonlySet<string> = new Set(['moving_mean', 'moving_variance']);

/**
 * `compute_fans` of Keras's initializers: a kernel `[*receptive, in, out]` (Dense `[in, out]`)
 * has fan_in = in × receptive field and fan_out = out × receptive field. Only rank ≥ 2: torch's
 * shape rule gives vectors their own fans.
 */
export function kerasFans(shape: readonly number[]): Fans | undefined {
  if (shape.length < 2) return undefined;
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/** Builds the module tree: the model's layers (classes from the config), then tensors put in place. */
export class ModuleTreeBuilder {
  private nextId = 1;
  readonly root: RawModule;
  private readonly byPath = new Map<string, RawModule>();

  constructor(model: KerasModel | undefined) {
    this.root = { id: 0, type: model?.className ?? null, typeModule: null, children: [], parameters: [], buffers: [] };
    this.byPath.set('', this.root);
    if (model) this.addLayers(this.root, '', model.className, model.layers);
  }

  private addLayers(parent: RawModule, prefix: string, className: string, layers: readonly KerasLayer[]): void {
    for (const layer of modelLayers(className, layers)) {
      const node = this.module(prefix ? `${prefix}/${layer.name}` : layer.name, parent, layer.name, layer.className);
      if (layer.layers) this.addLayers(node, prefix ? `${prefix}/${layer.name}` : layer.name, layer.className, layer.layers);
    }
  }

  /** Names a module's class where the file says it elsewhere (the optimizer's, from the compile config). */
  setType(path: string, type: string): void {
    const m = this.byPath.get(path);
    if (m && m.type === null) m.type = type;
  }

  /** A module Keras lists without a config to say its class (an `.h5`'s `layer_names`, weights or not). */
  addLayer(name: string): void {
    this.module(name, this.root, name, null);
  }

  private module(path: string, parent: RawModule, name: string, type: string | null): RawModule {
    let m = this.byPath.get(path);
    if (!m) {
      m = { id: this.nextId++, type, typeModule: null, children: [], parameters: [], buffers: [] };
      parent.children.push([name, m]);
      this.byPath.set(path, m);
    }
    return m;
  }

  /** Puts a tensor under the modules its `/`-separated name names (all but the last part), creating untyped ones. */
  add(tensorName: string, buffer: boolean, moduleDepth: number): void {
    const parts = tensorName.split('/');
    const depth = Math.min(Math.max(moduleDepth, 0), parts.length - 1);
    let node = this.root;
    for (let i = 0; i < depth; i++) node = this.module(parts.slice(0, i + 1).join('/'), node, parts[i]!, null);
    (buffer ? node.buffers : node.parameters).push([parts.slice(depth).join('/'), tensorName]);
  }
}
