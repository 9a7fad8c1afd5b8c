// Prints the JSON results that test/integration/index.ts writes, whichever VS Code ran them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, testResultsDir } from './paths.mjs';

/** Env var the test index reads (same name as RESULTS_ENV in test/integration/index.ts). */
export const RESULTS_ENV = 'PARAMSCOPE_INTEGRATION_RESULTS';
export const integrationResultsPath = path.join(testResultsDir, 'integration', 'results.json');

/**
 * Prints one line per test and, last, exactly "N passed, M failed". Returns the process exit code:
 * 0 only if the host reported success, no test failed and at least one passed.
 */
export function printResults(hostExitCode, resultsPath = integrationResultsPath) {
  let results;
  try {
    results = JSON.parse(readFileSync(resultsPath, 'utf8'));
  } catch {
    console.error(`no results file at ${path.relative(repoRoot, resultsPath)}`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  for (const t of results.tests) {
    const mark = { passed: 'ok  ', failed: 'FAIL', pending: 'skip' }[t.state];
    console.log(`  ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
    if (t.error) console.log(t.error.split('\n').map((l) => `         ${l}`).join('\n'));
  }
  const ok = hostExitCode === 0 && results.failed === 0 && results.passed > 0;
  // A failed run with no failed test (the host crashed, or nothing ran) still counts as one failure.
  const failed = results.failed === 0 && !ok ? 1 : results.failed;
  console.log(`${results.passed} passed, ${failed} failed`);
  return ok ? 0 : 1;
}
