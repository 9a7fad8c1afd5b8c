import './l10n';
import * as l10n from '@vscode/l10n';
import type { ValuesView } from '../src/protocol/messages';
import { el, fmtNumber } from './vscodeApi';

const ROW_HEIGHT = 22;
const VISIBLE_ROWS = 16;
/** Rows fetched around the visible ones, so small scrolls need no round trip. */
const OVERSCAN = 32;
/** Columns shown at a time; a column offset moves the window across wide matrices. */
const COLUMN_WINDOW = 16;
/** Width of a cell in CSS px (webview.css `.values-row span`: 96 px + 2 × 6 px padding). */
const CELL_WIDTH = 108;

/** Keys that scroll the viewport. */
const SCROLL_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End', ' ']);

export type FetchRows = (rowStart: number, rowCount: number) => Promise<ValuesView>;

/**
 * A virtualized table of a 2-D slice: only the rows on screen are fetched and drawn. The header is
 * a sticky row of the scrolling viewport (so it stays on top however far the rows scroll, and
 * moves sideways with them); the viewport's content is as wide as the columns shown, so a narrow
 * panel scrolls to the right-hand columns instead of clipping them.
 */
export class ValuesTable {
  readonly root: HTMLElement;
  private readonly viewport = el('div', { class: 'values-viewport', attrs: { tabindex: '0', role: 'grid', 'aria-label': l10n.t('tensor values') } });
  private readonly header = el('div', { class: 'values-row header', attrs: { role: 'row' } });
  private readonly spacer = el('div', { class: 'values-spacer' });
  private readonly body = el('div', { class: 'values-body' });
  private readonly colInput = el('input', { attrs: { type: 'number', min: '0', value: '0', 'aria-label': l10n.t('first column shown') } });
  private readonly info = el('span', { class: 'readout' });
  private rows = 0;
  private cols = 0;
  private cache: ValuesView | null = null;
  private fetch: FetchRows | null = null;
  private pending = 0;
  /** Bumped by each `set`: a slower first fetch of the slice shown before is dropped. */
  private shown = 0;

  constructor(
    private firstRow = 0,
    private colStart = 0,
    private readonly onMove: (row: number, col: number) => void = () => undefined,
    /** The person scrolled or moved the columns (not the table placing itself). */
    private readonly onUse: () => void = () => undefined,
  ) {
    this.spacer.append(this.body);
    this.viewport.append(this.header, this.spacer);
    this.viewport.style.height = `${ROW_HEIGHT * VISIBLE_ROWS}px`;
    this.viewport.addEventListener('scroll', () => {
      const top = Math.floor(this.viewport.scrollTop / ROW_HEIGHT);
      if (top !== this.firstRow) {
        this.firstRow = top;
        this.onMove(this.firstRow, this.colStart);
      }
      void this.render();
    });
    // Scrolls the person makes (the table's own scrollTop changes fire `scroll` too, so not that).
    this.viewport.addEventListener('wheel', () => this.onUse(), { passive: true });
    this.viewport.addEventListener('mousedown', () => this.onUse());
    this.viewport.addEventListener('keydown', (e) => {
      if (SCROLL_KEYS.has(e.key)) this.onUse();
    });
    this.colInput.addEventListener('change', (e) => {
      if (e.isTrusted) this.onUse();
      this.colStart = Math.max(0, Math.min(Number(this.colInput.value) || 0, Math.max(0, this.cols - 1)));
      this.colInput.value = String(this.colStart);
      this.onMove(this.firstRow, this.colStart);
      void this.render();
    });
    this.root = el('section', { class: 'values' }, el('div', { class: 'toolbar' }, el('h2', { text: l10n.t('Values') }), el('label', { text: `${l10n.t('from column')} ` }, this.colInput), this.info), this.viewport);
  }

  /** Shows a new slice; `rows`/`cols` come from the first fetch. `keepPlace`: stay at the saved row and column. */
  async set(fetch: FetchRows, keepPlace = false): Promise<void> {
    this.fetch = fetch;
    this.cache = null;
    if (!keepPlace) this.firstRow = this.colStart = 0;
    const shown = ++this.shown;
    this.pending++; // a scroll's fetch for the slice before is dropped too
    const first = await fetch(Math.max(0, this.firstRow - OVERSCAN / 2), VISIBLE_ROWS + OVERSCAN);
    if (shown !== this.shown) return;
    this.rows = first.rows;
    this.cols = first.cols;
    this.cache = first;
    this.colStart = Math.max(0, Math.min(this.colStart, this.cols - 1));
    this.colInput.value = String(this.colStart);
    this.colInput.max = String(Math.max(0, this.cols - 1));
    this.spacer.style.height = `${this.rows * ROW_HEIGHT}px`;
    // As tall as the rows need (plus the header), at most a screenful.
    this.viewport.style.height = `${ROW_HEIGHT * (Math.min(this.rows, VISIBLE_ROWS) + 1) + 2}px`;
    this.viewport.scrollTop = Math.min(this.firstRow, Math.max(0, this.rows - 1)) * ROW_HEIGHT;
    await this.render();
  }

  /** Empty (another tensor's values are on their way). */
  clear(): void {
    this.shown++;
    this.pending++;
    this.fetch = null;
    this.cache = null;
    this.body.replaceChildren();
    this.info.textContent = '';
  }

  private async render(): Promise<void> {
    if (!this.fetch) return;
    const top = Math.min(Math.floor(this.viewport.scrollTop / ROW_HEIGHT), Math.max(0, this.rows - 1));
    const end = Math.min(this.rows, top + VISIBLE_ROWS + 1);
    const c = this.cache;
    if (!c || top < c.rowStart || end > c.rowStart + c.rowCount) {
      const ticket = ++this.pending;
      const start = Math.max(0, top - OVERSCAN / 2);
      const fresh = await this.fetch(start, VISIBLE_ROWS + OVERSCAN);
      if (ticket !== this.pending) return; // a newer scroll superseded this one
      this.cache = fresh;
    }
    this.draw(top, end);
  }

  private draw(top: number, end: number): void {
    const c = this.cache!;
    const values = new Float64Array(c.values);
    const colEnd = Math.min(this.cols, this.colStart + COLUMN_WINDOW);
    const width = `${(colEnd - this.colStart + 1) * CELL_WIDTH}px`;
    this.header.style.width = width;
    this.spacer.style.width = width;
    this.header.replaceChildren(el('span', { class: 'values-index', text: '' }));
    for (let j = this.colStart; j < colEnd; j++) this.header.append(el('span', { text: String(j), attrs: { role: 'columnheader' } }));
    this.body.replaceChildren();
    this.body.style.transform = `translateY(${top * ROW_HEIGHT}px)`;
    for (let r = top; r < end; r++) {
      const row = el('div', { class: 'values-row', attrs: { role: 'row' } }, el('span', { class: 'values-index', text: String(r), attrs: { role: 'rowheader' } }));
      const base = (r - c.rowStart) * this.cols;
      for (let j = this.colStart; j < colEnd; j++) row.append(el('span', { text: fmtNumber(values[base + j]), attrs: { role: 'gridcell' } }));
      this.body.append(row);
    }
    // The row drawn first may sit under the sticky header; name the first one in full view.
    const first = Math.min(Math.max(0, this.rows - 1), Math.ceil(this.viewport.scrollTop / ROW_HEIGHT - 0.01));
    this.info.textContent = l10n.t('{0} × {1}; rows {2}–{3}, columns {4}–{5}', this.rows, this.cols, first, Math.max(first, end - 1), this.colStart, colEnd - 1);
  }
}
