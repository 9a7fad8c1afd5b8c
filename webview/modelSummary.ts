import './l10n';
import * as l10n from '@vscode/l10n';
import type { MetadataRow, ModelSummary, SummaryModule, SummaryNotifications, SummaryRequests } from '../src/protocol/messages';
import { Rpc } from '../src/protocol/rpc';
import { el, fmtCount, hostEndpoint } from './vscodeApi';

const app = document.getElementById('app')!;
const rpc = new Rpc<SummaryRequests, SummaryNotifications>(hostEndpoint);

const fmtBytes = (n: number): string => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

rpc.onNotify('summary', (s) => render(s));
rpc.onNotify('failed', ({ message, fileName }) => {
  app.replaceChildren(
    el('h1', { text: l10n.t('This file cannot be shown') }),
    el('p', { class: 'status error', text: message }),
    el('p', {
      class: 'readout',
      text: l10n.t('ParamScope read {0} without running anything in it. If the file was cut short by a copy or a download, save or download it again; if it is another kind of file, use "Reopen Editor With…" to open it as text or hex.', fileName),
    }),
  );
});
rpc.notify('ready', {});

/** 4.5 bits for Q4_K, 16 for float16. */
const fmtBits = (b: number): string => (Number.isInteger(b) ? String(b) : b.toFixed(4).replace(/0+$/, ''));

/** A value too long for one line (a chat template) folds away; an array shows its length and first items. */
function metadataValue(r: MetadataRow): Node {
  if (r.array) {
    const { length, itemType, items } = r.array;
    const head = items.slice(0, 8).join(', ') + (length > 8 ? ', …' : '');
    if (length <= 8) return el('span', { text: `[${head}]` });
    const shown = items.length < length ? l10n.t('the first {0} of {1} items', fmtCount(items.length), fmtCount(length)) : l10n.t('all {0} items', fmtCount(length));
    return el('details', {}, el('summary', { text: `[${fmtCount(length)} × ${itemType}] ${head}` }), el('p', { class: 'readout', text: shown }), el('pre', { class: 'metadata-items', text: items.map((x, i) => `${i}: ${x}`).join('\n') }));
  }
  const text = r.text ?? '';
  if (text.includes('\n') || text.length > 120) return el('details', {}, el('summary', { text: `${text.slice(0, 80).split('\n')[0]}… (${l10n.t('{0} characters', fmtCount(text.length))})` }), el('pre', { class: 'metadata-text', text }));
  return el('span', { text });
}

function metadataTable(rows: MetadataRow[]): HTMLElement {
  return el(
    'table',
    { class: 'metadata', attrs: { 'aria-label': l10n.t('metadata') } },
    el('tr', {}, ...[l10n.t('key'), l10n.t('type'), l10n.t('value')].map((h) => el('th', { text: h }))),
    ...rows.map((r) => el('tr', {}, el('td', { class: 'key', text: r.key }), el('td', { text: r.type ?? '' }), el('td', {}, metadataValue(r)))),
  );
}

function render(s: ModelSummary): void {
  const totalBytes = s.byDtype.reduce((n, d) => n + d.bytes, 0);
  const dtypeTable = el(
    'table',
    { class: 'dtypes', attrs: { 'aria-label': l10n.t('totals by dtype') } },
    el('tr', {}, ...[l10n.t('dtype'), l10n.t('bits/weight'), l10n.t('tensors'), l10n.t('elements'), l10n.t('bytes'), l10n.t('share of bytes')].map((h) => el('th', { text: h }))),
    ...s.byDtype.map((d) =>
      el(
        'tr',
        {},
        el('td', { text: d.dtype }),
        el('td', { text: fmtBits(d.bitsPerElement) }),
        el('td', { text: fmtCount(d.tensors) }),
        el('td', { text: fmtCount(d.elements) }),
        el('td', { text: fmtBytes(d.bytes) }),
        el('td', { text: totalBytes > 0 ? `${((100 * d.bytes) / totalBytes).toFixed(1)}%` : '' }),
      ),
    ),
  );
  const tree = el('pre', { class: 'module-tree', attrs: { 'aria-label': l10n.t('module tree') } });
  // The root is named as the code names it (`rgnet = Sequential(`); a dict of tensors gets braces.
  renderModule(tree, s.modules, '', `${s.rootName} = `);
  const parts: Node[] = [
    el('h1', { text: s.fileName }),
    el('p', { class: 'chips' }, el('span', { class: 'chip', text: s.format }), el('span', { class: 'chip', text: l10n.t('{0} parameters', fmtCount(s.totalParameters)) }), el('span', { class: 'chip', text: s.tensorCount === 1 ? l10n.t('1 tensor') : l10n.t('{0} tensors', fmtCount(s.tensorCount)) })),
  ];
  // The picture of the same model: shares by block, statistics over depth, layers that stand apart.
  const overview = el('a', { class: 'open-overview', text: l10n.t('Model overview: shares, depth, outliers'), attrs: { href: '#', role: 'button' } });
  overview.addEventListener('click', (e) => {
    e.preventDefault();
    rpc.notify('showOverview', {});
  });
  parts.push(el('p', { class: 'links' }, overview));
  if (s.container.length > 0) parts.push(el('p', { class: 'chips container', attrs: { 'aria-label': l10n.t('file') } }, ...s.container.map(([k, v]) => el('span', { class: 'chip', text: `${k}: ${v}` }))));
  const t = s.training;
  const progress = [t.epoch !== undefined ? l10n.t('epoch {0}', t.epoch) : '', t.step !== undefined ? l10n.t('step {0}', fmtCount(t.step)) : '', t.lr ? l10n.t('lr {0}', t.lr.join(', ')) : ''].filter(Boolean);
  if (progress.length > 0) parts.push(el('p', { class: 'chips training', attrs: { 'aria-label': l10n.t('training progress') } }, ...progress.map((p) => el('span', { class: 'chip', text: p }))));
  if (s.warnings.length > 0) parts.push(el('section', { class: 'warnings' }, el('h2', { text: l10n.t('Warnings ({0})', s.warnings.length) }), el('ul', {}, ...s.warnings.map((w) => el('li', { text: w })))));
  if (s.notes.length > 0) parts.push(el('section', { class: 'notes' }, el('h2', { text: l10n.t('Notes ({0})', s.notes.length) }), el('ul', {}, ...s.notes.map((w) => el('li', { text: w })))));
  parts.push(el('h2', { text: l10n.t('Totals by dtype') }), dtypeTable, el('h2', { text: s.moduleTreeSource === 'pickle' ? l10n.t('Module tree (like print(model), with parameter counts)') : s.moduleTreeSource === 'config' ? l10n.t('Layer tree (Keras layers, with parameter counts)') : l10n.t('Module tree (from the tensor names)') }), tree);
  if (s.metadata.length > 0) parts.push(el('h2', { text: l10n.t('Metadata ({0})', s.metadata.length) }), metadataTable(s.metadata));
  app.replaceChildren(...parts);
}

function renderModule(into: HTMLElement, m: SummaryModule, indent: string, label: string): void {
  // No class (a state_dict's prefixes, a checkpoint's dicts): braces, so the root reads `net = {`.
  const [open, close] = m.type === null ? ['{', '}'] : [`${m.type}(`, ')'];
  // An optimizer's state[i] says whose state it is.
  const count = el('span', { class: 'count', text: `  # ${fmtCount(m.parameterCount)}${m.slotOf ? ` · ${l10n.t('state of {0}', m.slotOf)}` : ''}` });
  if (m.sameAs !== undefined) {
    into.append(`${indent}${label}${m.type ?? ''}(${l10n.t('same module as {0}', m.sameAs || l10n.t('root'))})`, count, '\n');
    return;
  }
  if (m.children.length === 0 && m.parameters.length === 0) {
    into.append(`${indent}${label}${open}${close}\n`);
    return;
  }
  into.append(`${indent}${label}${open}`, count, '\n');
  for (const p of m.parameters) {
    const link = el('a', { text: p.local, attrs: { href: '#', role: 'button', title: l10n.t('open {0}', p.name) } });
    link.addEventListener('click', (e) => {
      e.preventDefault();
      rpc.notify('openParameter', { name: p.name });
    });
    into.append(`${indent}  `, link, `: ${p.dtype}[${p.shape.join(', ')}] = ${fmtCount(p.count)}${p.kind === 'buffer' ? ` (${l10n.t('buffer')})` : ''}\n`);
  }
  for (const c of m.children) renderModule(into, c, `${indent}  `, `(${c.name}): `);
  into.append(`${indent}${close}\n`);
}
