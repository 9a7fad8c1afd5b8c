// A workspace holds truncated model files next to good ones. A person sees those with nothing to
// show in the Models view marked "cannot read", and a safetensors file cut inside its data (an
// interrupted download) listed with a warning and the tensors that are intact, while every other
// model is still listed and read; opening an unreadable one in the summary editor explains the
// problem in words, not with a stack trace.
import * as assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { elementCount, expectedBroken, expectedFile, expectedFileNames, expectedPartial, isPartlyReadable, openModelsView } from './paramScope';
import {
  exactly,
  expandRow,
  explorerRow,
  hoverText,
  moveMouseAway,
  notificationTexts,
  readAllRows,
  READABLE_SIDE_BAR_WIDTH,
  resizeSideBar,
  scrollIntoView,
  STEP_TIMEOUT_MS,
  treeRow,
  visibleWebview,
  waitForActiveTab,
  waitForWorkbench,
  WORKBENCH_TIMEOUT_MS,
  type TreeRowText,
  type UiTest,
} from './workbench';

/** Workspace-relative paths: `models/broken/x.pt` → `broken/x.pt`. */
const relPath = (rel: string): string => rel.replace(/^models\//, '');
/** The Models view shows files by name under their folder's row: `broken/x.pt` is `x.pt` under `broken`. */
const viewLabel = (rel: string): string => path.basename(rel);
/** The truncated copies make_fixtures.py writes into broken/, by workspace-relative path. */
const BROKEN = Object.keys(expectedBroken()).map(relPath);
/** Those with nothing to show (a cut zip, a cut safetensors header): marked "cannot read". */
const UNREADABLE = Object.entries(expectedBroken()).filter(([, b]) => !isPartlyReadable(b)).map(([k]) => relPath(k));
/** Rows of files inside broken/: level 2, under the folder's row. */
const IN_FOLDER = 2;
/** Safetensors files cut inside their data: listed with their intact tensors and a warning, by fixture path. */
const PARTIAL = Object.keys(expectedBroken()).filter((k) => isPartlyReadable(expectedBroken()[k]!));
/** Readable fixtures whose totals torch knows, listed next to the broken ones. */
const GOOD = ['net.pt', 'rgnet.pt', 'shared.pt', 'convnet.pt', 'mlp.pt', 'rgnet.proto5.pt', 'net.legacy.pt'];

/** Lines of a JavaScript stack trace or an internal error name: not for people. */
const STACK_TRACE = /^\s+at\s|\.(?:js|ts):\d+|\b(?:TypeError|RangeError|ReferenceError)\b/m;

const fmt = (n: number): string => n.toLocaleString('en-US');
/** A count as the Models view's rows show it (exact in tooltips): `3.1K`, `124.4M`; written here independently. */
const short = (n: number): string => (n < 1000 ? fmt(n) : n < 1e6 ? `${Math.round(n / 100) / 10}K` : `${Math.round(n / 1e5) / 10}M`);

/**
 * Model file rows by workspace-relative path: folders are level-1 rows (`3 models`), their files
 * level 2, after the "Training run" row (`3 checkpoints`) a folder of two or more models starts with.
 */
function fileRowsByPath(rows: readonly TreeRowText[]): Map<string, TreeRowText> {
  const out = new Map<string, TreeRowText>();
  let folder: string | undefined;
  for (const r of rows) {
    if (r.level === 1) {
      folder = /^\d+ models?$/.test(r.description) ? r.label : undefined;
      if (folder === undefined) out.set(r.label, r);
    } else if (r.level === 2 && folder !== undefined && !(r.label === 'Training run' && /^\d+ checkpoints$/.test(r.description))) out.set(`${folder}/${r.label}`, r);
  }
  return out;
}

/** Opens broken/<file> from the Explorer and returns what the summary editor says. */
async function openBrokenInSummary(page: Page, file: string): Promise<{ heading: string; message: string }> {
  const list = page.locator('.explorer-folders-view .monaco-list');
  const row = explorerRow(page, file);
  await scrollIntoView(page, list, row);
  await row.dblclick();
  await waitForActiveTab(page, file);
  const summary = visibleWebview(page);
  const message = summary.locator('p.status.error');
  await message.waitFor({ timeout: STEP_TIMEOUT_MS });
  await moveMouseAway(page);
  return { heading: await summary.locator('h1').innerText(), message: await message.innerText() };
}

export const tests: UiTest[] = [
  {
    name: 'broken files in the models view and summary editor',
    async run({ page, workspace, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      const models = await openModelsView(page);
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      const list = models.locator('.monaco-list');

      // The broken files are listed, each with its own mark.
      assert.ok(UNREADABLE.length > 0 && PARTIAL.length > 0, 'expected.json lists no unreadable or no partly readable broken file');
      const brokenFolder = treeRow(models, 'broken', 1);
      await scrollIntoView(page, list, brokenFolder, WORKBENCH_TIMEOUT_MS);
      assert.equal(await brokenFolder.getAttribute('aria-expanded'), 'true', 'the broken folder row is not expanded');
      await scrollIntoView(page, list, treeRow(models, viewLabel(UNREADABLE[0]!), IN_FOLDER), WORKBENCH_TIMEOUT_MS);
      await moveMouseAway(page);
      await shot('models-view-broken-files');
      for (const rel of UNREADABLE) {
        const file = viewLabel(rel);
        const row = treeRow(models, file, IN_FOLDER);
        await scrollIntoView(page, list, row);
        assert.equal(await row.locator('.label-description').innerText(), 'cannot read', `description of ${file}`);
        assert.equal(await row.locator('.codicon-error').count(), 1, `${file} has no error icon`);
        assert.equal(await row.getAttribute('aria-expanded'), null, `${file} offers to expand`);
        const spoken = (await row.getAttribute('aria-label')) ?? '';
        assert.ok(spoken.includes(file), `a screen reader does not hear the name of ${file}: ${spoken}`);
        assert.doesNotMatch(spoken, STACK_TRACE, `${file} reads out a stack trace`);
      }

      // Its hover says why.
      const reason = await hoverText(page, treeRow(models, viewLabel(UNREADABLE[0]!), IN_FOLDER).locator('.label-name'));
      await shot('broken-file-hover');
      assert.ok(reason.includes(path.join(workspace, UNREADABLE[0]!)), `the hover does not name the file: ${reason}`);
      assert.match(reason, /truncated|not a zip/i, `the hover does not say what is wrong: ${reason}`);
      assert.doesNotMatch(reason, STACK_TRACE, 'the hover shows a stack trace');
      await moveMouseAway(page);

      // A safetensors file cut inside its data: listed with a warning icon, its intact tensors counted.
      for (const rel of PARTIAL) {
        const file = viewLabel(rel);
        const { intact } = expectedPartial(rel);
        const count = intact.reduce((n, t) => n + elementCount(t.shape), 0);
        const row = treeRow(models, file, IN_FOLDER);
        await scrollIntoView(page, list, row);
        assert.equal(await row.locator('.label-description').innerText(), `${short(count)} params · safetensors`, `description of ${file}`);
        assert.equal(await row.locator('.codicon-warning').count(), 1, `${file} has no warning icon`);
        assert.equal(await row.locator('.codicon-error').count(), 0, `${file} is marked as an error`);
        assert.equal(await row.getAttribute('aria-expanded'), 'false', `${file} does not offer to expand`);
        const spoken = (await row.getAttribute('aria-label')) ?? '';
        assert.ok(spoken.includes(file), `a screen reader does not hear the name of ${file}: ${spoken}`);
        assert.match(spoken, /warning/, `a screen reader does not hear that ${file} has a warning: ${spoken}`);
      }
      // Its hover says what is missing.
      const partial = expectedPartial(PARTIAL[0]!);
      const partialRow = treeRow(models, viewLabel(PARTIAL[0]!), IN_FOLDER);
      const warning = await hoverText(page, partialRow.locator('.label-name'));
      await shot('partial-file-hover');
      const missingText = `${partial.missing.length} tensor${partial.missing.length === 1 ? '' : 's'} missing: ${partial.missing.slice(0, 3).join(', ')}${partial.missing.length > 3 ? ', …' : ''}`;
      assert.ok(
        warning.includes(`file is cut short: ${fmt(partial.presentBytes)} of ${fmt(partial.expectedBytes)} data bytes present; ${missingText}`),
        `the hover does not say what is missing: ${warning}`,
      );
      assert.doesNotMatch(warning, STACK_TRACE, 'the hover shows a stack trace');
      await moveMouseAway(page);
      // It expands to the tensors that are intact (a state_dict: module `0`, then the leaves).
      await expandRow(partialRow);
      const block = treeRow(models, '0', IN_FOLDER + 1);
      await scrollIntoView(page, list, block);
      await expandRow(block);
      const intactHere = partial.intact.filter((t) => t.name.startsWith('0.'));
      assert.ok(intactHere.length > 0, `no intact tensor under module 0 of ${PARTIAL[0]}`);
      for (const t of intactHere) {
        const leaf = treeRow(models, t.name.slice(2), IN_FOLDER + 2);
        await scrollIntoView(page, list, leaf);
        assert.equal(await leaf.locator('.label-description').innerText(), `${t.dtype} [${t.shape.join(', ')}] · ${fmt(elementCount(t.shape))}`, `${t.name} of ${PARTIAL[0]}`);
      }
      const leaves = (await readAllRows(page, list)).filter((r) => r.level === IN_FOLDER + 2).map((r) => r.label);
      assert.deepEqual(leaves.sort(), intactHere.map((t) => t.name.slice(2)).sort(), `the leaves under 0 of ${PARTIAL[0]}: missing tensors are not listed`);
      await moveMouseAway(page);
      await shot('partial-file-expanded');

      // One broken file never breaks the tree: every fixture is listed, the good ones read.
      const allRows = await readAllRows(page, list);
      const files = fileRowsByPath(allRows);
      const unreadable = [...files].filter(([, r]) => r.description === 'cannot read').map(([p]) => p);
      assert.deepEqual(unreadable.sort(), [...UNREADABLE].sort(), `files marked "cannot read" in ${JSON.stringify(allRows.slice(0, 12).map((r) => [r.level, r.label, r.description]))}`);
      const paths = [...files.keys()];
      assert.deepEqual(paths.filter((l) => !BROKEN.includes(l)).sort(), expectedFileNames().sort(), 'the readable models listed');
      for (const file of GOOD) {
        const torch = expectedFile(file);
        const row = files.get(file);
        assert.ok(row, `${file} is missing from the Models view (${paths.length} files)`);
        assert.equal(row.description, `${short(torch.totalParameters!)} params · ${torch.format}`, `description of ${file}`);
      }
      const good = treeRow(models, 'net.pt', 1);
      await scrollIntoView(page, list, good);
      await expandRow(good);
      // Its last child, so all three are in view.
      await scrollIntoView(page, list, treeRow(models, '2 · Linear', 2));
      await moveMouseAway(page);
      await shot('good-model-still-expands');

      // The summary editor of a broken file: a heading and the reason, in words.
      await page.locator('.activitybar a.action-label[aria-label^="Explorer"]').click();
      const explorerList = page.locator('.explorer-folders-view .monaco-list');
      const folder = explorerRow(page, 'broken');
      await scrollIntoView(page, explorerList, folder, WORKBENCH_TIMEOUT_MS);
      if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
      await folder.and(page.locator('[aria-expanded="true"]')).waitFor({ timeout: STEP_TIMEOUT_MS });

      // The Explorer labels files by name inside their folder.
      const pt = await openBrokenInSummary(page, 'net.truncated.pt');
      await shot('broken-pt-summary');
      assert.equal(pt.heading, 'This file cannot be shown');
      assert.match(pt.message, /truncated|not a zip/i, `the summary does not say what is wrong: ${pt.message}`);
      assert.doesNotMatch(pt.message, STACK_TRACE, 'the summary shows a stack trace');

      // A safetensors file cut inside its data opens as a summary of what is intact, with the warning.
      const partialName = path.basename(PARTIAL[0]!);
      const partialFile = explorerRow(page, partialName);
      await scrollIntoView(page, explorerList, partialFile);
      await partialFile.dblclick();
      await waitForActiveTab(page, partialName);
      const partialSummary = visibleWebview(page);
      await partialSummary.locator('h1').filter({ hasText: exactly(partialName) }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await moveMouseAway(page);
      await shot('partial-safetensors-summary');
      const summaryWarnings = await partialSummary.locator('section.warnings li').allInnerTexts();
      assert.equal(summaryWarnings.length, 1, `warnings in the summary of ${partialName}: ${summaryWarnings.join(' | ')}`);
      assert.match(summaryWarnings[0]!, /^file is cut short: /, `the summary's warning: ${summaryWarnings[0]}`);
      assert.deepEqual(await partialSummary.locator('.chips .chip').allInnerTexts(), ['safetensors', `${fmt(partial.intact.reduce((n, t) => n + elementCount(t.shape), 0))} parameters`, partial.intact.length === 1 ? '1 tensor' : `${partial.intact.length} tensors`]);

      const st = await openBrokenInSummary(page, 'net.truncated.safetensors');
      await shot('broken-safetensors-summary');
      assert.equal(st.heading, 'This file cannot be shown');
      assert.match(st.message, /truncated/i, `the summary does not say what is wrong: ${st.message}`);
      assert.doesNotMatch(st.message, STACK_TRACE, 'the summary shows a stack trace');

      // Reading a broken file is not an error of the editor: no error toasts.
      const toasts = await notificationTexts(page);
      assert.deepEqual(toasts, [], 'notifications appeared');
      // The tab of the last one is still there and named after the file.
      assert.equal(await page.locator('.part.editor .tabs-container .tab.active').getAttribute('aria-label'), 'net.truncated.safetensors');
    },
  },
];
