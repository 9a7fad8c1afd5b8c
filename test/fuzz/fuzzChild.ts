// The fuzzer's worker process: builds mutants `from`, `from + 1`, … and checks each with the
// oracle, telling the parent when each starts and ends, so a hang or a crash is pinned on one input.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeMutant } from './mutate';
import { checkFile } from './oracle';
import { loadSeeds } from './seeds';

export interface ChildConfig {
  seedsRoot: string;
  seed: number;
  from: number;
  to: number;
  workDir: string;
}

export type ChildMessage =
  | { type: 'begin'; i: number }
  | { type: 'end'; i: number; format: string; outcome: 'opened' | 'refused'; problems: string[]; ms: number; rss: number };

const send = (m: ChildMessage): void => {
  process.send!(m);
};

async function main(): Promise<void> {
  const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ChildConfig;
  const seeds = loadSeeds(cfg.seedsRoot);
  for (let i = cfg.from; i < cfg.to; i++) {
    send({ type: 'begin', i });
    const m = makeMutant(seeds, cfg.seed, i);
    const dir = join(cfg.workDir, `m${i % 2}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(m.files)) writeFileSync(join(dir, name), bytes);
    const t0 = performance.now();
    let r;
    try {
      r = await checkFile(join(dir, m.seed.main), async (f) => readFileSync(f));
    } catch (e) {
      r = { outcome: 'opened' as const, problems: [`the oracle itself failed: ${(e as Error)?.stack ?? String(e)}`], tensors: 0 };
    }
    send({ type: 'end', i, format: m.seed.format, outcome: r.outcome, problems: r.problems, ms: performance.now() - t0, rss: process.memoryUsage().rss });
  }
  process.disconnect();
}

void main();
