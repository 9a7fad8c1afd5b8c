import { isPythonIdentifier } from '../core/accessPath';
import { isStringToken, tokenizePython, type PyToken } from './pythonTokens';

/**
 * Which model file a Python variable was loaded from, read off the code's own loading calls
 * (`sd = torch.load('ckpt/a.pt')`, `net.load_state_dict(torch.load('net.pt'))`,
 * `w = load_file('m.safetensors')`, `with safe_open('m.safetensors', 'pt') as f:`). Pure and
 * token-based: nothing is run, and only string literals count (a path built at run time is not
 * known here). Whether the path names a model file is the caller's to decide.
 */

export interface LoadBinding {
  /** The variable that holds what was loaded (or, for `load_state_dict`, the module it went into). */
  variable: string;
  /** The path as written in the literal (relative paths are the caller's to resolve); null: assigned something else here. */
  path: string | null;
  /** Offset of the statement: a binding holds from there on, until the variable is loaded again. */
  at: number;
}

/**
 * Functions that take a model file's path as their first argument: `torch.load`,
 * `safetensors.torch.load_file` / `safetensors.safe_open`, `numpy.load`, llama.cpp's
 * `gguf.GGUFReader`, `onnx.load`, Keras's `keras.models.load_model` / `keras.saving.load_model`,
 * whatever they were imported as. Matched on the last name of the call (`torch.load`,
 * `st.load_file`, `load`, `GGUFReader`, `load_model`).
 */
const LOADERS = new Set(['load', 'load_file', 'safe_open', 'GGUFReader', 'load_model']);
/** Keyword names of the path argument: torch.load's `f`, load_file's `filename`, numpy's `file`, Keras's `filepath`. */
const PATH_KEYWORDS = new Set(['f', 'filename', 'file', 'path', 'filepath']);
/** Only this much of a long document is read for loads (its first part: imports and loads lead). */
const MAX_SCAN_CHARS = 1_000_000;

/** Tokens of one logical line, comments left out. */
function logicalLines(tokens: readonly PyToken[]): PyToken[][] {
  const lines: PyToken[][] = [];
  let line: PyToken[] = [];
  for (const t of tokens) {
    if (t.kind === 'newline') {
      if (line.length > 0) lines.push(line);
      line = [];
    } else if (t.kind !== 'comment') line.push(t);
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

const isOp = (t: PyToken | undefined, op: string): boolean => t?.kind === 'op' && t.text === op;

/** Index just past the bracket that closes the one at `open`, or -1. */
function closing(line: readonly PyToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    const t = line[i]!;
    if (t.kind !== 'op') continue;
    if ('([{'.includes(t.text)) depth++;
    else if (')]}'.includes(t.text) && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * A loading call starting at `i` (`torch.load('a.pt', map_location='cpu')`): the path literal and
 * the index after the call, or undefined when the tokens there are something else.
 */
function loadCallAt(line: readonly PyToken[], i: number, constants: ReadonlyMap<string, string>): { path: string; end: number } | undefined {
  let j = i;
  let last: string | undefined;
  // A dotted callee: name (. name)*
  while (line[j]?.kind === 'name') {
    last = line[j]!.text;
    if (isOp(line[j + 1], '.') && line[j + 2]?.kind === 'name') j += 2;
    else break;
  }
  if (last === undefined || !LOADERS.has(last) || !isOp(line[j + 1], '(')) return undefined;
  const open = j + 1;
  const end = closing(line, open);
  if (end < 0) return undefined;
  // Top-level arguments, split at commas.
  const args: PyToken[][] = [[]];
  let depth = 0;
  for (let k = open + 1; k < end - 1; k++) {
    const t = line[k]!;
    if (t.kind === 'op' && '([{'.includes(t.text)) depth++;
    else if (t.kind === 'op' && ')]}'.includes(t.text)) depth--;
    if (depth === 0 && isOp(t, ',')) args.push([]);
    else args[args.length - 1]!.push(t);
  }
  // A literal, or a name last assigned one (`PATH = './cifar_net.pth'`, as PyTorch's tutorials do).
  const literal = (ts: readonly PyToken[]): string | undefined => (ts.length === 1 ? (stringValue(ts[0]) ?? (ts[0]!.kind === 'name' ? constants.get(ts[0]!.text) : undefined)) : undefined);
  const first = args[0]!;
  const positional = first.length > 0 && !(first[0]!.kind === 'name' && isOp(first[1], '=')) ? literal(first) : undefined;
  if (positional !== undefined) return { path: positional, end };
  for (const a of args) {
    if (a[0]?.kind === 'name' && PATH_KEYWORDS.has(a[0].text) && isOp(a[1], '=')) {
      const v = literal(a.slice(2));
      if (v !== undefined) return { path: v, end };
    }
  }
  return undefined;
}

function stringValue(t: PyToken | undefined): string | undefined {
  return isStringToken(t) && t.plain && t.terminated && t.value.length > 0 ? t.value : undefined;
}

/** `name =` or `name: T =` (not `==`) at the line's start: the variable and where the value starts. */
function assignmentTarget(line: readonly PyToken[]): { variable: string; value: number } | undefined {
  const name = line[0];
  if (name?.kind !== 'name' || !isPythonIdentifier(name.text)) return undefined;
  let i = 1;
  if (isOp(line[1], ':')) {
    // An annotation runs to the top-level `=`.
    let depth = 0;
    for (i = 2; i < line.length; i++) {
      const t = line[i]!;
      if (t.kind === 'op' && '([{'.includes(t.text)) depth++;
      else if (t.kind === 'op' && ')]}'.includes(t.text)) depth--;
      else if (depth === 0 && isOp(t, '=')) break;
    }
  }
  if (!isOp(line[i], '=') || isOp(line[i + 1], '=')) return undefined;
  return { variable: name.text, value: i + 1 };
}

/** The loads a document makes (and the reassignments that end them), in source order. */
export function loadBindings(text: string): LoadBinding[] {
  const tokens = tokenizePython(text.length > MAX_SCAN_CHARS ? text.slice(0, text.lastIndexOf('\n', MAX_SCAN_CHARS) + 1) : text);
  const out: LoadBinding[] = [];
  const latest = new Map<string, string>();
  const constants = new Map<string, string>();
  const bind = (variable: string, path: string, at: number): void => {
    out.push({ variable, path, at });
    latest.set(variable, path);
  };
  for (const line of logicalLines(tokens)) {
    const at = line[0]!.start;
    // sd = torch.load('a.pt') — the whole value, not a part of it (`torch.load(p)['model']`).
    const target = assignmentTarget(line);
    if (target) {
      const call = loadCallAt(line, target.value, constants);
      const str = target.value === line.length - 1 ? stringValue(line[target.value]) : undefined;
      if (str !== undefined) constants.set(target.variable, str);
      else constants.delete(target.variable);
      if (call && call.end === line.length) bind(target.variable, call.path, at);
      // Assigned something else (`net = Net()`): what it held before is gone.
      else if (latest.delete(target.variable)) out.push({ variable: target.variable, path: null, at });
      continue;
    }
    // with safe_open('m.safetensors', framework='pt') as f, torch.load(...) as g:
    if (line[0]!.kind === 'name' && line[0]!.text === 'with') {
      let i = 1;
      while (i < line.length) {
        const call = loadCallAt(line, i, constants);
        if (call && line[call.end]?.kind === 'name' && line[call.end]!.text === 'as' && line[call.end + 1]?.kind === 'name') {
          bind(line[call.end + 1]!.text, call.path, at);
          i = call.end + 2;
        } else {
          // Skip this item to the next top-level comma.
          let depth = 0;
          while (i < line.length && !(depth === 0 && isOp(line[i], ','))) {
            const t = line[i]!;
            if (t.kind === 'op' && '([{'.includes(t.text)) depth++;
            else if (t.kind === 'op' && ')]}'.includes(t.text)) depth--;
            i++;
          }
        }
        if (!isOp(line[i], ',')) break;
        i++;
      }
      continue;
    }
    // net.load_state_dict(torch.load('net.pt')) or net.load_state_dict(sd, strict=False)
    const recv = line[0]!;
    if (recv.kind === 'name' && isOp(line[1], '.') && line[2]?.text === 'load_state_dict' && isOp(line[3], '(')) {
      const call = loadCallAt(line, 4, constants);
      if (call) bind(recv.text, call.path, at);
      else if (line[4]?.kind === 'name' && (isOp(line[5], ')') || isOp(line[5], ','))) {
        const from = latest.get(line[4].text);
        if (from !== undefined) bind(recv.text, from, at);
      }
    }
  }
  return out;
}

/** Each variable's file in force at `offset`: its last load before there, unless assigned since. */
export function loadBindingsAt(loads: readonly LoadBinding[], offset: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of loads) {
    if (b.at > offset) break;
    if (b.path === null) out.delete(b.variable);
    else out.set(b.variable, b.path);
  }
  return out;
}
