/**
 * The scheme a module type's layers share (one init loop per type), as the model-level pass
 * (model/init/attributeModelInit.ts) found it. Shared by the model layer and the protocol.
 */
export interface ModuleScheme {
  /** Module class and parameter (`Conv2d.weight`), or the shape's role where the file names no class (`conv.weight`). */
  group: string;
  scheme: string;
  /** The scheme's identity arguments (mode, nonlinearity, gain; a fixed normal's std), not the per-shape bound or std. */
  params: Record<string, number | string>;
  /** Layers in the group. */
  layers: number;
  /** Layers whose own values single out one law. */
  strong: number;
  /** Strong layers whose law this scheme gives. */
  votes: number;
}
