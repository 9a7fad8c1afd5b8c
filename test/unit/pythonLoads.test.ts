import { describe, expect, it } from 'vitest';
import { loadBindings, loadBindingsAt } from '../../src/model/pythonLoads';

const at = (text: string, marker = '█'): Map<string, string> => loadBindingsAt(loadBindings(text.replace(marker, '')), text.indexOf(marker));

describe('loadBindings: the code’s own loading binds a variable to a file', () => {
  it.each([
    ["sd = torch.load('checkpoints/gpt2small.state_dict.pt')\n", 'sd', 'checkpoints/gpt2small.state_dict.pt'],
    ["sd = torch.load('ckpt/a.pt', map_location='cpu', weights_only=True)\n", 'sd', 'ckpt/a.pt'],
    ["sd = torch.load(f=\"ckpt/a.pt\", map_location=torch.device('cpu'))\n", 'sd', 'ckpt/a.pt'],
    ["w = safetensors.torch.load_file('m.safetensors')\n", 'w', 'm.safetensors'],
    ["w = load_file(filename='m.safetensors', device='cpu')\n", 'w', 'm.safetensors'],
    ["reader = gguf.GGUFReader('models/llama-q4_k_m.gguf')\n", 'reader', 'models/llama-q4_k_m.gguf'],
    ["r = GGUFReader(path='m.gguf', mode='r')\n", 'r', 'm.gguf'],
    ["model = keras.models.load_model('cnn.keras', compile=False)\n", 'model', 'cnn.keras'],
    ["m = keras.saving.load_model(filepath='runs/m.h5')\n", 'm', 'runs/m.h5'],
    ["proto = onnx.load('model.onnx', load_external_data=False)\n", 'proto', 'model.onnx'],
    ["state: dict[str, torch.Tensor] = torch.load(r'C:\\models\\a.pt')\n", 'state', 'C:\\models\\a.pt'],
    ["net = MLP()\nnet.load_state_dict(torch.load('mlp.params'))\n", 'net', 'mlp.params'],
    ["sd = torch.load('a.pt')\nnet.load_state_dict(sd, strict=False)\n", 'net', 'a.pt'],
    ["PATH = './cifar_net.pth'\nnet.load_state_dict(torch.load(PATH, weights_only=True))\n", 'net', './cifar_net.pth'],
    ["with safe_open('m.safetensors', framework='pt') as f:\n    t = f.get_tensor('wte.weight')\n", 'f', 'm.safetensors'],
    ["sd = torch.load(\n    'multi/line.pt',  # the checkpoint\n    map_location='cpu',\n)\n", 'sd', 'multi/line.pt'],
  ])('%j binds %s to %s', (code, variable, path) => {
    expect(at(`${code}█`).get(variable)).toBe(path);
  });

  it.each([
    ["sd = torch.load(path)\n", 'a path computed at run time is not known'],
    ["sd = torch.load(f'ckpt/{name}.pt')\n", 'an f-string'],
    ["sd = torch.load('a.pt')['model']\n", 'a part of what was loaded'],
    ["sd == torch.load('a.pt')\n", 'a comparison'],
    ["sd = json.loads('{}')\n", 'not a loader'],
    ["# sd = torch.load('a.pt')\n", 'a comment'],
    ["x = \"sd = torch.load('a.pt')\"\n", 'a string'],
  ])('%j binds nothing (%s)', (code) => {
    expect(at(`${code}█`).get('sd')).toBeUndefined();
  });

  it('a binding holds from its statement on, and the last load before the cursor wins', () => {
    const code = "█0\nsd = torch.load('a.pt')\n█1\nsd = torch.load('b.pt')\n█2\nsd = {}\n█3\n";
    const clean = code.replace(/█\d/g, '');
    const offsetOf = (k: number): number => code.replace(new RegExp(`█(?!${k})\\d`, 'g'), '').indexOf(`█${k}`);
    expect(loadBindingsAt(loadBindings(clean), offsetOf(0)).get('sd')).toBeUndefined();
    expect(loadBindingsAt(loadBindings(clean), offsetOf(1)).get('sd')).toBe('a.pt');
    expect(loadBindingsAt(loadBindings(clean), offsetOf(2)).get('sd')).toBe('b.pt');
    expect(loadBindingsAt(loadBindings(clean), offsetOf(3)).get('sd')).toBeUndefined();
    expect(loadBindings(clean).map((b) => [b.variable, b.path])).toEqual([
      ['sd', 'a.pt'],
      ['sd', 'b.pt'],
      ['sd', null],
    ]);
  });

  it('several variables, each its own file', () => {
    const m = at("a = torch.load('a.pt')\nb = load_file('b.safetensors')\nnet.load_state_dict(a)\n█");
    expect(Object.fromEntries(m)).toEqual({ a: 'a.pt', b: 'b.safetensors', net: 'a.pt' });
  });
});
