// A seeded, bounded mutation fuzzer over every reader (`npm run fuzz -- --minutes N`; `npm test`
// runs it for a minute). Mutants run in a child process with a capped heap; the parent times each
// one and rebuilds any input that hung, crashed the child, broke the oracle or ran too long, and
// keeps it under test-results/fuzz/ to become a regression file (test/cases.json).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildConfig, ChildMessage } from './fuzzChild';
import { makeMutant } from './mutate';
import { loadSeeds } from './seeds';

/** The promise: every input ends, clearly, within a second. */
const SLOW_MS = 1000;
/** A mutant still running after this long is a hang: the child is killed and restarted after it. */
const HANG_MS = 10_000;
/** Heap cap of the child: a reader must never need more for a file of a few KB. */
const CHILD_HEAP_MB = 1024;
/** Resident memory after a mutant above this is a finding (buffers live outside the heap cap). */
const MAX_RSS_BYTES = 1536 * 1024 * 1024;
/** Findings printed in full (all are kept on disk); the rest are counted in the summary. */
const MAX_PRINTED = 25;
/** Findings kept on disk: enough to see every kind, without filling the disk on a bad day. */
const MAX_KEPT = 500;
/** CI's seed, so a run in `npm test` is the same run on every machine. */
const DEFAULT_SEED = 20261202;

interface Finding {
  kind: 'hang' | 'crash' | 'oracle' | 'slow' | 'memory';
  i: number;
  detail: string[];
}

const { values } = parseArgs({ options: { seconds: { type: 'string' }, minutes: { type: 'string' }, seed: { type: 'string' }, random: { type: 'boolean' }, max: { type: 'string' }, out: { type: 'string' }, seeds: { type: 'string' }, child: { type: 'string' } } });
const budgetMs = values.minutes ? Number(values.minutes) * 60_000 : (values.seconds ? Number(values.seconds) : 60) * 1000;
const seed = values.random ? Math.floor(Math.random() * 2 ** 31) : values.seed ? Number(values.seed) : DEFAULT_SEED;
const maxMutants = values.max ? Number(values.max) : Number.MAX_SAFE_INTEGER;
const outDir = resolve(values.out ?? 'test-results/fuzz');
const seedsRoot = resolve(values.seeds ?? 'test/fixtures');
const childScript = resolve(values.child ?? join(__dirname, 'fuzzChild.js'));

const seeds = loadSeeds(seedsRoot);
const workDir = mkdtempSync(join(tmpdir(), 'paramscope-fuzz-'));
const findings: Finding[] = [];
const perFormat = new Map<string, { mutants: number; opened: number; refused: number }>();
let slowest = { ms: 0, i: -1 };
let peakRss = { bytes: 0, i: -1 };
let done = 0;
const started = Date.now();
const deadline = started + budgetMs;

function keep(f: Finding): void {
  findings.push(f);
  if (findings.length > MAX_KEPT) return;
  const m = makeMutant(seeds, seed, f.i);
  const dir = join(outDir, `${f.kind}-${seed}-${f.i}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(m.files)) if (name === m.mutated || Object.keys(m.files).length > 1) writeFileSync(join(dir, name), bytes);
  writeFileSync(join(dir, 'finding.json'), JSON.stringify({ kind: f.kind, seed, mutant: f.i, from: m.seed.id, opened: m.seed.main, mutations: m.ops, detail: f.detail }, null, 1));
  if (findings.length > MAX_PRINTED) return;
  process.stdout.write(`fuzz: ${f.kind} on mutant ${f.i} of ${m.seed.id} (${m.ops.join(', ')}): ${f.detail.join('; ').slice(0, 400)}\n  kept in ${dir}\n`);
}

function runChild(from: number): Promise<number | undefined> {
  return new Promise((resolveRun) => {
    const cfgPath = join(workDir, `config-${from}.json`);
    const cfg: ChildConfig = { seedsRoot, seed, from, to: maxMutants, workDir };
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const child: ChildProcess = fork(childScript, [cfgPath], { execArgv: [`--max-old-space-size=${CHILD_HEAP_MB}`], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let current: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let next: number | undefined;
    let stopping = false;
    child.on('message', (m: ChildMessage) => {
      if (stopping) return;
      if (m.type === 'begin') {
        current = m.i;
        timer = setTimeout(() => {
          keep({ kind: 'hang', i: m.i, detail: [`still running after ${HANG_MS} ms`] });
          next = m.i + 1;
          current = undefined;
          child.kill('SIGKILL');
        }, HANG_MS);
        return;
      }
      clearTimeout(timer);
      current = undefined;
      done++;
      const f = perFormat.get(m.format) ?? { mutants: 0, opened: 0, refused: 0 };
      f.mutants++;
      f[m.outcome]++;
      perFormat.set(m.format, f);
      if (m.ms > slowest.ms) slowest = { ms: m.ms, i: m.i };
      if (m.rss > peakRss.bytes) peakRss = { bytes: m.rss, i: m.i };
      if (m.problems.length > 0) keep({ kind: 'oracle', i: m.i, detail: m.problems.slice(0, 20) });
      if (m.ms > SLOW_MS) keep({ kind: 'slow', i: m.i, detail: [`took ${Math.round(m.ms)} ms (limit ${SLOW_MS})`] });
      if (m.rss > MAX_RSS_BYTES) keep({ kind: 'memory', i: m.i, detail: [`resident ${Math.round(m.rss / 2 ** 20)} MiB after it`] });
      if (Date.now() > deadline || m.i + 1 >= maxMutants) {
        next = undefined;
        stopping = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (current !== undefined && !stopping) {
        keep({ kind: 'crash', i: current, detail: [`the process ended (${signal ?? `exit ${code}`})`, stderr.trim().split('\n').slice(-8).join('\n')] });
        next = current + 1;
      }
      resolveRun(next !== undefined && Date.now() < deadline && next < maxMutants ? next : undefined);
    });
  });
}

async function main(): Promise<void> {
  process.stdout.write(`fuzz: ${seeds.length} seeds from ${seedsRoot}, seed ${seed}, ${Math.round(budgetMs / 1000)} s\n`);
  let from: number | undefined = 0;
  while (from !== undefined) from = await runChild(from);
  rmSync(workDir, { recursive: true, force: true });
  const secs = (Date.now() - started) / 1000;
  for (const [format, f] of [...perFormat].sort()) process.stdout.write(`fuzz: ${format.padEnd(20)} ${String(f.mutants).padStart(7)} mutants  ${String(f.opened).padStart(6)} opened  ${String(f.refused).padStart(6)} refused\n`);
  process.stdout.write(`fuzz: ${done} mutants in ${secs.toFixed(1)} s (${Math.round(done / secs)}/s); slowest ${Math.round(slowest.ms)} ms (mutant ${slowest.i}); peak RSS ${Math.round(peakRss.bytes / 2 ** 20)} MiB (mutant ${peakRss.i})\n`);
  const kinds = new Map<string, number>();
  for (const f of findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  if (findings.length > 0) process.stdout.write(`fuzz: findings ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}; inputs in ${outDir}\n`);
  const failed = new Set(findings.map((f) => f.i)).size;
  process.stdout.write(`fuzz: ${done - failed} passed, ${failed} failed\n`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}

void main();
