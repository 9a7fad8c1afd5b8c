import type { ModelIndex, ModuleNode } from '../core/modelIndex';
import { optimizerSlots, trainingProgress } from '../model/trainingState';
import type { ModelSummary, SummaryModule } from '../protocol/messages';
import { storageBytes, type DType } from '../core/dtypes';

/** What the summary page shows, as plain data for the webview. */
export function summarize(index: ModelIndex): ModelSummary {
  const byName = new Map(index.tensors.map((t) => [t.name, t]));
  const dtypes = new Map<string, { dtype: DType; tensors: number; elements: number; bytes: number }>();
  for (const t of index.tensors) {
    const d = dtypes.get(t.dtype) ?? { dtype: t.dtype, tensors: 0, elements: 0, bytes: 0 };
    d.tensors++;
    d.elements += t.count;
    d.bytes += storageBytes(t.dtype, t.count);
    dtypes.set(t.dtype, d);
  }
  const slots = optimizerSlots(index);
  const convert = (m: ModuleNode): SummaryModule => {
    const out: SummaryModule = {
      name: m.name,
      type: m.type,
      path: m.path,
      parameterCount: m.parameterCount,
      children: m.children.map(convert),
      parameters: m.parameters.flatMap((n) => {
        const t = byName.get(n);
        if (!t) return [];
        const local = m.qualifiedName && n.startsWith(`${m.qualifiedName}.`) ? n.slice(m.qualifiedName.length + 1) : n;
        return [{ name: n, local, dtype: t.dtype, shape: t.shape, count: t.count, kind: t.kind }];
      }),
    };
    if (m.sameAs !== undefined) out.sameAs = m.sameAs;
    const slot = slots.get(m.qualifiedName);
    if (slot) out.slotOf = slot.name;
    return out;
  };
  return {
    file: index.file,
    fileName: index.file.split(/[\\/]/).pop() ?? index.file,
    format: index.format,
    totalParameters: index.totalParameters,
    tensorCount: index.tensors.length,
    byDtype: [...dtypes.values()].sort((a, b) => b.elements - a.elements),
    modules: convert(index.modules),
    moduleTreeSource: index.moduleTreeSource,
    metadata: index.metadata,
    warnings: index.warnings,
    notes: index.notes,
    rootName: index.rootName,
    training: trainingProgress(index),
  };
}
