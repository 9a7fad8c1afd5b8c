import './l10n';
import * as l10n from '@vscode/l10n';
import type { TieEvidenceName, TieGroupRow, TieMemberView, TiesNotifications, TiesPageData, TiesRequests } from '../src/protocol/messages';
import { Rpc } from '../src/protocol/rpc';
import { el, fmtCount, hostEndpoint, vscode } from './vscodeApi';

const app = document.getElementById('app')!;
const rpc = new Rpc<TiesRequests, TiesNotifications>(hostEndpoint);

/** What each kind of evidence means, for the chip's tooltip and the legend. */
const EVIDENCE: Record<TieEvidenceName, string> = {
  storage: l10n.t('the same bytes of one storage: torch saved the tensor once and both names point at it'),
  module: l10n.t('the same module object at two places of the pickled model (net[2] is net[4])'),
  metadata: l10n.t("declared by the file's metadata or a config.json beside it (tie_word_embeddings, safetensors' removed duplicates)"),
  content: l10n.t('byte-identical values found by hashing: equal, but not necessarily tied'),
};

/** The host's English reasons for a member it could not find (src/views/tiesSummary.ts), translated here. */
const MISSING: Record<string, string> = {
  'not stored in this file': l10n.t('not stored in this file'),
  'not in the module tree': l10n.t('not in the module tree'),
};

const fmtBytes = (n: number): string =>
  n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${fmtCount(n)} B`;

/** A link that opens a parameter panel (an anchor, so Enter works like a click). */
function parameterLink(name: string, label: string): HTMLAnchorElement {
  const a = el('a', { text: label, class: 'param-link', attrs: { href: '#', title: l10n.t('open {0}', name), 'data-name': name } });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    rpc.notify('openParameter', { name });
  });
  return a;
}

/** `shared[4].weight  4.weight · float32 [8, 8]`, or `shared[4]  Linear: weight, bias` for a module. */
function member(m: TieMemberView): HTMLElement {
  const out = el('span', { class: `member member-${m.kind}`, attrs: { 'data-name': m.name } });
  if (m.kind === 'parameter') out.append(parameterLink(m.name, m.path));
  else out.append(el('code', { class: 'path', text: m.path }));
  const detail = m.kind === 'missing' ? (MISSING[m.detail] ?? m.detail) : m.detail;
  const aside = m.kind === 'module' ? detail : `${m.name !== m.path ? `${m.name} · ` : ''}${detail}`;
  out.append(el('span', { class: 'detail', text: ` ${aside}${m.kind === 'module' && m.parameters.length > 0 ? ':' : ''}` }));
  if (m.kind === 'module') m.parameters.forEach((p, i) => out.append(i > 0 ? ', ' : ' ', parameterLink(p.name, p.label)));
  return out;
}

function groupTable(groups: TieGroupRow[], label: string, savedTitle: string): HTMLTableElement {
  return el(
    'table',
    { class: 'ties', attrs: { 'aria-label': label } },
    el('thead', {}, el('tr', {}, ...[l10n.t('Evidence'), l10n.t('Members'), l10n.t('Bytes each'), savedTitle].map((h, i) => el('th', { text: h, class: i >= 2 ? 'num' : '', attrs: { scope: 'col' } })))),
    el(
      'tbody',
      {},
      ...groups.map((g) => {
        const members = el('td', { class: 'members' });
        // One member a line; the arrow says the lines are one thing.
        g.members.forEach((m, i) => {
          const line = member(m);
          line.prepend(el('span', { class: 'tie-arrow', text: i > 0 ? '⇄ ' : '', attrs: i > 0 ? { 'aria-label': l10n.t('same as') } : {} }));
          members.append(line);
        });
        return el(
          'tr',
          { attrs: { 'data-evidence': g.evidence } },
          el('td', {}, el('span', { class: `chip evidence-${g.evidence}`, text: g.evidence, title: EVIDENCE[g.evidence] })),
          members,
          el('td', { class: 'num', text: fmtBytes(g.bytes) }),
          el('td', { class: 'num', text: fmtBytes(g.saved), title: `(${g.members.length} − 1) × ${fmtCount(g.bytes)} bytes` }),
        );
      }),
    ),
  );
}

function render(d: TiesPageData): void {
  const parts: Node[] = [el('h1', { text: l10n.t('Tied parameters · {0}', d.fileName) })];
  const summary =
    d.ties.length === 0
      ? l10n.t('No tied parameters: every parameter in this file is its own tensor.')
      : `${d.ties.length} tie group${d.ties.length === 1 ? '' : 's'} · storing each tied tensor once saves ${fmtBytes(d.totalSaved)}${d.ties.length > 1 ? ' in all (groups can overlap: a shared module holds tied tensors too; each tensor is counted once)' : ''}`;
  parts.push(el('p', { class: 'summary', text: summary }));
  if (d.ties.length > 0) {
    parts.push(el('h2', { text: l10n.t('Tied: one thing at several names') }), groupTable(d.ties, l10n.t('tied parameters'), l10n.t('Saved by storing once')));
    const used = [...new Set(d.ties.map((g) => g.evidence))];
    parts.push(el('ul', { class: 'legend' }, ...used.map((e) => el('li', {}, el('span', { class: `chip evidence-${e}`, text: e }), ` ${EVIDENCE[e]}`))));
  }
  parts.push(el('h2', { text: l10n.t('Identical values, not necessarily tied') }));
  if (!d.contentCompared) {
    parts.push(el('p', { class: 'readout', text: l10n.t('Not compared: comparing contents was cancelled. Reopen the panel to compare them.') }));
  } else if (d.identical.length > 0) {
    parts.push(
      el('p', { class: 'readout', text: l10n.t('Tensors with byte-identical values in different storage. Equal is not tied: zero-initialised biases of one shape are equal too, and training would make them differ.') }),
      groupTable(d.identical, l10n.t('identical values'), l10n.t('Saved if stored once')),
    );
  } else parts.push(el('p', { class: 'readout', text: l10n.t('None: no two tensors of one dtype and shape hold the same bytes.') }));
  if (d.views.length > 0) {
    parts.push(
      el('h2', { text: l10n.t('Overlapping views of one storage') }),
      el('p', { class: 'readout', text: l10n.t('These tensors share part of one storage without being the same tensor (a transpose, a slice): writing one changes the others. Not ties.') }),
      el('ul', { class: 'views' }, ...d.views.map((v) => el('li', {}, el('span', { class: 'detail', text: `${l10n.t('storage {0}', v.storageKey)}: ` }), ...v.members.map(member)))),
    );
  }
  app.replaceChildren(...parts);
}

rpc.onNotify('searching', ({ fileName }) => {
  app.replaceChildren(el('h1', { text: l10n.t('Tied parameters · {0}', fileName) }), el('p', { class: 'readout', attrs: { role: 'status' }, text: l10n.t('Looking for shared storage, shared modules, declared ties and identical values…') }));
});
rpc.onNotify('ties', (d) => {
  // The host revives the panel from this after a window reload.
  vscode.setState({ file: d.file });
  render(d);
});
rpc.onNotify('failed', ({ message, fileName }) => {
  app.replaceChildren(el('h1', { text: l10n.t('Tied parameters · {0}', fileName) }), el('p', { class: 'status error', text: message }));
});
app.replaceChildren(el('p', { class: 'readout', text: l10n.t('Reading the model…') }));
rpc.notify('ready', {});
