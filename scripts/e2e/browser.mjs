// Debian's Chromium driven by playwright-core (no browser download), with the flags from
// docs/dependencies.md. Playwright refuses --user-data-dir in args, hence the persistent context.
import { chromium } from 'playwright-core';
import { chromiumPath } from './paths.mjs';

const CHROMIUM_ARGS = [
  '--no-sandbox', // we run as root in CI
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A 1280x800 viewport keeps screenshots legible and the side bar and panel both visible. */
export const VIEWPORT = { width: 1280, height: 800 };

/** Opens a headless Chromium with a fresh profile inside the run folder. */
export async function launchBrowser(run) {
  return chromium.launchPersistentContext(run.profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    timeout: 60_000,
    env: run.env,
  });
}

/** Closes the browser, but never hangs a `finally` on it. */
export async function closeBrowser(context) {
  if (!context) return;
  await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
}
