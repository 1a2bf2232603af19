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
# # 4 · Character RNNs: Shakespeare and names
#
# Text is a sequence of characters, and the chain rule applies unchanged:
# $p(x_1, \dots, x_T) = \prod_t p(x_t \mid \mathbf{x}_{<t})$. There is no fixed $n$ any
# more, so instead of one set of weights per position (NADE) we use a **recurrent network**
# whose state summarizes the prefix, with the same weights at every step.
#
# 1. a GRU on **tiny Shakespeare** (1.1 M characters): training curve, how the loss depends
#    on the context length, and samples at several **temperatures**;
# 2. a GRU on **32,000 first names**, each name an item that ends with a boundary token.
#
# **Two modes.** *Quick* (the default) uses small data and finishes in under 3 minutes on
# 2 CPU cores; it is what CI runs. *Full* gives the real numbers and takes much longer:
# start Jupyter with `KERAS_AR_FULL=1` (or write `Tutorial(..., full=True)` in the next cell).
#
# | | quick (default) | full (`KERAS_AR_FULL=1`) |
# |---|---|---|
# | Shakespeare | first 300,000 characters, GRU 1x256, 3 passes | all 1,003,854, GRU 2x512, 20 passes |
# | names | 8,000 names, GRU 1x64, 6 epochs | 25,626 names, GRU 1x128, early stopping |
# | time on 2 CPU cores | about 2 minutes | a few hours (estimate) |
#
# The texts are found through `$KERAS_AR_DATA` or the cache `~/.keras/datasets/keras_ar`
# (`keras-ar data get tiny_shakespeare`); without them the notebook says so and uses the
# small list of names embedded in keras-ar for both parts.

# %%
# Quick mode unless KERAS_AR_FULL=1 is set; Tutorial(..., full=True) forces the full mode.
from tutorial import Tutorial

tutorial = Tutorial("04_char_rnn")
FULL, show = tutorial.full, tutorial.show

import math
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

from keras_ar import CharRNN, Vocabulary, datasets

# %% [markdown]
# ## 1. The model
#
# With $x_0 = \langle b \rangle$, the boundary token that starts (and ends) an item, and
# $\mathbf{e}_t = E[x_{t-1}]$ the embedding of the previous character, a GRU updates its state
#
# $$\begin{aligned}
# \mathbf{z}_t &= \sigma(W_z \mathbf{e}_t + U_z \mathbf{h}_{t-1} + \mathbf{b}_z), \qquad
# \mathbf{r}_t = \sigma(W_r \mathbf{e}_t + U_r \mathbf{h}_{t-1} + \mathbf{b}_r),\\
# \tilde{\mathbf{h}}_t &= \tanh\big(W_h \mathbf{e}_t + U_h (\mathbf{r}_t \odot \mathbf{h}_{t-1}) + \mathbf{b}_h\big),
# \qquad \mathbf{h}_t = \mathbf{z}_t \odot \mathbf{h}_{t-1} + (1 - \mathbf{z}_t) \odot \tilde{\mathbf{h}}_t,
# \end{aligned}$$
#
# and a softmax reads out the next character:
# $p(x_t = k \mid \mathbf{x}_{<t}) = \operatorname{softmax}(W_o \mathbf{h}_t + \mathbf{b}_o)_k$.
# (The plain RNN, `cell="simple_rnn"`, is $\mathbf{h}_t = \tanh(W \mathbf{e}_t + U
# \mathbf{h}_{t-1} + \mathbf{b})$; the GRU's gates let it keep information for longer.)
#
# Compare NADE's running sum $\mathbf{a}_{i+1} = \mathbf{a}_i + W_{:,i}\,x_i$: it is also a
# recurrence, but linear, with identity transition and different input weights at every
# position. The RNN shares its weights across positions, so it handles any length.
#
# **Training** is teacher forcing: the true previous characters go in, the loss is the sum of
# the cross-entropies of the next characters, and `fit` reports it **per character**: `nll`
# in nats, `bits_per_dim` in bits per character. **Sampling** feeds each drawn character back
# in. The **temperature** $T$ reshapes each conditional,
# $p_T(k) \propto \exp(\text{logit}_k / T) = p(k)^{1/T} / Z$: $T < 1$ sharpens it (safer,
# more repetitive text), $T > 1$ flattens it (more surprising, more misspelt).

# %%
try:
    text = {s: datasets.load("tiny_shakespeare", s) for s in ("train", "valid")}
    CORPUS = "tiny Shakespeare"
except datasets.DatasetNotFoundError as err:
    print("note: tiny_shakespeare.txt was not found, so part 1 uses the embedded names list,")
    print("      one name per line, as its text. " + str(err).splitlines()[0])
    text = {s: "\n".join(datasets.load("embedded_names", s)) + "\n" for s in ("train", "valid")}
    CORPUS = "embedded names (as one text)"
vocab = Vocabulary.from_text(text["train"] + text["valid"])
if not FULL:
    text = {"train": text["train"][:300_000], "valid": text["valid"][:20_000]}
LENGTH = 100  # characters per training window


def windows(string):
    ids = vocab.encode(string)
    count = len(ids) // LENGTH
    return ids[: count * LENGTH].reshape(count, LENGTH)


train_ids, valid_ids = windows(text["train"]), windows(text["valid"])
print(f"{CORPUS}: {len(text['train']):,} training and {len(text['valid']):,} validation "
      f"characters; {vocab.size} tokens (the boundary token and {vocab.size - 1} characters)")
print(f"windows of {LENGTH} characters: train {train_ids.shape}, valid {valid_ids.shape}")
print(repr(text["train"][:200]))

# %% [markdown]
# Each window of 100 characters is one training item, scored from the boundary state (no
# state is carried between windows, a simplification that costs a little at the start of
# each window; see the figure after training). To draw a curve with more than a handful of
# points, an "epoch" below is 20 steps of 64 windows, followed by a validation pass.

# %%
SHAKESPEARE = {"units": 512 if FULL else 256, "num_layers": 2 if FULL else 1,
               "passes": 20 if FULL else 3, "batch_size": 64, "steps_per_epoch": 20,
               "learning_rate": 2e-3 if FULL else 5e-3}
steps = SHAKESPEARE["passes"] * len(train_ids) // SHAKESPEARE["batch_size"]
epochs = max(1, steps // SHAKESPEARE["steps_per_epoch"])
train_stream = (datasets.to_tf_dataset(train_ids, shuffle=True).repeat()
                .batch(SHAKESPEARE["batch_size"]).prefetch(2))

text_model = CharRNN(vocabulary=vocab, units=SHAKESPEARE["units"],
                     num_layers=SHAKESPEARE["num_layers"], cell="gru")
text_model.compile(optimizer=keras.optimizers.Adam(SHAKESPEARE["learning_rate"], clipnorm=1.0))
before = text_model.evaluate(valid_ids[:50], verbose=0, return_dict=True)["nll"]
print(f"GRU {SHAKESPEARE['num_layers']}x{SHAKESPEARE['units']}: {text_model.count_params():,} "
      f"parameters; before training {before:.3f} nats/char (uniform: ln {vocab.size} = "
      f"{math.log(vocab.size):.3f})")
tic = time.time()
text_history = text_model.fit(train_stream, steps_per_epoch=SHAKESPEARE["steps_per_epoch"],
                              epochs=epochs, validation_data=valid_ids,
                              batch_size=SHAKESPEARE["batch_size"], verbose=2 if FULL else 0)
print(f"{epochs * SHAKESPEARE['steps_per_epoch']} steps in {time.time() - tic:.0f} s; "
      f"validation {text_history.history['val_nll'][-1]:.3f} nats/char = "
      f"{text_history.history['val_bits_per_dim'][-1]:.3f} bits/char")

# %% [markdown]
# Left: the training curve in bits per character. Right: the validation loss at each
# position of the window, averaged over windows, from `model.conditionals(ids)["logits"]`.
# The first character is guessed with no context; the loss falls steeply over the first ten
# or so characters as the state fills with context, then levels off (a short-trained model
# uses little long-range context; the thick line is a moving average over 5 positions).

# %%
bits_sum = np.zeros(LENGTH)
for start in range(0, len(valid_ids), 256):
    batch = valid_ids[start:start + 256]
    logits = keras.ops.convert_to_numpy(text_model.conditionals(batch)["logits"])  # (B, T, V)
    log_probs = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    bits_sum += -np.take_along_axis(log_probs, batch[:, :, None], -1)[..., 0].sum(0) / math.log(2)
bits_at = bits_sum / len(valid_ids)  # mean bits for the character at each position

fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
history = text_history.history
step_axis = SHAKESPEARE["steps_per_epoch"] * np.arange(1, len(history["loss"]) + 1)
axes[0].plot(step_axis, history["bits_per_dim"], label="train (mean over the last 20 steps)")
axes[0].plot(step_axis, history["val_bits_per_dim"], "o-", markersize=3, label="validation")
axes[0].axhline(math.log2(vocab.size), color="gray", lw=1, label="uniform")
axes[0].set_xlabel("training step (64 windows each)")
axes[0].set_ylabel("bits per character")
axes[0].set_title(f"{CORPUS}: loss curve")
axes[0].legend()
positions = np.arange(1, LENGTH + 1)
axes[1].plot(positions, bits_at, lw=0.8, alpha=0.6)
axes[1].plot(positions[2:-2], np.convolve(bits_at, np.ones(5) / 5, mode="valid"), lw=2)
axes[1].set_xlabel("position t in the window")
axes[1].set_ylabel("bits for character t")
axes[1].set_title("more context, fewer bits")
show(fig, "shakespeare_loss")

# %% [markdown]
# ### Temperature
#
# The distribution of the next character after a prompt, at three temperatures, and then
# text generated from the same prompt with `model.generate(prompt, max_length, temperature=T)`.

# %%
PROMPT = "ROMEO:\nI" if "R" in vocab.tokens else text["valid"][:8]
# logits of the character after the prompt: score prompt + any character, read the last step
ids = vocab.encode(PROMPT + PROMPT[-1])[None]
next_logits = keras.ops.convert_to_numpy(text_model.conditionals(ids)["logits"])[0, -1]
top = np.argsort(next_logits)[::-1][:15]
labels = [repr(vocab.tokens[k])[1:-1] if vocab.tokens[k] != " " else "␣" for k in top]
fig, ax = plt.subplots(figsize=(11, 3))
for offset, t in zip((-0.27, 0.0, 0.27), (0.5, 1.0, 1.5)):
    p = np.exp((next_logits - next_logits.max()) / t)
    ax.bar(np.arange(len(top)) + offset, (p / p.sum())[top], width=0.27, label=f"T = {t}")
ax.set_xticks(np.arange(len(top)), labels)
ax.set_ylabel("probability")
ax.set_title(f"next character after {PROMPT!r} (15 most likely)")
ax.legend()
show(fig, "temperature")

for t in (0.5, 1.0, 1.5):
    tic = time.time()
    sample = text_model.generate(PROMPT, max_length=300, temperature=t, seed=1)[0]
    print(f"----- T = {t} ({time.time() - tic:.1f} s) -----\n{sample}\n")

# %% [markdown]
# ## 2. Names
#
# Each name is one item: its characters followed by the boundary token, so the model also
# learns **when to stop**, and $p(\text{name})$ includes the probability of its length.
# `Vocabulary.encode_batch(names)` appends the boundary token and right-pads with $-1$;
# padded positions score 0 and are excluded from the per-character metrics.

# %%
try:
    names = {s: datasets.load("names", s) for s in ("train", "valid", "test")}
    NAMES = "names.txt (makemore)"
except datasets.DatasetNotFoundError as err:
    print("note: names.txt was not found, so this part uses the names list embedded in "
          "keras-ar. " + str(err).splitlines()[0])
    names = {s: datasets.load("embedded_names", s) for s in ("train", "valid", "test")}
    NAMES = "embedded names"
name_vocab = Vocabulary.from_text(names["train"] + names["valid"] + names["test"])
if not FULL:
    names["train"] = names["train"][:8000]
name_ids = {s: name_vocab.encode_batch(v) for s, v in names.items()}
print(f"{NAMES}: " + ", ".join(f"{s} {len(v):,}" for s, v in names.items())
      + f"; {name_vocab.size} tokens; e.g. {names['train'][:6]}")
print(f"padded ids: {name_ids['train'].shape}; first row {name_ids['train'][0].tolist()}")

name_model = CharRNN(vocabulary=name_vocab, units=128 if FULL else 64, num_layers=1)
name_model.compile(optimizer=keras.optimizers.Adam(5e-3))
stop = keras.callbacks.EarlyStopping(monitor="val_nll", mode="min", patience=3,
                                     restore_best_weights=True)
tic = time.time()
name_history = name_model.fit(name_ids["train"], validation_data=name_ids["valid"],
                              epochs=100 if FULL else 6, batch_size=64, callbacks=[stop],
                              verbose=2)
test_nll = name_model.evaluate(name_ids["test"], verbose=0, return_dict=True)["nll"]
print(f"{len(name_history.epoch)} epochs in {time.time() - tic:.0f} s; test {test_nll:.3f} "
      f"nats/char = {test_nll / math.log(2):.3f} bits/char "
      f"(uniform: {math.log(name_vocab.size):.3f} nats/char)")

# %%
known = set(names["train"])
fig, ax = plt.subplots(figsize=(6, 3.4))
epochs_axis = np.arange(1, len(name_history.epoch) + 1)
ax.plot(epochs_axis, name_history.history["bits_per_dim"], "--", label="train")
ax.plot(epochs_axis, name_history.history["val_bits_per_dim"], "o-", label="validation")
ax.set_xlabel("epoch")
ax.set_ylabel("bits per character")
ax.set_title(f"{NAMES}: loss curve")
ax.legend()
show(fig, "names_loss")

lengths = [len(n) for n in names["train"]]
for t in (0.5, 1.0, 1.5):
    generated = name_model.generate(max_length=20, num_samples=200, temperature=t, seed=0)
    novel = np.mean([g not in known for g in generated])
    print(f"T = {t}: {novel:.0%} not in the training set, mean length "
          f"{np.mean([len(g) for g in generated]):.1f} (data: {np.mean(lengths):.1f}): "
          + ", ".join(generated[:12]))

# %% [markdown]
# ## Summary
#
# * A character RNN is the chain rule over a sequence of any length; its state plays the role
#   of NADE's running sum, with shared weights and a nonlinear update.
# * Teacher forcing makes training parallel over positions; sampling is sequential.
# * The loss per character falls as the context grows; temperature trades diversity for
#   safety; a boundary token lets the model decide when an item ends.
#
# Next: [05_export_and_deploy](05_export_and_deploy.ipynb) runs these models outside Keras.

# %%
tutorial.finish()
