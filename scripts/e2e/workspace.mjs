// Test and demo workspaces are copies of the torch-made fixtures, so nothing the workbench or the
// extension writes (.vscode/, caches) ever lands in test/fixtures/.
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fixtureModelsDir } from './paths.mjs';

/**
 * Copies test/fixtures/models/ (or only the listed entries of it) to `dest`, replacing what was there.
 * @param {string} dest
 * @param {string[]} [only] file or folder names inside test/fixtures/models/
 */
export function copyFixtureModels(dest, only) {
  rmSync(dest, { recursive: true, force: true });
  if (!only) {
    cpSync(fixtureModelsDir, dest, { recursive: true });
    return dest;
  }
  for (const name of only) cpSync(path.join(fixtureModelsDir, name), path.join(dest, name), { recursive: true });
  return dest;
}
