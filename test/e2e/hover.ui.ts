// A person opens the d2l code beside the seed's models, binds `net` to net.pt from the editor's
// context (palette) and hovers `net[2].bias` and `rgnet[0][1][0].bias.data`: the hover shows the
// parameter as torch saved it, with statistics, a histogram and links to the panel and the tree.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expectedTensor } from './paramScope';
import { exactly, moveMouseAway, pickWhenListed, openPalette, quickInputRow, STEP_TIMEOUT_MS, waitForActiveTab, waitForWorkbench, WORKBENCH_TIMEOUT_MS, type UiTest } from './workbench';

/** The seed's code (demo/workspace/parameters.py), the lines the hovers land on first. */
const CODE = `net[2].bias
rgnet[0][1][0].bias.data
import torch
from torch import nn

net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
print(net[2].state_dict())
print(rgnet[0][1][0].bias.data)
`;

/** A script that loads its models itself (no binding). */
const LOADS = `import torch
sd = torch.load('net_normal.state_dict.pt', map_location='cpu')
print(sd['2.bias'])
ck = torch.load('checkpoint.pt')
print(ck['optimizer']['state'][1]['exp_avg'])
`;

/** Statistics are computed in the background on the first hover; hover again until they show. */
const STATS_TIMEOUT_MS = 30_000;

/** Where a person points at `text` on the editor line that reads `line`: the middle of its glyphs. */
interface Spot {
  page: Page;
  line: string;
  text: string;
}

function spot(page: Page, line: string, text: string): Spot {
  return { page, line, text };
}

/** Screen centre of `text` in `line` (monaco splits a line into token spans; a Range spans them). */
async function centreOf({ page, line, text }: Spot): Promise<{ x: number; y: number }> {
  const lineEl = page.locator('.monaco-editor .view-line', { hasText: exactly(line) }).first();
  await lineEl.waitFor({ timeout: STEP_TIMEOUT_MS });
  return lineEl.evaluate((el, wanted) => {
    // Browser code: the DOM types are not in this project's lib, so the few calls are typed here.
    type TextNode = { nodeValue: string | null };
    type DomRange = { setStart(n: TextNode, o: number): void; setEnd(n: TextNode, o: number): void; getBoundingClientRect(): { x: number; y: number; width: number; height: number } };
    const doc = (el as unknown as { ownerDocument: { createTreeWalker(root: unknown, what: number): { nextNode(): TextNode | null }; createRange(): DomRange } }).ownerDocument;
    const walker = doc.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
    const nodes: TextNode[] = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    const full = nodes.map((n) => (n.nodeValue ?? '').replace(/\u00a0/g, ' ')).join('');
    const at = full.indexOf(wanted);
    if (at < 0) throw new Error(`"${wanted}" is not on the line "${full}"`);
    const locate = (offset: number): [TextNode, number] => {
      for (const n of nodes) {
        const len = (n.nodeValue ?? '').length;
        if (offset <= len) return [n, offset];
        offset -= len;
      }
      throw new Error('offset past the line');
    };
    const range = doc.createRange();
    range.setStart(...locate(at));
    range.setEnd(...locate(at + wanted.length));
    const r = range.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  }, text);
}

/** Hovers `target` until the hover widget's text matches `wanted`; returns that text. */
async function hoverUntil(page: Page, target: Spot, wanted: RegExp, timeoutMs: number): Promise<string> {
  const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await moveMouseAway(page);
    const { x, y } = await centreOf(target);
    await page.mouse.move(x, y, { steps: 3 });
    try {
      await hover.waitFor({ timeout: 5_000 });
      const text = await hover.innerText();
      if (wanted.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`the hover says ${JSON.stringify(text)}, not ${wanted}`);
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    await page.waitForTimeout(500);
  }
}

export const tests: UiTest[] = [
  {
    name: 'hover previews in python',
    async run({ page, workspace, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      writeFileSync(join(workspace, 'parameters.py'), CODE);
      // Quick Open (Ctrl+P): the Explorer's list is virtualized, the new file may be below the fold.
      await page.keyboard.press('Control+P');
      const quickOpen = page.locator('.quick-input-widget');
      await quickOpen.locator('input.input').fill('parameters.py');
      const fileRow = quickInputRow(page, exactly('parameters.py'));
      await fileRow.waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      await page.keyboard.press('Enter');
      await waitForActiveTab(page, 'parameters.py');

      // Unbound, `net` could be any of the net.* files: the hover says so and offers the binding.
      const bias = spot(page, 'net[2].bias', 'bias');
      const ambiguous = await hoverUntil(page, bias, /matches \d+ models/, WORKBENCH_TIMEOUT_MS);
      assert.match(ambiguous, /Bind Variable to Model/);
      await shot('hover-ambiguous');

      // Cursor on `net` (line 1, column 1, where the editor opened), then bind it to net.pt.
      const net = await centreOf(spot(page, 'net[2].bias', 'net'));
      await page.mouse.click(net.x, net.y);
      await pickWhenListed(page, () => openPalette(page, 'ParamScope: Bind Variable to Model…'), 'ParamScope: Bind Variable to Model…');
      await page.keyboard.press('Enter');
      const widget = page.locator('.quick-input-widget');
      await widget.locator('.quick-input-title', { hasText: 'ParamScope: Bind net to a Model' }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await widget.locator('input.input').fill('net.pt');
      const pick = quickInputRow(page, exactly('net.pt'));
      await pick.waitFor({ timeout: STEP_TIMEOUT_MS });
      await pick.click();

      // net[2].bias: name, access path, dtype and shape, torch's min, a histogram and the links.
      const torch = expectedTensor('net.pt', '2.bias');
      const text = await hoverUntil(page, bias, /min /, STATS_TIMEOUT_MS);
      assert.match(text, /net\[2\]\.bias/);
      assert.match(text, /float32/);
      // The hover prints 4 significant digits.
      const min = String(Number(torch.stats!.min!.toPrecision(4)));
      assert.ok(text.includes(`min ${min}`), `the hover does not show torch's min ${min}: ${text}`);
      assert.match(text, /Open panel/);
      assert.match(text, /Reveal in tree/);
      const image = page.locator('.monaco-hover:not(.hidden) img').first();
      await image.waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.ok(await image.evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth > 0; }), 'the histogram image did not load');
      await shot('hover-net-2-bias');

      // rgnet is unbound but every rgnet.* file holds the same values: one answer.
      const rgnetBias = spot(page, 'rgnet[0][1][0].bias.data', 'bias');
      const rg = await hoverUntil(page, rgnetBias, /min /, STATS_TIMEOUT_MS);
      assert.match(rg, /rgnet\[0\]\[1\]\[0\]\.bias/);
      await shot('hover-rgnet-bias-data');
      await moveMouseAway(page);
    },
  },
  {
    name: 'hovers follow the code’s own torch.load',
    async run({ page, workspace, shot }) {
      await waitForWorkbench(page, 'checkpoint.pt');
      // No binding: the loads in the code say which file each variable holds.
      writeFileSync(join(workspace, 'loads.py'), LOADS);
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input.input').fill('loads.py');
      await quickInputRow(page, exactly('loads.py')).waitFor({ timeout: WORKBENCH_TIMEOUT_MS });
      await page.keyboard.press('Enter');
      await waitForActiveTab(page, 'loads.py');

      // sd['2.bias'] is in every net* file, with other values in some: the load says net_normal's.
      const torch = expectedTensor('net_normal.state_dict.pt', '2.bias');
      const text = await hoverUntil(page, spot(page, "print(sd['2.bias'])", '2.bias'), /min /, STATS_TIMEOUT_MS);
      assert.match(text, /net_normal\.state_dict\.pt/);
      const min = String(Number(torch.stats!.min!.toPrecision(4)));
      assert.ok(text.includes(`min ${min}`), `the hover does not show torch's min ${min}: ${text}`);
      assert.doesNotMatch(text, /models that differ/);
      // The links come first, so a tall hover never hides them below the screen's edge.
      assert.ok(text.indexOf('Open panel') < text.indexOf('min '), `the links are not above the statistics: ${text}`);
      await shot('hover-follows-torch-load');

      // Adam's state[1] in the checkpoint the code loaded: whose state it is.
      const slot = await hoverUntil(page, spot(page, "print(ck['optimizer']['state'][1]['exp_avg'])", 'exp_avg'), /optimizer state of/, STATS_TIMEOUT_MS);
      assert.match(slot, /optimizer state of checkpoint\['model'\]\['0\.bias'\]/);
      await shot('hover-optimizer-slot');
      await moveMouseAway(page);
    },
  },
];
