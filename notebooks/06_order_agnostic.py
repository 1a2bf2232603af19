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
# # 6 · Order-agnostic NADE: one network for every ordering
#
# NADE (notebook 01) conditions exactly only on a prefix of its ordering. This notebook trains
# **one** network that knows the conditionals of every ordering, on **binarized MNIST**:
#
# 1. why a fixed ordering is not enough, and the order-agnostic training loss;
# 2. a proof by enumeration on a tiny model: every ordering is a normalized distribution, and
#    `conditional_log_prob` is exactly joint / marginal for any mask;
# 3. training a `DeepNADE` with `model.fit`;
# 4. the exact test NLL along one random ordering, and of ensembles of 2, 4 and 8 orderings;
# 5. exact inpainting for any mask (left half, bottom half, a random half), with completions,
#    and the warning a fixed-order NADE gives instead.
#
# **Two modes.** *Quick* (the default) uses small data and finishes in 1 to 2 minutes on
# 2 CPU cores; it is what CI runs. *Full* gives the real numbers and takes much longer:
# start Jupyter with `KERAS_AR_FULL=1` (or write `Tutorial(..., full=True)` in the next cell).
#
# | | quick (default) | full (`KERAS_AR_FULL=1`) |
# |---|---|---|
# | data | 10,000 / 1,000 / 1,000 images (train / valid / test) | 50,000 / 10,000 / 10,000 (the standard split) |
# | DeepNADE | 2 x 256 ReLU hidden units, Adam, 20 epochs | 2 x 500 ReLU, AdamW (weight decay 0.05), moving average of the weights, 286 epochs (`recipes/deep_nade_2x500_wd_ema.json`) |
# | time on 2 CPU cores | 1 to 2 minutes | about an hour (estimate) |
#
# The data file `binarized_mnist.npz` is found through `$KERAS_AR_DATA` or the cache
# `~/.keras/datasets/keras_ar` (`keras-ar data get binarized_mnist` puts it there);
# without it the notebook says so and uses the 8x8 digits embedded in scikit-learn.

# %%
# Quick mode unless KERAS_AR_FULL=1 is set; Tutorial(..., full=True) forces the full mode.
from tutorial import Tutorial

tutorial = Tutorial("06_order_agnostic")
FULL, show = tutorial.full, tutorial.show

import functools
import itertools
import math
import time
import warnings

import keras
import matplotlib.pyplot as plt
import numpy as np

from keras_ar import NADE, DeepNADE
from keras_ar.conditional import ClampedConditionalWarning
from keras_ar.testing import randomize_weights
from keras_ar.training import FlooredExponentialDecay

# %% [markdown]
# ## 1. Why: a fixed ordering conditions only on its prefixes
#
# NADE factorizes along one ordering $o$ (the raster order in notebook 01):
#
# $$p_o(\mathbf{x}) = \prod_{d=1}^{n} p(x_{o_d} \mid \mathbf{x}_{o_{<d}}).$$
#
# Its conditionals answer one kind of question: the next pixel given the pixels *before* it.
# Completing the bottom half of a digit from its top half is such a question. Completing the
# **left half** from the right half is not: in the raster order every row's left pixels come
# before its right ones, so $p(\mathbf{x}_\text{left} \mid \mathbf{x}_\text{right})$ would
# need a sum over the $2^{392}$ values of the left half.
#
# **Order-agnostic NADE** (Uria, Murray & Larochelle 2014) trains one network $f$ for every
# ordering at once. It reads the observed values and *which* values are observed, as the
# input $[\mathbf{x} \odot \mathbf{m}_S, \mathbf{m}_S]$ ($2n$ numbers, $\mathbf{m}_S$ the 0/1
# mask of the observed set $S$), and returns $n$ logits:
#
# $$p(x_i = 1 \mid \mathbf{x}_S) = \sigma\big(f([\mathbf{x} \odot \mathbf{m}_S,\ \mathbf{m}_S])_i\big), \qquad i \notin S.$$
#
# Training draws, for every example, a random ordering $o$ and a split $d \sim U\{0, \dots,
# n-1\}$, observes $S = \{o_1, \dots, o_d\}$ and scores *all* unobserved dimensions at once:
#
# $$\mathcal{L}(\mathbf{x}) = -\frac{n}{n-d} \sum_{i \notin S} \log p(x_i \mid \mathbf{x}_S).$$
#
# Given $S$, the next dimension $o_{d+1}$ is equally likely to be any of the $n - d$
# unobserved ones, so $\frac{1}{n-d}\sum_{i \notin S}$ is the expected $(d+1)$-th term of
# the chain rule along $o$, and the factor $n$ sums the $n$ terms:
# $\mathbb{E}_{o,d}[\mathcal{L}(\mathbf{x})] = \mathbb{E}_o[-\log p_o(\mathbf{x})]$, the NLL
# averaged over all orderings, for the price of **one** network pass per example.
# After training, any ordering $o$ gives an exact, normalized $p_o(\mathbf{x})$ ($n$ passes),
# and any observed set can be put first in an ordering, so
# $p(\mathbf{x}_\text{missing} \mid \mathbf{x}_\text{observed})$ is exact for every mask.
#
# In keras-ar this is `DeepNADE(n, hidden_units=(h, ...))`: `model.fit(x)` trains on
# $\mathcal{L}$; `log_prob(x, ordering=o)`, `ensemble_log_prob(x, orderings)`,
# `conditional_log_prob(x, observed)` and `sample(given=..., observed=...)` use the result.

# %% [markdown]
# ## 2. A proof on a tiny model
#
# With $n = 8$ there are only $2^8 = 256$ binary vectors, so we can enumerate them all. A
# `DeepNADE` with random weights (`keras_ar.testing.randomize_weights`: no training needed,
# the properties hold for any weights):
#
# * for every ordering $o$, $\sum_{\mathbf{x}} p_o(\mathbf{x}) = 1$, while different
#   orderings give different distributions (the network is not forced to be consistent);
# * for a mask of observed dimensions $O$ (missing $M$), `conditional_log_prob` scores
#   along the ordering $o'$ = ($O$ first, then $M$ in the model's ordering), and returns
#   $\log p(\mathbf{x}_M \mid \mathbf{x}_O) = \log p_{o'}(\mathbf{x}) - \log \sum_{\mathbf{x}'_M} p_{o'}(\mathbf{x}_O, \mathbf{x}'_M)$,
#   which we enumerate under the same ordering $o'$.

# %%
n_tiny = 8
tiny = randomize_weights(DeepNADE(n_tiny, hidden_units=(16, 16)), seed=1)
every_x = np.array(list(itertools.product([0, 1], repeat=n_tiny)), "float32")  # (256, 8)

rng = np.random.default_rng(0)
tiny_orderings = [np.arange(n_tiny)] + [rng.permutation(n_tiny) for _ in range(3)]
log_p = np.stack([keras.ops.convert_to_numpy(tiny.log_prob(every_x, ordering=o))
                  for o in tiny_orderings], axis=1)  # (256, 4): log p_o(x) for each ordering
for o, total in zip(tiny_orderings, np.exp(log_p).sum(axis=0)):
    print(f"ordering {o}: sum over all 256 inputs of p_o(x) = {total:.6f}")
print("the orderings disagree: max |log p_o(x) - log p_o'(x)| = "
      f"{np.ptp(log_p, axis=1).max():.2f} nats")


def enumerated_conditional(model, x, observed):
    """log p(x_M | x_O) for every row of `x` (all 2^n inputs), one mask `observed`,
    by enumeration: joint / marginal under the ordering (O first, then M in the model's)."""
    order = np.concatenate([[d for d in model.ordering if observed[d]],
                            [d for d in model.ordering if not observed[d]]]).astype(int)
    joint = keras.ops.convert_to_numpy(model.log_prob(x, ordering=order)).astype("float64")
    keys = x[:, observed] @ (2 ** np.arange(observed.sum()))  # which observed values
    marginal = {k: np.logaddexp.reduce(joint[keys == k]) for k in np.unique(keys)}
    return joint - np.array([marginal[k] for k in keys])


errors = []
for _ in range(5):
    observed = rng.random(n_tiny) < 0.5
    got = keras.ops.convert_to_numpy(tiny.conditional_log_prob(every_x, observed))
    errors.append(np.abs(got - enumerated_conditional(tiny, every_x, observed)).max())
print(f"conditional_log_prob vs enumeration, 5 random masks: max error {max(errors):.1e} nats")

# %% [markdown]
# ## 3. Training a DeepNADE on binarized MNIST
#
# The data, as in notebook 01 (a slice in quick mode).

# %%
# Binarized MNIST (the embedded 8x8 digits when its file is absent), the test split
# shuffled with a fixed seed (the file is sorted by digit class), slices in quick mode.
train, valid, test, DATA, IMAGE_SHAPE = tutorial.binary_images(quick_train=10000)
MNIST = IMAGE_SHAPE == (28, 28)
N = train.shape[1]
print(f"{DATA}: train {train.shape}, valid {valid.shape}, test {test.shape}; n = {N} binary pixels")

# Sizes for each mode; full mode is recipes/deep_nade_2x500_wd_ema.json with a fixed number
# of epochs (the recipe's run stopped at 286 on its validation score).
CONFIG = {
    "hidden_units": (500, 500) if FULL else ((256, 256) if MNIST else (128, 128)),
    "batch_size": 100 if MNIST else 32,
    "epochs": 286 if FULL else (20 if MNIST else 60),
    "learning_rate": 1e-3 if FULL else 3e-3,
    "lr_decay": 0.99 if FULL else 1.0,  # per epoch, down to 1e-4
    "weight_decay": 0.05 if FULL else None,  # AdamW, on the kernels only
    "ema": 0.9995 if FULL else None,  # moving average of the weights, used after fit
}
print(CONFIG)


# images as a grid on a matplotlib axis: show_images(ax, images, columns=10, title=None)
show_images = functools.partial(tutorial.show_images, image_shape=IMAGE_SHAPE)


# %% [markdown]
# `DeepNADE(n, hidden_units=...)` is the MLP $f$: $2n \to h \to h \to n$. Its `ordering` is
# the one `log_prob(x)`, `evaluate` and `sample` use when none is given. We give it a
# **random** one: training sees random subsets $S$, so the prefixes of a random ordering are
# what the network knows best, while the prefixes of the raster order (contiguous blocks of
# rows) are almost never drawn. `compile()` needs no loss: `fit` minimizes $\mathcal{L}$, and
# the `loss`/`nll` it prints is that one-pass estimate of the NLL averaged over orderings.

# %%
def make_optimizer(steps_per_epoch):
    # learning rate * lr_decay ** epoch, not below 1e-4
    rate = FlooredExponentialDecay(CONFIG["learning_rate"], steps_per_epoch, CONFIG["lr_decay"],
                                   1e-4)
    if CONFIG["weight_decay"] is None:
        return keras.optimizers.Adam(rate)
    optimizer = keras.optimizers.AdamW(rate, weight_decay=CONFIG["weight_decay"],
                                       use_ema=True, ema_momentum=CONFIG["ema"])
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


model = DeepNADE(N, hidden_units=CONFIG["hidden_units"], activation="relu",
                 ordering=np.random.default_rng(7).permutation(N), image_shape=IMAGE_SHAPE)
model.compile(optimizer=make_optimizer(math.ceil(len(train) / CONFIG["batch_size"])))
tic = time.time()
history = model.fit(train, epochs=CONFIG["epochs"], batch_size=CONFIG["batch_size"],
                    verbose=2 if FULL or MNIST else 0)
print(f"DeepNADE {CONFIG['hidden_units']}: {model.count_params():,} parameters, "
      f"{len(history.epoch)} epochs in {time.time() - tic:.0f} s")
# the same estimator on valid, with fixed masks (one pass per image): the score that
# recipes/order_agnostic.py selects epochs on
masks = model.draw_observed(len(valid), seed=1)
valid_estimate = -np.mean(keras.ops.convert_to_numpy(
    model.order_agnostic_log_prob(valid, known=masks)))
print(f"order-agnostic estimate of the NLL: train {history.history['nll'][-1]:.2f}, "
      f"valid {valid_estimate:.2f} nats")

# %% [markdown]
# ## 4. Exact test NLL: one ordering, and ensembles of orderings
#
# `log_prob(x, ordering=o)` is the exact $\log p_o(\mathbf{x})$: $n$ conditionals along $o$,
# $n$ network passes per image (keras-ar batches the positions in blocks and keeps the first
# layer as a running sum, as in NADE). Each $p_o$ is a normalized distribution, so their
# average is one too; `ensemble_log_prob(x, orderings)` computes
#
# $$\log \frac{1}{K} \sum_{k=1}^{K} p_{o_k}(\mathbf{x})$$
#
# by log-mean-exp (an average of probabilities, not of log-probabilities). By Jensen's
# inequality the ensemble's NLL is never above the mean of its members' NLLs, and the
# orderings' disagreement is what the ensemble gains. `random_orderings(K)` returns the
# model's own ordering, then $K - 1$ random ones.

# %%
orderings = model.random_orderings(8, seed=8)  # the model's own (random) ordering, then 7 more
sizes = (1, 2, 4, 8)
tic = time.time()
log_p = model.log_prob(test, ordering=orderings[0], batch_size=500)  # one ordering
test_nll = {1: -float(np.mean(keras.ops.convert_to_numpy(log_p)))}
for k in sizes[1:]:
    log_p = model.ensemble_log_prob(test, orderings[:k], batch_size=500)
    test_nll[k] = -float(np.mean(keras.ops.convert_to_numpy(log_p)))
print(f"exact test NLL on {len(test):,} {DATA} images ({time.time() - tic:.0f} s):")
for k, nll in test_nll.items():
    what = "one random ordering" if k == 1 else f"ensemble of {k} orderings"
    print(f"  {what:>25}: {nll:7.2f} nats  {nll / (N * math.log(2)):.4f} bits/dim")

fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(sizes, list(test_nll.values()), "o-")
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, [str(k) for k in sizes])
ax.set_xlabel("number of orderings K")
ax.set_ylabel("test NLL (nats per image)")
ax.set_title(f"DeepNADE {'x'.join(map(str, CONFIG['hidden_units']))}, {DATA}")
show(fig, "ensembles")

# %% [markdown]
# For the full-size runs (`recipes/run_order_agnostic.sh`, BENCHMARKS.md, section
# "Order-agnostic models"), the 500x500 model of the full mode
# (`deep_nade_2x500_wd_ema`) scores 90.51 nats on the MNIST test set with one random
# ordering, 89.43 / 88.57 / 88.02 with 2 / 4 / 8, and 86.89 with 128 orderings. A 1000x1000
# model trained longer reaches **85.03 nats with 128 orderings**, against 85.10 published for
# EoNADE (the ensemble of orderings of Uria, Murray & Larochelle 2014).

# %% [markdown]
# ## 5. Exact inpainting for any mask
#
# `conditional_log_prob(x, observed)` returns $\log p(\mathbf{x}_\text{missing} \mid \mathbf{x}_\text{observed})$,
# exact for any boolean mask (one mask for all images, or one per image): the observed
# pixels go first, then the missing ones are scored along the model's ordering. We hide
# three different halves of every test image. The left half is the case a raster-order
# model cannot do (notebook 01 trained a second model, left half first, for it); a random
# half would need yet another ordering for every mask.

# %%
height, width = IMAGE_SHAPE
rows, cols = np.indices(IMAGE_SHAPE)
random_half = np.zeros(N, bool)
random_half[np.random.default_rng(3).choice(N, N // 2, replace=False)] = True
OBSERVED = {  # True = observed, one mask shared by all images
    "left half missing": (cols >= width // 2).ravel(),
    "bottom half missing": (rows < height // 2).ravel(),
    "random half missing": random_half,
}


def conditional_nll(model, x, observed, batch_size=500):
    # -log p(x_missing | x_observed) per image, in batches
    batches = [model.conditional_log_prob(x[i : i + batch_size], observed)
               for i in range(0, len(x), batch_size)]
    return -np.concatenate([keras.ops.convert_to_numpy(b) for b in batches])


tic = time.time()
for name, observed in OBSERVED.items():
    nll = conditional_nll(model, test, observed)
    missing = int((~observed).sum())
    print(f"{name:>20}: -log p(x_missing | x_observed) = {nll.mean():6.2f} nats "
          f"({nll.mean() / missing:.3f} per missing pixel, {missing} missing)")
print(f"({time.time() - tic:.0f} s)")

# %% [markdown]
# On the full MNIST test set, the 500x500 model of the recipes scores 45.04 nats with the
# bottom half missing and 39.87 with the left half missing (BENCHMARKS.md).
#
# `model.sample(num, given=..., observed=...)` draws completions from that same exact
# conditional: it starts from the observed pixels and samples the missing ones along the
# model's ordering. Each row: the test digit, what the model is given (unknown = grey),
# four completions.

# %%
def completions(model, images, observed, count=4, seed=0):
    masks = np.broadcast_to(observed, images.shape)
    sampled = keras.ops.convert_to_numpy(model.sample(
        len(images) * count, seed=seed,
        given=np.repeat(images, count, axis=0), observed=np.repeat(masks, count, axis=0)))
    shown = [images[:, None], np.where(masks, images, 0.5)[:, None],
             sampled.reshape(len(images), count, N)]
    return np.concatenate(shown, axis=1).reshape(-1, N)  # one row per image


examples = test[10:13]
tic = time.time()
fig, axes = plt.subplots(1, len(OBSERVED), figsize=(4.2 * len(OBSERVED), 2.6))
for ax, (name, observed) in zip(axes, OBSERVED.items()):
    show_images(ax, completions(model, examples, observed), columns=6, title=name)
print(f"sampled {len(OBSERVED) * len(examples) * 4} completions in {time.time() - tic:.0f} s")
fig.suptitle("original | observed (unknown grey) | 4 completions")
show(fig, "inpainting")

# %% [markdown]
# A fixed-order model has only $p(x_i \mid \mathbf{x}_{<i})$. Asked for the left-half
# conditional, a raster-order `NADE` can only clamp the observed pixels and score each
# missing pixel given the pixels *before* it, ignoring the observed pixels to its right in
# the same row and in every row below; keras-ar says so with a `ClampedConditionalWarning`
# (the bottom-half question, whose observed pixels are a prefix, is exact and silent). The
# warning depends only on the mask and the ordering, so an untrained NADE shows it.

# %%
nade = NADE(N, hidden_units=16, image_shape=IMAGE_SHAPE)  # raster order
for name in ("bottom half missing", "left half missing"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nade.conditional_log_prob(test[:2], OBSERVED[name])
    clamped = [str(w.message).splitlines()[0] for w in caught
               if issubclass(w.category, ClampedConditionalWarning)]
    print(f"NADE, {name}: " + (f"ClampedConditionalWarning: {clamped[0]}" if clamped
                               else "exact, no warning"))

# %% [markdown]
# ## Summary
#
# * A fixed ordering gives exact conditionals only for prefixes of that ordering.
# * Order-agnostic NADE feeds $[\mathbf{x} \odot \mathbf{m}_S, \mathbf{m}_S]$ to one MLP and
#   trains it on random orderings and splits with the loss
#   $-\frac{n}{n-d}\sum_{i \notin S}\log p(x_i \mid \mathbf{x}_S)$, an unbiased one-pass
#   estimate of the NLL averaged over orderings.
# * Every ordering is then an exact, normalized model (checked by enumeration above);
#   ensembles of orderings, averaged in probability, lower the NLL further.
# * Any mask can come first in an ordering, so $p(\mathbf{x}_\text{missing} \mid \mathbf{x}_\text{observed})$
#   and its samples are exact for any mask, where a fixed-order NADE warns that it clamps.
#
# The full-size runs (500x500 and 1000x1000, 128 orderings, inpainting on the whole test set)
# are `recipes/run_order_agnostic.sh NAME` with the `deep_nade_*` recipes in `recipes/`;
# their protocol and results are in BENCHMARKS.md, section "Order-agnostic models".

# %%
tutorial.finish()
