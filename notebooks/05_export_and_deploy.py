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
# # 5 · Export and deploy
#
# A trained keras-ar model runs outside Python through `keras_ar.export`: one call writes a
# SavedModel, a LiteRT (TensorFlow Lite) file with builtin ops only, ONNX files and a
# `manifest.json` describing them. This notebook
#
# 1. trains a small NADE on digits and a character GRU on names, and exports both;
# 2. checks **parity**: the same log-probabilities, and the same samples from the same noise,
#    in Keras, LiteRT and ONNX Runtime;
# 3. **quantizes** (float16 and dynamic-range int8) and measures what it costs in nats;
# 4. times every runtime in a **latency table**;
# 5. shows **how the Android demo consumes the artifacts**, by replaying its step loop here.
#
# It needs the export extras: `pip install -e ".[export]"` (tf2onnx, onnx, onnxruntime,
# ai-edge-litert).
#
# **Two modes.** *Quick* (the default) uses small data and finishes in under 3 minutes on
# 2 CPU cores; it is what CI runs. *Full* gives the real numbers and takes much longer:
# start Jupyter with `KERAS_AR_FULL=1` (or write `Tutorial(..., full=True)` in the next cell).
#
# | | quick (default) | full (`KERAS_AR_FULL=1`) |
# |---|---|---|
# | image model | NADE, 8x8 digits, 64 hidden units | NADE, binarized MNIST, 500 hidden units, 10 epochs |
# | text model | GRU 1x64 on 8,000 names | GRU 1x128 on all 25,626 training names |
# | time on 2 CPU cores | about 1.5 minutes | hours, mostly training (estimate) |
#
# Artifacts go to `notebooks/exports/` (ignored by git), or to `$KERAS_AR_EXPORTS` if set.

# %%
# Quick mode unless KERAS_AR_FULL=1 is set; Tutorial(..., full=True) forces the full mode.
from tutorial import Tutorial

tutorial = Tutorial("05_export_and_deploy")
FULL, show = tutorial.full, tutorial.show

import json
import os
import shutil
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from keras_ar import NADE, CharRNN, Vocabulary, datasets
from keras_ar.export import export_model, load, read_manifest
from keras_ar.images import image_grid

# %% [markdown]
# ## 1. Two models to ship
#
# The contract that export relies on (`docs/contract.md`) is the **step API**: a model is
# `initial_state()` plus `step(state, x_prev) -> (params, new_state)`, and sampling never
# calls a random op inside the graph. Each step takes uniform numbers $u$ from the caller and
# turns them into a value (Bernoulli: $1$ if $u < p$; categorical: inverse CDF). So the same
# $u$ gives the same sample in Keras, LiteRT, ONNX Runtime and Kotlin.

# %%
if FULL:
    try:
        images = {s: datasets.load("binarized_mnist", s) for s in ("train", "valid", "test")}
        IMAGE_SHAPE = (28, 28)
    except datasets.DatasetNotFoundError as err:
        print("note: binarized_mnist.npz not found; using the embedded 8x8 digits. "
              + str(err).splitlines()[0])
        images = None
if not FULL or images is None:
    images = {s: datasets.load("digits", s) for s in ("train", "valid", "test")}
    IMAGE_SHAPE = (8, 8)
N = images["train"].shape[1]
stop = lambda: keras.callbacks.EarlyStopping(monitor="val_nll", mode="min", patience=3,
                                             restore_best_weights=True)
tic = time.time()
nade = NADE(N, hidden_units=500 if FULL else 64, activation="relu", image_shape=IMAGE_SHAPE)
nade.compile(optimizer=keras.optimizers.Adam(1e-3 if FULL else 5e-3))
nade.fit(images["train"], validation_data=images["valid"], epochs=10 if FULL else 30,
         batch_size=100 if FULL else 32, callbacks=[stop()], verbose=0)
test_nll = nade.evaluate(images["test"], verbose=0, return_dict=True)["nll"]
print(f"NADE on {IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]} images: test NLL {test_nll:.2f} nats "
      f"({time.time() - tic:.0f} s)")

try:
    names = {s: datasets.load("names", s) for s in ("train", "valid", "test")}
except datasets.DatasetNotFoundError as err:
    print("note: names.txt not found; using the embedded names. " + str(err).splitlines()[0])
    names = {s: datasets.load("embedded_names", s) for s in ("train", "valid", "test")}
vocab = Vocabulary.from_text(names["train"] + names["valid"] + names["test"])
if not FULL:
    names["train"] = names["train"][:8000]
ids = {s: vocab.encode_batch(v) for s, v in names.items()}
tic = time.time()
char_rnn = CharRNN(vocabulary=vocab, units=128 if FULL else 64, num_layers=1)
char_rnn.compile(optimizer=keras.optimizers.Adam(5e-3))
char_rnn.fit(ids["train"], validation_data=ids["valid"], epochs=50 if FULL else 4,
             batch_size=64, callbacks=[stop()], verbose=0)
name_nll = char_rnn.evaluate(ids["test"], verbose=0, return_dict=True)["nll"]
print(f"CharRNN on names: test {name_nll:.3f} nats/char ({time.time() - tic:.0f} s); "
      + ", ".join(char_rnn.generate(max_length=20, num_samples=6, seed=0)))

# %% [markdown]
# ## 2. Export
#
# `export_model(model, out_dir, formats=..., quantize=...)` writes every format into
# `out_dir` (atomically: a failed export leaves nothing behind), checks each artifact's NLL
# on `evaluation_data` against Keras, and returns a report. All signatures have static
# shapes with batch size 1, which is what a phone app runs: `initial_state`, `step`,
# `log_prob` and, for image models, `sample` (the whole ancestral loop in one call).
# Text models take a fixed `sequence_length` for `log_prob` (right-padded with $-1$).

# %%
EXPORTS = Path(os.environ.get("KERAS_AR_EXPORTS", "exports"))  # the tests use a temp folder
reports = {}
tic = time.time()
reports["digits"] = export_model(nade, EXPORTS / "digits", quantize=("float16", "int8"),
                                 overwrite=True, evaluation_data=images["test"][:200])
reports["names"] = export_model(char_rnn, EXPORTS / "names", quantize=("float16", "int8"),
                                overwrite=True, sequence_length=24,
                                evaluation_data=ids["test"][:200, :24])
print(f"exported both models in {time.time() - tic:.0f} s\n")
for name, report in reports.items():
    print(f"{name} ({report['model']}): " + ", ".join(
        f"{key} {size / 1024:.0f} KiB" for key, size in report["sizes"].items()))
    print("  files:", sorted(p.name for p in (EXPORTS / name).iterdir()))
    print("  signatures:", report["signatures"]["tflite"], "| warnings:", report["warnings"])

manifest = read_manifest(EXPORTS / "digits")
print("\nmanifest.json of digits, abridged:")
print("  model:", json.dumps({k: v for k, v in manifest["model"].items() if k != "ordering"}))
print("  noise:", json.dumps(manifest["noise"]))
for part in ("inputs", "outputs"):
    print(f"  step {part}:", ", ".join(f"{t['name']} {t['dtype']}{t['shape']}"
                                       for t in manifest["signatures"]["step"][part]))

# %% [markdown]
# ## 3. Parity
#
# `keras_ar.export.load(dir, backend="litert" | "onnx")` returns a small reference runner
# (NumPy + LiteRT or ONNX Runtime, no Keras) that runs the exported signatures the way an app
# does. Two checks:
#
# * **densities**: `runner.log_prob(x)` against `model.log_prob(x)` on test data;
# * **samples**: the same uniforms `noise` of shape `(length, noise_size)` through
#   `model.sample(noise=...)`, through the runner's step loop and (image models) through the
#   fused `sample` signature. Identical noise must give identical values.

# %%
runners = {backend: {name: load(EXPORTS / name, backend=backend) for name in reports}
           for backend in ("litert", "onnx")}
x_images, x_names = images["test"][:100], ids["test"][:100, :24]
keras_lp = {"digits": keras.ops.convert_to_numpy(nade.log_prob(x_images)),
            "names": keras.ops.convert_to_numpy(char_rnn.log_prob(x_names))}
print("max |log p(x) difference| with Keras, over 100 test items (nats)")
for backend, by_name in runners.items():
    diffs = {name: np.abs(by_name[name].log_prob(x) - keras_lp[name]).max()
             for name, x in (("digits", x_images), ("names", x_names))}
    print(f"  {backend:>6}: digits {diffs['digits']:.1e}, names {diffs['names']:.1e}")

rng = np.random.default_rng(0)
same = {key: 0 for key in ("litert steps", "litert fused", "onnx steps", "names litert", "names onnx")}
TRIALS = 10
for _ in range(TRIALS):
    noise = rng.random((1, N, 1)).astype("float32")
    reference = keras.ops.convert_to_numpy(nade.sample(1, noise=noise))[0]
    same["litert steps"] += np.array_equal(runners["litert"]["digits"].sample(noise[0]), reference)
    same["litert fused"] += np.array_equal(runners["litert"]["digits"].sample_fused(noise[0]), reference)
    same["onnx steps"] += np.array_equal(runners["onnx"]["digits"].sample(noise[0]), reference)
    text_noise = rng.random((1, 20, 1)).astype("float32")
    reference = keras.ops.convert_to_numpy(char_rnn.sample(1, noise=text_noise, length=20))[0]
    same["names litert"] += np.array_equal(runners["litert"]["names"].sample(text_noise[0]), reference)
    same["names onnx"] += np.array_equal(runners["onnx"]["names"].sample(text_noise[0]), reference)
print(f"\nidentical samples from identical noise ({TRIALS} draws each):")
for key, count in same.items():
    print(f"  {key:>13}: {count}/{TRIALS}")

# %% [markdown]
# ## 4. Quantization
#
# Two smaller LiteRT variants: **float16** stores weights in half precision (dequantized when
# loaded) and **int8** is dynamic-range quantization (8-bit weights for the ops that support
# it, activations in float). Inputs and outputs stay float32 in both. The export report holds
# the NLL of each variant through `log_prob` and through `step`, the path sampling uses: a
# converter may quantize one and not the other (for NADE, `log_prob` is a cumulative sum that
# int8 leaves in float, while `step` has matrix products that it quantizes).

# %%
print(f"{'model':>7} | {'variant':>15} | {'size':>8} | {'NLL (log_prob)':>14} | "
      f"{'NLL (step)':>10} | relative change of the step NLL vs float32")
for name, report in reports.items():
    for key in ("tflite", "tflite_float16", "tflite_int8"):
        entry = report["nll"][key]
        print(f"{name:>7} | {key:>15} | {report['sizes'][key] / 1024:6.0f} KiB | "
              f"{entry['nll']:14.4f} | {entry['step_nll']:10.4f} | "
              f"{entry['step_relative_change']:.2e}")
    print(f"{name:>7} | {'Keras':>15} | {'':>8} | {report['keras_nll']:14.4f} |")

# the same noise through the float32 and the int8 step loops
int8 = load(EXPORTS / "digits", backend="litert", variant="int8")
noise = np.random.default_rng(1).random((16, N, 1)).astype("float32")
float_samples = np.stack([runners["litert"]["digits"].sample(u) for u in noise])
int8_samples = np.stack([int8.sample(u) for u in noise])
print(f"\nint8 vs float32 samples from the same noise: {np.mean(float_samples != int8_samples):.2%} "
      "of the pixels differ")
fig, axes = plt.subplots(2, 1, figsize=(8, 2.2))
for ax, samples, title in [(axes[0], float_samples, "LiteRT float32"), (axes[1], int8_samples, "LiteRT int8")]:
    ax.imshow(image_grid(samples.reshape(-1, *IMAGE_SHAPE), columns=16, scale=1), cmap="gray")
    ax.set_axis_off()
    ax.set_title(f"{title}: 16 samples, same noise")
show(fig, "quantized_samples")


# %% [markdown]
# ## 5. Latency
#
# Single-threaded (like one phone core), batch 1, median of repeated calls, on this machine
# (a shared server: treat the numbers as relative). *step* is one call of the `step`
# signature; *sample* is a whole image or a 20-character name through the step loop (for
# LiteRT also the fused `sample` signature of image models); *log_prob* is one example. The
# Keras column calls `model.step` eagerly, which is dominated by per-op overhead.

# %%
def median_ms(fn, repeat):
    fn()  # warm up
    times = []
    for _ in range(repeat):
        tic = time.perf_counter()
        fn()
        times.append(time.perf_counter() - tic)
    return 1e3 * float(np.median(times))


def keras_step_ms(model, x_prev):
    state = model.initial_state(1)
    return median_ms(lambda: model.step(state, x_prev), 50)


def runner_row(label, backend, variant):
    image_runner = load(EXPORTS / "digits", backend=backend, variant=variant)
    text_runner = load(EXPORTS / "names", backend=backend, variant=variant)
    state, text_state = image_runner.initial_state(), text_runner.initial_state()
    return (label,
            median_ms(lambda: image_runner.step(state, 0.0, u_image[0]), 200),
            median_ms(lambda: image_runner.sample(u_image), 5),
            median_ms(lambda: image_runner.log_prob(x_image), 50),
            median_ms(lambda: text_runner.step(text_state, 0, u_name[0]), 200),
            median_ms(lambda: text_runner.sample(u_name), 10))


u_image = np.random.default_rng(2).random((N, 1)).astype("float32")
u_name = np.random.default_rng(3).random((20, 1)).astype("float32")
x_image = images["test"][:1]
rows = [("Keras (eager)", keras_step_ms(nade, np.zeros((1,), "float32")),
         median_ms(lambda: nade.sample(1, noise=u_image[None]), 3),
         median_ms(lambda: nade.log_prob(x_image), 20),
         keras_step_ms(char_rnn, np.zeros((1,), "int32")),
         median_ms(lambda: char_rnn.sample(1, noise=u_name[None], length=20), 3))]
rows += [runner_row("LiteRT float32", "litert", None),
         runner_row("LiteRT float16", "litert", "float16"),
         runner_row("LiteRT int8", "litert", "int8"),
         runner_row("ONNX Runtime", "onnx", None)]
fused = load(EXPORTS / "digits", backend="litert")
fused_ms = median_ms(lambda: fused.sample_fused(u_image), 10)

print(f"milliseconds, batch 1, 1 thread | image model: NADE n={N}, d={nade.hidden_units} | "
      f"text model: GRU 1x{char_rnn.units}\n")
print(f"| runtime | image step | image sample ({N} steps) | image log_prob | text step | "
      "text sample (20 steps) |\n|---|---|---|---|---|---|")
for label, *values in rows:
    print(f"| {label} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
print(f"| LiteRT float32, fused `sample` | | {fused_ms:.3f} | | | |")

# %% [markdown]
# ## 6. How the Android demo consumes the artifacts
#
# The app in `android_demo/` (Kotlin, LiteRT `Interpreter`) reads two files per model from
# its assets: `manifest.json` and the float32 `model.tflite`. Everything else (the state
# tensors and their shapes, `x_prev`'s dtype, the head, the ordering, the vocabulary) comes
# from the manifest, so any exported keras-ar model works. `app/src/main/assets/digits/`
# holds an image model and `app/src/main/assets/names/` a CharRNN:
#
# ```
# keras-ar export nade_mnist.keras --out android_demo/app/src/main/assets/digits
# keras-ar export charrnn_names.keras --out android_demo/app/src/main/assets/names
# ```
#
# (or copy `manifest.json` and `model.tflite` from `notebooks/exports/<name>/`; set
# `COPY_TO_ANDROID = True` below to do it from here). For each sample the app calls
# `initial_state` once (feeding the inputs the manifest lists for it), then `runSignature(inputs, outputs, "step")` once per position: the
# `new_<state>` outputs become the next step's inputs (two preallocated buffer sets, swapped),
# the drawn value becomes `x_prev`, and pixels the user drew are fed as `x_prev` instead of
# the sample (conditional completion). By default it draws the value itself from the `probs`
# output with the step's uniform, after temperature and top-k; names stop at the boundary
# token.
#
# The cell below is that loop in Python, on the raw LiteRT interpreter with nothing from
# keras-ar but the manifest, drawing from `probs` on the host as the app does; it must
# reproduce `model.sample` for the same noise.

# %%
from ai_edge_litert.interpreter import Interpreter

COPY_TO_ANDROID = False  # True: copy manifest.json + model.tflite into the app's assets


def app_loop(directory, noise, temperature=1.0, given=None):
    # what the Kotlin app does: manifest + model.tflite, one `step` call per position
    manifest = json.loads((directory / "manifest.json").read_text())
    interpreter = Interpreter(model_path=str(directory / manifest["files"]["tflite"]))
    step = interpreter.get_signature_runner("step")
    # initial_state's inputs (a `noise` uniform, used only by random initial states) come
    # from the manifest; zeros select the default state
    state = interpreter.get_signature_runner("initial_state")(**{
        t["name"]: np.zeros(t["shape"], t["dtype"])
        for t in manifest["signatures"]["initial_state"]["inputs"]})
    names = [s["name"] for s in manifest["state"]]
    model = manifest["model"]
    image = model["input_dim"] is not None
    dtype = "float32" if image else "int32"
    x_prev = np.zeros((1,), dtype) + (0 if image else model["vocabulary"]["boundary_id"])
    values = []
    for i, u in enumerate(noise):
        out = step(**{n: state[n] for n in names}, x_prev=x_prev,
                   noise=np.asarray([[u]], "float32"), temperature=np.ones((1,), "float32"))
        if model["distribution"] == "bernoulli":  # host sampling, as in Sampling.kt
            p = float(out["probs"][0])
            value = 1.0 if u < p else 0.0
        else:  # categorical: count of k with cumsum(p)_k <= u, clipped to K - 1
            p = out["probs"][0].astype("float64") ** (1.0 / temperature)
            value = min(int(np.sum(np.cumsum(p / p.sum()) <= u)), len(p) - 1)
        if given is not None and not np.isnan(given[model["ordering"][i]]):
            value = given[model["ordering"][i]]  # a pixel the user drew
        values.append(value)
        if not image and value == model["vocabulary"]["boundary_id"]:
            break
        state = {n: out["new_" + n] for n in names}
        x_prev = np.asarray([value], dtype)
    if not image:
        boundary = model["vocabulary"]["boundary_id"]
        return "".join(model["vocabulary"]["tokens"][k] for k in values if k != boundary)
    result = np.zeros(model["input_dim"], "float32")
    result[model["ordering"]] = values
    return result


noise = np.random.default_rng(4).random((8, N)).astype("float32")
app_images = np.stack([app_loop(EXPORTS / "digits", u) for u in noise])
keras_images = keras.ops.convert_to_numpy(nade.sample(8, noise=noise[..., None]))
print(f"digits: the app's loop equals model.sample for {np.sum(np.all(app_images == keras_images, 1))}/8 noise draws")
text_noise = np.random.default_rng(5).random((6, 20)).astype("float32")
app_names = [app_loop(EXPORTS / "names", u) for u in text_noise]
keras_names = [vocab.decode(row) for row in
               keras.ops.convert_to_numpy(char_rnn.sample(6, noise=text_noise[..., None], length=20))]
print(f"names: app loop {app_names}\n       Keras    {keras_names}")

if COPY_TO_ANDROID:
    for name in reports:
        target = Path("..") / "android_demo" / "app" / "src" / "main" / "assets" / name
        target.mkdir(parents=True, exist_ok=True)
        for file in ("manifest.json", "model.tflite"):
            shutil.copy(EXPORTS / name / file, target / file)
        print(f"copied {name} to {target}")

# %% [markdown]
# ## Summary
#
# * `export_model` writes SavedModel, LiteRT and ONNX artifacts plus `manifest.json`, and
#   checks their NLL against Keras; `keras_ar.export.load` runs them without Keras.
# * Sampling takes its randomness as input, so the same noise gives the same sample
#   everywhere: Keras, LiteRT, ONNX Runtime and the Kotlin app.
# * float16 halves the weights at a negligible cost in nats; int8 shrinks matrix-heavy models
#   further (a tiny model can even grow, from the quantization metadata), and its cost shows
#   in the `step` path.
# * The Android demo needs only `manifest.json` and `model.tflite`, and runs the same step
#   loop as the cell above.

# %%
tutorial.finish()
