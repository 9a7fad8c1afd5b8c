import type { Fans } from '../../core/modelIndex';
import { labelPath, type FoundTensor, type GraphInfo, type NodeRef } from './onnxGraph';

/**
 * The input names onnx's operator schemas give (docs/Operators.md), for the ops that hold weights:
 * an opaque initializer consumed as Gemm's input 1 is named `<node>.B`.
 */
const INPUT_ROLES: Readonly<Record<string, readonly string[]>> = {
  Conv: ['X', 'W', 'B'],
  ConvTranspose: ['X', 'W', 'B'],
  Gemm: ['A', 'B', 'C'],
  MatMul: ['A', 'B'],
  BatchNormalization: ['X', 'scale', 'B', 'input_mean', 'input_var'],
  LayerNormalization: ['X', 'Scale', 'B'],
  InstanceNormalization: ['input', 'scale', 'B'],
  GroupNormalization: ['X', 'scale', 'bias'],
  Gather: ['data', 'indices'],
  Add: ['A', 'B'],
  Sub: ['A', 'B'],
  Mul: ['A', 'B'],
  Div: ['A', 'B'],
  PRelu: ['X', 'slope'],
  LSTM: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'],
  GRU: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
  RNN: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
  Reshape: ['data', 'shape'],
  QuantizeLinear: ['x', 'y_scale', 'y_zero_point'],
  DequantizeLinear: ['x', 'x_scale', 'x_zero_point'],
  MatMulInteger: ['A', 'B', 'a_zero_point', 'b_zero_point'],
  QLinearConv: ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point', 'B'],
  QLinearMatMul: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'],
};

/**
 * Names that say nothing of the layer (torch's `onnx::MatMul_45`, `onnx::Conv_123`, old exporters'
 * bare numbers, any `::`-scoped name): such a tensor is named after the node that consumes it.
 */
export function isOpaqueName(name: string): boolean {
  return name === '' || name.includes('::') || /^\d+$/.test(name);
}

/** One use of a value by a node: which node, as which input. */
export interface Use {
  node: NodeRef;
  input: number;
}

/** Each graph's consumers of each value name: graph path → name → first use. */
export function firstUses(graphs: readonly GraphInfo[]): Map<string, Map<string, Use>> {
  const out = new Map<string, Map<string, Use>>();
  for (const g of graphs) {
    const uses = new Map<string, Use>();
    for (const node of g.nodes) node.inputs.forEach((name, input) => (name !== '' && !uses.has(name) ? uses.set(name, { node, input }) : undefined));
    out.set(g.path, uses);
  }
  return out;
}

/** `<node path>.<input role>`: the readable name of an opaque tensor used by `use`. */
export function consumerName(use: Use, graphPath: string): string {
  const role = INPUT_ROLES[use.node.opType]?.[use.input] ?? `input${use.input}`;
  return `${graphPath ? `${graphPath}.` : ''}${labelPath(use.node.label)}.${role}`;
}

/**
 * fan_in and fan_out where the consuming op lays the weight out as `[in, out]` and torch would
 * not: MatMul's B, and Gemm's B unless `transB` = 1 (then it is torch's `[out, in]`). Conv weights
 * are torch's `[out, in, *kernel]`: no fans needed.
 */
export function fansOf(use: Use | undefined, shape: readonly number[]): Fans | undefined {
  if (!use || use.input !== 1 || shape.length !== 2 || use.node.domain !== '') return undefined;
  const op = use.node.opType;
  if (op === 'MatMul' || (op === 'Gemm' && use.node.transB === 0)) return { fanIn: shape[0]!, fanOut: shape[1]! };
  return undefined;
}

/**
 * The name a found tensor is listed under, before making it unique: opaque initializers get
 * their consumer's name, names with `/` (torch's node-scoped names) become dotted paths.
 */
export function readableName(t: FoundTensor, uses: Map<string, Map<string, Use>>, index: number): string {
  const use = uses.get(t.graphPath)?.get(t.name);
  if (t.sparse === undefined && isOpaqueName(t.name) && use) return consumerName(use, t.graphPath);
  if (t.name === '') return `${t.graphPath ? `${t.graphPath}.` : ''}${t.origin}_${index}`;
  return t.name.includes('/') ? labelPath(t.name) : t.name;
}
