"""FLOPs per training sample of benches/README.md's native benches N1–N4, counted from the
architectures (2 FLOPs per multiply-add; elementwise work, losses and Adam not counted).

A layer's forward pass costs its multiply-adds M. Its backward pass costs M for the weight
gradient where the loss being differentiated trains that layer, and M for the input gradient
unless the layer's input needs none (data, noise, a detached sample, or the first layer of
the network being trained). So the count is the least work each step needs, the same for both
frameworks: one that computes gradients nobody uses is only slower.
"""


def linear(i, o):
    return i * o


def conv(cin, cout, out_hw, k=4):
    """Multiply-adds of a k×k convolution with an out_hw × out_hw output."""
    return cin * cout * k * k * out_hw * out_hw


def conv_t(cin, cout, in_hw, k=4):
    """Multiply-adds of a k×k transposed convolution on an in_hw × in_hw input."""
    return cin * cout * k * k * in_hw * in_hw


def fwd(net):
    return sum(net)


def bwd(net, trained, input_grad):
    """Backward through `net` (its layers' multiply-adds, input to output)."""
    return (sum(net) if trained else 0) + sum(net[1:]) + (net[0] if input_grad else 0)


def gan(g, d):
    """One D step (real and detached fake) and one non-saturating G step through D."""
    d_step = fwd(g) + 2 * fwd(d) + 2 * bwd(d, True, False)
    g_step = fwd(g) + fwd(d) + bwd(d, False, True) + bwd(g, True, False)
    return d_step + g_step


def n1():
    vae = [linear(784, 400), linear(400, 20), linear(400, 20), linear(20, 400), linear(400, 784)]
    return fwd(vae) + bwd(vae, True, False)


def n2():
    g = [linear(100, 128 * 49), conv_t(128, 64, 7), conv_t(64, 1, 14)]
    d = [conv(1, 64, 14), conv(64, 128, 7), linear(128 * 49, 1)]
    return gan(g, d)


def n3():
    enc = [conv(1, 32, 14), conv(32, 64, 7), linear(3136, 32), linear(3136, 32)]
    dec = [linear(32, 3136), conv_t(64, 32, 7), conv_t(32, 1, 14)]
    dis = [conv(1, 32, 14), conv(32, 64, 7), linear(3136, 1)]
    # Forward: Enc(x); Dec(z̃), Dec(z_p); Dis on x, x̃, x_p, then on detached x̃, x_p.
    forward = fwd(enc) + 2 * fwd(dec) + 5 * fwd(dis)
    # Encoder loss (KL + feature reconstruction): through Dis_l(x̃) and Dec(z̃) into Enc.
    enc_loss = bwd(dis[:2], False, True) + bwd(dec, False, True) + bwd(enc, True, False)
    # Decoder loss (reconstruction + GAN): through Dis(x̃) and Dis(x_p) into both decoder passes.
    dec_loss = 2 * bwd(dis, False, True) + 2 * bwd(dec, True, False)
    # Discriminator loss: real, detached x̃ and x_p.
    dis_loss = 3 * bwd(dis, True, False)
    return forward + enc_loss + dec_loss + dis_loss


def n4(pack=2):
    g = [linear(2, 400)] + [linear(400, 400)] * 3 + [linear(400, 2)]
    # The discriminator sees one pack of `pack` samples: its cost per sample is 1/pack of it.
    d = [m / pack for m in [linear(2 * pack, 200), linear(200, 200), linear(200, 200), linear(200, 1)]]
    return gan(g, d)


# FLOPs per training sample, by bench.
FLOPS_PER_SAMPLE = {name: 2 * f() for name, f in (("N1", n1), ("N2", n2), ("N3", n3), ("N4", n4))}
