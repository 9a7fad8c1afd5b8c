import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { marked } from 'marked';
import { markdownTokens } from '../markdownTokens';
import { beforeAll, describe, expect, it } from 'vitest';
import { markdownCode, markdownCodeBlock, markdownText, terminalText } from '../../src/core/displayText';
import { buildModelIndex } from '../../src/model/buildIndex';
import type { ReaderResult } from '../../src/core/modelIndex';
import { summaryMarkdown } from '../../src/model/summaryExport';
import { safetensorsBytes } from './builders';
import { tempFile } from './tempFiles';

/**
 * Names a hostile file can carry. Each tries to leave its code span or text and become a link (a
 * command link with its own arguments), a remote image that loads on hover, HTML, a table cell, a
 * heading, or terminal control sequences.
 */
const HOSTILE = [
  'w\r\r[Open](command:paramscope.bindVariable?%5B%7B%22model%22%3A1%7D%5D)',
  'w\n\n![x](https://evil.example/x.png)',
  'w\r\n\r\n[a](command:workbench.action.terminal.new)',
  'w\u2028\u2029[a](command:x)\u0085\v\f[b](command:y)',
  '``` `` ` [a](command:x) ` `` ```',
  '`[a](command:x)`',
  '<img src=x onerror=alert(1)>',
  '<a href="command:x">y</a>',
  '| a | b |',
  '# heading\n- item\n1. list\n> quote',
  '[a]: https://evil.example/ref',
  'http://evil.example/ www.evil.example',
  '&lt;b&gt; &#x3c;i&#x3e;',
  ' leading and trailing ',
  '*emph* _u_ ~~s~~ \\`',
  '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007\u001b[2J\u009b31m',
  'a\u202eb\u2066c',
  '',
];

const ACTIVE = new Set(['link', 'image', 'html', 'br', 'heading', 'list', 'blockquote', 'def', 'hr', 'table']);

const decode = (html: string): string =>
  html.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);

describe('markdownCode: a name from a file renders as one code span showing exactly its text (checked with marked, VS Code’s renderer)', () => {
  for (const name of HOSTILE) {
    it(JSON.stringify(name), () => {
      const md = `name ${markdownCode(name)} · float32`;
      expect(marked.lexer(md).map((t) => t.type)).toEqual(['paragraph']);
      const inline = markdownTokens(md).slice(1);
      expect(inline.filter((t) => ACTIVE.has(t.type))).toEqual([]);
      expect(inline.filter((t) => t.type === 'codespan')).toHaveLength(1);
      const html = marked.parseInline(md) as string;
      const code = /<code>([\s\S]*)<\/code>/.exec(html)?.[1];
      // An empty name shows as one space: an empty code span cannot be written.
      expect(code === undefined ? undefined : decode(code)).toBe(terminalText(name) || ' ');
      expect(html).not.toMatch(/<(a|img|br|h\d|li|table)\b/);
    });
  }
  it('keeps ordinary names as they are', () => {
    expect(markdownCode('net[2].bias')).toBe('`net[2].bias`');
    expect(markdownCode('a`b')).toBe('``a`b``');
    expect(markdownCode('`x')).toBe('`` `x ``');
    expect(markdownCode("getattr(rgnet[0], 'block 1')")).toBe("`getattr(rgnet[0], 'block 1')`");
  });
});

describe('markdownText: prose from a file renders as exactly its text, with no markup at all', () => {
  for (const name of HOSTILE.filter((n) => n.trim() !== '')) {
    it(JSON.stringify(name), () => {
      const html = (marked.parse(`- ${markdownText(name)}`) as string).trim();
      expect(html.startsWith('<ul>\n<li>') && html.endsWith('</li>\n</ul>')).toBe(true);
      const inner = html.slice('<ul>\n<li>'.length, -'</li>\n</ul>'.length);
      expect(inner).not.toMatch(/</);
      expect(decode(inner)).toBe(terminalText(name).trim());
    });
  }
});

describe('markdownCodeBlock: no line can close the fence', () => {
  it('holds fences, tildes and line breaks of names', () => {
    const text = ['Sequential(', '  (```\n[a](command:x)): Linear()', '~~~', '````', ')'].join('\n');
    const tokens = marked.lexer(`${markdownCodeBlock(text, 'text')}\n\nafter`);
    expect(tokens.map((t) => t.type)).toEqual(['code', 'space', 'paragraph']);
    expect((tokens[0] as { text: string }).text).toBe(text.split('\n').map(terminalText).join('\n'));
  });
});

describe('the Markdown export of a file with hostile names', () => {
  it('has one table row per tensor, names in code spans, and no links, images or HTML', () => {
    const loc = (i: number) => ({ file: '/m.safetensors', storageOffset: i * 4, storageBytes: 4, storageKey: String(i), elementOffset: 0, strides: [1], byteOrder: 'little' as const });
    const result: ReaderResult = { format: 'safetensors', tensors: HOSTILE.map((name, i) => ({ name: name || 'x', dtype: 'float32', shape: [1], location: loc(i), kind: 'tensor' })), warnings: ['refused `x`\r\r[a](command:y)'], metadata: {} };
    const md = summaryMarkdown(buildModelIndex(result, '/w/<img src=x>[a](command:z).safetensors'));
    const tokens = markdownTokens(md);
    expect(tokens.filter((t) => ['link', 'image', 'html', 'br'].includes(t.type))).toEqual([]);
    const table = tokens.find((t) => t.type === 'table') as unknown as { rows: Array<Array<{ text: string }>> };
    expect(table.rows).toHaveLength(HOSTILE.length);
    expect(tokens.filter((t) => t.type === 'heading').map((t) => (t as { text: string }).text)).toHaveLength(2);
  });
});

describe('terminalText', () => {
  it('shows control, line-breaking and bidi characters as escapes', () => {
    expect(terminalText('a\u001b[31mb\r\nc\u0007\u009b\u2028\u202e')).toBe('a\\x1b[31mb\\x0d\\x0ac\\x07\\x9b\\u2028\\u202e');
    expect(terminalText('0.block 1.weight · 权重 é')).toBe('0.block 1.weight · 权重 é');
  });
});

describe('the CLI never writes a control character from a file to the terminal', () => {
  let cli = '';
  beforeAll(async () => {
    cli = join(mkdtempSync(join(tmpdir(), 'paramscope-cli-')), 'cli.js');
    await build({ entryPoints: [join(__dirname, '../../src/cli.ts')], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  });
  const evil = 'w\u001b]8;;https://evil-example\u0007x\u001b[2J\r\nfake line';
  const file = () => tempFile('ctl.safetensors', safetensorsBytes({ [evil]: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, __metadata__: {} }, new Uint8Array(8)));
  // eslint-disable-next-line no-control-regex
  const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

  for (const args of [['inspect'], ['stats'], ['init'], ['ties'], ['stats', '--param', evil]]) {
    it(args.join(' '), () => {
      const r = spawnSync(process.execPath, [cli, args[0]!, file(), ...args.slice(1)], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).not.toMatch(CONTROL);
      expect(r.stdout + r.stderr).not.toMatch(/\nfake line/);
      if (args[0] !== 'ties') expect(r.stdout + r.stderr).toContain('w\\x1b]8;;https://evil-example\\x07x\\x1b[2J\\x0d\\x0afake line');
    });
  }
  it('diff', () => {
    const r = spawnSync(process.execPath, [cli, 'diff', file(), file()], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
  });
  it('stops quietly when its reader goes away (`| head -1`): no EPIPE stack trace', () => {
    const names = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`layer${i}.weight`, { dtype: 'F32', shape: [1], data_offsets: [4 * i, 4 * i + 4] }]));
    const big = tempFile('many.safetensors', safetensorsBytes(names, new Uint8Array(80_000)));
    const r = spawnSync('/bin/bash', ['-c', `set -o pipefail; "${process.execPath}" "${cli}" inspect "${big}" | head -c 100 >/dev/null`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
