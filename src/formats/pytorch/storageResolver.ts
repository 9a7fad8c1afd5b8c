import * as l10n from '@vscode/l10n';
import { PyTuple } from '../pickle/values';
import { StorageClass } from './torchGlobals';
import { STORAGE_DTYPES, StorageRef } from './torchValues';

/**
 * Turns `('storage', <StorageClass>, key, location, numel[, view_metadata])` persistent ids into
 * shared `StorageRef`s (one per key, so views of one storage compare equal) and remembers them.
 * Source for the tuple layouts: torch/serialization.py, `persistent_id` in `_save` and `_legacy_save`.
 */
export class StorageCollector {
  readonly storages = new Map<string, StorageRef>();
  private readonly views = new Map<string, StorageRef>();

  persistentLoad(pid: unknown): unknown {
    if (!(pid instanceof PyTuple)) throw new TypeError(l10n.t('persistent id is not a tuple'));
    const [tag, cls, key, , numel, view] = pid.items;
    if (tag === 'module') return cls; // legacy files name module classes this way (with source text)
    if (tag !== 'storage') throw new TypeError(l10n.t('unknown persistent id kind {0}', String(tag)));
    if (!(cls instanceof StorageClass)) throw new TypeError(l10n.t('persistent id names no storage class'));
    const dtype = STORAGE_DTYPES[cls.name]!;
    const k = String(key);
    const n = typeof numel === 'number' ? numel : Number(numel);
    if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(l10n.t('storage {0} has a bad element count', k));
    let root = this.storages.get(k);
    if (!root) this.storages.set(k, (root = new StorageRef(k, dtype, n)));
    // Legacy storage views: (view_key, offset, view_size) into the root storage.
    if (view instanceof PyTuple) {
      const [viewKey, offset] = view.items;
      const vk = String(viewKey);
      let v = this.views.get(vk);
      if (!v) this.views.set(vk, (v = new StorageRef(k, dtype, n, Number(offset))));
      return v;
    }
    return root;
  }

  /** Every StorageRef handed out (roots and views), for location resolution. */
  all(): StorageRef[] {
    return [...this.storages.values(), ...this.views.values()];
  }
}
