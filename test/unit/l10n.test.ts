// Every user-facing string goes through vscode.l10n / @vscode/l10n and package.nls.json, and the
// zh-cn translation covers all of them with the same placeholders.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as l10n from '@vscode/l10n';
import { getL10nJson } from '@vscode/l10n-dev';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '../../src/formats/safetensors/safetensorsReader';
import { MemoryByteSource } from '../../src/runtime/byteSource';
import { computeFastStats, type StatsPassRunner } from '../../src/runtime/fastStats';
import { WorkerPool } from '../../src/runtime/workerPool';
import { FIXTURES } from './fixtureFiles';
import { bundleFiles, mergedBundles } from '../../scripts/l10nBundles.mjs';

const root = join(__dirname, '..', '..');
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');
const json = (rel: string): Record<string, string> => JSON.parse(read(rel)) as Record<string, string>;
/** The zh-cn translations VS Code loads: l10n/ and every format folder's l10n/, merged (scripts/l10nBundles.mjs). */
const zhBundle = (): Record<string, string> => mergedBundles(root)['zh-cn']!;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** `{0}`, `{1}`… of a message, sorted. */
const placeholders = (s: string): string[] => [...s.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

/** A message as `l10n.t` fills it in. */
const fill = (template: string, ...args: Array<string | number>): string => template.replace(/\{(\d+)\}/g, (m, i: string) => String(args[Number(i)] ?? m));

/** Strings of package.json that VS Code shows: command titles and categories, view names, settings. */
interface Contributes {
  commands: Array<{ title: string; category: string }>;
  viewsContainers: { activitybar: Array<{ title: string }> };
  views: { paramscope: Array<{ name: string; contextualTitle?: string }> };
  viewsWelcome: Array<{ contents: string }>;
  customEditors: Array<{ displayName: string }>;
  configuration: { title: string; properties: Record<string, { description?: string; markdownDescription?: string }> };
}

function manifestStrings(pkg: Record<string, unknown>): string[] {
  const c = pkg.contributes as Contributes;
  const out: string[] = [];
  for (const cmd of c.commands) out.push(cmd.title, cmd.category);
  for (const v of c.viewsContainers.activitybar) out.push(v.title);
  for (const v of c.views.paramscope) out.push(v.name, ...(v.contextualTitle ? [v.contextualTitle] : []));
  for (const w of c.viewsWelcome) out.push(w.contents);
  for (const e of c.customEditors) out.push(e.displayName);
  out.push(c.configuration.title);
  for (const p of Object.values(c.configuration.properties)) out.push((p.description ?? p.markdownDescription)!);
  return out.filter((s) => s !== undefined);
}

describe('localization', () => {
  it('the zh-cn bundle translates every l10n.t string of the extension and the webviews', async () => {
    const files = [...sources('src'), ...sources('webview')].map((f) => ({ extension: '.ts', contents: readFileSync(f, 'utf8') }));
    const strings = Object.keys(await getL10nJson(files));
    expect(strings.length).toBeGreaterThan(150);
    const zh = zhBundle();
    const missing = strings.filter((s) => !(s in zh));
    expect(missing, 'strings without a zh-cn translation').toEqual([]);
    for (const s of strings) expect(placeholders(zh[s]!), `placeholders of ${JSON.stringify(s)}`).toEqual(placeholders(s));
    const stale = Object.keys(zh).filter((k) => !strings.includes(k));
    expect(stale, 'translations of strings the code no longer has').toEqual([]);
    // The English source bundle (for translators) is the extractor's output, up to date.
    expect(Object.keys(json('l10n/bundle.l10n.json')).sort()).toEqual([...strings].sort());
  });

  it("a format folder's bundle translates strings of that folder only, and the build ships the merge", async () => {
    const own = bundleFiles(root).filter(([, file]) => file.includes(join('src', 'formats')));
    expect(own.length).toBeGreaterThan(0);
    for (const [, file] of own) {
      const folder = join(file, '..', '..');
      const strings = new Set(Object.keys(await getL10nJson(sources(folder.slice(root.length + 1)).map((f) => ({ extension: '.ts', contents: readFileSync(f, 'utf8') })))));
      expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object).filter((k) => !strings.has(k)), `${file} translates strings its folder does not have`).toEqual([]);
    }
    expect((JSON.parse(read('package.json')) as { l10n: string }).l10n).toBe('./dist/l10n');
  });

  it('the core keeps `path: ` in front of its translated messages', async () => {
    // Messages of formats/model/runtime that start with their file keep the ASCII `{0}: `, as those
    // the core prefixes itself do: the views cut that prefix off for short reasons (shortReason).
    const files = ['src/formats', 'src/model', 'src/runtime'].flatMap(sources).map((f) => ({ extension: '.ts', contents: readFileSync(f, 'utf8') }));
    const core = Object.keys(await getL10nJson(files));
    expect(core.length).toBeGreaterThan(100);
    const zh = zhBundle();
    expect(core.filter((k) => k.startsWith('{0}: ') && !zh[k]?.startsWith('{0}: '))).toEqual([]);
  });

  it('package.json shows only %keys%, and package.nls.json and its zh-cn twin have the same keys', () => {
    const pkg = json('package.json') as unknown as Record<string, unknown>;
    const shown = manifestStrings(pkg);
    expect(shown.filter((s) => !/^%[\w.]+%$/.test(s))).toEqual([]);
    const en = json('package.nls.json');
    const zh = json('package.nls.zh-cn.json');
    const keys = shown.map((s) => s.slice(1, -1));
    expect(keys.filter((k) => !(k in en))).toEqual([]);
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const k of Object.keys(en)) {
      expect(zh[k], k).not.toBe('');
      // Command links and code in descriptions must survive translation.
      expect([...zh[k]!.matchAll(/\(command:[\w.]+\)|`[^`]+`/g)].map((m) => m[0]).sort(), k).toEqual([...en[k]!.matchAll(/\(command:[\w.]+\)|`[^`]+`/g)].map((m) => m[0]).sort());
    }
  });

  it('the zh-cn strings are Chinese, not copies of the English', () => {
    const zh = { ...zhBundle(), ...json('package.nls.zh-cn.json') };
    const english = Object.entries(zh).filter(([en, t]) => t === en && /[a-z]{4,} [a-z]{3,}/.test(en));
    expect(english).toEqual([]);
    const han = Object.values(zh).filter((t) => /[\u4e00-\u9fff]/.test(t)).length;
    expect(han / Object.values(zh).length).toBeGreaterThan(0.9);
  });
});

describe('the core (readers, model, runtime) in the display language', () => {
  const zh = zhBundle();
  let script: string;
  beforeAll(async () => {
    // The worker as shipped (what `npm run build` writes to dist/tensorWorker.js), bundled by esbuild
    // and started as a real worker thread.
    script = join(mkdtempSync(join(tmpdir(), 'paramscope-l10n-worker-')), 'tensorWorker.js');
    await build({ entryPoints: [join(root, 'src/worker/tensorWorker.ts')], outfile: script, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  });
  const pools: WorkerPool[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.dispose())));
  const pool = (bundle?: Record<string, string>): WorkerPool => {
    const p = new WorkerPool(script, 1, bundle);
    pools.push(p);
    return p;
  };
  const indexError = (p: WorkerPool, rel: string): Promise<string> =>
    p.run('index', { file: join(FIXTURES, rel) }).then(
      () => 'opened',
      (e: Error) => e.message,
    );

  it('a worker given the zh-cn bundle reports broken files in Chinese; without a bundle, in English', async () => {
    const [zhPool, enPool] = [pool(zh), pool()];
    const safetensors = join(FIXTURES, 'models/broken/net.truncated.safetensors');
    const truncated = 'the file is truncated: its JSON header needs bytes 8 to {0}, but the file has only {1} bytes';
    expect(await indexError(enPool, 'models/broken/net.truncated.safetensors')).toBe(`${safetensors}: ${fill(truncated, 296, 295)}`);
    expect(await indexError(zhPool, 'models/broken/net.truncated.safetensors')).toBe(`${safetensors}: ${fill(zh[truncated]!, 296, 295)}`);
    expect(zh[truncated]).toMatch(/[\u4e00-\u9fff]/);

    // A zip error wrapped by the PyTorch reader: both levels translated.
    const pt = join(FIXTURES, 'models/broken/net.truncated.pt');
    const [wrap, noEocd] = ['{0}: not a readable PyTorch file: {1}', 'no end-of-central-directory record: the zip is truncated or not a zip'];
    expect(await indexError(enPool, 'models/broken/net.truncated.pt')).toBe(fill(wrap, pt, noEocd));
    expect(await indexError(zhPool, 'models/broken/net.truncated.pt')).toBe(fill(zh[wrap]!, pt, zh[noEocd]!));
  });

  it('notes built in a worker (the torch globals resolver) follow its bundle', async () => {
    const stub = 'unknown class {0}: shown as a stub (its code is not run)';
    const file = join(FIXTURES, 'models/mlp.pt');
    expect((await pool().run('index', { file })).notes).toEqual([fill(stub, '__main__.MLP')]);
    expect((await pool(zh).run('index', { file })).notes).toEqual([fill(zh[stub]!, '__main__.MLP')]);
  });

  it('the warning of a safetensors file cut inside its data follows the bundle; names stay arguments', async () => {
    const cut = 'file is cut short: {0} of {1} data bytes present; {2} tensors missing: {3}';
    const file = join(FIXTURES, 'models/broken/net.truncated90.safetensors');
    expect((await pool().run('index', { file })).warnings).toEqual([fill(cut, '146', '196', 3, '0.bias, 2.weight, 2.bias')]);
    expect((await pool(zh).run('index', { file })).warnings).toEqual([fill(zh[cut]!, '146', '196', 3, '0.bias, 2.weight, 2.bias')]);
    expect(zh[cut]).toMatch(/截断.*张量/);
  });

  it('core code on the calling thread follows l10n.config (the extension host configures it in activate)', async () => {
    const refuse = (): Promise<string> => {
      const runner = {} as StatsPassRunner; // never reached: the dtype is refused first
      const t = { dtype: 'complex64' as const, shape: [2], location: { file: 'x', storageOffset: 0, storageBytes: 16, storageKey: 'x', elementOffset: 0, strides: [1], byteOrder: 'little' as const } };
      return computeFastStats(t, runner, { parts: 1, bins: 8 }).then(
        () => 'computed',
        (e: Error) => e.message,
      );
    };
    const noFastPath = '{0} has no fast statistics path';
    expect(await refuse()).toBe(fill(noFastPath, 'complex64'));
    l10n.config({ contents: zh });
    try {
      expect(await refuse()).toBe(fill(zh[noFastPath]!, 'complex64'));
    } finally {
      l10n.config({ contents: {} });
    }
    expect(await refuse()).toBe(fill(noFastPath, 'complex64'));
  });

  it('braces in hostile data stay data: names and values are arguments, not templates', async () => {
    const header = new TextEncoder().encode(JSON.stringify({ '{1}': { dtype: 'Q{0}', shape: [1], data_offsets: [0, 4] } }));
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    const read = (): Promise<string> => readSafetensorsHeader(new MemoryByteSource(bytes, 'h{0}.safetensors')).then(
      () => 'read',
      (e: Error) => e.message,
    );
    expect(await read()).toBe(`h{0}.safetensors: tensor '{1}': unknown dtype "Q{0}"`);
    l10n.config({ contents: zh });
    try {
      expect(await read()).toBe(`h{0}.safetensors: ${fill(zh["tensor '{0}': {1}"]!, '{1}', fill(zh['unknown dtype {0}']!, '"Q{0}"'))}`);
    } finally {
      l10n.config({ contents: {} });
    }
  });
});
