import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Root of the torch-made fixtures (see test/fixtures/README.md). */
export const FIXTURES = join(__dirname, '..', 'fixtures');

export interface ExpectedStats {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  zeros: number;
  nan: number;
  inf: number;
  l2: number | null;
  histogram: { min: number; max: number; counts: number[] } | null;
}

export interface ExpectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  kind: string;
  path: string;
  values?: Array<number | string>;
  stats?: ExpectedStats | null;
}

export interface ExpectedModule {
  name: string;
  type: string | null;
  sameAs: string | null;
  children: ExpectedModule[];
  parameters: string[];
}

export interface ExpectedFile {
  format: string;
  rootName: string;
  isModule: boolean;
  print?: string;
  modules?: ExpectedModule;
  totalParameters?: number;
  tensors: ExpectedTensor[];
  ties: string[][];
  metadata: Record<string, unknown>;
}

export interface Expected {
  torchVersion: string;
  files: Record<string, ExpectedFile>;
  /** Truncated copies: `bytes` of `from` (`originalBytes` long); safetensors also give where the data starts. */
  broken: Record<string, { from: string; format: string; originalBytes: number; bytes: number; headerBytes?: number; cutInside: string }>;
  hostile: Record<string, { format: string; refused: string; marker: string; tensors: string[] }>;
}

export const expected: Expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));

/** Expected values use strings for non-finite numbers (JSON has none). */
export function expectedNumber(v: number | string): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v as number;
}
