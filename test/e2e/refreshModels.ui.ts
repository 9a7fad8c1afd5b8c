// A person opens a folder of models in VS Code with the packaged ParamScope installed and runs
// "ParamScope: Refresh Models" from the command palette.
import * as assert from 'node:assert/strict';
import { notificationTexts, runFromPalette, showOutputChannel, waitForWorkbench, type UiTest } from './workbench';

const REFRESH = 'ParamScope: Refresh Models';

export const tests: UiTest[] = [
  {
    name: 'refresh models from the command palette',
    async run({ page, shot }) {
      // A file near the top: the Explorer only renders the rows that fit.
      await waitForWorkbench(page, 'checkpoint.pt');
      await shot('workbench');

      // The row is there only if the installed vsix contributes the command.
      await runFromPalette(page, REFRESH, () => shot('palette'));
      await shot('after-refresh');

      // Running the command activated the extension, which created its log channel.
      const output = await showOutputChannel(page, 'ParamScope');
      await shot('output-channel');
      assert.match(output, /\[info\]/, 'the ParamScope output channel has no log line');

      const toasts = await notificationTexts(page);
      assert.deepEqual(toasts.filter((t) => /paramscope|error|not found|failed/i.test(t)), [], 'the command raised a notification');
    },
  },
];
