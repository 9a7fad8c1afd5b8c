// A sharded model whose shard changes after it was read (a download finishing, a copy cut short):
// the registry re-reads the index, so the tree and panels show the shards as they are now.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import type { ParamScopeApi } from '../../src/extension';
import { activateParamScope, until, workspaceFile } from './helpers';

let api: ParamScopeApi;
const COPY = 'sharded-download';

suite('sharded models', () => {
  suiteSetup(async () => {
    api = await activateParamScope();
    fs.cpSync(workspaceFile('sharded').fsPath, workspaceFile(COPY).fsPath, { recursive: true });
  });

  suiteTeardown(() => {
    fs.rmSync(workspaceFile(COPY).fsPath, { recursive: true, force: true });
  });

  test('cutting a shard short re-reads its index: the lost tensors go, a warning names the shard', async () => {
    const indexUri = workspaceFile(`${COPY}/model.safetensors.index.json`);
    const before = (await api.registry.load(indexUri)).index;
    assert.ok(before && before.warnings.length === 0, `the copied model should read whole: ${before?.warnings.join('; ')}`);
    const shards = [...new Set(before.tensors.map((t) => t.location.file))].sort();
    const last = shards[shards.length - 1]!;
    const lost = before.tensors.filter((t) => t.location.file === last).length;
    // Keep the shard's header and a little data: some tensors of it stay whole, at least one is lost.
    fs.truncateSync(last, fs.statSync(last).size - 1);
    const after = await until('the index read again', async () => {
      const ix = (await api.registry.load(indexUri)).index;
      return ix && ix !== before ? ix : undefined;
    });
    assert.ok(after.tensors.length < before.tensors.length && after.tensors.length >= before.tensors.length - lost, `${after.tensors.length} of ${before.tensors.length} tensors listed`);
    assert.ok(after.warnings.some((w) => w.includes(path.basename(last))), `no warning names ${path.basename(last)}: ${after.warnings.join('; ')}`);
  });
});
