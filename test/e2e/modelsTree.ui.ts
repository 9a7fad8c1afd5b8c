// A person opens the ParamScope side bar, walks the Models tree of rgnet.pt down to one Linear layer
// of "block 1", reads the rows and their hovers, and clicks the layer's bias: the parameter panel
// opens with the statistics torch computed.
import * as assert from 'node:assert/strict';
import { assertParameterPanel, elementCount, expectedFile, expectedModule, expectedModuleCount, expectedTensor, openModelsView } from './paramScope';
import {
  expandRow,
  hoverText,
  moveMouseAway,
  DEFAULT_SIDE_BAR_WIDTH,
  READABLE_SIDE_BAR_WIDTH,
  resizeSideBar,
  scrollIntoView,
  treeRow,
  visibleWebview,
  waitForWorkbench,
  WORKBENCH_TIMEOUT_MS,
  type UiTest,
} from './workbench';

const FILE = 'rgnet.pt';
/** Modules expanded on the way down, by qualified name: rgnet[0], rgnet[0][1], rgnet[0][1][0]. */
const MODULE_PATH = ['0', '0.block 1', '0.block 1.0'];
const PARAMETER = '0.block 1.0.bias';

const fmt = (n: number): string => n.toLocaleString('en-US');

export const tests: UiTest[] = [
  {
    name: 'models tree down to a parameter',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      // The side bar as a fresh install has it (the width is kept across windows).
      await resizeSideBar(page, DEFAULT_SIDE_BAR_WIDTH);
      const models = await openModelsView(page);
      // What the view shows while the extension activates (the list may already be there).
      await shot('models-view-opening');
      const list = models.locator('.monaco-list');
      const torch = expectedFile(FILE);

      // Files are listed once the workspace scan is done; the row shows format and total.
      const fileRow = treeRow(models, FILE, 1);
      await scrollIntoView(page, list, fileRow, WORKBENCH_TIMEOUT_MS);
      await moveMouseAway(page);
      await shot('models-view-default-width');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      await scrollIntoView(page, list, fileRow);
      await moveMouseAway(page);
      await shot('models-view');
      assert.equal(await fileRow.locator('.label-description').innerText(), `${fmt(torch.totalParameters!)} params · ${torch.format}`);
      assert.match((await fileRow.getAttribute('aria-label')) ?? '', /rgnet\.pt/, 'a screen reader does not hear the file name');

      // Down the tree: `<name> · <Type>` rows whose description is the count below them.
      await expandRow(fileRow);
      for (const [depth, qualifiedName] of MODULE_PATH.entries()) {
        const m = expectedModule(FILE, qualifiedName);
        const label = `${m.name} · ${m.type}`;
        const row = treeRow(models, label, depth + 2);
        await scrollIntoView(page, list, row);
        const count = `${fmt(expectedModuleCount(FILE, m))} params`;
        assert.equal(await row.locator('.label-description').innerText(), count, `count shown for ${label}`);
        assert.equal(await row.getAttribute('aria-label'), `${label} ${count}`, `what a screen reader hears for ${label}`);
        await expandRow(row);
      }
      // Scroll on to the block after block 1, so all of block 1 is in view.
      const next = expectedModule(FILE, '0.block 3');
      await scrollIntoView(page, list, treeRow(models, `${next.name} · ${next.type}`, 3));
      await moveMouseAway(page);
      await shot('expanded-to-linear');

      // The block's hover gives its access path, type and count.
      const block = expectedModule(FILE, '0.block 1');
      const blockHover = await hoverText(page, treeRow(models, `${block.name} · ${block.type}`, 3).locator('.label-name'));
      await shot('block-hover');
      assert.ok(blockHover.includes(block.path), `hover of block 1 lacks its access path ${block.path}: ${blockHover}`);
      assert.ok(blockHover.includes(`${block.type} · ${expectedModuleCount(FILE, block)} parameters`), `hover of block 1: ${blockHover}`);
      await moveMouseAway(page);

      // The Linear layer's parameters, by local name, with dtype, shape and element count.
      const linear = expectedModule(FILE, MODULE_PATH[MODULE_PATH.length - 1]!);
      assert.deepEqual(linear.parameters.map((p) => p.slice(linear.qualifiedName.length + 1)), ['weight', 'bias']);
      for (const name of linear.parameters) {
        const t = expectedTensor(FILE, name);
        const local = name.slice(linear.qualifiedName.length + 1);
        const row = treeRow(models, local, MODULE_PATH.length + 2);
        await scrollIntoView(page, list, row);
        const description = `${t.dtype} [${t.shape.join(', ')}] · ${fmt(elementCount(t.shape))}`;
        assert.equal(await row.locator('.label-description').innerText(), description, `description of ${local}`);
        assert.equal(await row.getAttribute('aria-label'), `${local} ${description}`, `what a screen reader hears for ${local}`);
      }

      const bias = treeRow(models, 'bias', MODULE_PATH.length + 2);
      const t = expectedTensor(FILE, PARAMETER);
      const biasHover = await hoverText(page, bias.locator('.label-name'));
      await shot('bias-hover');
      for (const part of [t.path, `state_dict key ${PARAMETER}`, `${t.dtype} [${t.shape.join(', ')}] · ${elementCount(t.shape)} elements`]) {
        assert.ok(biasHover.includes(part), `hover of bias lacks "${part}": ${biasHover}`);
      }
      await moveMouseAway(page);

      // One click on the parameter opens its panel.
      await bias.locator('.label-name').click();
      await assertParameterPanel(page, FILE, PARAMETER);
      await moveMouseAway(page);
      await shot('parameter-panel');

      // Further down the page: the heatmap and the values table.
      await visibleWebview(page).locator('section.values').scrollIntoViewIfNeeded();
      await shot('parameter-panel-values');
    },
  },
  {
    name: 'a training checkpoint in the models tree',
    async run({ page, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      // checkpoint.pt (make_fixtures.py): {'model': …, 'optimizer': Adam's state_dict, 'epoch': 3}.
      const file = treeRow(models, 'checkpoint.pt', 1);
      await scrollIntoView(page, list, file, WORKBENCH_TIMEOUT_MS);
      assert.match(await file.locator('.label-description').innerText(), / · epoch 3$/);
      await expandRow(file);
      const optimizer = treeRow(models, 'optimizer', 2);
      await scrollIntoView(page, list, optimizer);
      await expandRow(optimizer);
      const state = treeRow(models, 'state', 3);
      await scrollIntoView(page, list, state);
      await expandRow(state);
      // Adam numbers parameters in param_groups order: state[i] is the model's i-th parameter.
      for (const [slot, param] of [['0', 'model.0.weight'], ['1', 'model.0.bias'], ['2', 'model.2.weight'], ['3', 'model.2.bias']]) {
        const row = treeRow(models, slot, 4);
        await scrollIntoView(page, list, row);
        assert.equal(await row.locator('.label-description').innerText(), `state of ${param}`, `state[${slot}]`);
      }
      await moveMouseAway(page);
      await shot('checkpoint-optimizer-slots');
      const tip = await hoverText(page, file.locator('.label-name'));
      assert.match(tip, /epoch 3 · lr 0\.001/);
      await shot('checkpoint-hover');
    },
  },
];
