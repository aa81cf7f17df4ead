"""The Latent Lab architectures in PyTorch, layer for layer, for side-by-side training speed.

MLP VAE 784-400-20 (ReLU, Bernoulli), DCGAN (benches/README.md C: G z→dense 128·7·7→convT 64→convT 1,
tanh; D conv 64→conv 128 LeakyReLU(0.2)→dense 1), VAE-GAN (conv VAE 32-64 with a conv 32-64
discriminator; Larsen et al. 2016's three losses), PacGAN2 on 2-D points (G 2→4×400 ReLU→2,
D on packs of 2: 4→3×200 LeakyReLU(0.2)→1). Same batch, init, Adam settings and losses as
src/train/ and src/spec.rs's defaults (benches/README.md N1–N4).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class MlpVae(nn.Module):
    def __init__(self, hidden=400, latent=20):
        super().__init__()
        self.fc0, self.mu, self.logvar = nn.Linear(784, hidden), nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.dec0, self.dec1 = nn.Linear(latent, hidden), nn.Linear(hidden, 784)

    def forward(self, x):
        h = F.relu(self.fc0(x.flatten(1)))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + (0.5 * logvar).exp() * torch.randn_like(mu)
        logits = self.dec1(F.relu(self.dec0(z)))
        recon = F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="sum") / x.shape[0]
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum() / x.shape[0]
        return recon + kl


def conv_encoder(c1, c2, act):
    return nn.Sequential(nn.Conv2d(1, c1, 4, 2, 1), act(), nn.Conv2d(c1, c2, 4, 2, 1), act(), nn.Flatten())


class ConvDecoder(nn.Module):
    def __init__(self, latent, c1, c2):
        super().__init__()
        self.c2, self.fc = c2, nn.Linear(latent, c2 * 49)
        self.up0, self.up1 = nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.ConvTranspose2d(c1, 1, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.fc(z)).view(-1, self.c2, 7, 7)
        return self.up1(F.relu(self.up0(h)))


class Dcgan(nn.Module):
    def __init__(self, latent=100, c1=64, c2=128):
        super().__init__()
        self.latent = latent
        self.g = ConvDecoder(latent, c1, c2)
        self.d_body = conv_encoder(c1, c2, lambda: nn.LeakyReLU(0.2))
        self.d_head = nn.Linear(c2 * 49, 1)

    def generate(self, z):
        return torch.tanh(self.g(z))

    def real(self, x):
        """Data space [0, 1] → model space [−1, 1]."""
        return x * 2 - 1

    def d(self, x):
        return self.d_head(self.d_body(x)).squeeze(1)


def mlp(dims, act):
    """Linear layers over `dims`, `act()` after each but the last."""
    layers = []
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        layers.append(nn.Linear(a, b))
        if i + 2 < len(dims):
            layers.append(act())
    return nn.Sequential(*layers)


class PacGan(nn.Module):
    """PacGAN on 2-D points: the discriminator judges `pack` samples at once (features concatenated)."""

    def __init__(self, latent=2, g_hidden=(400,) * 4, d_hidden=(200,) * 3, pack=2):
        super().__init__()
        self.latent, self.pack = latent, pack
        self.g = mlp([latent, *g_hidden, 2], nn.ReLU)
        self.d_body = nn.Sequential(mlp([2 * pack, *d_hidden], lambda: nn.LeakyReLU(0.2)), nn.LeakyReLU(0.2))
        self.d_head = nn.Linear(d_hidden[-1], 1)

    def generate(self, z):
        return self.g(z)

    def real(self, x):
        return x

    def d(self, x):
        return self.d_head(self.d_body(x.reshape(-1, 2 * self.pack))).squeeze(1)


class VaeGan(nn.Module):
    def __init__(self, latent=32, c1=32, c2=64):
        super().__init__()
        self.latent = latent
        self.enc = conv_encoder(c1, c2, nn.ReLU)
        self.mu, self.logvar = nn.Linear(c2 * 49, latent), nn.Linear(c2 * 49, latent)
        self.dec = ConvDecoder(latent, c1, c2)
        self.d_body = conv_encoder(c1, c2, lambda: nn.LeakyReLU(0.2))
        self.d_head = nn.Linear(c2 * 49, 1)

    def d(self, x):
        f = self.d_body(x)
        return self.d_head(f).squeeze(1), f


def adam(params, lr, beta1):
    return torch.optim.Adam(params, lr=lr, betas=(beta1, 0.999), eps=1e-8, weight_decay=0.0)


def vae_step(model, opt, x):
    loss = model(x)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def gan_step(model, opts, x):
    g_opt, d_opt = opts
    real = model.real(x)
    z = torch.randn(x.shape[0], model.latent, device=x.device)
    fake = model.generate(z).detach()
    d_loss = F.softplus(-model.d(real)).mean() + F.softplus(model.d(fake)).mean()
    d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    d_opt.step()
    z = torch.randn(x.shape[0], model.latent, device=x.device)
    g_loss = F.softplus(-model.d(model.generate(z))).mean()
    g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    g_opt.step()
    return d_loss + g_loss


def vaegan_step(model, opts, x, beta=1.0, gamma=1.0):
    enc_opt, dec_opt, dis_opt = opts
    h = model.enc(x)
    mu, logvar = model.mu(h), model.logvar(h)
    x_tilde = torch.sigmoid(model.dec(mu + (0.5 * logvar).exp() * torch.randn_like(mu)))
    x_p = torch.sigmoid(model.dec(torch.randn_like(mu)))
    l_real, f_real = model.d(x)
    l_tilde, f_tilde = model.d(x_tilde)
    l_p, _ = model.d(x_p)
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
    llike = (0.5 * (f_real.detach() - f_tilde).pow(2).sum(1)).mean()
    gan_g = F.softplus(-l_tilde).mean() + F.softplus(-l_p).mean()
    enc_loss, dec_loss = beta * kl + llike, gamma * llike + gan_g
    dis_loss = (F.softplus(-l_real).mean() + F.softplus(model.d(x_tilde.detach())[0]).mean()
                + F.softplus(model.d(x_p.detach())[0]).mean())
    enc_params = list(model.enc.parameters()) + list(model.mu.parameters()) + list(model.logvar.parameters())
    dec_params = list(model.dec.parameters())
    dis_params = list(model.d_body.parameters()) + list(model.d_head.parameters())
    g_enc = torch.autograd.grad(enc_loss, enc_params, retain_graph=True)
    g_dec = torch.autograd.grad(dec_loss, dec_params, retain_graph=True)
    g_dis = torch.autograd.grad(dis_loss, dis_params)
    for opt, params, grads in ((enc_opt, enc_params, g_enc), (dec_opt, dec_params, g_dec), (dis_opt, dis_params, g_dis)):
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
    return enc_loss + dec_loss


KINDS = ["mlp-vae", "dcgan", "vaegan", "pacgan"]


def build(kind, device):
    """Model (initialized as Latent Lab initializes it), optimizer(s), step function and batch
    size of one benchmark."""
    if kind == "mlp-vae":
        m = MlpVae().to(device)
        uniform_init_(m)
        return m, adam(m.parameters(), 1e-3, 0.9), vae_step, 128
    if kind in ("dcgan", "pacgan"):
        # DCGAN: N(0, 0.02) init, Adam 2e-4, batch 128; PacGAN as `latentlab train --model gan
        # --dataset ring8 --pack 2 --batch-size 100 --lr 1e-4` builds it: uniform init, Adam 1e-4.
        dcgan = kind == "dcgan"
        m = (Dcgan() if dcgan else PacGan()).to(device)
        (dcgan_init_ if dcgan else uniform_init_)(m)
        lr, batch = (2e-4, 128) if dcgan else (1e-4, 100)
        d_params = list(m.d_body.parameters()) + list(m.d_head.parameters())
        return m, (adam(m.g.parameters(), lr, 0.5), adam(d_params, lr, 0.5)), gan_step, batch
    if kind == "vaegan":
        m = VaeGan().to(device)
        uniform_init_(m)
        enc = list(m.enc.parameters()) + list(m.mu.parameters()) + list(m.logvar.parameters())
        dis = list(m.d_body.parameters()) + list(m.d_head.parameters())
        return m, (adam(enc, 2e-4, 0.5), adam(m.dec.parameters(), 2e-4, 0.5), adam(dis, 2e-4, 0.5)), vaegan_step, 64
    raise ValueError(kind)


def uniform_init_(module):
    """U(−1/√fan_in, 1/√fan_in) weights, zero biases, as Latent Lab initializes."""
    for p_name, p in module.named_parameters():
        if p.dim() < 2:
            nn.init.zeros_(p)
        else:
            fan_in = p.shape[1] * (p[0][0].numel() if p.dim() > 2 else 1)
            bound = 1 / math.sqrt(fan_in)
            nn.init.uniform_(p, -bound, bound)


def dcgan_init_(module):
    """N(0, 0.02) weights, zero biases: Latent Lab's init for convolutional GANs (Radford et al.)."""
    for p in module.parameters():
        if p.dim() < 2:
            nn.init.zeros_(p)
        else:
            nn.init.normal_(p, 0.0, 0.02)
