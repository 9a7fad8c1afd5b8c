// Types of scripts/l10nBundles.mjs for the unit tests that import it.
export function bundleFiles(root: string): Array<[string, string]>;
export function mergedBundles(root: string): Record<string, Record<string, string>>;
export function writeBundles(root?: string): string[];
