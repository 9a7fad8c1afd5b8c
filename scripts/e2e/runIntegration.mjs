// Runs the mocha tests in test/integration/ inside a real VS Code extension host (code-server
// 4.100.3) driven by headless Chromium. code-server rejects --extensionTestsPath on its command
// line, but the workbench takes it from the `payload` URL parameter (see docs/dependencies.md).
// Prints one line per test and ends with exactly "N passed, M failed". Exit 0 only when all passed.
import { appendFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { closeBrowser, launchBrowser } from './browser.mjs';
import { createRun, remoteAuthority, startCodeServer, tail, workbenchUrl } from './codeServer.mjs';
import { repoRoot } from './paths.mjs';
import { RESULTS_ENV, integrationResultsPath as resultsPath, printResults } from './results.mjs';
import { copyFixtureModels } from './workspace.mjs';

/** Whole run: server start, workbench load, activation and all tests. One run takes ~8 s warm. */
const TIMEOUT_MS = Number(process.env.INTEGRATION_TIMEOUT_MS ?? 300_000);

const testsIndex = path.join(repoRoot, 'out', 'integration', 'index.js');
const extensionMain = path.join(repoRoot, 'dist', 'extension.js');
const log = (msg) => console.log(`integration: ${msg}`);

async function main() {
  for (const [file, fix] of [[extensionMain, 'npm run build'], [testsIndex, 'npm run build:tests']]) {
    if (!existsSync(file)) throw new Error(`${path.relative(repoRoot, file)} missing; run: ${fix}`);
  }
  rmSync(resultsPath, { force: true });
  const run = createRun('it');
  const workspace = copyFixtureModels(path.join(run.runDir, 'workspace'));
  const consoleLog = path.join(run.runDir, 'browser-console.log');
  let server;
  let context;
  let timer;
  try {
    server = await startCodeServer({ run, env: { [RESULTS_ENV]: resultsPath } });
    log(`code-server at ${server.url} (run folder ${path.relative(repoRoot, run.runDir)})`);
    const authority = await remoteAuthority(server);
    const url = workbenchUrl(server, workspace, [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${repoRoot}`],
      ['extensionTestsPath', `vscode-remote://${authority}${testsIndex}`],
    ]);
    context = await launchBrowser(run);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => appendFileSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => appendFileSync(consoleLog, `[pageerror] ${e.stack ?? e}\n`));
    const exitCode = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code) => resolve(code)));
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    });
    await page.goto(url, { timeout: 60_000 });
    log('workbench loaded, extension host running the tests');
    const code = await Promise.race([exitCode, timeout]);
    log(`extension host reported exit code ${code}`);
    return code;
  } catch (err) {
    console.error(`integration: ${err.message}`);
    if (server) console.error(`--- code-server log (tail) ---\n${tail(server.logPath)}`);
    console.error(`--- browser console (tail) ---\n${tail(consoleLog)}`);
    return 1;
  } finally {
    clearTimeout(timer);
    await closeBrowser(context);
    await server?.stop();
  }
}

const code = await main().catch((err) => {
  console.error(`integration: ${err.message}`);
  return 1;
});
process.exit(printResults(code));
