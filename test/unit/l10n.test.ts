// Every user-facing string goes through vscode.l10n / @vscode/l10n and package.nls.json, and the
// zh-cn translation covers all of them with the same placeholders.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getL10nJson } from '@vscode/l10n-dev';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');
const json = (rel: string): Record<string, string> => JSON.parse(read(rel)) as Record<string, string>;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** `{0}`, `{1}`… of a message, sorted. */
const placeholders = (s: string): string[] => [...s.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();

/** Strings of package.json that VS Code shows: command titles and categories, view names, settings. */
interface Contributes {
  commands: Array<{ title: string; category: string }>;
  viewsContainers: { activitybar: Array<{ title: string }> };
  views: { paramscope: Array<{ name: string; contextualTitle?: string }> };
  viewsWelcome: Array<{ contents: string }>;
  customEditors: Array<{ displayName: string }>;
  configuration: { title: string; properties: Record<string, { description?: string; markdownDescription?: string }> };
}

function manifestStrings(pkg: Record<string, unknown>): string[] {
  const c = pkg.contributes as Contributes;
  const out: string[] = [];
  for (const cmd of c.commands) out.push(cmd.title, cmd.category);
  for (const v of c.viewsContainers.activitybar) out.push(v.title);
  for (const v of c.views.paramscope) out.push(v.name, ...(v.contextualTitle ? [v.contextualTitle] : []));
  for (const w of c.viewsWelcome) out.push(w.contents);
  for (const e of c.customEditors) out.push(e.displayName);
  out.push(c.configuration.title);
  for (const p of Object.values(c.configuration.properties)) out.push((p.description ?? p.markdownDescription)!);
  return out.filter((s) => s !== undefined);
}

describe('localization', () => {
  it('the zh-cn bundle translates every l10n.t string of the extension and the webviews', async () => {
    const files = [...sources('src'), ...sources('webview')].map((f) => ({ extension: '.ts', contents: readFileSync(f, 'utf8') }));
    const strings = Object.keys(await getL10nJson(files));
    expect(strings.length).toBeGreaterThan(150);
    const zh = json('l10n/bundle.l10n.zh-cn.json');
    const missing = strings.filter((s) => !(s in zh));
    expect(missing, 'strings without a zh-cn translation').toEqual([]);
    for (const s of strings) expect(placeholders(zh[s]!), `placeholders of ${JSON.stringify(s)}`).toEqual(placeholders(s));
    const stale = Object.keys(zh).filter((k) => !strings.includes(k));
    expect(stale, 'translations of strings the code no longer has').toEqual([]);
    // The English source bundle (for translators) is the extractor's output, up to date.
    expect(Object.keys(json('l10n/bundle.l10n.json')).sort()).toEqual([...strings].sort());
  });

  it('package.json shows only %keys%, and package.nls.json and its zh-cn twin have the same keys', () => {
    const pkg = json('package.json') as unknown as Record<string, unknown>;
    const shown = manifestStrings(pkg);
    expect(shown.filter((s) => !/^%[\w.]+%$/.test(s))).toEqual([]);
    const en = json('package.nls.json');
    const zh = json('package.nls.zh-cn.json');
    const keys = shown.map((s) => s.slice(1, -1));
    expect(keys.filter((k) => !(k in en))).toEqual([]);
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const k of Object.keys(en)) {
      expect(zh[k], k).not.toBe('');
      // Command links and code in descriptions must survive translation.
      expect([...zh[k]!.matchAll(/\(command:[\w.]+\)|`[^`]+`/g)].map((m) => m[0]).sort(), k).toEqual([...en[k]!.matchAll(/\(command:[\w.]+\)|`[^`]+`/g)].map((m) => m[0]).sort());
    }
  });

  it('the zh-cn strings are Chinese, not copies of the English', () => {
    const zh = { ...json('l10n/bundle.l10n.zh-cn.json'), ...json('package.nls.zh-cn.json') };
    const english = Object.entries(zh).filter(([en, t]) => t === en && /[a-z]{4,} [a-z]{3,}/.test(en));
    expect(english).toEqual([]);
    const han = Object.values(zh).filter((t) => /[\u4e00-\u9fff]/.test(t)).length;
    expect(han / Object.values(zh).length).toBeGreaterThan(0.9);
  });
});
