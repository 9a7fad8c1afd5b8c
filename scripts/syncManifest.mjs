// Writes the parts of package.json and package.nls*.json that follow from the format registry
// (src/formats/registry.ts), so a new format is its folder and one registry line: the summary
// editor's file patterns, the Explorer menu's `when`, the default include glob and the empty
// Models view's list of endings. `npm run build` runs it first; test/unit/formatRegistry.test.ts
// checks the files agree with the registry.
//   node scripts/syncManifest.mjs [--check]   (--check: print what differs, exit 1, write nothing)
/* global process, console -- Node globals (eslint.config.mjs gives scripts/ no environment) */
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The Explorer context menu's commands on model files (package.json `menus.explorer/context`). */
const EXPLORER_MODEL_COMMANDS = ['paramscope.openModel', 'paramscope.convertToSafetensors'];

/** The empty Models view's text per manifest language, around the registry's list of endings. */
const WELCOME = {
  'package.nls.json': (items) => `No model files (${items.join(', ')}) were found in this workspace.\n[Open Model…](command:paramscope.openModel)\n[Refresh](command:paramscope.refreshModels)`,
  'package.nls.zh-cn.json': (items) => `此工作区中没有找到模型文件（${items.join('、')}）。\n[打开模型…](command:paramscope.openModel)\n[刷新](command:paramscope.refreshModels)`,
};

/** The registry's derived constants, from its TypeScript source (bundled to a temporary CommonJS file). */
async function loadRegistry(root) {
  const dir = mkdtempSync(join(tmpdir(), 'paramscope-manifest-'));
  try {
    const outfile = join(dir, 'registry.cjs');
    await build({ entryPoints: [join(root, 'src/formats/registry.ts')], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'warning' });
    return createRequire(import.meta.url)(outfile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** package.json and the nls files as they should be, and which fields differ from `root`'s. */
export async function manifestChanges(root) {
  const reg = await loadRegistry(root);
  const changes = [];
  const files = {};
  const edit = (file, field, get, set, want) => {
    files[file] ??= JSON.parse(readFileSync(join(root, file), 'utf8'));
    const have = get(files[file]);
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      set(files[file], want);
      changes.push({ file, field, have, want });
    }
  };
  const pkg = 'package.json';
  const summaryEditor = (p) => p.contributes.customEditors.find((e) => e.viewType === 'paramscope.modelSummary');
  edit(pkg, 'contributes.customEditors[paramscope.modelSummary].selector', (p) => summaryEditor(p).selector, (p, v) => (summaryEditor(p).selector = v), reg.SUMMARY_EDITOR_PATTERNS.map((filenamePattern) => ({ filenamePattern })));
  // Every Explorer menu item of ours is offered on model files, with the same `when`.
  for (const command of EXPLORER_MODEL_COMMANDS) {
    const menu = (p) => p.contributes.menus['explorer/context'].find((m) => m.command === command);
    edit(pkg, `contributes.menus.explorer/context[${command}].when`, (p) => menu(p)?.when, (p, v) => (menu(p).when = v), reg.EXPLORER_MENU_WHEN);
  }
  // Show Training Run on several model files selected in the Explorer (a folder has its own item).
  const runMenu = (p) => p.contributes.menus['explorer/context'].find((m) => m.command === 'paramscope.showTrainingRun' && m.when.startsWith('listMultiSelection'));
  edit(pkg, 'contributes.menus.explorer/context[paramscope.showTrainingRun, files].when', (p) => runMenu(p)?.when, (p, v) => (runMenu(p).when = v), `listMultiSelection && !explorerResourceIsFolder && ${reg.EXPLORER_MENU_WHEN}`);
  edit(pkg, 'contributes.configuration.properties.paramscope.include.default', (p) => p.contributes.configuration.properties['paramscope.include'].default, (p, v) => (p.contributes.configuration.properties['paramscope.include'].default = v), reg.DEFAULT_INCLUDE_GLOB);
  for (const [file, text] of Object.entries(WELCOME)) edit(file, 'view.models.welcome.empty', (n) => n['view.models.welcome.empty'], (n, v) => (n['view.models.welcome.empty'] = v), text(reg.FORMAT_LIST_ITEMS));
  return { changes, files };
}

/** Writes what differs (package.json keeps its 2-space layout) and returns the changes. */
export async function syncManifest(root = process.cwd()) {
  const result = await manifestChanges(root);
  for (const file of new Set(result.changes.map((c) => c.file))) writeFileSync(join(root, file), `${JSON.stringify(result.files[file], null, 2)}\n`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const check = process.argv.includes('--check');
  const { changes } = check ? await manifestChanges(process.cwd()) : await syncManifest();
  for (const c of changes) console.log(`${check ? 'differs' : 'updated'}: ${c.file} ${c.field}\n  was ${JSON.stringify(c.have)}\n  now ${JSON.stringify(c.want)}`);
  if (check && changes.length > 0) process.exit(1);
}
