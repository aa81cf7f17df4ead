# Reference values for tests/spectral_norm.rs: torch.nn.utils.spectral_norm on a 3 → 4 linear
# layer (one power-iteration step from a given u, training mode), float64.
# Run: PYTHONPATH=~/.cache/latentlab/torch python3 tests/reference/spectral_norm.py   (torch 2.15 here)
import torch

torch.set_printoptions(precision=10)
w = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7], [-0.2, 0.8, 1.1], [0.9, -0.4, 0.6]], dtype=torch.float64)
b = torch.tensor([0.1, -0.2, 0.3, 0.0], dtype=torch.float64)
u0 = torch.tensor([0.5, 0.5, 0.5, 0.5], dtype=torch.float64)
x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -0.3, 0.8]], dtype=torch.float64)
c = torch.tensor([[1.0, -2.0, 0.5, 3.0], [0.2, 0.4, -1.0, 1.5]], dtype=torch.float64)

layer = torch.nn.Linear(3, 4).double()
with torch.no_grad():
    layer.weight.copy_(w)
    layer.bias.copy_(b)
layer = torch.nn.utils.spectral_norm(layer, eps=1e-12)
with torch.no_grad():
    layer.weight_u.copy_(u0)
layer.train()
y = layer(x)
(y * c).sum().backward()
print("y", y.flatten().tolist())
print("u", layer.weight_u.tolist())
print("grad_w", layer.weight_orig.grad.flatten().tolist())
print("sigma_true", torch.linalg.matrix_norm(w, ord=2).item())
