import type { ModelIndex, ModuleNode } from '../core/modelIndex';
import { optimizerSlots, trainingProgress } from '../model/trainingState';
import type { MetadataRow, ModelSummary, SummaryModule } from '../protocol/messages';
import { bitsPerElement, storageBytes, type DType } from '../core/dtypes';

/** An array value as readers keep it (GGUF: `{ type: 'array', itemType, length, items }`). */
interface KeptArray {
  type: 'array';
  itemType: string;
  length: number;
  items: unknown[];
}
const isKeptArray = (v: unknown): v is KeptArray => typeof v === 'object' && v !== null && (v as KeptArray).type === 'array' && Array.isArray((v as KeptArray).items) && typeof (v as KeptArray).length === 'number';

/** The shortest decimal that reads back as the same float32 (`1e-05`, not 0.000009999999747378752). */
function float32Text(v: number): string {
  if (!Number.isFinite(v) || Math.fround(v) !== v) return String(v);
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

function valueText(v: unknown, type?: string): string {
  if (isKeptArray(v)) return `[${v.length.toLocaleString('en-US')} × ${v.itemType}]`;
  if (typeof v === 'number' && (type === 'float32' || type === 'array[float32]')) return float32Text(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** One row per metadata key, arrays by length and first items. */
export function metadataRows(metadata: Record<string, unknown>, types: Record<string, string> | undefined): MetadataRow[] {
  return Object.entries(metadata).map(([key, v]) => {
    const type = types?.[key] ?? null;
    if (isKeptArray(v)) return { key, type, array: { length: v.length, itemType: v.itemType, items: v.items.map((x) => valueText(x, v.itemType)) } };
    return { key, type, text: valueText(v, type ?? undefined) };
  });
}

/** What the summary page shows, as plain data for the webview. */
export function summarize(index: ModelIndex): ModelSummary {
  const byName = new Map(index.tensors.map((t) => [t.name, t]));
  const dtypes = new Map<string, { dtype: DType; tensors: number; elements: number; bytes: number; bitsPerElement: number }>();
  for (const t of index.tensors) {
    const d = dtypes.get(t.dtype) ?? { dtype: t.dtype, tensors: 0, elements: 0, bytes: 0, bitsPerElement: bitsPerElement(t.dtype) };
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
    container: Object.entries(index.container ?? {}),
    metadata: metadataRows(index.metadata, index.metadataTypes),
    warnings: index.warnings,
    notes: index.notes,
    rootName: index.rootName,
    training: trainingProgress(index),
  };
}
