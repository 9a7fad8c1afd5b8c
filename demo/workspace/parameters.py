"""d2l "Parameter Management": the code behind the sample files in ./models/.

`npm run demo` copies models/ from test/fixtures/models/, which test/fixtures/make_fixtures.py
makes with exactly these definitions and seeds. Each file is named after the variable it holds,
so ParamScope's access paths (rgnet[0][1][0].bias) read like the code below, without running it.
"""
import torch
from torch import nn

# A small MLP; its parameters are net[0].weight, net[0].bias, net[2].weight and net[2].bias.
torch.manual_seed(1)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
print(net[2].state_dict())
# Targeted parameters: hover any of these for the values net.pt holds.
print(type(net[2].bias))
print(net[2].bias)
print(net[2].bias.data)
print(net[2].weight.grad == None)
print(*[(name, param.shape) for name, param in net.named_parameters()])
print(net.state_dict()['2.bias'].data)


# Nested blocks: rgnet[0][1][0].bias is the bias of the first layer in the second block.
def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f'block {i}', block1())
    return net


torch.manual_seed(2)
rgnet = nn.Sequential(block2(), nn.Linear(4, 1))
print(rgnet)
print(rgnet[0][1][0].bias.data)

# Tied parameters: positions 2 and 4 are one module, so they share one weight and one bias.
torch.manual_seed(3)
sh = nn.Linear(8, 8)
shared = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), sh, nn.ReLU(), sh, nn.ReLU(), nn.Linear(8, 1))
print(shared[2].weight.data[0] == shared[4].weight.data[0])


# Initialisation: Xavier for the first layer, the constant 42 for the last (net_xavier.safetensors).
def init_xavier(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)


def init_42(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 42)


torch.manual_seed(13)
net_xavier = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
net_xavier[0].apply(init_xavier)
net_xavier[2].apply(init_42)

if __name__ == '__main__':
    torch.save(net, 'models/net.pt')
    torch.save(rgnet, 'models/rgnet.pt')
    torch.save(shared, 'models/shared.pt')
