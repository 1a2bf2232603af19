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
# # 2 · Grey levels with softmax outputs
#
# Binary pixels were a simplification. Real images have grey levels, $x_i \in \{0, \dots,
# K-1\}$, and the chain rule does not care:
# $p(\mathbf{x}) = \prod_i p(x_i \mid \mathbf{x}_{<i})$ still holds, each conditional now a
# distribution over $K$ values. This notebook gives NADE a **softmax output** per pixel and
# fits two data sets:
#
# * the 8x8 digits of scikit-learn at their native **17 grey levels** (embedded, no download);
# * the **Frey faces** (28x20 pixels) at **256 grey levels**, found through `$KERAS_AR_DATA`
#   (skipped with a note when the file is absent);
# * **Fashion-MNIST** (28x28 at 256 levels, 60,000 + 10,000 images from Debian's
#   `dataset-fashion-mnist` or `~/.keras/datasets`), where a softmax per pixel becomes too
#   big and a **mixture of discretized logistics** takes its place (section 7).
#
# We look at samples, at the predicted distributions over grey levels, and measure
# **bits per dimension** against simple baselines.
#
# **Two modes.** *Quick* (the default) uses small data and finishes in under 3 minutes on
# 2 CPU cores; it is what CI runs. *Full* gives the real numbers and takes much longer:
# start Jupyter with `KERAS_AR_FULL=1` (or write `Tutorial(..., full=True)` in the next cell).
#
# | | quick (default) | full (`KERAS_AR_FULL=1`) |
# |---|---|---|
# | digits, 17 levels | 64 hidden units, early stopping | 128 hidden units, early stopping |
# | Frey faces, 256 levels | 32 hidden units, 4 epochs | 100 hidden units, early stopping |
# | Fashion-MNIST, 256 levels | 2,000 training images, 32 hidden units, 2 epochs | all 50,000, 256 hidden units, 20 epochs of 25,000 |
# | time on 2 CPU cores | about 1 minute | about half an hour (estimate) |

# %%
# Quick mode unless KERAS_AR_FULL=1 is set; Tutorial(..., full=True) forces the full mode.
from tutorial import Tutorial

tutorial = Tutorial("02_categorical_nade")
FULL, show = tutorial.full, tutorial.show

import math
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from keras_ar import CategoricalNADE, datasets
from keras_ar.images import image_grid

# %% [markdown]
# ## 1. From a sigmoid to a softmax
#
# The binary NADE added one column per observed pixel, $\mathbf{a}_{i+1} = \mathbf{a}_i +
# W_{:,i}\,x_i$, and read out one logit. With $K$ levels:
#
# * **input side**: $W_{:,i}\,x_i$ becomes $W^{(i)}\,\text{onehot}(x_i)$, which is just a
#   lookup of column $x_i$ of a $d \times K$ matrix, an *embedding* $E_i[x_i]$ of the level:
#   $$\mathbf{a}_1 = \mathbf{c}, \qquad \mathbf{a}_{i+1} = \mathbf{a}_i + E_i[x_i], \qquad
#   \mathbf{h}_i = g(\mathbf{a}_i).$$
#   The running sum, and its $O(nd)$ cost, are unchanged.
# * **output side**: a $K \times d$ matrix $A_i$ and a bias $\mathbf{b}_i \in \mathbb{R}^K$
#   give $K$ logits, and the softmax turns them into a distribution:
#   $$p(x_i = k \mid \mathbf{x}_{<i}) = \operatorname{softmax}\big(A_i \mathbf{h}_i +
#   \mathbf{b}_i\big)_k.$$
#
# Parameters: $2nKd + nK + d$. Why a softmax rather than, say, a Gaussian on the grey
# value? Grey-level conditionals are bounded, discrete and often **multi-modal** (the next
# pixel is either background or stroke); a softmax assumes no shape at all and learns it,
# the argument of PixelRNN (van den Oord et al., 2016). The price is that it knows nothing
# about the order of the levels: that 200 is close to 201 must be learned from data.
#
# **Bits per dimension.** $\text{NLL} / (n \ln 2)$ with the NLL in nats per image; a
# uniform guess costs $\log_2 K$ bits per pixel (4.09 for 17 levels, 8 for 256).

# %%
digits = {s: datasets.load("digits", s, num_levels=17) for s in ("train", "valid", "test")}
try:
    # dequantize=False gives the grey levels v / 256 exactly; back to integers 0..255
    frey = {s: np.round(datasets.load("freyfaces", s, dequantize=False) * 256).astype("int32")
            for s in ("train", "valid", "test")}
except datasets.DatasetNotFoundError as err:
    print("note: freyfaces.npz was not found, so the Frey-faces part is skipped.")
    print("      " + str(err).splitlines()[0])
    frey = None

# name -> (splits, K, image shape, whether a high level is dark ink or bright)
DATA = {"digits": (digits, 17, (8, 8), "ink")}
if frey is not None:
    DATA["Frey faces"] = (frey, 256, (28, 20), "bright")
for name, (splits, K, shape, _) in DATA.items():
    print(f"{name}: " + ", ".join(f"{s} {x.shape}" for s, x in splits.items())
          + f"; {K} levels, min {splits['train'].min()}, max {splits['train'].max()}")


def show_images(ax, images, name, columns=10, title=None):
    _, K, shape, look = DATA[name]
    values = np.asarray(images, "float32").reshape(-1, *shape) / (K - 1)
    ink = values if look == "ink" else 1.0 - values  # image_grid draws ink dark
    ax.imshow(image_grid(ink, columns=columns, scale=1), cmap="gray", vmin=0, vmax=255,
              interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)


fig, axes = plt.subplots(1, 1 + len(DATA), figsize=(12, 2.8),
                         gridspec_kw={"width_ratios": [1.2] + [1.6] * len(DATA)})
for name, (splits, K, shape, _) in DATA.items():
    counts = np.bincount(splits["train"].ravel(), minlength=K)
    axes[0].semilogy(np.arange(K) / (K - 1), counts / counts.sum(), ".-", label=name)
axes[0].set_xlabel("grey level / (K - 1)")
axes[0].set_ylabel("frequency")
axes[0].legend()
axes[0].set_title("histogram of levels")
for ax, name in zip(axes[1:], DATA):
    show_images(ax, DATA[name][0]["train"][:16], name, columns=8, title=name)
show(fig, "data")


# %% [markdown]
# ## 2. Baselines
#
# Two models with no dependencies between pixels bound what the chain rule must beat:
# the uniform distribution ($\log_2 K$ bits/dim) and **independent pixels**, each a
# histogram of its training values (with add-one smoothing so that unseen levels keep a
# little mass).

# %%
def bits_per_dim(nll_nats, n):
    return nll_nats / (n * math.log(2))


def independent_pixels_nll(train, test, K):
    # per-pixel histograms, add-one smoothing; NLL in nats per image
    counts = np.stack([np.bincount(column, minlength=K) for column in train.T])  # (n, K)
    log_p = np.log((counts + 1) / (len(train) + K))
    return -np.mean(log_p[np.arange(train.shape[1]), test].sum(axis=1))


results = {}
for name, (splits, K, shape, _) in DATA.items():
    n = splits["train"].shape[1]
    results[name] = {
        "uniform": bits_per_dim(n * math.log(K), n),
        "independent pixels": bits_per_dim(
            float(independent_pixels_nll(splits["train"], splits["test"], K)), n),
    }
    print(f"{name}: uniform {results[name]['uniform']:.3f} bits/dim, independent pixels "
          f"{results[name]['independent pixels']:.3f} bits/dim")

# %% [markdown]
# ## 3. Training
#
# `CategoricalNADE(n, num_categories=K, hidden_units=d)`; `fit` minimizes the NLL and logs
# `bits_per_dim`. With $2nKd$ parameters and few training images (1,437 digits, 1,565 faces)
# these models overfit quickly, since the embedding of a rare level of one pixel is trained by
# few examples: early stopping on the validation set keeps the best epoch.

# %%
CONFIG = {
    "digits": {"hidden": 128 if FULL else 64, "epochs": 200, "learning_rate": 0.005,
               "batch_size": 32},
    "Frey faces": {"hidden": 100 if FULL else 32, "epochs": 200 if FULL else 4,
                   "learning_rate": 0.002 if FULL else 0.005, "batch_size": 32},
}
models, histories = {}, {}
for name, (splits, K, shape, _) in DATA.items():
    config = CONFIG[name]
    model = CategoricalNADE(splits["train"].shape[1], num_categories=K,
                            hidden_units=config["hidden"], activation="relu", image_shape=shape)
    model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]))
    stop = keras.callbacks.EarlyStopping(monitor="val_nll", mode="min", patience=3,
                                         restore_best_weights=True)
    tic = time.time()
    histories[name] = model.fit(splits["train"], validation_data=splits["valid"],
                                epochs=config["epochs"], batch_size=config["batch_size"],
                                callbacks=[stop], verbose=2 if FULL else 0)
    models[name] = model
    best = min(histories[name].history["val_bits_per_dim"])
    print(f"{name}: {model.count_params():,} parameters, {len(histories[name].epoch)} epochs "
          f"in {time.time() - tic:.0f} s, best validation {best:.3f} bits/dim")

fig, axes = plt.subplots(1, len(DATA), figsize=(5 * len(DATA), 3.2), squeeze=False)
for ax, name in zip(axes[0], DATA):
    history = histories[name].history
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["bits_per_dim"], "--", label="train")
    ax.plot(epochs, history["val_bits_per_dim"], "o-", label="validation")
    ax.axhline(results[name]["independent pixels"], color="gray", lw=1, label="independent pixels")
    ax.set_xlabel("epoch")
    ax.set_ylabel("bits per dimension")
    ax.set_title(name)
    ax.legend()
show(fig, "learning_curves")

# %%
for name, (splits, K, shape, _) in DATA.items():
    evaluation = models[name].evaluate(splits["test"], verbose=0, return_dict=True)
    results[name]["CategoricalNADE"] = evaluation["bits_per_dim"]
print(f"test bits per dimension ({'full' if FULL else 'quick'} mode)")
print(f"{'':>20} | " + " | ".join(f"{name:>12}" for name in DATA))
for row in ("uniform", "independent pixels", "CategoricalNADE"):
    print(f"{row:>20} | " + " | ".join(f"{results[name][row]:12.3f}" for name in DATA))

# %% [markdown]
# ## 4. Samples
#
# `model.sample` draws each pixel from its softmax in turn (inverse CDF of one uniform
# number per step). Real test images on the left, samples on the right.

# %%
fig, axes = plt.subplots(len(DATA), 2, figsize=(12, 3.3 * len(DATA)), squeeze=False,
                         gridspec_kw={"width_ratios": [1, 2]})
for row, (name, (splits, K, shape, _)) in enumerate(DATA.items()):
    tic = time.time()
    samples = keras.ops.convert_to_numpy(models[name].sample(32, seed=1))
    print(f"{name}: 32 samples in {time.time() - tic:.1f} s")
    show_images(axes[row, 0], splits["test"][:16], name, columns=4, title=f"{name}: test images")
    show_images(axes[row, 1], samples, name, columns=8, title=f"{name}: samples")
show(fig, "samples")

# %% [markdown]
# ## 5. What the softmax predicts
#
# For one test image per data set, `model.conditionals(x)["logits"]` holds all $n \times K$
# logits. We pick the pixels whose predicted distribution has the highest, a middle and the
# lowest entropy, and plot $p(x_i = k \mid \mathbf{x}_{<i})$ against $k$ (red line: the true
# value). The uncertain pixels are where a stroke or an edge may or may not continue: there
# the distribution is broad or has two modes, something a single Gaussian could not express.
# On the faces, the mass falls on a band of neighbouring levels around the true value: the
# softmax has learned that nearby levels go together, although nothing told it that levels
# are ordered (in quick mode the bands are still jagged).

# %%
fig, axes = plt.subplots(len(DATA), 4, figsize=(14, 3.2 * len(DATA)), squeeze=False)
for row, (name, (splits, K, shape, look)) in enumerate(DATA.items()):
    x = splits["test"][3:4]
    logits = keras.ops.convert_to_numpy(models[name].conditionals(x)["logits"])[0]  # (n, K)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    entropy = -(probs * np.log2(probs + 1e-12)).sum(-1)
    order = np.argsort(entropy)
    picked = [order[-1], order[len(order) // 2], order[0]]
    axes[row, 0].imshow(x.reshape(shape), cmap="gray_r" if look == "ink" else "gray",
                        vmin=0, vmax=K - 1)
    for i, marker in zip(picked, "ox+"):
        axes[row, 0].plot(i % shape[1], i // shape[1], marker, color="tab:red", markersize=9,
                          markeredgewidth=2, fillstyle="none")
    axes[row, 0].set_title(f"{name}: test image")
    axes[row, 0].set_axis_off()
    for ax, i, marker in zip(axes[row, 1:], picked, "ox+"):
        ax.bar(np.arange(K), probs[i], width=1.0, color="tab:blue")
        ax.axvline(x[0, i], color="tab:red", lw=1.5)
        ax.set_title(f"pixel {divmod(int(i), shape[1])} {marker}: entropy {entropy[i]:.2f} bits")
        ax.set_xlabel("grey level k")
    axes[row, 1].set_ylabel(r"$p(x_i = k \mid x_{<i})$")
show(fig, "predictive_distributions")

# %% [markdown]
# ## 6. Completing images
#
# As with binary NADE, pixels that come first in the ordering can be given: `model.sample(...,
# given=x)` with NaN for the unknown (bottom) half. Each row: a test digit, the given top
# half (unknown pixels drawn mid grey) and five completions.

# %%
splits, K, shape, _ = DATA["digits"]
examples = splits["test"][:8].astype("float32")
n = examples.shape[1]
given = examples.copy()
given[:, n // 2:] = np.nan
count = 5
sampled = keras.ops.convert_to_numpy(
    models["digits"].sample(len(examples) * count, seed=2, given=np.repeat(given, count, axis=0)))
rows = np.concatenate([examples[:, None], np.where(np.isnan(given), (K - 1) / 2, given)[:, None],
                       sampled.reshape(len(examples), count, n)], axis=1)
fig, ax = plt.subplots(figsize=(5.6, 6.4))
show_images(ax, rows.reshape(-1, n), "digits", columns=2 + count,
            title="original | top half given | 5 completions")
show(fig, "completions")

# %% [markdown]
# ## 7. Full-size grey images: Fashion-MNIST at 256 levels
#
# A softmax head holds $A_i \in \mathbb{R}^{K \times d}$ for **every** pixel: at $K = 256$,
# $n = 784$ and $d = 256$ that is 51 million output weights, and as many again in the input
# embeddings. It also has to learn from data that level 200 is close to 201. The
# **discretized mixture of logistics** of PixelCNN++ (Salimans et al. 2017) knows the order
# of the levels by construction: each pixel gets $C$ logistics with weights $\pi_{ic}$,
# means $\mu_{ic}$ and scales $s_{ic}$, all affine in $\mathbf{h}_i$, and a level $k$ gets the
# mass of its bin,
# $$p(x_i = k \mid \mathbf{x}_{<i}) = \sum_c \pi_{ic}\,\big[F_{ic}(k + \tfrac12) -
# F_{ic}(k - \tfrac12)\big], \qquad F_{ic}(t) = \sigma\big((t - \mu_{ic}) / s_{ic}\big),$$
# with the two edge bins taking the tails, so the 256 masses sum to one exactly. The head
# costs $3Cd$ weights per pixel instead of $Kd$. `LogisticMixtureNADE` feeds the grey level
# itself (scaled to $[-1, 1]$) into NADE's running sum, as RNADE does.
#
# Quick mode trains on 2,000 images for two epochs, only to show the pieces; the numbers of
# a full training run are in `BENCHMARKS.md` (about 3.3 bits/dim on test, against 4.04 for
# lossless WebP of the same images).

# %%
from keras_ar import LogisticMixtureNADE

try:
    fashion = {s: datasets.load("fashion_mnist", s) for s in ("train", "valid", "test")}
except datasets.DatasetNotFoundError as err:
    print("note: Fashion-MNIST was not found, so this section is skipped.")
    print("      " + str(err).splitlines()[0])
    fashion = None

if fashion is not None:
    if not FULL:  # a small slice: the point is the mechanics, not the number
        fashion = {"train": fashion["train"][:2000], "valid": fashion["valid"][:500],
                   "test": fashion["test"][:500]}
    hidden = 256 if FULL else 32
    for head, build in (("softmax", lambda: CategoricalNADE(784, num_categories=256,
                                                            hidden_units=hidden)),
                        ("logistic mixture, C = 5", lambda: LogisticMixtureNADE(
                            784, num_categories=256, hidden_units=hidden, num_components=5))):
        candidate = build()
        candidate.build((None, 784))
        print(f"{head:>24}: {candidate.count_params():>11,} parameters at d = {hidden}")

# %% [markdown]
# Training is the usual `compile` + `fit`. In full mode an epoch is 250 batches of 100
# random training images (`steps_per_epoch` over a repeated `tf.data` pipeline would do the
# same); the learning rate decays by 3% per epoch.

# %%
if fashion is not None:
    fashion_model = LogisticMixtureNADE(784, num_categories=256, hidden_units=hidden,
                                        num_components=5, image_shape=(28, 28))
    epochs = 20 if FULL else 2
    schedule = keras.optimizers.schedules.ExponentialDecay(2e-3, decay_steps=250,
                                                           decay_rate=0.97)
    fashion_model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=10.0))
    rng = np.random.default_rng(0)
    tic = time.time()
    for epoch in range(epochs):
        chunk = fashion["train"][rng.permutation(len(fashion["train"]))[:25000]]
        fashion_model.fit(chunk, validation_data=fashion["valid"] if epoch == epochs - 1 else None,
                          batch_size=100, epochs=1, verbose=2 if FULL else 0)
    test_bits = fashion_model.evaluate(fashion["test"], verbose=0,
                                       return_dict=True)["bits_per_dim"]
    print(f"{epochs} epochs in {time.time() - tic:.0f} s; test {test_bits:.3f} bits/dim "
          f"on {len(fashion['test'])} test images")

# %% [markdown]
# How good is that? The same yardsticks as before, plus what people use to store images
# losslessly: PNG and lossless WebP (Pillow's strongest settings) of the test images tiled
# into one large picture, so that file headers are paid once. A model's bits/dim is a
# compressed size too: `keras-ar compress` turns the exact conditionals into a file of
# about that size with an entropy coder.

# %%
if fashion is not None:
    import io

    from PIL import Image

    def tiled_bits(images, fmt, **options):
        columns = 50
        rows = -(-len(images) // columns)
        grid = np.zeros((rows * columns, 784), "uint8")
        grid[: len(images)] = images
        picture = grid.reshape(rows, columns, 28, 28).transpose(0, 2, 1, 3).reshape(
            rows * 28, columns * 28)
        buffer = io.BytesIO()
        Image.fromarray(picture, "L").save(buffer, fmt, **options)
        return 8 * len(buffer.getvalue()) / images.size

    fashion_rows = {
        "uniform": 8.0,
        "independent pixels": bits_per_dim(float(independent_pixels_nll(
            fashion["train"].astype("int64"), fashion["test"].astype("int64"), 256)), 784),
        "PNG (tiled)": tiled_bits(fashion["test"], "PNG", optimize=True),
        "lossless WebP (tiled)": tiled_bits(fashion["test"], "WEBP", lossless=True,
                                            quality=100, method=6),
        "LogisticMixtureNADE": test_bits,
    }
    for row, value in fashion_rows.items():
        print(f"{row:>24}: {value:.3f} bits/dim")

# %% [markdown]
# The predicted distribution of a pixel over all 256 levels is the head evaluated at every
# $k$: `model.conditionals(x)` gives $\pi, \mu, s$ per pixel, and
# `model.distribution.log_prob` scores any level. Smooth bumps around the true value, with
# a separate spike for the background where an edge may start: order is built in.

# %%
if fashion is not None:
    x = fashion["test"][:1]
    params = {name: keras.ops.convert_to_numpy(value)[0]
              for name, value in fashion_model.conditionals(x).items()}  # each (784, C)
    levels = np.arange(256)

    def level_probs(i):
        per_level = {name: np.repeat(value[i][None], 256, axis=0) for name, value in params.items()}
        return np.exp(keras.ops.convert_to_numpy(
            fashion_model.distribution.log_prob(per_level, levels)))

    pixels = [14 * 28 + 14, 5 * 28 + 14, 20 * 28 + 3]
    fig, axes = plt.subplots(1, 1 + len(pixels) + 1, figsize=(16, 3))
    axes[0].imshow(x.reshape(28, 28), cmap="gray_r", vmin=0, vmax=255)
    axes[0].set_axis_off()
    axes[0].set_title("test image")
    for ax, i in zip(axes[1:], pixels):
        probs = level_probs(i)
        axes[0].plot(i % 28, i // 28, "o", color="tab:red", fillstyle="none")
        ax.bar(levels, probs, width=1.0)
        ax.axvline(x[0, i], color="tab:red", lw=1.5)
        ax.set_title(f"pixel {divmod(i, 28)}: sum {probs.sum():.5f}")
        ax.set_xlabel("grey level k")
    samples = keras.ops.convert_to_numpy(fashion_model.sample(16, seed=3))
    axes[-1].imshow(image_grid(samples.reshape(-1, 28, 28) / 255.0, columns=4, scale=1),
                    cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axes[-1].set_axis_off()
    axes[-1].set_title("16 samples")
    show(fig, "fashion_mnist")

# %% [markdown]
# ## Summary
#
# * A softmax per dimension turns NADE into a model of grey levels: the input side becomes an
#   embedding lookup $E_i[x_i]$ in the same running sum, the output side $K$ logits.
# * It captures multi-modal conditionals with no assumption on their shape, at the price of
#   $O(nKd)$ parameters and of learning the order of the levels from data.
# * Bits per dimension compare models across image sizes; the chain-rule models beat the
#   independent-pixel histograms by a wide margin.
# * At 256 levels and 28x28 a mixture of discretized logistics replaces the softmax: $3Cd$
#   instead of $Kd$ weights per pixel, the order of the levels built in, and a trained model
#   that stores images in fewer bits than PNG and WebP.
#
# Next: [03_rnade](03_rnade.ipynb) models real values directly with mixtures of Gaussians.

# %%
tutorial.finish()
