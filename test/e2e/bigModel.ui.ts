// A person opens a mixture-of-experts checkpoint of 100,160 tensors in the Models tree: layers and
// experts show as grouped rows with counts, 416 experts split into ranges of at most 100, and Find
// Parameter picks one expert's weight out of all the names as they are typed.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openModelsView, openParameter } from './paramScope';
import { expandRow, moveMouseAway, READABLE_SIDE_BAR_WIDTH, resizeSideBar, scrollIntoView, treeRow, waitForWorkbench, WORKBENCH_TIMEOUT_MS, type UiTest } from './workbench';

const FILE = 'moe-100k.safetensors';
const LAYERS = 80;
const EXPERTS = 416;

/** A safetensors file of LAYERS × (4 attention + EXPERTS × 3 expert) F16 [2, 2] tensors (8 bytes each). */
function writeMoe(file: string): number {
  const header: Record<string, unknown> = {};
  let offset = 0;
  const add = (name: string): void => {
    header[name] = { dtype: 'F16', shape: [2, 2], data_offsets: [offset, offset + 8] };
    offset += 8;
  };
  for (let l = 0; l < LAYERS; l++) {
    for (const p of ['q', 'k', 'v', 'o']) add(`model.layers.${l}.self_attn.${p}_proj.weight`);
    for (let e = 0; e < EXPERTS; e++) for (const p of ['gate', 'up', 'down']) add(`model.layers.${l}.mlp.experts.${e}.${p}_proj.weight`);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  // Values 0x3c00 (1.0 in F16) everywhere.
  const data = Buffer.alloc(offset);
  for (let i = 0; i < offset; i += 2) data.writeUInt16LE(0x3c00, i);
  writeFileSync(file, Buffer.concat([len, Buffer.from(json), data]));
  return Object.keys(header).length;
}

export const tests: UiTest[] = [
  {
    name: 'a 100k-tensor model in the tree and in Find Parameter',
    async run({ page, workspace, shot }) {
      assert.equal(writeMoe(path.join(workspace, FILE)), 100_160);
      await waitForWorkbench(page, 'checkpoint.pt');
      await resizeSideBar(page, READABLE_SIDE_BAR_WIDTH);
      const models = await openModelsView(page);
      const list = models.locator('.monaco-list');
      const file = treeRow(models, FILE, 1);
      await scrollIntoView(page, list, file, WORKBENCH_TIMEOUT_MS);
      await expandRow(file);
      const model = treeRow(models, 'model', 2);
      await scrollIntoView(page, list, model);
      await expandRow(model);
      const layers = treeRow(models, `layers [0…${LAYERS - 1}]`, 3);
      await scrollIntoView(page, list, layers);
      assert.match(await layers.locator('.label-description').innerText(), new RegExp(`^${LAYERS} alike blocks · `));
      await expandRow(layers);
      const layer0 = treeRow(models, '0', 4);
      await scrollIntoView(page, list, layer0);
      await expandRow(layer0);
      const mlp = treeRow(models, 'mlp', 5);
      await scrollIntoView(page, list, mlp);
      await expandRow(mlp);
      const experts = treeRow(models, `experts [0…${EXPERTS - 1}]`, 6);
      await scrollIntoView(page, list, experts);
      // 416 experts × 3 tensors × 4 values.
      assert.equal(await experts.locator('.label-description').innerText(), `${EXPERTS} alike blocks · 5K params`);
      await expandRow(experts);
      const ranges = ['experts[0…99]', 'experts[100…199]', 'experts[200…299]', 'experts[300…399]', 'experts[400…415]'];
      for (const r of ranges) await scrollIntoView(page, list, treeRow(models, r, 7));
      assert.equal(await treeRow(models, 'experts[400…415]', 7).locator('.label-description').innerText(), `16 of ${EXPERTS}`);
      await moveMouseAway(page);
      await shot('experts-grouped');
      const last = treeRow(models, 'experts[400…415]', 7);
      await expandRow(last);
      await scrollIntoView(page, list, treeRow(models, '415', 8));
      await moveMouseAway(page);
      await shot('experts-range-expanded');

      await openParameter(page, 'model.layers.3.mlp.experts.57.up_proj.weight', FILE);
      await moveMouseAway(page);
      await shot('found-parameter');
    },
  },
];
