"""Speed benchmark (issue 3): keras-ar NADE and CharRNN vs per-dimension loop baselines.

For NADE (n=784, d=500, sigmoid) and CharRNN (GRU), measures in ONE run on this machine:
training throughput (examples/s), `log_prob` throughput (examples/s), sampling
throughput (full 784-pixel images/s; characters/s) and peak memory (peak RSS of the
process doing that measurement), for keras-ar and for a baseline of the same model
written the way most public code is: a Python `for` loop over the 784 dimensions
(resp. the time steps) computing h_i and p_i one at a time, trained with a
GradientTape, sampling by looping over the dimensions (eager TensorFlow, same
weights' shapes, same batch sizes, same optimizer). Also measures the machine's
float32 matmul GFLOP/s, to put the training FLOP rate next to it.

Every measurement runs in its own child process (clean peak RSS, no warm caches),
except in --smoke mode (one process; peak RSS is then cumulative). keras-ar sampling
is measured with `keras_ar.compiled.compiled_sampler` (the model's own step loop,
compiled into one XLA graph), and `log_prob` with `compiled_log_prob` (XLA);
training uses `model.fit` with jit_compile="auto", which Keras resolves to no XLA on
CPU (XLA measured slower for training here). The baselines run eagerly, like most
public code.

    python benchmarks/speed.py            # full mode (~20-40 min on 2 busy cores)
    python benchmarks/speed.py --quick    # under 10 minutes
    python benchmarks/speed.py --smoke    # about a minute (CI smoke; tiny sizes)

Writes benchmarks/results/speed-<mode>.json and .md (use --out to change).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

MODES = {
    # n, d for NADE; T, units, layers for CharRNN; how many examples / repeats
    "smoke": dict(n=64, d=32, nade_batch=32, train_batches=3, logprob_examples=256,
                  sample_images=4, rnn_units=32, rnn_layers=1, rnn_t=32, rnn_batch=8,
                  rnn_train_batches=2, rnn_sample_chars=32, rnn_sample_batch=4,
                  baseline_train_batches=1, matmul=256, vocab=65),
    "quick": dict(n=784, d=500, nade_batch=100, train_batches=20, logprob_examples=2000,
                  sample_images=100, rnn_units=256, rnn_layers=2, rnn_t=128, rnn_batch=64,
                  rnn_train_batches=8, rnn_sample_chars=200, rnn_sample_batch=16,
                  baseline_train_batches=2, matmul=1024, vocab=65),
    "full": dict(n=784, d=500, nade_batch=100, train_batches=100, logprob_examples=10000,
                 sample_images=1000, rnn_units=256, rnn_layers=2, rnn_t=128, rnn_batch=64,
                 rnn_train_batches=40, rnn_sample_chars=500, rnn_sample_batch=64,
                 baseline_train_batches=5, matmul=2048, vocab=65),
}


# ----------------------------------------------------------------------------- children
def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(fn, repeats=1):
    fn()  # warm-up (tracing, compilation)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def _binary_data(p, n, count):
    import numpy as np

    rng = np.random.RandomState(0)
    return (rng.rand(count, n) < 0.2).astype("float32")


def child_matmul(p):
    import tensorflow as tf

    size = p["matmul"]
    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    f = tf.function(lambda: tf.matmul(a, b))
    seconds = _timed(lambda: f().numpy(), repeats=10)
    return {"gflops": 2 * size**3 / seconds / 1e9, "size": size}


# NADE ---------------------------------------------------------------------------------
def nade_train_flops(n, d):
    """Useful FLOPs per training example: forward ~4nd (running sum nd mults+adds,
    output dot 2nd), backward ~2x forward -> ~12nd. The activation itself is not counted."""
    return 12.0 * n * d


def child_nade_ours(p, task):
    import keras
    import numpy as np

    from keras_ar.models import NADE

    n, d, batch = p["n"], p["d"], p["nade_batch"]
    model = NADE(n, hidden_units=d)
    model.ensure_built()
    if task == "train":
        x = _binary_data(p, n, batch * p["train_batches"])
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(x[: 2 * batch], batch_size=batch, epochs=1, verbose=0)  # trace/compile
        start = time.perf_counter()
        model.fit(x, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        seconds = time.perf_counter() - start
        return {"per_second": len(x) / seconds, "unit": "examples/s"}
    if task == "log_prob":
        x = _binary_data(p, n, p["logprob_examples"])
        # batch 100: a (batch, 784, 500) float32 tensor is 157 MB; bigger batches only
        # add memory traffic (batch 1000 measured 7 GB peak RSS and was slower)
        from keras_ar.compiled import compiled_log_prob

        log_prob = compiled_log_prob(model)  # XLA; model.log_prob runs op by op

        def run():
            for i in range(0, len(x), batch):
                np.asarray(log_prob(x[i : i + batch]))

        seconds = _timed(run)
        return {"per_second": len(x) / seconds, "unit": "examples/s"}
    from keras_ar.compiled import compiled_sampler

    count = p["sample_images"]
    sample = compiled_sampler(model)  # model.sample's step loop as one XLA graph
    np.asarray(sample(count, seed=0))  # trace + compile
    start = time.perf_counter()
    np.asarray(sample(count, seed=1))
    return {"per_second": count / (time.perf_counter() - start), "unit": "images/s"}


class LoopNADE:
    """The per-dimension loop NADE (h_i, p_i one dimension at a time), eager TF."""

    def __init__(self, n, d):
        import tensorflow as tf

        init = tf.random.normal
        self.n, self.d = n, d
        self.W = tf.Variable(init((n, d)) * 0.01)
        self.c = tf.Variable(tf.zeros((d,)))
        self.V = tf.Variable(init((n, d)) * 0.01)
        self.b = tf.Variable(tf.zeros((n,)))
        self.variables = [self.W, self.c, self.V, self.b]

    def log_prob(self, x):
        import tensorflow as tf

        a = tf.zeros((tf.shape(x)[0], self.d)) + self.c
        total = 0.0
        for i in range(self.n):
            h = tf.sigmoid(a)
            logit = tf.linalg.matvec(h, self.V[i]) + self.b[i]
            xi = x[:, i]
            total += -tf.nn.sigmoid_cross_entropy_with_logits(labels=xi, logits=logit)
            a = a + xi[:, None] * self.W[i][None, :]
        return total

    def sample(self, count, seed=0):
        import tensorflow as tf

        generator = tf.random.Generator.from_seed(seed)
        a = tf.zeros((count, self.d)) + self.c
        columns = []
        for i in range(self.n):
            h = tf.sigmoid(a)
            p = tf.sigmoid(tf.linalg.matvec(h, self.V[i]) + self.b[i])
            xi = tf.cast(generator.uniform((count,)) < p, tf.float32)
            columns.append(xi)
            a = a + xi[:, None] * self.W[i][None, :]
        return tf.stack(columns, axis=1)


def child_nade_loop(p, task):
    import keras
    import numpy as np
    import tensorflow as tf

    n, d, batch = p["n"], p["d"], p["nade_batch"]
    model = LoopNADE(n, d)
    if task == "train":
        optimizer = keras.optimizers.Adam(1e-3)
        x = _binary_data(p, n, batch * p["baseline_train_batches"])

        def step(xb):
            with tf.GradientTape() as tape:
                loss = -tf.reduce_mean(model.log_prob(xb))
            grads = tape.gradient(loss, model.variables)
            optimizer.apply_gradients(zip(grads, model.variables))
            return loss

        step(tf.constant(x[:batch]))  # warm-up
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            step(tf.constant(x[i : i + batch])).numpy()
        return {"per_second": len(x) / (time.perf_counter() - start), "unit": "examples/s"}
    if task == "log_prob":
        x = tf.constant(_binary_data(p, n, min(p["logprob_examples"], 500)))
        seconds = _timed(lambda: model.log_prob(x).numpy())
        return {"per_second": int(x.shape[0]) / seconds, "unit": "examples/s"}
    count = min(p["sample_images"], 100)
    model.sample(2)
    start = time.perf_counter()
    np.asarray(model.sample(count, seed=1))
    return {"per_second": count / (time.perf_counter() - start), "unit": "images/s"}


# CharRNN ------------------------------------------------------------------------------
def _tokens(p, count):
    import numpy as np

    rng = np.random.RandomState(0)
    return rng.randint(1, p["vocab"], size=(count, p["rnn_t"])).astype("int32")


def child_rnn_ours(p, task):
    import keras
    import numpy as np

    from keras_ar.models import CharRNN

    model = CharRNN(vocab_size=p["vocab"], units=p["rnn_units"], num_layers=p["rnn_layers"])
    model.ensure_built()
    batch = p["rnn_batch"]
    if task == "train":
        x = _tokens(p, batch * p["rnn_train_batches"])
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(x[: 2 * batch], batch_size=batch, epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(x, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        seconds = time.perf_counter() - start
        return {"per_second": len(x) * p["rnn_t"] / seconds, "unit": "characters/s",
                "examples_per_second": len(x) / seconds}
    if task == "log_prob":
        from keras_ar.compiled import compiled_log_prob

        x = _tokens(p, batch * 4)
        log_prob = compiled_log_prob(model)
        seconds = _timed(lambda: np.asarray(log_prob(x)))
        return {"per_second": x.size / seconds, "unit": "characters/s"}
    from keras_ar.compiled import compiled_sampler

    count, length = p["rnn_sample_batch"], p["rnn_sample_chars"]
    sample = compiled_sampler(model)
    np.asarray(sample(count, seed=0, length=length))  # trace + compile
    start = time.perf_counter()
    np.asarray(sample(count, seed=1, length=length))
    return {"per_second": count * length / (time.perf_counter() - start), "unit": "characters/s"}


class LoopCharRNN:
    """A GRU char-RNN run one time step at a time in a Python loop (eager TF)."""

    def __init__(self, vocab, units, layers):
        import keras

        self.embedding = keras.layers.Embedding(vocab, units)
        self.cells = [keras.layers.GRUCell(units) for _ in range(layers)]
        self.head = keras.layers.Dense(vocab)
        self.embedding.build((None,))
        for cell in self.cells:
            cell.build((None, units))
        self.head.build((None, units))
        self.units = units
        self.variables = (self.embedding.trainable_variables
                          + [v for c in self.cells for v in c.trainable_variables]
                          + self.head.trainable_variables)

    def step(self, states, token):
        h = self.embedding(token)
        new = []
        for cell, state in zip(self.cells, states):
            h, _ = cell(h, [state])
            new.append(h)
        return self.head(h), new

    def log_prob(self, tokens):
        import tensorflow as tf

        batch, length = tokens.shape
        states = [tf.zeros((batch, self.units)) for _ in self.cells]
        previous = tf.zeros((batch,), tf.int32)
        total = 0.0
        for t in range(length):
            logits, states = self.step(states, previous)
            total += -tf.nn.sparse_softmax_cross_entropy_with_logits(tokens[:, t], logits)
            previous = tokens[:, t]
        return total

    def sample(self, count, length, seed=0):
        import tensorflow as tf

        states = [tf.zeros((count, self.units)) for _ in self.cells]
        previous = tf.zeros((count,), tf.int32)
        out = []
        for _ in range(length):
            logits, states = self.step(states, previous)
            previous = tf.random.stateless_categorical(logits, 1, seed=(seed, len(out)))[:, 0]
            previous = tf.cast(previous, tf.int32)
            out.append(previous)
        return tf.stack(out, axis=1)


def child_rnn_loop(p, task):
    import keras
    import numpy as np
    import tensorflow as tf

    model = LoopCharRNN(p["vocab"], p["rnn_units"], p["rnn_layers"])
    batch = p["rnn_batch"]
    if task == "train":
        optimizer = keras.optimizers.Adam(1e-3)
        x = _tokens(p, batch * p["baseline_train_batches"])

        def step(xb):
            with tf.GradientTape() as tape:
                loss = -tf.reduce_mean(model.log_prob(xb))
            optimizer.apply_gradients(zip(tape.gradient(loss, model.variables), model.variables))
            return loss

        step(tf.constant(x[:batch]))
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            step(tf.constant(x[i : i + batch])).numpy()
        seconds = time.perf_counter() - start
        return {"per_second": x.size / seconds, "unit": "characters/s",
                "examples_per_second": len(x) / seconds}
    if task == "log_prob":
        x = tf.constant(_tokens(p, batch))
        seconds = _timed(lambda: model.log_prob(x).numpy())
        return {"per_second": int(np.prod(x.shape)) / seconds, "unit": "characters/s"}
    count, length = p["rnn_sample_batch"], p["rnn_sample_chars"]
    model.sample(count, 2)
    start = time.perf_counter()
    np.asarray(model.sample(count, length, seed=1))
    return {"per_second": count * length / (time.perf_counter() - start), "unit": "characters/s"}


CHILDREN = {
    "matmul": lambda p, task: child_matmul(p),
    "nade_ours": child_nade_ours,
    "nade_loop": child_nade_loop,
    "rnn_ours": child_rnn_ours,
    "rnn_loop": child_rnn_loop,
}


def run_child(mode, name, task, in_process=False):
    if in_process:  # smoke mode: no process per measurement (peak RSS is cumulative)
        start = time.perf_counter()
        result = CHILDREN[name](MODES[mode], task)
        result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
        result["wall_seconds"] = round(time.perf_counter() - start, 1)
        return result
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT) + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, __file__, "--child", name, "--task", task, "--mode", mode]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{name}/{task} failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1])
    result["wall_seconds"] = round(time.perf_counter() - start, 1)
    return result


# ----------------------------------------------------------------------------- report
def environment():
    sys.path.insert(0, str(ROOT))
    from keras_ar.training import environment as env

    info = env()
    info["load_average_at_start"] = os.getloadavg()
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="under 10 minutes")
    group.add_argument("--smoke", action="store_true", help="about a minute, tiny sizes")
    parser.add_argument("--out", help="results folder (default benchmarks/results)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        p = MODES[args.mode]
        result = CHILDREN[args.child](p, args.task)
        result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
        print(json.dumps(result))
        return 0

    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    p = MODES[mode]
    out = Path(args.out) if args.out else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    info = environment()
    report = {"mode": mode, "parameters": p, "environment": info, "rows": []}
    in_process = mode == "smoke"
    if in_process:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        sys.path.insert(0, str(ROOT))
    matmul = run_child(mode, "matmul", "matmul", in_process)
    report["matmul_gflops"] = round(matmul["gflops"], 1)
    print(f"[{mode}] matmul {p['matmul']}^2 float32: {matmul['gflops']:.1f} GFLOP/s", flush=True)
    for model, ours, loop in (("NADE", "nade_ours", "nade_loop"), ("CharRNN", "rnn_ours", "rnn_loop")):
        for task in ("train", "log_prob", "sample"):
            a = run_child(mode, ours, task, in_process)
            b = run_child(mode, loop, task, in_process)
            row = {"model": model, "task": task, "unit": a["unit"],
                   "ours": round(a["per_second"], 2), "loop_baseline": round(b["per_second"], 2),
                   "speedup": round(a["per_second"] / b["per_second"], 2),
                   "ours_peak_rss_mb": a["peak_rss_mb"], "loop_peak_rss_mb": b["peak_rss_mb"],
                   "ours_wall_seconds": a["wall_seconds"], "loop_wall_seconds": b["wall_seconds"]}
            if model == "NADE" and task == "train":
                flops = nade_train_flops(p["n"], p["d"]) * a["per_second"] / 1e9
                row["ours_useful_gflops"] = round(flops, 2)
                row["fraction_of_matmul_peak"] = round(flops / matmul["gflops"], 4)
            report["rows"].append(row)
            print(f"[{mode}] {model:8s} {task:9s} ours {row['ours']:>10} {row['unit']:13s} "
                  f"loop {row['loop_baseline']:>10}  x{row['speedup']:<7} peak RSS "
                  f"{row['ours_peak_rss_mb']:.0f} / {row['loop_peak_rss_mb']:.0f} MB   wall "
                  f"{row['ours_wall_seconds']:.0f} + {row['loop_wall_seconds']:.0f} s", flush=True)
    report["total_seconds"] = round(time.time() - started, 1)
    (out / f"speed-{mode}.json").write_text(json.dumps(report, indent=2))
    (out / f"speed-{mode}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report):
    p, info = report["parameters"], report["environment"]
    lines = [
        f"# Speed benchmark ({report['mode']} mode)",
        "",
        f"`python benchmarks/speed.py{'' if report['mode'] == 'full' else ' --' + report['mode']}`"
        f" — {info['date']}, {info['machine']}, load average at start "
        f"{', '.join(f'{x:.1f}' for x in info['load_average_at_start'])}; "
        f"Python {info['python']}, Keras {info['keras']} ({info['backend']}), "
        f"TensorFlow {info.get('tensorflow')}, NumPy {info['numpy']}; total "
        f"{report['total_seconds']:.0f} s.",
        "",
        f"NADE n={p['n']}, d={p['d']} (sigmoid), batch {p['nade_batch']}; CharRNN GRU "
        f"{p['rnn_layers']}x{p['rnn_units']}, vocabulary {p['vocab']}, T={p['rnn_t']}, batch "
        f"{p['rnn_batch']}. Machine float32 matmul ({p['matmul']}^2): "
        f"{report['matmul_gflops']} GFLOP/s.",
        "",
        "| model | task | unit | keras-ar | loop baseline | speed-up | peak RSS ours / loop (MB) |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in report["rows"]:
        lines.append(f"| {r['model']} | {r['task']} | {r['unit']} | {r['ours']} | "
                     f"{r['loop_baseline']} | {r['speedup']}x | {r['ours_peak_rss_mb']:.0f} / "
                     f"{r['loop_peak_rss_mb']:.0f} |")
    for r in report["rows"]:
        if "ours_useful_gflops" in r:
            lines += ["", f"NADE training runs at ~{r['ours_useful_gflops']} useful GFLOP/s "
                      f"(12·n·d FLOPs per example) = {100 * r['fraction_of_matmul_peak']:.1f}% "
                      f"of the measured matmul rate: NADE's running sum and sigmoid are "
                      f"elementwise over a (batch, n, d) tensor, memory-bound, not matmuls."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
