import './l10n';
import * as l10n from '@vscode/l10n';
import type { InitView, PanelNotifications, PanelRequests, SchemeView, StatsView } from '../src/protocol/messages';
import type { Rpc } from '../src/protocol/rpc';
import { HistogramChart } from './histogramChart';
import { equivalentLines, moduleLines, schemeLabel, verdictMeaning } from './initText';
import { el, fmtNumber } from './vscodeApi';

/**
 * The "Initialisation" section: the detected scheme with its fit and runner-up, a menu to overlay
 * any scheme's density on the histogram, and "Simulate" to draw a fresh seeded sample of the chosen
 * scheme for this shape, shown as a histogram beside the tensor's.
 */
export class InitSection {
  readonly root: HTMLElement;
  private readonly verdict = el('p', { class: 'verdict', attrs: { 'data-init': '' } });
  private readonly detail = el('p', { class: 'readout' });
  private readonly select = el('select', { attrs: { 'aria-label': l10n.t('scheme to overlay on the histogram') } });
  private readonly simulateButton = el('button', { text: l10n.t('Simulate'), attrs: { type: 'button', title: l10n.t('draw a fresh sample of this scheme for this shape') } });
  private readonly simulated: HistogramChart;
  private stats: StatsView | null = null;
  private options: SchemeView[] = [];
  private seed = 1;
  /** Bumped by `reset`: answers for the tensor shown before are dropped. */
  private ticket = 0;
  private signal: AbortSignal | undefined;

  constructor(
    private readonly rpc: Rpc<PanelRequests, PanelNotifications>,
    private readonly histogram: HistogramChart,
  ) {
    this.simulated = new HistogramChart(false, () => undefined, l10n.t('Simulated sample'));
    this.simulated.root.hidden = true;
    this.select.addEventListener('change', () => void this.applyOverlay(false));
    this.simulateButton.addEventListener('click', () => void this.applyOverlay(true));
    this.root = el(
      'section',
      { class: 'init' },
      el('h2', { text: l10n.t('Initialisation') }),
      this.verdict,
      this.detail,
      el('div', { class: 'toolbar' }, el('label', { text: `${l10n.t('Overlay')} ` }, this.select), this.simulateButton),
      this.simulated.root,
    );
  }

  /** Empty, for another tensor: its verdict, menu and simulated sample are not this one's. */
  reset(): void {
    this.ticket++;
    this.stats = null;
    this.options = [];
    this.seed = 1;
    this.verdict.textContent = '';
    this.verdict.dataset.init = '';
    this.detail.textContent = '';
    this.select.replaceChildren();
    this.simulated.root.hidden = true;
    this.simulateButton.textContent = l10n.t('Simulate');
    this.simulateButton.disabled = true;
  }

  /** Detects the tensor's scheme; `signal` cancels the requests when the page moves on to another tensor. */
  async load(stats: StatsView, signal?: AbortSignal): Promise<void> {
    const ticket = this.ticket;
    this.stats = stats;
    this.signal = signal;
    this.verdict.textContent = l10n.t('Detecting the initialisation scheme…');
    try {
      const init = await this.rpc.request('init', {}, { signal });
      if (ticket !== this.ticket) return;
      this.render(init);
      await this.applyOverlay(false);
    } catch (e) {
      if (ticket === this.ticket) this.verdict.textContent = l10n.t('Init detection unavailable: {0}', (e as Error).message);
    }
  }

  private render(init: InitView): void {
    this.verdict.textContent = init.scheme === 'too_few' || init.scheme === 'unknown' ? `${init.scheme}: ${verdictMeaning(init)}` : schemeLabel(init);
    this.verdict.dataset.init = init.scheme;
    const parts: string[] = [];
    if (init.fit) parts.push(l10n.t('Kolmogorov–Smirnov distance {0} (p = {1}, {2} values)', fmtNumber(init.fit.ks), fmtNumber(init.fit.p), init.fit.n));
    parts.push(...equivalentLines(init));
    parts.push(...moduleLines(init));
    if (init.alternatives[0]) parts.push(l10n.t('runner-up {0}', schemeLabel(init.alternatives[0])));
    this.detail.textContent = parts.join(' · ');
    // The overlay menu: the verdict, the schemes that pass, then the rest (every gain is tried).
    const rest = init.candidates.filter((c) => c.scheme !== init.scheme || schemeLabel(c) !== schemeLabel(init));
    const options: SchemeView[] = [init, ...rest.filter((c) => c.pass), ...rest.filter((c) => !c.pass)];
    this.select.replaceChildren(
      el('option', { text: l10n.t('none'), attrs: { value: '-1' } }),
      ...options.map((o, i) => el('option', { text: i === 0 ? l10n.t('detected: {0}', schemeLabel(o)) : schemeLabel(o), attrs: { value: String(i) } })),
    );
    this.options = options;
    this.select.value = options.length > 0 && init.scheme !== 'unknown' && init.scheme !== 'too_few' ? '0' : '-1';
    this.simulateButton.disabled = options.length === 0;
  }

  private async applyOverlay(simulate: boolean): Promise<void> {
    const h = this.stats?.histogram;
    const chosen = this.options[Number(this.select.value)];
    if (!h || !chosen || !this.stats) {
      this.histogram.setOverlay(null);
      this.simulated.root.hidden = true;
      return;
    }
    const bins = { min: h.min, max: h.max, bins: h.counts.length };
    const ticket = this.ticket;
    const r = await this.rpc.request('overlay', { scheme: chosen, bins, ...(simulate ? { simulateSeed: this.seed++ } : {}) }, { signal: this.signal });
    if (ticket !== this.ticket) return;
    this.histogram.setOverlay(r.expected, schemeLabel(chosen));
    if (simulate && r.simulated) {
      this.simulated.root.hidden = false;
      this.simulated.set({ min: h.min, max: h.max, counts: r.simulated });
      this.simulated.setOverlay(r.expected, schemeLabel(chosen));
      this.simulateButton.textContent = l10n.t('Simulate again');
    }
  }
}
