import { terminalText as show } from '../core/displayText';
import type { ModelIndex, ModuleNode, TensorEntry } from '../core/modelIndex';
import { optimizerSlots } from './trainingState';

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * The module tree in the shape of `print(model)`, with each parameter's dtype, shape and count,
 * and each block's parameter total (storage shared between tensors counted once).
 */
export function printModuleTree(index: ModelIndex): string {
  const byName = new Map<string, TensorEntry>(index.tensors.map((t) => [t.name, t]));
  const slots = optimizerSlots(index);
  const lines: string[] = [];
  // Names and class names come from the file: one line each, control characters shown escaped.
  const visit = (node: ModuleNode, indent: string, label: string): void => {
    const type = show(node.type ?? '');
    // An optimizer's state[i] says whose state it is (`# 0 params · state of model.0.weight`).
    const slot = slots.get(node.qualifiedName);
    const count = `  # ${fmt(node.parameterCount)} params${slot ? ` · state of ${show(slot.name)}` : ''}`;
    if (node.sameAs !== undefined) {
      lines.push(`${indent}${label}${type}(same module as ${node.sameAs ? show(node.sameAs) : 'root'})${count}`);
      return;
    }
    if (node.children.length === 0 && node.parameters.length === 0) {
      lines.push(`${indent}${label}${type}()`);
      return;
    }
    lines.push(`${indent}${label}${type}(${count}`);
    for (const name of node.parameters) {
      const t = byName.get(name);
      if (!t) continue;
      const local = node.qualifiedName ? name.slice(node.qualifiedName.length + 1) : name;
      const kind = t.kind === 'buffer' ? ' (buffer)' : t.kind === 'optimizer' ? ' (optimizer state)' : '';
      lines.push(`${indent}  ${show(local)}: ${t.dtype}[${t.shape.join(', ')}] = ${fmt(t.count)}${kind}`);
    }
    for (const c of node.children) visit(c, `${indent}  `, `(${show(c.name)}): `);
    lines.push(`${indent})`);
  };
  visit(index.modules, '', '');
  return lines.join('\n');
}
