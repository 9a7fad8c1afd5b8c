// The reader registry is the one list of formats: package.json's editor selectors and include glob,
// the workspace scan and the sniffing must agree with it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INCLUDE_GLOB, EXPLORER_MENU_WHEN, FORMAT_LIST_ITEMS, MODEL_FILE_EXTENSIONS, READERS, SNIFFED_EXTENSIONS, SUMMARY_EDITOR_PATTERNS, modelFileKind, selectReader } from '../../src/formats/registry';
import { MemoryByteSource } from '../../src/runtime/byteSource';

const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));

describe('format registry', () => {
  it('package.json opens exactly the endings the readers claim in the summary editor', () => {
    const selector = pkg.contributes.customEditors.find((e: { viewType: string }) => e.viewType === 'paramscope.modelSummary').selector;
    expect(selector.map((s: { filenamePattern: string }) => s.filenamePattern)).toEqual(SUMMARY_EDITOR_PATTERNS);
  });

  it("package.json's default include glob is the registry's", () => {
    expect(pkg.contributes.configuration.properties['paramscope.include'].default).toBe(DEFAULT_INCLUDE_GLOB);
  });

  it('package.json and package.nls*.json hold what scripts/syncManifest.mjs derives from the registry', async () => {
    // Menu `when`, editor patterns, include glob, the empty view's endings: `npm run build` writes them.
    const { manifestChanges } = await import('../../scripts/syncManifest.mjs');
    const { changes } = await manifestChanges(join(__dirname, '../..'));
    expect(changes.map((c) => `${c.file} ${c.field}`)).toEqual([]);
  });

  it("the Explorer menu's when clause matches every model ending and nothing else", () => {
    const m = /^resourceFilename =~ \/(.*)\/i$/.exec(EXPLORER_MENU_WHEN);
    expect(m).not.toBeNull();
    const re = new RegExp(m![1]!, 'i');
    for (const e of [...MODEL_FILE_EXTENSIONS, ...SNIFFED_EXTENSIONS]) expect(re.test(`model${e.toUpperCase()}`)).toBe(true);
    for (const name of ['notes.txt', 'config.json', 'model.ptx', 'gguf', 'a.pt.bak']) expect(re.test(name)).toBe(false);
    for (const e of [...MODEL_FILE_EXTENSIONS, ...SNIFFED_EXTENSIONS]) expect(FORMAT_LIST_ITEMS.join(' ')).toContain(e);
  });

  it('every reader has an id, a label and lower-case endings, and ids are unique', () => {
    expect(new Set(READERS.map((r) => r.id)).size).toBe(READERS.length);
    for (const r of READERS) {
      expect(r.label).not.toBe('');
      for (const e of [...r.extensions, ...(r.sniffedExtensions ?? [])]) expect(e).toMatch(/^\.[a-z0-9.]+$/);
    }
    expect(SNIFFED_EXTENSIONS.filter((e) => MODEL_FILE_EXTENSIONS.includes(e))).toEqual([]);
  });

  it('lists claimed endings by name and generic endings by sniff', () => {
    expect(modelFileKind('/w/Model.SafeTensors')).toBe('named');
    expect(modelFileKind('/w/model.safetensors.index.json')).toBe('named');
    expect(modelFileKind('/w/config.json')).toBeNull();
    expect(modelFileKind('/w/pytorch_model.bin')).toBe('sniff');
    expect(modelFileKind('/w/checkpoint.pth.tar')).toBe('sniff');
    expect(modelFileKind('/w/notes.txt')).toBeNull();
    for (const e of MODEL_FILE_EXTENSIONS) expect(modelFileKind(`/w/x${e}`)).toBe('named');
  });

  it('an unknown file names the known formats', async () => {
    await expect(selectReader('noise.bin', new MemoryByteSource(new Uint8Array(64).fill(7)))).rejects.toThrow(/not a recognised model file \(known formats: safetensors, Keras, PyTorch, GGUF, NumPy \.npy, NumPy \.npz, ONNX\)/);
  });
});
