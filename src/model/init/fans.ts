/**
 * fan_in and fan_out exactly as `torch.nn.init._calculate_fan_in_and_fan_out` computes them:
 * dim 1 is the input feature maps, dim 0 the output ones, and trailing dims the receptive field.
 * Source: torch/nn/init.py (PyTorch 1.13).
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } | undefined {
  if (shape.length < 2) return undefined;
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/**
 * `torch.nn.init.calculate_gain` for the nonlinearities people pass to xavier/kaiming.
 * Source: torch/nn/init.py. leaky_relu uses its default slope 0.01 (a gain within 0.005% of relu's,
 * so the two cannot be told apart from values and are reported as relu).
 */
export const GAINS: ReadonlyArray<{ nonlinearity: string; gain: number }> = [
  { nonlinearity: 'linear', gain: 1 },
  { nonlinearity: 'relu', gain: Math.SQRT2 },
  { nonlinearity: 'tanh', gain: 5 / 3 },
  { nonlinearity: 'selu', gain: 3 / 4 },
];
