// ParamScope's own screens as a person sees them, checked against what torch computed for the
// fixtures (test/fixtures/expected.json, written by make_fixtures.py).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import type { Expected, ExpectedFile, ExpectedModule, ExpectedStats, ExpectedTensor } from '../unit/fixtureFiles';
import { exactly, openPalette, openViewContainer, pickWhenListed, quickInputRow, STEP_TIMEOUT_MS, visibleWebview, waitForActiveTab, WORKBENCH_TIMEOUT_MS } from './workbench';

/** The activity-bar container and its view, as package.json names them. */
export const CONTAINER_TITLE = 'ParamScope';
export const MODELS_VIEW_TITLE = 'Models';
/** Statistics take a worker round trip; a loaded CI box may be slow. */
const STATS_TIMEOUT_MS = 30_000;
/** The page prints 6 significant digits, so a printed number is within 5e-6 relative of the exact one. */
const PRINTED_RELATIVE_TOLERANCE = 1e-5;

// Bundled into out/e2e/, two levels below the repository root.
const repoRoot = path.resolve(__dirname, '..', '..');
let expectedCache: Expected | undefined;

function loadExpected(): Expected {
  return (expectedCache ??= JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'expected.json'), 'utf8')) as Expected);
}

/** What torch says about a fixture, by its path under test/fixtures/models/ (e.g. `rgnet.pt`). */
export function expectedFile(file: string): ExpectedFile {
  const f = loadExpected().files[`models/${file}`];
  if (!f) throw new Error(`expected.json has no models/${file}`);
  return f;
}

/** Every readable fixture, by path under test/fixtures/models/ (the model diff's pairs and the broadcast views included). */
export function expectedFileNames(): string[] {
  const fixture = (name: string): unknown => JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', name), 'utf8'));
  const diff = fixture('expected_diff.json') as { pairs: Array<{ a: string; b: string }> };
  const broadcast = Object.keys(fixture('expected_broadcast.json') as Record<string, unknown>);
  const files = new Set([...Object.keys(loadExpected().files), ...diff.pairs.flatMap((p) => [p.a, p.b]), ...broadcast]);
  return [...files].filter((k) => k.startsWith('models/')).map((k) => k.replace(/^models\//, ''));
}

/** The truncated fixtures, by path under test/fixtures/ (`models/broken/net.truncated.pt`). */
export function expectedBroken(): Expected['broken'] {
  return loadExpected().broken;
}

/** A broken fixture ParamScope still lists: a safetensors file cut inside its data section. */
export function isPartlyReadable(info: Expected['broken'][string]): boolean {
  return info.format === 'safetensors' && info.cutInside === 'data';
}

/**
 * What a safetensors fixture cut inside its data still holds, from the header of the torch-made
 * file it was cut from: the tensors wholly before the cut (torch's entries), the names of the
 * others in data order, and the data bytes present and promised.
 */
export function expectedPartial(brokenRel: string): { intact: ExpectedTensor[]; missing: string[]; presentBytes: number; expectedBytes: number } {
  const info = loadExpected().broken[brokenRel];
  if (!info || !isPartlyReadable(info)) throw new Error(`expected.json has no safetensors file cut inside its data at ${brokenRel}`);
  const original = readFileSync(path.join(repoRoot, 'test', 'fixtures', info.from));
  const headerBytes = 8 + Number(original.readBigUInt64LE(0));
  const header = JSON.parse(original.subarray(8, headerBytes).toString('utf8')) as Record<string, { data_offsets?: [number, number] }>;
  const spans = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, e]) => ({ name, begin: e.data_offsets![0], end: e.data_offsets![1] }))
    .sort((a, b) => a.begin - b.begin);
  const presentBytes = info.bytes - headerBytes;
  const intact = new Set(spans.filter((s) => s.end <= presentBytes).map((s) => s.name));
  return {
    intact: expectedFile(info.from.replace(/^models\//, '')).tensors.filter((t) => intact.has(t.name)),
    missing: spans.filter((s) => !intact.has(s.name)).map((s) => s.name),
    presentBytes,
    expectedBytes: Math.max(...spans.map((s) => s.end)),
  };
}

export function expectedTensor(file: string, name: string): ExpectedTensor {
  const t = expectedFile(file).tensors.find((x) => x.name === name);
  if (!t) throw new Error(`expected.json has no tensor '${name}' in models/${file}`);
  return t;
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The module at a qualified name (`0.block 1`) of a fixture's torch module tree. */
export function expectedModule(file: string, qualifiedName: string): ExpectedModule & { qualifiedName: string; path: string } {
  const root = expectedFile(file).modules as (ExpectedModule & { qualifiedName: string; path: string }) | undefined;
  if (!root) throw new Error(`expected.json has no module tree for models/${file}`);
  const found = (function find(m: typeof root): typeof root | undefined {
    if (m.qualifiedName === qualifiedName) return m;
    for (const c of m.children as (typeof root)[]) {
      const hit = find(c);
      if (hit) return hit;
    }
    return undefined;
  })(root);
  if (!found) throw new Error(`models/${file} has no module '${qualifiedName}'`);
  return found;
}

/** Parameters and buffers under a module, as torch counts them (no ties in the files used here). */
export function expectedModuleCount(file: string, m: ExpectedModule): number {
  const own = m.parameters.reduce((n, name) => n + elementCount(expectedTensor(file, name).shape), 0);
  return m.children.reduce((n, c) => n + expectedModuleCount(file, c), own);
}

/** Opens the ParamScope container from the activity bar; returns the Models view. */
export function openModelsView(page: Page): Promise<Locator> {
  return openViewContainer(page, CONTAINER_TITLE, MODELS_VIEW_TITLE);
}

/** `1,234` → 1234. */
const countOf = (text: string): number => Number(text.replace(/,/g, ''));

function assertPrintedClose(printed: string, exact: number | null, what: string): void {
  assert.ok(exact !== null, `torch has no ${what}`);
  const value = Number(printed);
  assert.ok(Number.isFinite(value), `${what} shows "${printed}", not a number`);
  const tolerance = Math.max(Math.abs(exact) * PRINTED_RELATIVE_TOLERANCE, 1e-12);
  assert.ok(Math.abs(value - exact) <= tolerance, `${what} shows ${printed}; torch computed ${exact}`);
}

/**
 * Checks the parameter panel on screen against torch: title, access path, chips, every statistic,
 * the histogram and heatmap drawn, and the first row of the values table. Returns the shown stats.
 */
export async function assertParameterPanel(page: Page, file: string, name: string): Promise<Record<string, string>> {
  const t = expectedTensor(file, name);
  const stats = t.stats as ExpectedStats;
  await waitForActiveTab(page, `${name} · ${path.basename(file)}`);
  const panel = visibleWebview(page);

  await panel.locator('h1').filter({ hasText: name }).waitFor({ timeout: STEP_TIMEOUT_MS });
  assert.equal(await panel.locator('h1').innerText(), name, 'the panel heading is not the state_dict key');
  assert.equal(await panel.locator('header code.path').innerText(), t.path, 'the access path differs from torch');
  const chips = await panel.locator('header .chip').allInnerTexts();
  assert.ok(chips.includes(`dtype ${t.dtype}`), `no "dtype ${t.dtype}" chip in ${JSON.stringify(chips)}`);
  assert.ok(chips.includes(`shape [${t.shape.join(', ')}]`), `no shape chip for [${t.shape.join(', ')}] in ${JSON.stringify(chips)}`);

  // The count cell is filled when the statistics arrive.
  await panel.locator('td[data-stat="count"]').waitFor({ timeout: STATS_TIMEOUT_MS });
  const shown: Record<string, string> = {};
  for (const cell of await panel.locator('td[data-stat]').all()) shown[(await cell.getAttribute('data-stat')) ?? ''] = await cell.innerText();
  assert.equal(countOf(shown.count ?? ''), stats.count, 'count');
  for (const k of ['min', 'max', 'mean', 'std'] as const) assertPrintedClose(shown[k] ?? '', stats[k], k);
  assertPrintedClose(shown['L2 norm'] ?? '', stats.l2, 'L2 norm');
  assert.equal(countOf(shown.zeros ?? ''), stats.zeros, 'zeros');
  assert.equal(countOf(shown.NaN ?? ''), stats.nan, 'NaN');
  assert.equal(countOf(shown['±Inf'] ?? ''), stats.inf, '±Inf');
  assert.equal(await panel.locator('.status.error').count(), 0, 'the panel shows an error');

  // data-drawn is set by the chart after it painted: the values counted into bins, W x H cells.
  const histogram = panel.locator('section.histogram canvas[data-drawn]');
  await histogram.waitFor({ timeout: STATS_TIMEOUT_MS });
  const binned = (stats.histogram?.counts ?? []).reduce((a, b) => a + b, 0);
  assert.equal(await histogram.getAttribute('data-drawn'), String(binned), 'the histogram drew a different number of values than torch binned');
  const heatmap = panel.locator('section.heatmap canvas[data-drawn]');
  await heatmap.waitFor({ timeout: STATS_TIMEOUT_MS });
  const [rows, cols] = t.shape.length === 1 ? [1, t.shape[0]!] : [t.shape[t.shape.length - 2]!, t.shape[t.shape.length - 1]!];
  assert.equal(await heatmap.getAttribute('data-drawn'), `${cols}x${rows}`, 'the heatmap is not one cell per value');

  // The values table's first row holds the first values in storage order.
  const firstRow = panel.locator('section.values [role="row"]', { has: panel.locator('[role="rowheader"]', { hasText: /^0$/ }) });
  await firstRow.waitFor({ timeout: STEP_TIMEOUT_MS });
  const cells = await firstRow.locator('[role="gridcell"]').allInnerTexts();
  const want = (t.values ?? []).slice(0, Math.min(cols, cells.length)).map(Number);
  assert.ok(want.length > 0, 'the values table shows no values');
  want.forEach((v, j) => assertPrintedClose(cells[j] ?? '', v, `value [0, ${j}]`));
  return shown;
}

/** Opens a parameter through Find Parameter… (`name` and `file` typed, the row of `file` picked). */
export async function openParameter(page: Page, name: string, file: string): Promise<FrameLocator> {
  // The pick fills model by model, and a webview that just loaded may take the focus and close
  // it: a click or a fill can miss, so the whole step is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      // Not runFromPalette: its wait for the palette to close races with the pick this command opens.
      const title = 'ParamScope: Find Parameter…';
      await (await pickWhenListed(page, () => openPalette(page, title), exactly(title))).click();
      const widget = page.locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: 'ParamScope: Find Parameter' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await widget.locator('input.input').fill(`${name} ${file}`, { timeout: 5_000 });
      const pick = widget.locator('.quick-input-list .monaco-list-row').filter({ hasText: `${name} — ` }).filter({ hasText: file }).first();
      await pick.waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      await page.waitForTimeout(300);
      await pick.click({ timeout: 5_000 });
      await waitForActiveTab(page, `${name} · ${file}`);
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
  }
  const panel = visibleWebview(page);
  await panel.locator('h1').filter({ hasText: exactly(name) }).waitFor({ timeout: STEP_TIMEOUT_MS });
  return panel;
}

/** Runs a model command from the palette and picks `file` in the quick pick of models it opens. */
export async function runOnModel(page: Page, title: string, file: string, shot?: () => Promise<unknown>): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  // The command's own quick pick, titled like the command, lists the workspace's model files. Under
  // load the palette can swallow the Enter while it closes: run the command once more if so.
  for (let attempt = 1; ; attempt++) {
    await pickWhenListed(page, () => openPalette(page, title), title);
    await page.keyboard.press('Enter');
    try {
      await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: STEP_TIMEOUT_MS });
      break;
    } catch (e) {
      if (attempt >= 2) throw e;
      console.log(`ui: "${title}" showed no model pick within ${STEP_TIMEOUT_MS} ms; running it again`);
      await page.keyboard.press('Escape');
    }
  }
  await widget.locator('input.input').fill(file);
  const pick = quickInputRow(page, exactly(file));
  await pick.waitFor({ timeout: STEP_TIMEOUT_MS });
  await shot?.();
  await pick.click();
  await widget.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
}
