import * as l10n from '@vscode/l10n';
import { pushAll } from '../pickle/containerOps';
import { PyCallable, PyClass, PyDict, PyFloat, PyObject, PySet, PyTuple, RefusedGlobal } from '../pickle/values';
import { STORAGE_DTYPES, StorageRef, TORCH_DTYPE_NAMES, TensorRef, UnsupportedTensor } from './torchValues';

/**
 * Modules whose names are never resolved, not even as stub classes: everything in them can run
 * code, touch the system or build callables (os.system, subprocess.Popen, operator.attrgetter…).
 */
const DANGEROUS_MODULES = new Set([
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'sys', 'builtins', '__builtin__', 'shutil', 'socket',
  'importlib', 'runpy', 'code', 'codeop', 'pty', 'pickle', '_pickle', 'cPickle', 'marshal', 'ctypes', 'webbrowser',
  'operator', 'functools', 'types', 'io', '_io', 'signal', 'multiprocessing', 'threading', 'asyncio', 'tempfile',
  'pathlib', 'glob', 'platform', 'pdb', 'bdb', 'timeit', 'trace', 'inspect', 'dill', 'cloudpickle', 'joblib',
  'numpy.testing', 'nturl2path', 'distutils', 'setuptools', 'pip', 'http', 'urllib', 'ftplib', 'smtplib', 'telnetlib',
]);

/** Modules whose classes we show as stubs without a warning: they are ordinary model structure. */
const KNOWN_CLASS_PREFIXES = ['torch.nn.', 'torchvision.models.', 'transformers.models.', '__torch__.'];

/** Python 2 module names → Python 3. Source: CPython Lib/_compat_pickle.py (`IMPORT_MAPPING`). */
const PY2_MODULE_NAMES: Readonly<Record<string, string>> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  commands: 'subprocess',
};

export interface GlobalResolverOptions {
  warn(message: string): void;
  /** Information that is no problem (a class shown as a stub); `warn` when absent. */
  note?(message: string): void;
}

type Impl = (args: unknown[], kwargs?: PyDict) => unknown;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TypeError(l10n.t('expected a number, got {0}', typeof v));
}

function intList(v: unknown): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new TypeError(l10n.t('expected a tuple of ints'));
  return items.map((x) => {
    const n = num(x);
    if (!Number.isSafeInteger(n)) throw new TypeError(l10n.t('bad size or stride {0}', String(x)));
    return n;
  });
}

function rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TensorRef | UnsupportedTensor {
  if (!(storage instanceof StorageRef)) return new UnsupportedTensor(l10n.t('tensor without a readable storage'));
  return new TensorRef(storage, num(offset) + storage.viewOffset, intList(size), intList(stride));
}

/**
 * Builds the resolver the unpickler calls for every GLOBAL. The allow-list holds only functions
 * we implement ourselves, without side effects; classes become stubs; all else is refused.
 */
export function createTorchGlobalResolver(opts: GlobalResolverOptions): (module: string, name: string) => unknown {
  const warned = new Set<string>();
  const warnOnce = (key: string, message: string, say: (m: string) => void = opts.warn): void => {
    if (warned.has(key)) return;
    warned.add(key);
    say(message);
  };

  const allow: Record<string, Impl> = {
    'collections.OrderedDict': (args) => dictFrom(args[0], 'OrderedDict'),
    'collections.defaultdict': () => new PyDict('defaultdict'),
    'builtins.set': (args) => setFrom(args[0], false),
    'builtins.frozenset': (args) => setFrom(args[0], true),
    'builtins.list': (args) => (args[0] === undefined ? [] : listFrom(args[0])),
    'builtins.tuple': (args) => new PyTuple(args[0] === undefined ? [] : listFrom(args[0])),
    'builtins.dict': (args) => dictFrom(args[0], 'dict'),
    'builtins.bytearray': (args) => (args[0] instanceof Uint8Array ? args[0] : new Uint8Array(0)),
    'builtins.slice': (args) => new PyTuple(args),
    'builtins.complex': (args) => new PyTuple(args),
    'builtins.float': (args) => new PyFloat(Number.parseFloat(String(args[0]))),
    'builtins.int': (args) => (typeof args[0] === 'string' ? Number.parseInt(args[0], 10) : args[0]),
    '_codecs.encode': (args) => latin1Bytes(String(args[0])),
    'copyreg._reconstructor': (args) => (args[0] instanceof PyClass ? new PyObject(args[0], []) : null),
    'torch._utils._rebuild_tensor': (a) => rebuildTensor(a[0], a[1], a[2], a[3]),
    'torch._utils._rebuild_tensor_v2': (a) => {
      const t = rebuildTensor(a[0], a[1], a[2], a[3]);
      if (t instanceof TensorRef) t.requiresGrad = a[4] === true;
      return t;
    },
    'torch._utils._rebuild_parameter': (a) => markParameter(a[0], a[1]),
    'torch._utils._rebuild_parameter_with_state': (a) => markParameter(a[0], a[1]),
    'torch._tensor._rebuild_from_type_v2': (a) => {
      // (func, new_type, args, state): func is itself allow-listed (e.g. _rebuild_tensor_v2).
      const fn = a[0];
      const inner = a[2] instanceof PyTuple ? a[2].items : [];
      return fn instanceof PyCallable ? fn.call(inner) : new UnsupportedTensor(l10n.t('tensor subclass with an unknown rebuild function'));
    },
    'torch._utils._rebuild_qtensor': () => new UnsupportedTensor(l10n.t('quantized tensor')),
    'torch._utils._rebuild_sparse_tensor': () => new UnsupportedTensor(l10n.t('sparse tensor')),
    'torch._utils._rebuild_sparse_csr_tensor': () => new UnsupportedTensor(l10n.t('sparse tensor')),
    'torch._utils._rebuild_meta_tensor_no_storage': () => new UnsupportedTensor(l10n.t('meta tensor (no data saved)')),
    'torch._utils._rebuild_wrapper_subclass': () => new UnsupportedTensor(l10n.t('tensor subclass without data')),
    'torch._utils._rebuild_device_tensor_from_numpy': () => new UnsupportedTensor(l10n.t('device tensor from NumPy')),
    'torch._utils._rebuild_xla_tensor': () => new UnsupportedTensor(l10n.t('XLA tensor')),
    'torch._utils._rebuild_mps_tensor': () => new UnsupportedTensor(l10n.t('MPS tensor')),
    'torch.Size': (args) => new PyTuple(args[0] === undefined ? [] : listFrom(args[0])),
    'torch.device': (args) => args.map(String).join(':'),
    'numpy.core.multiarray.scalar': (args) => numpyScalar(args[0], args[1]),
    'numpy._core.multiarray.scalar': (args) => numpyScalar(args[0], args[1]),
    'numpy.dtype': (args) => new PyObject(new PyClass('numpy', 'dtype'), args),
    // NumPy arrays in checkpoints are summarised as metadata (shape, dtype), not read as tensors.
    'numpy.core.multiarray._reconstruct': () => new PyObject(new PyClass('numpy', 'ndarray'), []),
    'numpy._core.multiarray._reconstruct': () => new PyObject(new PyClass('numpy', 'ndarray'), []),
  };

  return (rawModule: string, name: string): unknown => {
    // Protocol-2 pickles spell Python 3 modules the Python 2 way (pickle's fix_imports).
    const module = PY2_MODULE_NAMES[rawModule] ?? rawModule;
    const q = `${module}.${name}`;
    const asWritten = `${rawModule}.${name}`;
    const impl = allow[q];
    if (impl) return new PyCallable(module, name, impl);
    if (module === 'torch') {
      const storageDtype = STORAGE_DTYPES[name];
      if (storageDtype) return new StorageClass(name);
      const dt = TORCH_DTYPE_NAMES[name];
      if (dt) return dt;
    }
    if (module === 'torch.storage' && name === 'UntypedStorage') return new StorageClass(name);
    if (q === 'numpy.ndarray') return new PyClass(module, name);
    const top = module.split('.')[0]!;
    if (DANGEROUS_MODULES.has(module) || DANGEROUS_MODULES.has(top)) {
      warnOnce(q, l10n.t("refused {0}: pickle globals from '{1}' are never resolved (nothing was called)", asWritten, rawModule.split('.')[0]!));
      return new RefusedGlobal(module, name);
    }
    if (/^_*[A-Z]/.test(name)) {
      if (!KNOWN_CLASS_PREFIXES.some((p) => q.startsWith(p))) {
        warnOnce(q, l10n.t('unknown class {0}: shown as a stub (its code is not run)', asWritten), opts.note ?? opts.warn);
      }
      return new PyClass(module, name);
    }
    warnOnce(q, l10n.t('refused {0}: not on the allow-list (nothing was called)', asWritten));
    return new RefusedGlobal(module, name);
  };
}

/** The class object of a storage type (`torch.FloatStorage`) as a persistent id names it. */
export class StorageClass {
  constructor(readonly name: string) {}
}

function markParameter(data: unknown, requiresGrad: unknown): unknown {
  if (data instanceof TensorRef) {
    data.isParameter = true;
    data.requiresGrad = requiresGrad !== false;
  }
  return data;
}

function listFrom(v: unknown): unknown[] {
  if (Array.isArray(v)) return [...v];
  if (v instanceof PyTuple) return [...v.items];
  if (v instanceof PySet) return [...v.items];
  return [];
}

function dictFrom(v: unknown, className: string): PyDict {
  const d = new PyDict(className);
  if (v instanceof PyDict) for (const [k, val] of v.items()) d.set(k, val);
  else
    for (const pair of listFrom(v)) {
      const kv = listFrom(pair);
      if (kv.length === 2) d.set(kv[0], kv[1]);
    }
  return d;
}

function setFrom(v: unknown, frozen: boolean): PySet {
  const s = new PySet(frozen);
  pushAll(s.items, listFrom(v));
  return s;
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** NumPy scalars in checkpoints (`best_acc: np.float64(…)`): decode the common numeric kinds. */
function numpyScalar(dtype: unknown, raw: unknown): unknown {
  const code = dtype instanceof PyObject ? String(dtype.args[0] ?? '') : '';
  if (!(raw instanceof Uint8Array)) return null;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    switch (code) {
      case 'f8':
        return new PyFloat(dv.getFloat64(0, true));
      case 'f4':
        return new PyFloat(dv.getFloat32(0, true));
      case 'i8':
        return Number(dv.getBigInt64(0, true));
      case 'i4':
        return dv.getInt32(0, true);
      case 'b1':
        return raw[0] !== 0;
      default:
        return `<numpy ${code} scalar>`;
    }
  } catch {
    return `<numpy ${code} scalar>`;
  }
}
