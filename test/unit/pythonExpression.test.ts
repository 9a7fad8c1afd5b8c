import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expressionsAt, looksLikeKey, type ParameterExpression } from '../../src/model/pythonExpression';

/** Interpretations with the cursor on the `nth` occurrence of `needle` in `src`, `shift` characters in. */
function at(src: string, needle: string, shift = 0, nth = 0): ParameterExpression[] {
  let i = -1;
  for (let k = 0; k <= nth; k++) i = src.indexOf(needle, i + 1);
  if (i < 0) throw new Error(`${needle} not in ${src}`);
  return expressionsAt(src, i + shift);
}

/** The one chain found, as root + steps, with the source text it covers. */
function chain(src: string, needle: string, shift = 0, nth = 0) {
  const found = at(src, needle, shift, nth);
  const c = found.find((e) => e.kind === 'chain');
  if (!c || c.kind !== 'chain') return undefined;
  return { root: c.root, steps: c.steps, text: src.slice(c.start, c.end) };
}

const keys = (src: string, needle: string, shift = 0) => at(src, needle, shift).flatMap((e) => (e.kind === 'key' ? [e.key] : []));

describe('parameter chains under the cursor', () => {
  it('resolves net[2].bias up to the hovered part', () => {
    const src = 'print(net[2].bias)';
    expect(chain(src, 'bias')).toEqual({ root: 'net', steps: [{ kind: 'index', index: 2 }, { kind: 'attr', name: 'bias' }], text: 'net[2].bias' });
    expect(chain(src, '.bias')).toEqual(chain(src, 'bias'));
    expect(chain(src, '2')).toEqual({ root: 'net', steps: [{ kind: 'index', index: 2 }], text: 'net[2]' });
    expect(chain(src, ']')).toEqual(chain(src, '2'));
    // The variable alone is not a parameter expression.
    expect(at(src, 'net')).toEqual([]);
    expect(at(src, 'print')).toEqual([]);
  });

  it('reads nested indices and drops .data, .detach(), .cpu(), .clone() as views', () => {
    const src = 'x = rgnet[0][1][0].bias.data.detach().cpu().clone()';
    const full = chain(src, 'clone');
    expect(full?.root).toBe('rgnet');
    expect(full?.steps).toEqual([
      { kind: 'index', index: 0 },
      { kind: 'index', index: 1 },
      { kind: 'index', index: 0 },
      { kind: 'attr', name: 'bias' },
      { kind: 'view', name: 'data' },
      { kind: 'view', name: 'detach' },
      { kind: 'view', name: 'cpu' },
      { kind: 'view', name: 'clone' },
    ]);
    expect(full?.text).toBe('rgnet[0][1][0].bias.data.detach().cpu().clone()');
    expect(chain(src, 'data')?.text).toBe('rgnet[0][1][0].bias.data');
    expect(chain(src, '[1]', 1)?.text).toBe('rgnet[0][1]');
  });

  it('keeps .grad as a view the hover can mention', () => {
    expect(chain('net[2].weight.grad', 'grad')?.steps.at(-1)).toEqual({ kind: 'view', name: 'grad' });
  });

  it('stops at other calls and never starts at an attribute of something else', () => {
    expect(at('net.apply(init_normal)', 'apply')).toEqual([]);
    expect(at('net(X)', 'net')).toEqual([]);
    expect(at('y = net.forward(x)', 'forward')).toEqual([]);
    // `bias` after `foo().` belongs to a call result, not to a variable named bias.
    expect(at('foo().bias', 'bias')).toEqual([]);
    // Other attributes parse (the resolver decides they are not parameters).
    expect(chain('net[2].weight.shape', 'shape')?.steps.at(-1)).toEqual({ kind: 'attr', name: 'shape' });
    expect(chain('self.net[2]', '2')).toMatchObject({ root: 'self', text: 'self.net[2]' });
    // Subscripts that are not literals end the chain.
    expect(at('net[i].bias', 'bias')).toEqual([]);
    expect(at('w[0:2]', '0')).toEqual([]);
  });

  it('reads state_dict(), dict(named_parameters()), get_parameter and get_submodule keys', () => {
    const sd = "net.state_dict()['2.bias']";
    expect(chain(sd, '2.bias')).toEqual({ root: 'net', steps: [{ kind: 'member', table: 'state_dict', key: '2.bias' }], text: sd });
    // The string is also a key on its own, offered second.
    expect(at(sd, '2.bias').map((e) => e.kind)).toEqual(['chain', 'key']);
    // `net.state_dict()` alone names no tensor.
    expect(at(sd, 'state_dict')).toEqual([]);
    expect(chain("dict(net.named_parameters())['0.weight']", '0.weight')?.steps).toEqual([{ kind: 'member', table: 'parameters', key: '0.weight' }]);
    // named_parameters() is a generator: subscripting it is not Python.
    expect(chain("net.named_parameters()['0.weight']", '0.weight')).toBeUndefined();
    expect(chain("net.get_parameter('2.bias')", 'get_parameter')?.steps).toEqual([{ kind: 'member', table: 'parameters', key: '2.bias' }]);
    expect(chain("rgnet.get_submodule('0.block 1')[0].bias", 'bias')?.steps).toEqual([
      { kind: 'member', table: 'modules', key: '0.block 1' },
      { kind: 'index', index: 0 },
      { kind: 'attr', name: 'bias' },
    ]);
    expect(chain("rgnet[0].state_dict()['block 1.0.bias'].data", 'data')?.steps).toEqual([
      { kind: 'index', index: 0 },
      { kind: 'member', table: 'state_dict', key: 'block 1.0.bias' },
      { kind: 'view', name: 'data' },
    ]);
  });

  it('reads getattr with names that are not identifiers, in both quotes, nested', () => {
    expect(chain("getattr(net, '2').bias", 'bias')?.steps).toEqual([{ kind: 'attr', name: '2' }, { kind: 'attr', name: 'bias' }]);
    const src = 'getattr(rgnet[0], "block 1")[0].bias';
    expect(chain(src, 'bias')?.steps).toEqual([{ kind: 'index', index: 0 }, { kind: 'attr', name: 'block 1' }, { kind: 'index', index: 0 }, { kind: 'attr', name: 'bias' }]);
    expect(chain(src, 'block 1')).toMatchObject({ text: 'getattr(rgnet[0], "block 1")', steps: [{ kind: 'index', index: 0 }, { kind: 'attr', name: 'block 1' }] });
    // The inner index is the innermost part under the cursor.
    expect(chain(src, '[0]', 1)).toMatchObject({ text: 'rgnet[0]', steps: [{ kind: 'index', index: 0 }] });
    // On the inner variable: a plain variable, no hover.
    expect(at(src, 'rgnet')).toEqual([]);
    expect(chain("getattr(net, 'block 0')", 'block')?.steps).toEqual([{ kind: 'attr', name: 'block 0' }]);
  });

  it('reads attribute chains of transformer names, string subscripts and negative indices', () => {
    expect(chain('w = model.layers[0].self_attn.q_proj.weight', 'q_proj')?.steps).toEqual([
      { kind: 'attr', name: 'layers' },
      { kind: 'index', index: 0 },
      { kind: 'attr', name: 'self_attn' },
      { kind: 'attr', name: 'q_proj' },
    ]);
    expect(chain("net.blocks['enc'].weight", 'weight')?.steps).toEqual([{ kind: 'attr', name: 'blocks' }, { kind: 'item', key: 'enc' }, { kind: 'attr', name: 'weight' }]);
    expect(chain('net[-1].bias', 'bias')?.steps).toEqual([{ kind: 'index', index: -1 }, { kind: 'attr', name: 'bias' }]);
  });

  it('allows whitespace and line breaks inside brackets, not between statements', () => {
    expect(chain('net[ 2 ] . bias', 'bias')?.steps).toEqual([{ kind: 'index', index: 2 }, { kind: 'attr', name: 'bias' }]);
    expect(chain('y = getattr(\n    rgnet[0],\n    "block 1",\n)[0].bias', 'bias')).toBeUndefined(); // trailing comma: not a two-argument getattr we read
    expect(chain('y = getattr(\n    rgnet[0],\n    "block 1"\n)[0].bias', 'bias')?.steps).toHaveLength(4);
    expect(chain('x = (net[\n  2\n].bias)', 'bias')?.steps).toEqual([{ kind: 'index', index: 2 }, { kind: 'attr', name: 'bias' }]);
    // `net` on one line and a list on the next are two statements.
    expect(at('net\n[2]', '2')).toEqual([]);
    expect(chain('net \\\n  .bias', 'bias')?.steps).toEqual([{ kind: 'attr', name: 'bias' }]);
  });
});

describe('state_dict keys', () => {
  it('reads quoted keys in both quotes, with spaces in names', () => {
    expect(keys('print("0.weight")', '0.weight')).toEqual(['0.weight']);
    expect(keys("k = '0.block 1.0.bias'", 'block')).toEqual(['0.block 1.0.bias']);
    expect(keys("k = 'layers.0.self_attn.q_proj.weight'", 'q_proj')).toEqual(['layers.0.self_attn.q_proj.weight']);
    // Escapes are decoded; raw strings are not.
    expect(keys("k = '0.w\\x65ight'", 'w')).toEqual(['0.weight']);
    expect(keys("k = r'0.w\\x65ight'", 'w')).not.toContain('0.weight');
  });

  it('does not read f-strings, bytes, sentences or single names as keys', () => {
    expect(keys("k = f'{i}.weight'", 'weight')).toEqual([]);
    expect(keys("k = b'0.weight'", 'weight')).toEqual([]);
    expect(keys("k = 'hello world'", 'world')).toEqual([]);
    expect(keys("k = 'weight'", 'weight')).toEqual([]);
    expect(keys("k = '0..weight'", 'weight')).toEqual([]);
    expect(looksLikeKey(' 0.weight')).toBe(false);
    expect(looksLikeKey('0.block 1.0.bias')).toBe(true);
  });

  it('reads bare dotted names of named_parameters() output in comments and docstrings', () => {
    expect(keys('# 0.weight torch.Size([8, 4])', 'weight')).toEqual(['0.weight']);
    expect(keys('# 0.weight torch.Size([8, 4])', '0.')).toEqual(['0.weight']);
    // A sentence's full stop is not part of the name.
    expect(keys('# see layers.0.self_attn.q_proj.weight.', 'q_proj')).toEqual(['layers.0.self_attn.q_proj.weight']);
    // Printed tuples quote the names.
    expect(keys("# ('0.block 1.0.bias', torch.Size([8]))", 'block')).toEqual(['0.block 1.0.bias']);
    expect(keys('"""\nnamed_parameters():\n  2.bias\n"""', 'bias')).toEqual(['2.bias']);
    // In code `0.weight` is not Python, and `x.weight` is a chain, not a key.
    expect(keys('y = x.weight', 'weight')).toEqual([]);
    expect(keys('# lr is 5, see below', 'below')).toEqual([]);
  });

  it('finds chains inside comments and docstrings, even after an apostrophe', () => {
    expect(chain('# its parameters are net[0].weight, net[0].bias and net[2].weight', 'bias')?.text).toBe('net[0].bias');
    expect(chain('# its parameters are net[0].weight, net[0].bias and net[2].weight', 'weight', 0, 1)?.text).toBe('net[2].weight');
    const doc = '"""ParamScope\'s access paths (rgnet[0][1][0].bias) read like the code."""';
    expect(chain(doc, 'bias')?.text).toBe('rgnet[0][1][0].bias');
    // In prose `conv1.weight` may be an expression or a key: both are offered, the chain first.
    expect(at('# conv1.weight', 'weight').map((e) => e.kind)).toEqual(['chain', 'key']);
  });
});

describe('the seed file', () => {
  const seed = readFileSync(join(__dirname, '..', '..', 'demo', 'workspace', 'parameters.py'), 'utf8');

  it('finds the seed expressions where they are written', () => {
    expect(chain(seed, 'print(net[2].state_dict())', 'print(net[2'.length)?.text).toBe('net[2]');
    expect(chain(seed, 'rgnet[0][1][0].bias.data', 'rgnet[0][1][0].bias.d'.length)?.text).toBe('rgnet[0][1][0].bias.data');
    expect(chain(seed, 'shared[2].weight.data[0]', 'shared[2].we'.length)?.text).toBe('shared[2].weight');
    // `.data[0]` indexes a tensor: the chain goes on, and the resolver finds no parameter there.
    expect(chain(seed, 'shared[4].weight.data[0]', 'shared[4].weight.data['.length)?.text).toBe('shared[4].weight.data[0]');
    expect(at(seed, "net.add_module(f'block {i}'", 'net.add_'.length)).toEqual([]);
  });
});
