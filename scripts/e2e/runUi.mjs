// UI tests: installs the packaged .vsix into a fresh code-server, opens a copy of the fixture models
// in headless Chromium and runs every test exported from out/e2e/*.ui.js (compiled from
// test/e2e/*.ui.ts). Each test gets its own copy of the models: the workbench keys its restored
// state (open editors, expanded trees, the visible side bar) by folder, so no test starts where the
// previous one left off. Screenshots go to test-results/ui/<test>/NN-<step>.png, one per step, plus
// failure.png when a test fails. Ends with exactly "N passed, M failed"; exit 0 only if all passed.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeBrowser, launchBrowser } from './browser.mjs';
import { createRun, startCodeServer, tail, workbenchUrl } from './codeServer.mjs';
import { repoRoot, testResultsDir, vsixPath } from './paths.mjs';
import { copyFixtureModels } from './workspace.mjs';

/** One UI test, from page load to its last step. */
const TEST_TIMEOUT_MS = Number(process.env.UI_TEST_TIMEOUT_MS ?? 180_000);
/** Default for every playwright wait that does not set its own. */
const ACTION_TIMEOUT_MS = 30_000;

const compiledDir = path.join(repoRoot, 'out', 'e2e');
const shotsDir = path.join(testResultsDir, 'ui');
const log = (msg) => console.log(`ui: ${msg}`);
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

async function loadTests() {
  if (!existsSync(compiledDir)) throw new Error('out/e2e missing; run: npm run build:tests');
  const files = readdirSync(compiledDir).filter((f) => f.endsWith('.ui.js')).sort();
  const tests = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(compiledDir, f)).href);
    for (const t of mod.tests ?? mod.default?.tests ?? []) tests.push({ ...t, file: f });
  }
  if (tests.length === 0) throw new Error(`no UI tests exported from ${path.relative(repoRoot, compiledDir)}/*.ui.js`);
  // UI_ONLY=<regexp> runs the tests whose name matches (while working on one).
  const only = process.env.UI_ONLY ? new RegExp(process.env.UI_ONLY, 'i') : undefined;
  return only ? tests.filter((t) => only.test(t.name)) : tests;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runOne(test, context, server, run, index) {
  const dir = path.join(shotsDir, slug(test.name));
  mkdirSync(dir, { recursive: true });
  // Named "workspace" like the folder a person opens; the parent keeps the tests apart.
  const workspace = copyFixtureModels(path.join(run.runDir, `ws-${index + 1}`, 'workspace'));
  let n = 0;
  const page = await context.newPage();
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  const shot = async (name) => {
    const file = path.join(dir, `${String(++n).padStart(2, '0')}-${slug(name)}.png`);
    await page.screenshot({ path: file, timeout: ACTION_TIMEOUT_MS });
    return file;
  };
  const started = Date.now();
  try {
    await page.goto(workbenchUrl(server, workspace), { timeout: 60_000 });
    await withTimeout(test.run({ page, workspace, shot }), TEST_TIMEOUT_MS, `"${test.name}"`);
    return { name: test.name, ok: true, ms: Date.now() - started, dir };
  } catch (err) {
    await page.screenshot({ path: path.join(dir, 'failure.png'), timeout: 10_000 }).catch(() => {});
    return { name: test.name, ok: false, ms: Date.now() - started, dir, error: err.stack ?? String(err) };
  } finally {
    await page.close().catch(() => {});
  }
}

async function main() {
  if (!existsSync(vsixPath)) throw new Error(`${path.relative(repoRoot, vsixPath)} missing; run: npm run package`);
  const tests = await loadTests();
  rmSync(shotsDir, { recursive: true, force: true });
  // Tests that set `locale` (e.g. 'zh-cn') run on a server started in that display language.
  const locales = [...new Set(tests.map((t) => t.locale ?? 'en'))];
  const results = [];
  for (const locale of locales) {
    const run = createRun(locale === 'en' ? 'ui' : `ui-${locale}`);
    let server;
    let context;
    try {
      server = await startCodeServer({ run, vsix: [vsixPath], locale });
      log(`code-server at ${server.url} (${locale}) with ${path.basename(vsixPath)} installed (run folder ${path.relative(repoRoot, run.runDir)})`);
      context = await launchBrowser(run);
      for (const blank of context.pages()) await blank.close();
      for (const [i, test] of tests.entries()) {
        if ((test.locale ?? 'en') !== locale) continue;
        const r = await runOne(test, context, server, run, i);
        results.push(r);
        log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.ms} ms) — screenshots in ${path.relative(repoRoot, r.dir)}/`);
        if (r.error) console.log(r.error.split('\n').map((l) => `         ${l}`).join('\n'));
      }
    } catch (err) {
      console.error(`ui: ${err.stack ?? err}`);
      if (server) console.error(`--- code-server log (tail) ---\n${tail(server.logPath)}`);
      results.push({ name: `ui runner (${locale})`, ok: false });
    } finally {
      await closeBrowser(context);
      await server?.stop();
    }
  }
  const passed = results.filter((r) => r.ok).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  return passed > 0 && passed === results.length ? 0 : 1;
}

process.exit(await main());
