/**
 * The model overview page's messages (views/overviewPanel.ts ↔ webview/overview.ts), by direction.
 * Plain data; the page imports this file with `import type`.
 */
import type { Outlier, OverviewStructure } from '../core/overview';
import type { MomentStats } from '../core/results';

export type { DepthStat, Outlier, OverviewStructure, ParameterKind } from '../core/overview';

/** One tensor's statistics, as the depth charts need them (no histogram). */
export type OverviewStatRow = { name: string } & MomentStats;

/** One tensor's detected init scheme (the init report's verdict). */
export interface OverviewInitRow {
  name: string;
  scheme: string;
  params: Record<string, number | string>;
}

/** What the page is working on: statistics of every tensor of a stack, then their init schemes. */
export type OverviewPhase = 'stats' | 'init' | 'done';

/** host → page. Every message of a pass carries its `generation`; the page drops older ones. */
export type OverviewToPage = {
  /** The model's shares and stacks, from the index alone: shown at once, before any statistic. */
  overview: { generation: number; file: string; fileName: string; format: string; structure: OverviewStructure };
  /** Statistics of some tensors (sent at most every 100 ms while a pass runs). */
  stats: { generation: number; rows: OverviewStatRow[]; errors: { name: string; message: string }[] };
  /** Init schemes of some tensors. */
  inits: { generation: number; rows: OverviewInitRow[] };
  /** The layers flagged so far (the whole list, judged again on the statistics in). */
  outliers: { generation: number; outliers: Outlier[] };
  /** Tensors done of the phase's total; `cancelled` when the notification's Cancel stopped the pass. */
  progress: { generation: number; phase: OverviewPhase; done: number; total: number; cancelled?: boolean };
  /** The file cannot be read. */
  failed: { message: string; fileName: string };
};

/** page → host. */
export type OverviewToHost = {
  /** The page is loaded: send (or send again) the overview. */
  ready: Record<string, never>;
  /** Open a tensor's parameter panel (an outlier's row, a point on a depth chart). */
  openParameter: { name: string };
};

/** The one channel's notifications, both directions. */
export type OverviewNotifications = OverviewToPage & OverviewToHost;
/** The page asks nothing of the host. */
export type OverviewRequests = Record<never, { params: unknown; result: unknown }>;
