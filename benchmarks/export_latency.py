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
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
from export_latency_report import goal_lines, to_markdown
from export_latency_timing import (
    PreallocatedLiteRTStep,
    now,
    repeat_wall,
    step_feeds,
    summary_us,
    timed_loop,
)

from keras_ar import files
from keras_ar.environment import environment
from keras_ar.testing import randomize_weights

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


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
    nade = randomize_weights(ka.NADE(784, hidden_units=500, image_shape=(28, 28)), scale=0.05)
    char_rnn = randomize_weights(ka.CharRNN(vocab_size=65, units=256, num_layers=2, cell="gru"), scale=0.1)
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
        files.write_text(os.path.join(RESULTS_DIR, "export_latency.md"), text)
        files.write_json(os.path.join(RESULTS_DIR, "export_latency.json"), data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
