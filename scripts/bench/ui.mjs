// `npm run bench:ui`: editor latencies of the packaged extension in a real VS Code (code-server) in
// headless Chromium, on a generated workspace of realistic models (scripts/bench/uiModels.mjs).
// Each run opens a fresh window (its own extension host, so activation is cold) on a fresh folder
// of hard links to the models, and times what a person waits for. Every number is printed as the
// median of the runs and as a ratio to a baseline measured in the same window: a built-in command
// round trip in the workbench (F1, type, the palette lists the command), which costs the same
// renderer work on any machine. Options: --runs N (default 3), --keep (keep the models folder's
// path printed, reused by the next run anyway), BENCH_UI_DIR to choose where models are generated.
/* global process, console, performance */
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeBrowser, launchBrowser } from '../e2e/browser.mjs';
import { createRun, startCodeServer, workbenchUrl } from '../e2e/codeServer.mjs';
import { repoRoot, vsixPath } from '../e2e/paths.mjs';
import { BENCH_MODELS, ensureBenchModels } from './uiModels.mjs';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] || 0) || 3;
const BASELINE_REPEATS = 5;
const WAIT_MS = 120_000;
const log = (m) => console.log(`bench:ui: ${m}`);

const wb = await import(pathToFileURL(path.join(repoRoot, 'out', 'e2e', 'workbench.js')).href);
const { openPalette, quickInputRow, exactly, treeRow, expandRow, scrollIntoView, visibleWebview, waitForActiveTab, pickWhenListed, resizeSideBar, READABLE_SIDE_BAR_WIDTH } = wb.default ?? wb;

/** A workspace folder of hard links (no copies of 1 GB; a new folder so no restored state). */
function linkWorkspace(models, dest) {
  mkdirSync(dest, { recursive: true });
  for (const name of readdirSync(models)) {
    if (name.startsWith('.')) continue;
    const from = path.join(models, name);
    if (statSync(from).isDirectory()) linkWorkspace(from, path.join(dest, name));
    else linkSync(from, path.join(dest, name));
  }
  return dest;
}

const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** F1, type a built-in command's title, wait until the palette lists it; Escape. */
async function paletteRoundTrip(page) {
  const title = 'Preferences: Open Settings (UI)';
  const t = now();
  await openPalette(page, title);
  await quickInputRow(page, exactly(title)).waitFor({ timeout: WAIT_MS });
  const ms = now() - t;
  await page.keyboard.press('Escape');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: WAIT_MS });
  return ms;
}

/** Runs a ParamScope model command from the palette and picks `file`; resolves at the pick's click. */
async function runOnModel(page, title, file) {
  const widget = page.locator('.quick-input-widget');
  await pickWhenListed(page, () => openPalette(page, title), title);
  await page.keyboard.press('Enter');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: WAIT_MS });
  await widget.locator('input.input').fill(file);
  const pick = quickInputRow(page, exactly(file));
  await pick.waitFor({ timeout: WAIT_MS });
  const t = now();
  await pick.click();
  return t;
}

async function oneRun(context, server, models, run, i) {
  const ws = linkWorkspace(models, path.join(run.runDir, `ws-${i}`, 'workspace'));
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const r = {};
  try {
    await page.goto(workbenchUrl(server, ws), { timeout: WAIT_MS });
    await page.locator('.explorer-folders-view .monaco-list-row[aria-label="gpt2.safetensors"]').waitFor({ timeout: WAIT_MS });
    const base = [];
    for (let k = 0; k < BASELINE_REPEATS; k++) base.push(await paletteRoundTrip(page));
    r.baseline = median(base);

    // Activation: the Models view's first open activates the extension (onView).
    const item = page.locator('.activitybar .action-item', { has: page.locator('a.action-label[aria-label="ParamScope"]') });
    await item.waitFor({ timeout: WAIT_MS });
    const t0 = now();
    await item.click();
    const pane = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header h3.title', { hasText: exactly('Models') }) });
    const rows = pane.locator('.monaco-list-row[role="treeitem"]');
    await rows.first().waitFor({ timeout: WAIT_MS });
    r.firstRow = now() - t0;
    // Every model row shows its count (`124.4M params · safetensors`; read as "…, 124,439,808 parameters").
    for (;;) {
      const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      if (labels.filter((l) => /, [\d,]+ parameters/.test(l)).length >= BENCH_MODELS.length) break;
      if (now() - t0 > WAIT_MS) throw new Error(`not every model shows its count: ${JSON.stringify(labels)}`);
      await page.waitForTimeout(20);
    }
    r.allCounts = now() - t0;
    await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);

    // A small parameter: small-mlp → fc1 → bias, then fc2 → bias (webview already open).
    const list = pane.locator('.monaco-list');
    const file = treeRow(pane, 'small-mlp.safetensors', 1);
    await scrollIntoView(page, list, file);
    await expandRow(file);
    for (const [key, mod] of [['statsFirst', 'fc1'], ['statsSecond', 'fc2']]) {
      const m = treeRow(pane, mod, 2);
      await scrollIntoView(page, list, m);
      await expandRow(m);
      const bias = treeRow(pane, 'bias', 3).last();
      const t = now();
      await bias.locator('.label-name').click();
      await waitForActiveTab(page, `${mod}.bias · small-mlp.safetensors`);
      r[`${key}Tab`] = now() - t;
      const panel = visibleWebview(page);
      await panel.locator('h1', { hasText: exactly(`${mod}.bias`) }).waitFor({ timeout: WAIT_MS });
      await panel.locator('td[data-stat="count"]').waitFor({ timeout: WAIT_MS });
      r[key] = now() - t;
      await panel.locator('section.histogram canvas[data-drawn]').first().waitFor({ timeout: WAIT_MS });
      r[`${key}Histogram`] = now() - t;
      await expandRow(m).catch(() => {});
      await m.locator('.monaco-tl-contents').click(); // collapse again
    }

    // Heatmap of GPT-2's 50257×768 embedding, from the tree.
    const gpt2 = treeRow(pane, 'gpt2.safetensors', 1);
    await scrollIntoView(page, list, gpt2);
    await expandRow(gpt2);
    const wte = treeRow(pane, 'wte', 2);
    await scrollIntoView(page, list, wte);
    await expandRow(wte);
    const weight = treeRow(pane, 'weight', 3).first();
    await scrollIntoView(page, list, weight);
    let t = now();
    await weight.locator('.label-name').click();
    const panel = visibleWebview(page);
    await panel.locator('h1', { hasText: exactly('wte.weight') }).waitFor({ timeout: WAIT_MS });
    await panel.locator('section.heatmap canvas[data-drawn]').waitFor({ timeout: WAIT_MS });
    r.heatmap = now() - t;
    await panel.locator('td[data-stat="count"]').waitFor({ timeout: WAIT_MS });
    r.embeddingStats = now() - t;

    // Init report of GPT-2: until the status line gives the total (no longer "Detecting").
    t = await runOnModel(page, 'ParamScope: Show Init Report', 'gpt2.safetensors');
    await waitForActiveTab(page, 'Init report · gpt2.safetensors');
    const report = visibleWebview(page);
    await report.locator('p[role="status"]', { hasText: /^[\d,]+ parameters/ }).waitFor({ timeout: WAIT_MS });
    r.initReport = now() - t;

    t = await runOnModel(page, 'ParamScope: Show Tied Parameters', 'gpt2.safetensors');
    await waitForActiveTab(page, 'Tied parameters · gpt2.safetensors');
    await visibleWebview(page).locator('p.summary').waitFor({ timeout: WAIT_MS });
    r.ties = now() - t;
    await page.screenshot({ path: path.join(run.runDir, `run-${i}-end.png`) });
  } finally {
    await page.close().catch(() => {});
  }
  return r;
}

/** The ParamScope log lines of the runs (timings the extension logs), newest window last. */
function extensionLogs(run) {
  const out = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/ParamScope\.log$/.test(n)) out.push(readFileSync(p, 'utf8'));
    }
  };
  try {
    walk(path.join(run.userDataDir, 'logs'));
  } catch {
    // no logs
  }
  return out;
}

const ROWS = [
  ['firstRow', 'activation → first Models row painted', 1000],
  ['allCounts', 'activation → every model shows its count', undefined],
  ['statsFirstTab', 'click small parameter → panel tab (first panel)', undefined],
  ['statsFirst', 'click small parameter → statistics shown (first panel)', 300],
  ['statsFirstHistogram', 'click small parameter → histogram drawn (first panel)', undefined],
  ['statsSecond', 'click another small parameter → statistics shown', 300],
  ['statsSecondHistogram', 'click another small parameter → histogram drawn', undefined],
  ['heatmap', 'click wte.weight (50257×768) → heatmap painted', undefined],
  ['embeddingStats', 'click wte.weight → its statistics shown', undefined],
  ['initReport', 'GPT-2 init report (palette pick) → complete', 5000],
  ['ties', 'GPT-2 tied parameters (palette pick) → shown', undefined],
];

async function main() {
  const root = process.env.BENCH_UI_DIR ?? path.join(os.tmpdir(), 'paramscope-bench-ui');
  const models = ensureBenchModels(root, log);
  const run = createRun('bench-ui');
  let server;
  let context;
  const results = [];
  try {
    server = await startCodeServer({ run, vsix: [vsixPath] });
    context = await launchBrowser(run);
    for (const blank of context.pages()) await blank.close();
    for (let i = 1; i <= RUNS; i++) {
      const r = await oneRun(context, server, models, run, i);
      results.push(r);
      log(`run ${i}: ${Object.entries(r).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}`);
    }
  } finally {
    await closeBrowser(context);
    await server?.stop();
  }
  const base = median(results.map((r) => r.baseline));
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`\nParamScope editor latency, median of ${RUNS} runs · ${os.cpus().length} CPUs · load ${load} · node ${process.version}`);
  console.log(`baseline (palette round trip of a built-in command): ${base.toFixed(0)} ms\n`);
  console.log(`${'what'.padEnd(58)}${'median ms'.padStart(10)}${'× base'.padStart(9)}${'target'.padStart(9)}`);
  for (const [k, label, target] of ROWS) {
    const m = median(results.map((r) => r[k]));
    console.log(`${label.padEnd(58)}${m.toFixed(0).padStart(10)}${(m / base).toFixed(1).padStart(9)}${(target ? `${target}` : '').padStart(9)}${target ? (m <= target ? ' ok' : ' MISSED') : ''}`);
  }
  const lines = extensionLogs(run).join('\n').split('\n').filter((l) => /\btiming\b/.test(l));
  if (lines.length) console.log(`\nextension timings (log):\n${lines.slice(-60).join('\n')}`);
  console.log(`\nmodels: ${models}; run folder: ${path.relative(repoRoot, run.runDir)}`);
}

await main();
process.exit(0);
