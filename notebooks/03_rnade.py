# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3 · Real values: RNADE
#
# For real-valued data the chain rule is the same,
# $p(\mathbf{x}) = \prod_i p(x_i \mid \mathbf{x}_{<i})$, with each conditional now a
# **density** on the real line. RNADE (Uria, Murray & Larochelle, 2013) makes it a
# **mixture of Gaussians** whose weights, means and widths come from NADE's hidden layer.
#
# 1. two 2-D toy sets whose true density we know, so the fit can be checked by eye and in
#    nats: the model's density, its samples, its conditionals $p(x_2 \mid x_1)$;
# 2. the Frey faces (28x20 grey faces), against Gaussian baselines, with samples.
#
# **Two modes.** *Quick* (the default) uses small data and finishes in under 3 minutes on
# 2 CPU cores; it is what CI runs. *Full* gives the real numbers and takes much longer:
# start Jupyter with `KERAS_AR_FULL=1` (or write `Tutorial(..., full=True)` in the next cell).
#
# | | quick (default) | full (`KERAS_AR_FULL=1`) |
# |---|---|---|
# | toy sets | 10,000 points, 20 epochs | 50,000 points, early stopping |
# | Frey faces | 100 hidden units, 5 epochs | 100 hidden units, 20 components, early stopping |
# | time on 2 CPU cores | about 2 minutes | about an hour (estimate) |

# %%
# Quick mode unless KERAS_AR_FULL=1 is set; Tutorial(..., full=True) forces the full mode.
from tutorial import Tutorial

tutorial = Tutorial("03_rnade")
FULL, show = tutorial.full, tutorial.show

import math
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from keras_ar import RNADE, datasets
from keras_ar.images import image_grid

# %% [markdown]
# ## 1. The model
#
# Each conditional is a mixture of $C$ Gaussians:
#
# $$p(x_i \mid \mathbf{x}_{<i}) = \sum_{c=1}^{C} \pi_{ic}\,
# \mathcal{N}\big(x_i;\ \mu_{ic},\ \sigma_{ic}^2\big),$$
#
# with parameters computed from NADE's running sum, now over real inputs:
#
# $$\mathbf{a}_1 = \mathbf{c}, \qquad \mathbf{a}_{i+1} = \mathbf{a}_i + W_{:,i}\,x_i,
# \qquad \mathbf{h}_i = \operatorname{ReLU}(\rho_i\,\mathbf{a}_i),$$
#
# $$\boldsymbol{\pi}_i = \operatorname{softmax}\big(V^{\pi}_i \mathbf{h}_i + \mathbf{b}^{\pi}_i\big),
# \qquad \boldsymbol{\mu}_i = V^{\mu}_i \mathbf{h}_i + \mathbf{b}^{\mu}_i,
# \qquad \boldsymbol{\sigma}_i = \exp\big(V^{\sigma}_i \mathbf{h}_i + \mathbf{b}^{\sigma}_i\big).$$
#
# * $\rho_i$ is a learned scalar per dimension: $\mathbf{a}_i$ sums $i - 1$ terms, so its
#   scale grows with $i$, and $\rho_i$ rescales it before the ReLU.
# * keras-ar uses $\sigma = \sigma_{\min} + \operatorname{softplus}(\cdot)$ instead of
#   $\exp$ (with $\sigma_{\min} = 10^{-3}$), so that no component can collapse onto a single
#   training point and send the likelihood to infinity.
# * Unlike one big mixture of Gaussians, which has $C$ modes in total, the mixture at step
#   $i$ depends on the history, so the joint can have exponentially many modes.
#
# `RNADE(n, hidden_units=d, num_components=C)`; `model.conditionals(x)` returns
# `mixture_logits`, `means` and `log_scales`, each of shape `(batch, n, C)`.
#
# ## 2. Two toy densities with a known truth
#
# * **ring**: 8 Gaussians (standard deviation 0.2) on a circle of radius 2. The conditional
#   $p(x_2 \mid x_1)$ has up to four modes;
# * **banana**: $x_1 \sim \mathcal{N}(0, 1)$, $x_2 \mid x_1 \sim \mathcal{N}(x_1^2/2 - 1,\ 0.3^2)$,
#   a conditional mean that is not linear in $x_1$.

# %%
def ring_log_density(x, k=8, radius=2.0, std=0.2):
    angles = 2 * np.pi * np.arange(k) / k
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (k, 2)
    sq = ((x[:, None, :] - centers[None]) ** 2).sum(-1)  # (N, k)
    return (np.logaddexp.reduce(-sq / (2 * std**2), axis=1) - np.log(k)
            - np.log(2 * np.pi * std**2))


def ring_sample(count, rng, k=8, radius=2.0, std=0.2):
    angles = 2 * np.pi * rng.integers(0, k, count) / k
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return centers + std * rng.standard_normal((count, 2))


def banana_log_density(x):
    return (stats.norm.logpdf(x[:, 0])
            + stats.norm.logpdf(x[:, 1], loc=x[:, 0] ** 2 / 2 - 1, scale=0.3))


def banana_sample(count, rng):
    x1 = rng.standard_normal(count)
    return np.stack([x1, x1**2 / 2 - 1 + 0.3 * rng.standard_normal(count)], axis=1)


TOYS = {"ring": (ring_sample, ring_log_density), "banana": (banana_sample, banana_log_density)}
TOY_TRAIN = 50_000 if FULL else 10_000
rng = np.random.default_rng(0)
toy_data = {name: {split: sample(size, rng).astype("float32")
                   for split, size in [("train", TOY_TRAIN), ("valid", 2_000), ("test", 5_000)]}
            for name, (sample, _) in TOYS.items()}

toy_models, toy_results = {}, {}
for name, (_, log_density) in TOYS.items():
    data = toy_data[name]
    model = RNADE(2, hidden_units=64, num_components=10)
    model.compile(optimizer=keras.optimizers.Adam(0.005))
    stop = keras.callbacks.EarlyStopping(monitor="val_nll", mode="min", patience=10,
                                         restore_best_weights=True)
    tic = time.time()
    history = model.fit(data["train"], validation_data=data["valid"],
                        epochs=300 if FULL else 20, batch_size=128, callbacks=[stop], verbose=0)
    model_ll = float(np.mean(keras.ops.convert_to_numpy(model.log_prob(data["test"]))))
    true_ll = float(np.mean(log_density(data["test"].astype("float64"))))
    toy_models[name] = model
    toy_results[name] = (true_ll, model_ll)
    print(f"{name:>6}: {len(history.epoch)} epochs in {time.time() - tic:.0f} s; test "
          f"log-likelihood: true density {true_ll:.3f}, RNADE {model_ll:.3f} nats "
          f"(gap = KL(true || RNADE) estimate: {true_ll - model_ll:.3f})")


# %% [markdown]
# Each row: the true density, RNADE's density (both on the same colour scale), 2,000 RNADE
# samples, the first conditional $p(x_1)$ (a plain mixture, the same for every point), and
# three conditionals $p(x_2 \mid x_1 = v)$, true (solid) against RNADE (dashed). The
# conditionals come straight from `model.conditionals`: the parameters at step 2 given $x_1$.

# %%
def mixture_density(model, params, step, values):
    # density of step `step`'s mixture at `values`, from (batch, n, C) parameters
    p = {k: v[:, step] for k, v in params.items()}
    return np.exp(keras.ops.convert_to_numpy(model.distribution.log_prob(p, values)))


grid = np.linspace(-3.2, 3.2, 161, dtype="float32")
g1, g2 = np.meshgrid(grid, grid)
points = np.stack([g1.ravel(), g2.ravel()], axis=1)
fig, axes = plt.subplots(len(TOYS), 5, figsize=(19, 3.9 * len(TOYS)))
for row, (name, (_, log_density)) in enumerate(TOYS.items()):
    toy_model = toy_models[name]
    true = np.exp(log_density(points.astype("float64"))).reshape(g1.shape)
    fitted = np.exp(keras.ops.convert_to_numpy(toy_model.log_prob(points))).reshape(g1.shape)
    top = true.max()
    for ax, image, title in [(axes[row, 0], true, f"{name}: true density"),
                             (axes[row, 1], fitted, f"{name}: RNADE density")]:
        ax.imshow(image, origin="lower", extent=[grid[0], grid[-1]] * 2, cmap="viridis",
                  vmin=0, vmax=top)
        ax.set_title(title)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    samples = keras.ops.convert_to_numpy(toy_model.sample(2000, seed=0))
    axes[row, 2].scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4)
    axes[row, 2].set_xlim(grid[0], grid[-1])
    axes[row, 2].set_ylim(grid[0], grid[-1])
    axes[row, 2].set_aspect("equal")
    axes[row, 2].set_title(f"{name}: RNADE samples")
    # p(x1): marginal of the true density (numerically) vs the model's first conditional
    step = grid[1] - grid[0]
    params = toy_model.conditionals(np.stack([grid, np.zeros_like(grid)], axis=1))
    axes[row, 3].plot(grid, true.sum(axis=0) * step, label="true")
    axes[row, 3].plot(grid, mixture_density(toy_model, params, 0, grid), "--", label="RNADE")
    axes[row, 3].set_title("$p(x_1)$")
    axes[row, 3].set_xlabel("$x_1$")
    axes[row, 3].legend()
    for v, color in zip([-1.5, 0.0, 1.0], ["tab:blue", "tab:orange", "tab:green"]):
        column = np.argmin(np.abs(grid - v))
        true_slice = true[:, column] / (true[:, column].sum() * step)
        x = np.stack([np.full_like(grid, grid[column]), grid], axis=1)
        model_slice = mixture_density(toy_model, toy_model.conditionals(x), 1, grid)
        axes[row, 4].plot(grid, true_slice, color=color, label=f"$x_1$ = {grid[column]:.1f}")
        axes[row, 4].plot(grid, model_slice, "--", color=color)
    axes[row, 4].set_title(r"$p(x_2 \mid x_1)$: true (solid), RNADE (dashed)")
    axes[row, 4].set_xlabel("$x_2$")
    axes[row, 4].legend(fontsize=8)
show(fig, "toy_densities")

# %% [markdown]
# ## 3. Frey faces
#
# 1,965 grey faces of 28x20 pixels. The loader **dequantizes** them: pixel values $v \in
# \{0, \dots, 255\}$ become $x = (v + u)/256$ with $u \sim U[0, 1)$, so that a density on
# $[0, 1)^{560}$ makes sense (fitting a density to discrete values would let it put
# infinitely tall spikes on them). The NLL of $x$ and the NLL in the $[0, 256)$ pixel space
# differ by the log-Jacobian of the scaling, $560 \ln 256 = 3105.3$ nats
# (`datasets.freyfaces_log_jacobian()`); in the pixel space, bits per dimension are directly
# comparable with the discrete models of notebook 2 (by Jensen's inequality, a density on
# dequantized data gives a discrete model at least as good).
#
# Baselines: a Gaussian with diagonal covariance (independent pixels) and one with full
# covariance (a strong baseline for faces: pixels are highly correlated), its covariance
# shrunk towards the diagonal by an amount chosen on the validation set. In quick mode RNADE
# trains for 5 epochs only and stays well behind the full-covariance Gaussian; it needs the
# full mode's hundreds of epochs to pass it.

# %%
try:
    faces = {s: datasets.load("freyfaces", s) for s in ("train", "valid", "test")}
    FACES, FACE_SHAPE, BRIGHT = "Frey faces", (28, 20), True  # high value = bright
    LOG_JACOBIAN = datasets.freyfaces_log_jacobian(560)
except datasets.DatasetNotFoundError as err:
    print("note: freyfaces.npz was not found, so this part uses the embedded 8x8 digits at")
    print("      17 grey levels, dequantized the same way. " + str(err).splitlines()[0])
    noise = np.random.default_rng(0)
    faces = {s: ((datasets.load("digits", s, num_levels=17) + noise.random((n, 64))) / 17)
             .astype("float32") for s, n in [("train", 1437), ("valid", 180), ("test", 180)]}
    FACES, FACE_SHAPE, BRIGHT = "8x8 digits (dequantized)", (8, 8), False  # high value = ink
    LOG_JACOBIAN = 64 * math.log(17)
D = faces["train"].shape[1]
print(f"{FACES}: " + ", ".join(f"{s} {x.shape}" for s, x in faces.items())
      + f", values in [{faces['train'].min():.3f}, {faces['train'].max():.3f}]")


def report(name, nll):  # nll in nats per image on the scaled data
    pixel = nll + LOG_JACOBIAN
    face_results[name] = (nll, pixel / (D * math.log(2)))
    print(f"{name:>28}: {nll:9.1f} nats (scaled data) | {pixel / (D * math.log(2)):.3f} "
          "bits/dim (pixel space)")


face_results = {}
mean, var = faces["train"].mean(0), faces["train"].var(0)
report("diagonal Gaussian", -np.mean(stats.norm.logpdf(faces["test"], mean, np.sqrt(var)).sum(1)))
cov = np.cov(faces["train"], rowvar=False)
best = None
for shrink in (0.01, 0.03, 0.1, 0.3):
    shrunk = (1 - shrink) * cov + shrink * np.diag(np.diag(cov))
    valid_ll = stats.multivariate_normal(mean, shrunk).logpdf(faces["valid"]).mean()
    if best is None or valid_ll > best[0]:
        best = (valid_ll, shrink, shrunk)
full_gaussian = stats.multivariate_normal(mean, best[2])
report(f"full Gaussian (shrink {best[1]})", -full_gaussian.logpdf(faces["test"]).mean())

# %%
face_model = RNADE(D, hidden_units=100, num_components=20 if FULL else 10,
                   image_shape=FACE_SHAPE)
face_model.compile(optimizer=keras.optimizers.Adam(1e-3 if FULL else 3e-3))
stop = keras.callbacks.EarlyStopping(monitor="val_nll", mode="min", patience=10,
                                     restore_best_weights=True)
tic = time.time()
face_history = face_model.fit(faces["train"], validation_data=faces["valid"],
                              epochs=500 if FULL else 5, batch_size=32, callbacks=[stop],
                              verbose=2)
print(f"{len(face_history.epoch)} epochs in {time.time() - tic:.0f} s")
report("RNADE", face_model.evaluate(faces["test"], verbose=0, return_dict=True)["nll"])


# %% [markdown]
# Samples. For a mixture, the temperature $T$ scales the Gaussian noise
# ($x = \mu_c + T\,\sigma_c\,z$, component $c$ drawn as usual): $T < 1$ removes part of the
# pixel noise. It does not change which component is picked, so the isolated dark or bright
# pixels that come from unlikely components remain.

# %%
def show_faces(ax, images, title):
    images = np.clip(np.asarray(images), 0, 1).reshape(-1, *FACE_SHAPE)
    ink = 1.0 - images if BRIGHT else images  # image_grid draws ink dark
    ax.imshow(image_grid(ink, columns=12, scale=1), cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    ax.set_title(title)


tic = time.time()
samples = {t: keras.ops.convert_to_numpy(face_model.sample(12, seed=3, temperature=t))
           for t in (1.0, 0.5)}
print(f"24 samples in {time.time() - tic:.1f} s")
fig, axes = plt.subplots(3, 1, figsize=(10, 5.2))
show_faces(axes[0], faces["test"][:12], f"{FACES}: test images")
show_faces(axes[1], samples[1.0], "RNADE samples, T = 1")
show_faces(axes[2], samples[0.5], "RNADE samples, T = 0.5 (less Gaussian noise)")
show(fig, "face_samples")

# %% [markdown]
# ## Summary
#
# * RNADE is NADE with a mixture-of-Gaussians output per dimension: the same $O(nd)$ running
#   sum, plus a learned rescaling $\rho_i$ before the ReLU.
# * On 2-D toys the fitted density, its samples and its conditionals match the truth, and
#   the gap in test log-likelihood estimates $\mathrm{KL}(p \,\|\, p_{\text{model}})$.
# * Densities of dequantized images are reported in the pixel space (add $D \ln 256$ nats)
#   to compare them with discrete models.
#
# Next: [04_char_rnn](04_char_rnn.ipynb), the chain rule over characters, with a recurrent
# network instead of a running sum.

# %%
tutorial.finish()
