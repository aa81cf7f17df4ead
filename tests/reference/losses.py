# Reference values for tests/losses.rs, computed with PyTorch (CPU, float64).
# Run: python3 tests/reference/losses.py   (torch 2.9.1 here)
import torch
import torch.nn.functional as F

torch.set_printoptions(precision=10)
x = torch.tensor([[-3.0, -0.5, 0.0, 0.7, 2.5, 12.0], [1.0, -2.0, 0.3, -0.1, 4.0, -15.0]], dtype=torch.float64)
y = torch.tensor([[0.0, 1.0, 0.5, 1.0, 0.0, 1.0], [1.0, 0.0, 0.2, 0.9, 1.0, 0.0]], dtype=torch.float64)
print("bce_sum_per_row", F.binary_cross_entropy_with_logits(x, y, reduction="none").sum(1).tolist())
mean = torch.tensor([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1.0, -1.0, 0.0, 2.0, -2.0, 0.5]], dtype=torch.float64)
nll = F.gaussian_nll_loss(mean, y, torch.ones_like(y), full=True, reduction="none").sum(1)
print("gaussian_nll_per_row", nll.tolist())
real = torch.tensor([2.0, -1.0, 0.3, 5.0], dtype=torch.float64)
fake = torch.tensor([-2.0, 0.5, 1.5, -7.0], dtype=torch.float64)
d = F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
g = F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
print("d_loss", d.item(), "g_loss", g.item())
mu = torch.tensor([[0.5, -1.0, 0.0], [2.0, 0.1, -0.3]], dtype=torch.float64)
logvar = torch.tensor([[0.0, -1.0, 0.7], [-2.0, 0.3, 1.5]], dtype=torch.float64)
q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
print("kl_per_row", torch.distributions.kl_divergence(q, p).sum(1).tolist())
logits = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], dtype=torch.float64)
print("cross_entropy", F.cross_entropy(logits, torch.tensor([0, 1])).item())
