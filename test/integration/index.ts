// Entry point the extension host loads for `extensionTestsPath` (same contract as
// @vscode/test-electron): run every compiled *.test.js beside this file with mocha.
// The host forwards mocha's console output to the browser without its %s formatting, so the
// results also go to a JSON file that scripts/e2e/runIntegration.mjs reads and prints.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** Env var naming the JSON results file; the runner sets it on the code-server process. */
export const RESULTS_ENV = 'PARAMSCOPE_INTEGRATION_RESULTS';
/** Compiled into out/integration/, so the repo root is two levels up. */
const repoRoot = path.resolve(__dirname, '..', '..');
const defaultResultsPath = path.join(repoRoot, 'test-results', 'integration', 'results.json');

/** One line of the results file per test. */
export interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface Results {
  passed: number;
  failed: number;
  pending: number;
  tests: TestResult[];
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

export function run(): Promise<void> {
  const resultsPath = process.env[RESULTS_ENV] ?? defaultResultsPath;
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000 });
  // `INTEGRATION_ONLY=<regexp> npm run test:integration` runs the matching suites and tests only (as UI_ONLY does for the UI tests).
  if (process.env.INTEGRATION_ONLY) mocha.grep(new RegExp(process.env.INTEGRATION_ONLY));
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  const results: Results = { passed: 0, failed: 0, pending: 0, tests: [] };
  const write = () => {
    fs.mkdirSync(path.dirname(resultsPath), { recursive: true });
    fs.writeFileSync(resultsPath, JSON.stringify(results, null, 2));
  };
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        write();
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
      runner.on('pass', (t) => {
        results.passed++;
        results.tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration });
      });
      runner.on('fail', (t, err) => {
        results.failed++;
        results.tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration, error: errorText(err) });
      });
      runner.on('pending', (t) => {
        results.pending++;
        results.tests.push({ title: t.fullTitle(), state: 'pending' });
      });
    } catch (err) {
      // A test file that throws while loading never reaches mocha's callback.
      results.failed++;
      results.tests.push({ title: 'loading test files', state: 'failed', error: errorText(err) });
      write();
      reject(err);
    }
  });
}
