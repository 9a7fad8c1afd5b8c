import './l10n';
import * as l10n from '@vscode/l10n';
import { hierarchy, treemap, treemapSquarify, type HierarchyRectangularNode } from 'd3-hierarchy';
import type { OverviewStructure } from '../src/protocol/overviewMessages';
import { fmtBytes, fmtShare, PALETTE, textOn } from './overviewText';
import { el, fmtCount } from './vscodeApi';

type BlockShare = OverviewStructure['blocks'][number];

/** A node of the treemap: the root, a stack's group, or a block (a leaf). */
interface MapNode {
  label: string;
  block?: BlockShare;
  /** The top-level group's colour (a stack and its layers share one). */
  colour?: string;
  children?: MapNode[];
}

/** Room for a group's caption above its layers. */
const GROUP_CAPTION_PX = 18;
/** A cell gets a label only when it can hold one line of text. */
const LABEL_MIN_WIDTH_PX = 44;
const LABEL_MIN_HEIGHT_PX = 18;
/** ...and a second line (its share) when it is taller. */
const SHARE_MIN_HEIGHT_PX = 36;

const blockName = (b: BlockShare): string => b.block || l10n.t('(top level)');

/**
 * Parameter share by block as a squarified treemap of absolutely positioned divs: the layers of a
 * stack inside one group, lone blocks at the top level. Laid out again when its width changes.
 */
export class Treemap {
  readonly root = el('div', { class: 'treemap', attrs: { role: 'img' } });
  private readonly tree: MapNode;
  private width = 0;
  private readonly observer = new ResizeObserver(() => this.layout());

  constructor(private readonly structure: OverviewStructure) {
    this.root.setAttribute('aria-label', l10n.t('parameter share by block'));
    const groups = new Map<string, MapNode>();
    const top: MapNode[] = [];
    for (const b of structure.blocks) {
      if (b.parameters <= 0) continue;
      if (b.stack) {
        let g = groups.get(b.stack);
        if (!g) {
          g = { label: b.stack, children: [] };
          groups.set(b.stack, g);
          top.push(g);
        }
        g.children!.push({ label: b.block.startsWith(`${b.stack}.`) ? b.block.slice(b.stack.length + 1) : b.block, block: b });
      } else top.push({ label: blockName(b), block: b });
    }
    // Colours by group, largest first (the blocks come largest first): the big groups get the first hues.
    top.forEach((n, i) => {
      n.colour = PALETTE[i % PALETTE.length];
      for (const c of n.children ?? []) c.colour = n.colour;
    });
    this.tree = { label: '', children: top };
    this.observer.observe(this.root);
  }

  dispose(): void {
    this.observer.disconnect();
  }

  private layout(): void {
    const width = Math.floor(this.root.clientWidth);
    if (width === this.width || width <= 0) return;
    this.width = width;
    const height = Math.round(Math.min(420, Math.max(220, width * 0.42)));
    this.root.style.height = `${height}px`;
    const total = this.structure.totalParameters;
    const h = hierarchy<MapNode>(this.tree, (d) => d.children)
      .sum((d) => (d.children ? 0 : (d.block?.parameters ?? 0)))
      .sort((a, b) => (b.value ?? 0) - (a.value ?? 0));
    const laid = treemap<MapNode>()
      .tile(treemapSquarify)
      .size([width, height])
      .paddingInner(2)
      .paddingTop((d) => (d.depth === 1 && d.children ? GROUP_CAPTION_PX : 0))(h);
    const out: HTMLElement[] = [];
    for (const n of laid.descendants()) {
      if (n.depth === 0) continue;
      if (n.children) out.push(this.group(n, total));
      else if (n.data.block) out.push(this.cell(n, n.data.block, total));
    }
    this.root.replaceChildren(...out);
  }

  private place(e: HTMLElement, n: HierarchyRectangularNode<MapNode>): void {
    // CSSOM, not style attributes: the page's CSP allows no inline styles.
    e.style.left = `${n.x0}px`;
    e.style.top = `${n.y0}px`;
    e.style.width = `${Math.max(0, n.x1 - n.x0)}px`;
    e.style.height = `${Math.max(0, n.y1 - n.y0)}px`;
  }

  private group(n: HierarchyRectangularNode<MapNode>, total: number): HTMLElement {
    const layers = n.children!.length;
    const params = n.value ?? 0;
    const g = el('div', { class: 'group', attrs: { 'data-stack': n.data.label } });
    g.title = `${n.data.label}\n${l10n.t('{0} layers', layers)} · ${l10n.t('{0} parameters ({1} of the model)', fmtCount(params), fmtShare(params, total))}`;
    if (n.y1 - n.y0 >= GROUP_CAPTION_PX && n.x1 - n.x0 >= LABEL_MIN_WIDTH_PX) g.append(el('span', { class: 'caption', text: `${n.data.label} · ${l10n.t('{0} layers', layers)} · ${fmtShare(params, total)}` }));
    this.place(g, n);
    g.style.borderColor = n.data.colour!;
    return g;
  }

  private cell(n: HierarchyRectangularNode<MapNode>, b: BlockShare, total: number): HTMLElement {
    const c = el('div', { class: 'cell', attrs: { 'data-block': b.block } });
    c.title = [
      blockName(b),
      l10n.t('{0} parameters ({1} of the model)', fmtCount(b.parameters), fmtShare(b.parameters, total)),
      l10n.t('{0} · {1} tensors', fmtBytes(b.bytes), fmtCount(b.tensors)),
    ].join('\n');
    this.place(c, n);
    const colour = n.data.colour!;
    c.style.background = colour;
    c.style.color = textOn(colour);
    const w = n.x1 - n.x0;
    const h = n.y1 - n.y0;
    if (w >= LABEL_MIN_WIDTH_PX && h >= LABEL_MIN_HEIGHT_PX) {
      c.append(el('span', { class: 'label', text: n.data.label }));
      if (h >= SHARE_MIN_HEIGHT_PX) c.append(el('span', { class: 'share', text: fmtShare(b.parameters, total) }));
    }
    return c;
  }
}

/** The dtype / quantization mix: one bar of segments by bytes, and a table. */
export function dtypeMix(structure: OverviewStructure): HTMLElement[] {
  const totalBytes = structure.dtypes.reduce((s, d) => s + d.bytes, 0);
  const bar = el('div', { class: 'dtype-bar', attrs: { role: 'img', 'aria-label': l10n.t('bytes by dtype') } });
  const colours = new Map(structure.dtypes.map((d, i) => [d.dtype, PALETTE[(i + 4) % PALETTE.length]!]));
  for (const d of structure.dtypes) {
    if (d.bytes <= 0) continue;
    const seg = el('span', { class: 'segment', attrs: { 'data-dtype': d.dtype } });
    const colour = colours.get(d.dtype)!;
    seg.style.width = `${(100 * d.bytes) / totalBytes}%`;
    seg.style.background = colour;
    seg.style.color = textOn(colour);
    seg.title = `${d.dtype}: ${fmtBytes(d.bytes)} (${fmtShare(d.bytes, totalBytes)})`;
    seg.textContent = d.dtype;
    bar.append(seg);
  }
  const head = el(
    'tr',
    {},
    ...[l10n.t('dtype'), l10n.t('tensors'), l10n.t('parameters'), l10n.t('bytes'), l10n.t('% of bytes')].map((t, i) => el('th', { text: t, ...(i > 0 ? { class: 'num' } : {}) })),
  );
  const body = structure.dtypes.map((d) => {
    const swatch = el('span', { class: 'swatch' });
    swatch.style.background = colours.get(d.dtype)!;
    return el(
      'tr',
      { attrs: { 'data-dtype': d.dtype } },
      el('td', {}, swatch, document.createTextNode(d.dtype)),
      el('td', { class: 'num', text: fmtCount(d.tensors) }),
      el('td', { class: 'num', text: fmtCount(d.parameters) }),
      el('td', { class: 'num', text: fmtBytes(d.bytes), title: `${fmtCount(d.bytes)} B` }),
      el('td', { class: 'num', text: fmtShare(d.bytes, totalBytes) }),
    );
  });
  const table = el('table', { class: 'dtypes' }, el('thead', {}, head), el('tbody', {}, ...body));
  return [bar, table];
}
