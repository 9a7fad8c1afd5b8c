// The translations VS Code loads (package.json "l10n": "./dist/l10n"): the shared bundle
// l10n/bundle.l10n.<lang>.json and each format folder's own src/formats/<format>/l10n/bundle.l10n.<lang>.json,
// merged into dist/l10n/ by `npm run build`, so a format's messages are translated in its folder.
// A string translated in two places is an error. The English source bundle (l10n/bundle.l10n.json,
// `npm run l10n`) stays whole: it is for translators, VS Code does not load it.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
/* global process -- a Node global (eslint.config.mjs gives scripts/ no environment) */

const BUNDLE = /^bundle\.l10n\.([a-z]{2}(?:-[a-z]{2})?)\.json$/;

/** Every translation bundle: the shared folder first, then each format's, as [lang, file] pairs. */
export function bundleFiles(root) {
  const folders = [join(root, 'l10n')];
  const formats = join(root, 'src', 'formats');
  for (const e of readdirSync(formats, { withFileTypes: true })) if (e.isDirectory() && existsSync(join(formats, e.name, 'l10n'))) folders.push(join(formats, e.name, 'l10n'));
  return folders.flatMap((dir) =>
    readdirSync(dir)
      .map((name) => [BUNDLE.exec(name)?.[1], join(dir, name)])
      .filter(([lang]) => lang !== undefined),
  );
}

/** The merged bundle of each language: `{ 'zh-cn': { english: translation } }`. */
export function mergedBundles(root) {
  const out = {};
  const from = {};
  for (const [lang, file] of bundleFiles(root)) {
    const bundle = (out[lang] ??= {});
    for (const [key, value] of Object.entries(JSON.parse(readFileSync(file, 'utf8')))) {
      if (key in bundle) throw new Error(`${JSON.stringify(key)} is translated to ${lang} in both ${from[`${lang}\0${key}`]} and ${file}`);
      bundle[key] = value;
      from[`${lang}\0${key}`] = file;
    }
  }
  return out;
}

/** Writes dist/l10n/bundle.l10n.<lang>.json; returns the languages written. */
export function writeBundles(root = process.cwd()) {
  const merged = mergedBundles(root);
  const dir = join(root, 'dist', 'l10n');
  mkdirSync(dir, { recursive: true });
  for (const [lang, bundle] of Object.entries(merged)) writeFileSync(join(dir, `bundle.l10n.${lang}.json`), `${JSON.stringify(bundle, null, 2)}\n`);
  return Object.keys(merged);
}
