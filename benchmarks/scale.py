"""Scale benchmark: NADE peak memory (one-shot vs chunked) and 1- vs 2-device
data-parallel throughput on CPU. Each configuration runs in its own process so that
peak RSS and device setup are clean.

    python benchmarks/scale.py            # full: batch 512, d=500 and d=2000
    python benchmarks/scale.py --quick    # smaller, about a minute

Writes benchmarks/results/scale.md and scale.json.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def child(args):
    """One measurement: prints a JSON line."""
    if args.devices > 1:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args.devices
        )
    import keras
    import numpy as np

    import keras_ar as ka
    from keras_ar.distribute import strategy_scope

    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(args.batch * args.steps, 784)) < 0.2).astype("float32")
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with strategy_scope("mirrored" if args.devices > 1 else None):
        model = ka.NADE(784, hidden_units=args.hidden, chunk_size=args.chunk or None)
        model.ensure_built()
        model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=args.jit)
    model.fit(x[: args.batch], batch_size=args.batch, epochs=1, verbose=0)  # warm-up / trace
    start = time.perf_counter()
    model.fit(x, batch_size=args.batch, epochs=1, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "examples_per_s": args.batch * args.steps / seconds,
        "peak_rss_mb": peak / 1024,
        "rss_above_start_mb": (peak - base_rss) / 1024,
    }))


def measure(**kwargs):
    argv = [sys.executable, __file__, "--child"]
    for key, value in kwargs.items():
        if isinstance(value, bool):
            if value:
                argv.append(f"--{key}")
        else:
            argv += [f"--{key}", str(value)]
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--chunk", type=int, default=0)
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--jit", action="store_true")
    args = parser.parse_args()
    if args.child:
        return child(args)

    batch, steps = (128, 2) if args.quick else (512, 4)
    rows = []
    configs = [
        ("NADE 784/500, one-shot", dict(hidden=500, chunk=0, devices=1)),
        ("NADE 784/500, chunk 56 + remat", dict(hidden=500, chunk=56, devices=1)),
        ("NADE 784/500, one-shot, 2 devices (mirrored)", dict(hidden=500, chunk=0, devices=2)),
        ("NADE 784/500, one-shot, XLA", dict(hidden=500, chunk=0, devices=1, jit=True)),
    ]
    if not args.quick:
        configs += [
            ("NADE 784/2000 batch 1024, chunk 28 + remat",
             dict(hidden=2000, chunk=28, devices=1, batch=1024, steps=2)),
        ]
    for label, config in configs:
        config = {"batch": batch, "steps": steps, **config}
        result = measure(**config)
        rows.append({"config": label, "batch": config["batch"], **result})
        print(f"{label:48s} batch {config['batch']:5d}  {result['examples_per_s']:8.1f} ex/s  "
              f"peak RSS {result['peak_rss_mb']:8.0f} MB")

    from keras_ar import files
    from keras_ar.environment import environment

    env = environment()
    meta = {
        "command": "python benchmarks/scale.py" + (" --quick" if args.quick else ""),
        "environment": env,
    }
    RESULTS.mkdir(exist_ok=True)
    files.write_json(RESULTS / "scale.json", {**meta, "rows": rows})
    lines = [f"# Scale benchmark ({env['date']})", "",
             f"Command: `{meta['command']}`; machine: {env['machine']}; "
             f"TF {env.get('tensorflow')}, Keras {env['keras']}. Other jobs shared the CPU.", "",
             "| configuration | batch | train examples/s | peak RSS (MB) |", "|---|---|---|---|"]
    lines += [f"| {r['config']} | {r['batch']} | {r['examples_per_s']:.1f} | {r['peak_rss_mb']:.0f} |"
              for r in rows]
    files.write_text(RESULTS / "scale.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
