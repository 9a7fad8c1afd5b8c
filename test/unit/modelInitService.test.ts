import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { biasFanIn } from '../../src/model/init/detectModelInit';
import { openModel } from '../../src/model/openModel';
import { WorkerPool } from '../../src/runtime/workerPool';
import { TensorService } from '../../src/views/tensorService';
import { FIXTURES } from './fixtureFiles';

let pool: WorkerPool;
beforeAll(async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'paramscope-init-worker-')), 'tensorWorker.js');
  await build({ entryPoints: [join(__dirname, '../../src/worker/tensorWorker.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  pool = new WorkerPool(out, 2);
});
afterAll(() => pool?.dispose());

describe('the panel’s and the hover’s init verdict: judged with the model', () => {
  it('a depthwise conv of torchvision’s mobilenet_v2 gets torchvision’s kaiming_normal(fan_out, relu) from its module type', async () => {
    // torchvision/models/mobilenetv2.py: `if isinstance(m, nn.Conv2d): nn.init.kaiming_normal_(m.weight, mode="fan_out")`.
    const index = await openModel(join(FIXTURES, 'init/mobilenet_v2_w025.pt'));
    const service = new TensorService(pool);
    const t = index.tensors.find((x) => x.name === 'features.2.conv.1.0.weight')!;
    expect(t.shape.slice(1)).toEqual([1, 3, 3]); // depthwise: [C, 1, 3, 3]
    const own = await service.init(index, t, biasFanIn(index, t));
    const judged = await service.initInModel(index, t);
    expect(judged).toMatchObject({ scheme: 'kaiming_normal', params: { mode: 'fan_out', nonlinearity: 'relu' }, decidedBy: 'module' });
    expect(judged.moduleScheme).toMatchObject({ scheme: 'kaiming_normal', params: { mode: 'fan_out', nonlinearity: 'relu' } });
    // What the tensor's values alone say is one of the laws its sample cannot tell apart.
    expect([own.scheme, ...own.equivalent.map((e) => e.scheme)]).toContain('kaiming_normal');
    // Once judged, the hover finds the verdict without waiting.
    expect(service.peekModelInit(index, t)).toEqual(judged);
  });
});
