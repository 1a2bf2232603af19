"""Latency of the exported step and sample, and artifact sizes (a script, not a test).

Models: NADE-784/500 (binarized-MNIST size) and a CharRNN of 2x256 GRU, random weights
(latency does not depend on the values). Runtimes: Keras eager, the reloaded
SavedModel, LiteRT through `SignatureRunner` (what `keras_ar.export.load` uses), LiteRT
through a preallocated invoke (set/invoke/get on the step subgraph without the
runner's per-call resize + allocate: the way the Android app calls `runSignature`
with preallocated buffers), LiteRT's fused `sample` signature, and ONNX Runtime.
Everything runs on 1 thread with batch 1. Weights are drawn independently
(normal, small scale) so that every matrix is distinct and the NLL checks of the
quantized files are not trivial.

    python benchmarks/export_latency.py          # writes results/export_latency.{md,json}
    python benchmarks/export_latency.py --quick  # fewer repeats, prints only
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np

from keras_ar.environment import environment

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
TARGET_STEP_US = 20.0
TARGET_SAMPLE_MS = 20.0


# --- timing helpers -------------------------------------------------------------------
def now():
    return time.perf_counter()


def summary_us(times):
    times = sorted(times)
    return {
        "median_us": 1e6 * statistics.median(times),
        "min_us": 1e6 * times[0],
        "p90_us": 1e6 * times[int(0.9 * (len(times) - 1))],
        "calls": len(times),
    }


def timed_loop(step, state, x_prev, noise, temperature, steps, state_names):
    """Runs `steps` steps feeding outputs back; returns the per-call times (s)."""
    times = []
    for i in range(steps):
        start = now()
        out = step(state, x_prev, noise[i], temperature)
        times.append(now() - start)
        state = {name: out["new_" + name] for name in state_names}
        x_prev = out["sample"]
    return times


def repeat_wall(fn, repeats):
    """Median and min wall time (ms) of `fn()` over `repeats` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        start = now()
        fn()
        times.append(now() - start)
    return {
        "median_ms": 1e3 * statistics.median(times),
        "min_ms": 1e3 * min(times),
        "runs": repeats,
    }


# --- runtimes -------------------------------------------------------------------------
class PreallocatedLiteRTStep:
    """step via set_tensor/invoke/get_tensor on the signature's subgraph, no resizing.

    Uses `SignatureRunner` internals (the interpreter wrapper and subgraph index) after
    one normal call has allocated the tensors; shapes never change afterwards.
    """

    def __init__(self, interpreter, name, feeds):
        runner = interpreter.get_signature_runner(name)
        runner(**feeds)  # allocates
        self.wrapper = runner._interpreter_wrapper
        self.subgraph = runner._subgraph_index
        self.inputs = dict(runner._inputs)
        self.outputs = list(runner._outputs)

    def __call__(self, feeds):
        for name, value in feeds.items():
            self.wrapper.SetTensor(self.inputs[name], value, self.subgraph)
        self.wrapper.Invoke(self.subgraph)
        return {name: self.wrapper.GetTensor(index, self.subgraph) for name, index in self.outputs}


def step_feeds(state, x_prev, noise, temperature, dtype):
    feeds = dict(state)
    feeds["x_prev"] = np.asarray(x_prev, dtype).reshape(1)
    feeds["noise"] = np.asarray(noise, "float32").reshape(1, -1)
    feeds["temperature"] = temperature
    return feeds


def bench_model(label, model, length, directory, repeats, keras_steps):
    import keras
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter
    from keras import ops
    from keras_ar.export import export_model, load
    from keras_ar.export.quantization import quantization

    print(f"== {label}: exporting ...", flush=True)
    start = now()
    sequence = model.input_dim is None
    report = export_model(
        model, directory, quantize=("float16", "int8"), sequence_length=64, overwrite=True
    )
    export_seconds = now() - start
    dist = model.distribution
    dtype = dist.value_dtype
    rng = np.random.default_rng(0)
    noise = rng.random((length, dist.noise_size)).astype("float32")
    temperature = np.ones((1,), "float32")
    result = {
        "label": label,
        "steps_per_sample": length,
        "export_seconds": export_seconds,
        "sizes_bytes": report["sizes"],
        "nll_report": report["nll"],
        "keras_nll": report["keras_nll"],
        "step": {},
        "sample": {},
    }
    runner = load(directory, backend="litert", num_threads=1)
    state_names = runner.state_names

    # Keras eager
    print("   keras eager ...", flush=True)

    def keras_step(state, x_prev, u, t):
        params, new_state = model.step(
            state, ops.convert_to_tensor(np.asarray(x_prev, dtype).reshape(1))
        )
        out = {f"new_{k}": v for k, v in new_state.items()}
        out["sample"] = dist.sample(params, ops.convert_to_tensor(u.reshape(1, -1)), 1.0)
        out.update(dist.export_outputs(params, 1.0))
        return out

    timed_loop(keras_step, model.initial_state(1), np.zeros(1, dtype), noise, 1.0, 5, state_names)
    result["step"]["Keras eager"] = summary_us(
        timed_loop(
            keras_step,
            model.initial_state(1),
            np.zeros(1, dtype),
            noise,
            1.0,
            min(keras_steps, length),
            state_names,
        )
    )
    sample_kwargs = {"length": length} if sequence else {}
    result["sample"]["Keras eager (model.sample)"] = repeat_wall(
        lambda: model.sample(1, noise=noise[None], **sample_kwargs), 1
    )

    # SavedModel
    print("   saved model ...", flush=True)
    loaded = tf.saved_model.load(os.path.join(directory, "saved_model"))
    signature = loaded.signatures["step"]

    def saved_step(state, x_prev, u, t):
        feeds = step_feeds(state, x_prev, u, temperature, dtype)
        return {
            k: v.numpy()
            for k, v in signature(**{k: tf.constant(v) for k, v in feeds.items()}).items()
        }

    initial = {
        k: v.numpy() for k, v in loaded.signatures["initial_state"](noise=tf.zeros((1,))).items()
    }
    timed_loop(saved_step, initial, np.zeros(1, dtype), noise, 1.0, 5, state_names)
    result["step"]["SavedModel (tf.function)"] = summary_us(
        timed_loop(
            saved_step,
            initial,
            np.zeros(1, dtype),
            noise,
            1.0,
            min(keras_steps * 4, length),
            state_names,
        )
    )
    result["sample"]["SavedModel step loop"] = repeat_wall(
        lambda: timed_loop(
            saved_step, initial, np.zeros(1, dtype), noise, 1.0, length, state_names
        ),
        1,
    )
    if "sample" in loaded.signatures:
        fused = loaded.signatures["sample"]
        result["sample"]["SavedModel fused `sample`"] = repeat_wall(
            lambda: fused(noise=tf.constant(noise[None]), temperature=tf.constant(temperature)),
            repeats,
        )

    # LiteRT
    print("   litert ...", flush=True)
    for variant, key in ((None, "fp32"), ("float16", "fp16"), ("int8", "int8")):
        variant_runner = load(directory, backend="litert", variant=variant, num_threads=1)
        initial = variant_runner.initial_state()

        def lite_step(state, x_prev, u, t, r=variant_runner):
            return r.step(state, x_prev, u, t)

        times = []
        for _ in range(repeats):
            times += timed_loop(
                lite_step, initial, np.zeros(1, dtype), noise, 1.0, length, state_names
            )
        result["step"][f"LiteRT SignatureRunner {key}"] = summary_us(times)
        result["sample"][f"LiteRT SignatureRunner loop {key}"] = repeat_wall(
            lambda r=variant_runner: r.sample(noise), repeats
        )
        interpreter = Interpreter(
            model_path=os.path.join(
                directory,
                runner.manifest["files"][quantization(variant).files_key],
            ),
            num_threads=1,
        )
        fast = PreallocatedLiteRTStep(
            interpreter, "step", step_feeds(initial, np.zeros(1), noise[0], temperature, dtype)
        )

        def fast_step(state, x_prev, u, t, fast=fast):
            return fast(step_feeds(state, x_prev, u, temperature, dtype))

        times = []
        for _ in range(repeats):
            times += timed_loop(
                fast_step, initial, np.zeros(1, dtype), noise, 1.0, length, state_names
            )
        result["step"][f"LiteRT preallocated invoke {key}"] = summary_us(times)
        result["sample"][f"LiteRT preallocated invoke loop {key}"] = repeat_wall(
            lambda f=fast_step, i=initial: timed_loop(
                f, i, np.zeros(1, dtype), noise, 1.0, length, state_names
            ),
            repeats,
        )
        if variant_runner.has_sample_signature:
            result["sample"][f"LiteRT fused `sample` {key}"] = repeat_wall(
                lambda r=variant_runner: r.sample_fused(noise), repeats
            )

    # ONNX Runtime
    print("   onnxruntime ...", flush=True)
    onnx_runner = load(directory, backend="onnx", num_threads=1)
    initial = onnx_runner.initial_state()
    times = []
    for _ in range(repeats):
        times += timed_loop(
            onnx_runner.step, initial, np.zeros(1, dtype), noise, 1.0, length, state_names
        )
    result["step"]["ONNX Runtime"] = summary_us(times)
    result["sample"]["ONNX Runtime step loop"] = repeat_wall(
        lambda: onnx_runner.sample(noise), repeats
    )
    if onnx_runner.has_sample_signature:
        result["sample"]["ONNX Runtime fused `sample`"] = repeat_wall(
            lambda: onnx_runner.sample_fused(noise), repeats
        )
    del keras
    return result


def randomize(model, scale, seed=0):
    """Independent random weights (the initializers of some models give equal matrices)."""
    model.ensure_built()
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        weight.assign(rng.normal(0.0, scale, size=weight.shape).astype("float32"))
    return model


# --- report ---------------------------------------------------------------------------
def export_versions():
    """Versions of the export runtimes (the rest is in `keras_ar.environment`)."""
    import ai_edge_litert
    import onnx
    import onnxruntime
    import tf2onnx

    return {
        "ai_edge_litert": getattr(ai_edge_litert, "__version__", "?"),
        "onnxruntime": onnxruntime.__version__,
        "tf2onnx": tf2onnx.__version__,
        "onnx": onnx.__version__,
    }


def human(size):
    return f"{size / 1024:.1f} KB" if size < 1 << 20 else f"{size / (1 << 20):.2f} MB"


def to_markdown(data):
    lines = ["# Export latency", ""]
    env = data["environment"]
    lines.append(f"- date: {env['date']}")
    lines.append(f"- machine: {env['machine']}")
    lines.append(
        f"- load average (1 min) before / after: {data['load_before']} / {data['load_after']}"
        " (the machine is shared; other jobs ran during the measurement)"
    )
    versions = {k: v for k, v in env.items() if k not in ("date", "machine")}
    versions.update(data["export_versions"])
    lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    lines.append(f"- command: `{data['command']}`")
    lines.append(
        "- batch 1, 1 thread (LiteRT `num_threads=1`, ORT intra-op 1); independent random "
        "normal weights (NADE std 0.05, CharRNN std 0.1); "
        "per-step times are per call inside a real sampling loop (outputs fed back), "
        "including the Python call overhead of each API. "
        "'SignatureRunner loop' = the reference runner's `sample` (numpy glue per step); "
        "'preallocated invoke' = set/invoke/get on the step subgraph without the runner's "
        "per-call resize + allocate (what an app with preallocated buffers does)."
    )
    lines.append("")
    for model in data["models"]:
        lines.append(f"## {model['label']}")
        lines.append("")
        lines.append("| runtime | step median (us) | step min (us) | step p90 (us) |")
        lines.append("|---|---|---|---|")
        for name, s in model["step"].items():
            lines.append(
                f"| {name} | {s['median_us']:.1f} | {s['min_us']:.1f} | {s['p90_us']:.1f} |"
            )
        lines.append("")
        lines.append(
            f"| full sample ({model['steps_per_sample']} steps) | median (ms) | min (ms) |"
        )
        lines.append("|---|---|---|")
        for name, s in model["sample"].items():
            lines.append(f"| {name} | {s['median_ms']:.2f} | {s['min_ms']:.2f} |")
        lines.append("")
        lines.append("| artifact | size |")
        lines.append("|---|---|")
        for name, size in model["sizes_bytes"].items():
            lines.append(f"| {name} | {human(size)} |")
        lines.append("")
        lines.append(f"NLL change on 16 model samples (Keras NLL {model['keras_nll']:.4f} nats):")
        lines.append("")
        lines.append("| file | log_prob rel. change vs Keras | step-path rel. change vs fp32 |")
        lines.append("|---|---|---|")
        for name, values in model["nll_report"].items():
            step = values.get("step_relative_change")
            lines.append(
                f"| {name} | {100 * values['relative_change']:.5f}% | "
                + ("-" if step is None else f"{100 * step:.5f}%")
                + " |"
            )
        lines.append("")
    lines.append("## Goal check")
    lines.append("")
    for line in data["goal"]:
        lines.append(f"- {line}")
    lines.append("")
    return "\n".join(lines)


def goal_lines(models):
    nade = models[0]
    lines = []
    for key in ("LiteRT preallocated invoke fp32", "LiteRT SignatureRunner fp32"):
        value = nade["step"][key]["median_us"]
        verdict = "meets" if value < TARGET_STEP_US else "misses"
        lines.append(
            f"NADE-784/500 {key} step: {value:.1f} us median "
            f"({verdict} the < {TARGET_STEP_US:.0f} us goal)"
        )
    for key in (
        "LiteRT fused `sample` fp32",
        "LiteRT preallocated invoke loop fp32",
        "LiteRT SignatureRunner loop fp32",
    ):
        value = nade["sample"][key]["median_ms"]
        verdict = "meets" if value < TARGET_SAMPLE_MS else "misses"
        lines.append(
            f"NADE-784/500 full sample, {key}: {value:.2f} ms median "
            f"({verdict} the < {TARGET_SAMPLE_MS:.0f} ms goal)"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; do not write results")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--char-length", type=int, default=256, help="tokens per CharRNN sample")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats

    import keras

    import keras_ar as ka

    keras.utils.set_random_seed(0)
    load_before = os.getloadavg()[0]
    nade = randomize(ka.NADE(784, hidden_units=500, image_shape=(28, 28)), scale=0.05)
    char_rnn = randomize(ka.CharRNN(vocab_size=65, units=256, num_layers=2, cell="gru"), scale=0.1)
    work = tempfile.mkdtemp(prefix="export_latency-")
    try:
        models = [
            bench_model(
                "NADE-784/500 (Bernoulli, 784 steps)",
                nade,
                784,
                os.path.join(work, "nade"),
                repeats,
                keras_steps=100,
            ),
            bench_model(
                f"CharRNN 2x256 GRU, vocab 65 ({args.char_length} tokens)",
                char_rnn,
                args.char_length,
                os.path.join(work, "char_rnn"),
                repeats,
                keras_steps=100,
            ),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data = {
        "environment": environment(),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "export_versions": export_versions(),
        "command": "python "
        + " ".join(
            [os.path.relpath(sys.argv[0])] + list(argv if argv is not None else sys.argv[1:])
        ),
        "models": models,
    }
    data["goal"] = goal_lines(models)
    text = to_markdown(data)
    print(text)
    if not args.quick:
        os.makedirs(RESULTS_DIR, exist_ok=True)
        with open(os.path.join(RESULTS_DIR, "export_latency.md"), "w") as f:
            f.write(text)
        with open(os.path.join(RESULTS_DIR, "export_latency.json"), "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
