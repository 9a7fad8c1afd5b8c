import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TensorDiff } from '../../src/runtime/tensorDiff';
import { FIXTURES } from './fixtureFiles';

/** What torch says of one row of a diff (see test/fixtures/make_diff_fixtures.py). */
export interface ExpectedDiffRow {
  name: string;
  nameA: string | null;
  nameB: string | null;
  status: string;
  dtypeA: string | null;
  dtypeB: string | null;
  shapeA: number[] | null;
  shapeB: number[] | null;
  metrics: TensorDiff | null;
}

export interface ExpectedDiffPair {
  /** Paths under test/fixtures/ (`models/diff/before.pt`). */
  a: string;
  b: string;
  prefix: { a: string; b: string };
  summary: { matched: number; identical: number; changed: number; added: number; removed: number; reshaped: number; dtypeChanged: number };
  tensors: ExpectedDiffRow[];
}

export const expectedDiff: { torchVersion: string; pairs: ExpectedDiffPair[] } = JSON.parse(readFileSync(join(FIXTURES, 'expected_diff.json'), 'utf8'));

/** The expected pair of two fixtures, by path under test/fixtures/models/. */
export function expectedPair(a: string, b: string): ExpectedDiffPair {
  const p = expectedDiff.pairs.find((x) => x.a === `models/${a}` && x.b === `models/${b}`);
  if (!p) throw new Error(`expected_diff.json has no pair ${a} / ${b}`);
  return p;
}

/** Relative agreement for sums and ratios: torch sums pairwise, we sum in blocks with compensation. */
const REL = 1e-9;

function close(ours: number | null, torch: number | null, what: string): void {
  if (torch === null || ours === null) {
    expect(ours, what).toBe(torch);
    return;
  }
  const scale = Math.max(Math.abs(torch), Number.MIN_VALUE);
  expect(Math.abs(ours - torch) / scale, `${what}: ours ${ours}, torch ${torch}`).toBeLessThanOrEqual(REL);
}

/** Counts and the identical flag exactly; sums and ratios to 1e-9 relative. */
export function expectMetricsLikeTorch(ours: TensorDiff | null | undefined, torch: TensorDiff | null, name: string): void {
  if (torch === null) {
    expect(ours ?? null, name).toBeNull();
    return;
  }
  expect(ours, name).toBeDefined();
  const o = ours!;
  expect({ count: o.count, compared: o.compared, nanMismatch: o.nanMismatch, infMismatch: o.infMismatch, identical: o.identical }, name).toEqual({
    count: torch.count,
    compared: torch.compared,
    nanMismatch: torch.nanMismatch,
    infMismatch: torch.infMismatch,
    identical: torch.identical,
  });
  for (const k of ['sumSqA', 'sumSqB', 'sumSqDiff', 'dot', 'relL2', 'maxAbsDiff', 'cosine'] as const) close(o[k], torch[k], `${name}.${k}`);
}
