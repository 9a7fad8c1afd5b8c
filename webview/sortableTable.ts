import './l10n';
import * as l10n from '@vscode/l10n';
import { el } from './vscodeApi';

/** A row of a report table: its order before any sort, and its element. */
export interface SortableRow {
  order: number;
  tr: HTMLTableRowElement;
}

/** A column: its header, and how a row sorts by it (undefined: not known yet, sorted last). */
export interface Column<R> {
  key: string;
  title: string;
  numeric?: boolean;
  value: (r: R) => string | number | undefined;
}

export interface SortState {
  key: string;
  descending: boolean;
}

/**
 * The report tables of the init report and the model diff: header buttons sort the rows (first
 * click ascending, second descending, third back to the host's order), rows still waiting for a
 * value sort last, and rows open with a click or Enter and move focus with the arrow keys. The
 * sort lives in the page's saved state, so it survives the panel being hidden.
 */
export class SortableTable<R extends SortableRow> {
  private readonly headRow = el('tr');
  private readonly body = el('tbody');
  readonly table: HTMLTableElement;
  private rows: R[] = [];

  constructor(
    private readonly columns: ReadonlyArray<Column<R>>,
    opts: { label: string; className: string },
    private readonly state: { sort?: SortState },
    private readonly saveState: () => void,
  ) {
    this.table = el('table', { class: opts.className, attrs: { 'aria-label': opts.label } }, el('thead', {}, this.headRow), this.body);
  }

  /** A row element that opens with a click, Enter or Space (when `open` is given) and moves with the arrows. */
  static rowElement(attrs: Record<string, string>, open?: () => void): HTMLTableRowElement {
    const tr = el('tr', { attrs: { ...attrs, ...(open ? { tabindex: '0' } : {}) } });
    if (open) tr.addEventListener('click', open);
    tr.addEventListener('keydown', (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && open) {
        e.preventDefault();
        open();
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        ((e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null)?.focus();
      }
    });
    return tr;
  }

  /** Replaces the rows (in the host's order) and applies the current sort. */
  setRows(rows: R[]): void {
    this.rows = rows;
    this.body.replaceChildren(fragmentOf(rows)); // a fragment, not a spread: 150,000 rows pass the argument limit
    this.renderHead();
    this.sortRows();
  }

  private renderHead(): void {
    const sort = this.state.sort;
    this.headRow.replaceChildren(
      ...this.columns.map((c) => {
        const button = el('button', { text: c.title, attrs: { type: 'button', title: l10n.t('sort by {0}', c.title) } });
        button.addEventListener('click', () => {
          const now = this.state.sort;
          const same = now?.key === c.key;
          this.state.sort = !same ? { key: c.key, descending: false } : now!.descending ? undefined : { key: c.key, descending: true };
          this.saveState();
          this.renderHead();
          this.sortRows();
          (this.headRow.querySelector(`th[data-key="${c.key}"] button`) as HTMLButtonElement | null)?.focus();
        });
        const sorted = sort?.key === c.key;
        return el('th', { class: c.numeric ? 'num' : '', attrs: { scope: 'col', 'data-key': c.key, 'aria-sort': sorted ? (sort.descending ? 'descending' : 'ascending') : 'none' } }, button);
      }),
    );
  }

  private compare(a: R, b: R): number {
    const sort = this.state.sort;
    if (!sort) return a.order - b.order;
    const col = this.columns.find((c) => c.key === sort.key);
    if (!col) return a.order - b.order;
    const [va, vb] = [col.value(a), col.value(b)];
    // Rows without a value (still running, not compared) go last whichever the direction.
    if (va === undefined || vb === undefined) return va === vb ? a.order - b.order : va === undefined ? 1 : -1;
    const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb), undefined, { numeric: true });
    return (sort.descending ? -c : c) || a.order - b.order;
  }

  /** Re-sorts after values arrived; rows move only when the order changed (moving rows under a reader disorients). */
  sortRows(): void {
    const focused = document.activeElement;
    const sorted = [...this.rows].sort((a, b) => this.compare(a, b));
    if (sorted.some((r, i) => this.body.children[i] !== r.tr)) {
      this.body.replaceChildren(fragmentOf(sorted));
      if (focused instanceof HTMLElement && this.body.contains(focused)) focused.focus();
    }
  }
}

/** The rows' elements in one fragment, appended one by one. */
function fragmentOf(rows: ReadonlyArray<{ tr: HTMLElement }>): DocumentFragment {
  const f = document.createDocumentFragment();
  for (const r of rows) f.appendChild(r.tr);
  return f;
}
