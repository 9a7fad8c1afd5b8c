/**
 * The training run page's messages (views/seriesPanel.ts ↔ webview/series.ts), by direction
 * (issue 16, docs/series.md). Plain data; the page imports this file with `import type`.
 */
import type { SeriesCheckpoint, SeriesLeftOut, SeriesOrder, SeriesPoint, SeriesResult, SeriesRidge } from '../core/series';

export type { SeriesCheckpoint, SeriesFlag, SeriesLeftOut, SeriesOrder, SeriesPoint, SeriesResult, SeriesRidge, SeriesTensor } from '../core/series';

/** A tensor of the run as known before any point is computed (the first checkpoint holding it). */
export interface SeriesTensorHead {
  name: string;
  dtype: string;
  shape: number[];
}

/** host → page. Every message of a pass carries its `generation`; the page drops older ones. */
export type SeriesToPage = {
  /** The run opened: its checkpoints in order and its tensors, shown at once, before any point. */
  run: {
    generation: number;
    /** The run's folder; `files` the checkpoints chosen in it (none: every checkpoint of the folder). */
    folder: string;
    files?: string[];
    folderName: string;
    /** Whether the host computes the run again when its files change on disk. */
    following: boolean;
    orderedBy: SeriesOrder;
    checkpoints: SeriesCheckpoint[];
    leftOut: SeriesLeftOut[];
    tensors: SeriesTensorHead[];
  };
  /** One checkpoint's points, in the order of `run.tensors` (null where it lacks the tensor). */
  checkpoint: { generation: number; order: number; points: Array<SeriesPoint | null> };
  /** Work items done of the total; `cancelled` when the notification's Cancel stopped the pass. */
  progress: { generation: number; done: number; total: number; cancelled?: boolean };
  /** The whole run, flags included: the pass is done. */
  result: { generation: number; result: SeriesResult };
  /** The ridge of `name` being binned: `done` of `total` checkpoints. */
  ridgeProgress: { name: string; done: number; total: number };
  /** The folder is no run (fewer than two checkpoints, different models) or cannot be read. */
  failed: { generation: number; message: string; folder: string; files?: string[]; folderName: string };
};

/** page → host. */
export type SeriesToHost = {
  /** The page is loaded: send (or send again) the run. */
  ready: Record<string, never>;
  /** Open a tensor's parameter panel at one checkpoint (its `order`). */
  openParameter: { name: string; order: number };
  /** Compute the run again: the folder's checkpoints listed anew, only what changed read (the window's cache). */
  refresh: Record<string, never>;
  /** Compare two checkpoints (orders `a` before `b`) in the diff panel. */
  compare: { a: number; b: number };
  /** Compute the run again whenever its files change on disk (the default), or stop doing so. */
  follow: { on: boolean };
};

/** The one channel's notifications, both directions. */
export type SeriesNotifications = SeriesToPage & SeriesToHost;
/** page → host requests. */
export type SeriesRequests = {
  /**
   * One tensor's histograms over the run on shared bins (the ridge plot); null before the run is
   * open. A new request cancels the one before (the host aborts its pool work).
   */
  ridge: { params: { name: string }; result: SeriesRidge | null };
};
