"""Host memory settings and keras-ar on JAX: page faults per step, and speed.

XLA's CPU runtime allocates each step's buffers with `malloc` and frees them after the
step. glibc's malloc gives large blocks (over 32 MB, or over 64 MB from a thread's own
arena) straight back to the kernel, so the next step faults them in again, one 4 KB page
at a time. This script runs the same keras-ar workloads on JAX (one XLA CPU device per
core, as the README recommends) in fresh processes under each environment, interleaved
round by round on the same machine:

- `default`: glibc's defaults;
- `thp`: `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, malloc asks for transparent huge pages
  (2 MB pages: fewer faults; the kernel still zeroes the pages of every fresh block);
- `reuse`: `MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1073741824`,
  freed memory is kept and reused (no faults; every thread shares one arena, and XLA's
  threads then wait for each other's small allocations);
- `tcmalloc`: `LD_PRELOAD=libtcmalloc_minimal.so.4` (Debian's `libtcmalloc-minimal4`),
  gperftools' malloc: per-thread caches, and freed pages kept for reuse (no faults, no
  shared lock). Run only where the library is installed.

Workloads (public API, synthetic data of the speed table's sizes): NADE-784/500 ReLU at
batch 512 (`sample`, `log_prob`, `fit`) and CharRNN GRU 1x128 at batch 512 (`fit` on
windows of 32 characters), with the minor page faults per CharRNN training step. Each
number is the median over rounds of a per-process median, with min-max over rounds.

    python benchmarks/host_memory.py            # 3 rounds, about 6 minutes
    python benchmarks/host_memory.py --smoke    # tiny sizes, 1 round (CI)

Writes benchmarks/results/host_memory[-smoke].{json,md} (--out to change).
"""

import argparse
import ctypes.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from envinfo import environment, write_results

TCMALLOC = "libtcmalloc_minimal.so.4"  # found by the dynamic linker, like a library's needs
SETTINGS = {
    "default": {},
    "thp": {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"},
    "reuse": {"MALLOC_ARENA_MAX": "1", "MALLOC_MMAP_MAX_": "0",
              "MALLOC_TRIM_THRESHOLD_": "1073741824"},
    "tcmalloc": {"LD_PRELOAD": TCMALLOC},
}
MALLOC_VARIABLES = ("GLIBC_TUNABLES", "MALLOC_ARENA_MAX", "MALLOC_MMAP_MAX_",
                    "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                    "LD_PRELOAD")


# variables whose value is added to the caller's own, with this separator
JOINED = {"GLIBC_TUNABLES": ":", "LD_PRELOAD": " "}


def available(setting):
    """Whether `setting` can run here: the library it preloads, if any, is installed."""
    library = SETTINGS[setting].get("LD_PRELOAD")
    return library is None or ctypes.util.find_library(library[3:].split(".so")[0]) is not None


def missing(setting):
    """What to install for `setting` (for the error or the skip line)."""
    return (f"malloc setting {setting!r} needs {SETTINGS[setting]['LD_PRELOAD']}, which is not "
            "installed here (Debian, Ubuntu: apt install libtcmalloc-minimal4)")


def recommended():
    """The README's setting for JAX on CPU: tcmalloc where installed, else huge pages."""
    return "tcmalloc" if available("tcmalloc") else "thp"


SIZES = {
    "full": {"rounds": 3, "n": 784, "d": 500, "batch": 512, "units": 128, "embedding": 32,
             "length": 32, "nade_batches": 4, "rnn_batches": 6, "repeats": 5},
    "smoke": {"rounds": 1, "n": 16, "d": 8, "batch": 8, "units": 8, "embedding": 4,
              "length": 8, "nade_batches": 2, "rnn_batches": 2, "repeats": 2},
}


def jax_environment(malloc=None, base=None):
    """The environment variables to add to `base` (default `os.environ`) for a JAX worker on
    CPU, as the README recommends: one XLA CPU device per core (XLA runs one computation on
    one core; separate devices run side by side), and the malloc setting `SETTINGS[malloc]`
    (default `recommended()`; GLIBC_TUNABLES and LD_PRELOAD joined to `base`'s own)."""
    malloc = malloc or recommended()
    if not available(malloc):
        raise ValueError(missing(malloc))
    base = os.environ if base is None else base
    flag = f"--xla_force_host_platform_device_count={os.cpu_count() or 1}"
    env = {"XLA_FLAGS": f"{base.get('XLA_FLAGS', '')} {flag}".strip()}
    for name, value in SETTINGS[malloc].items():
        env[name] = JOINED[name].join(v for v in (base.get(name), value) if v) if name in JOINED else value
    return env


METRICS = (("nade_sample", "NADE sample", "images/s"),
           ("nade_log_prob", "NADE log_prob", "examples/s"),
           ("nade_train", "NADE fit", "examples/s"),
           ("rnn_train", "CharRNN fit", "characters/s"),
           ("rnn_faults_per_step", "CharRNN page faults per training step", "faults"))


def worker(size):
    """One process's measurements (JSON on the last line of stdout)."""
    import keras
    import numpy as np

    import keras_ar

    s, rng = SIZES[size], np.random.default_rng(0)
    batch = s["batch"]

    def rate(fn, items, repeats=s["repeats"]):
        fn()  # warm-up: tracing and compilation
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return items / statistics.median(times)

    keras.utils.set_random_seed(0)
    nade = keras_ar.NADE(input_dim=s["n"], hidden_units=s["d"], activation="relu")
    nade.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = (rng.random((batch * s["nade_batches"], s["n"])) < 0.3).astype("float32")
    out = {"nade_sample": rate(lambda: np.asarray(nade.sample(batch, seed=1)), batch),
           "nade_log_prob": rate(lambda: np.asarray(nade.log_prob(x)), len(x)),
           "nade_train": rate(lambda: nade.fit(x, batch_size=batch, epochs=1, verbose=0), len(x), 3)}
    rnn = keras_ar.CharRNN(vocab_size=27, units=s["units"], num_layers=1,
                           embedding_dim=s["embedding"])
    rnn.compile(optimizer=keras.optimizers.Adam(1e-3))
    tokens = rng.integers(0, 27, (batch * s["rnn_batches"], s["length"])).astype("int32")
    fit = lambda: rnn.fit(tokens, batch_size=batch, epochs=1, verbose=0, shuffle=False)  # noqa: E731
    fit()
    faults, repeats = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, 3
    out["rnn_train"] = rate(fit, tokens.size, repeats)
    steps = (1 + repeats) * s["rnn_batches"]  # rate() runs fit once untimed, then `repeats` times
    out["rnn_faults_per_step"] = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    print(json.dumps(out))


def run_worker(setting, size):
    clean = {k: v for k, v in os.environ.items() if k not in MALLOC_VARIABLES}
    env = {**clean, **jax_environment(setting, clean), "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join([str(ROOT), clean.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, __file__, "--worker", size], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{setting} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(runs):
    values = sorted(runs)
    return {"median": statistics.median(values), "min": values[0], "max": values[-1],
            "runs": [round(v, 1) for v in runs]}


def markdown(report):
    env = report["environment"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    lines = [f"# Host memory settings, keras-ar on JAX ({report['size']})", "",
             f"`{env['command']}` - {env['date_utc']} UTC, commit {env['git_commit']}; "
             f"{env['machine']}, {env['logical_cpus']} logical CPUs; load average "
             f"{env['load_average'][0]} before, {report['load_average_after'][0]} after; "
             f"total {report['total_seconds']:.0f} s.", versions + ".", "",
             f"Median over {report['rounds']} interleaved rounds (min-max); each round runs "
             "every setting in a fresh process. ratio = setting / default.", "",
             "| workload | unit | " + " | ".join(report["settings"]) + " |",
             "|---|---|" + "---:|" * len(report["settings"])]
    for key, label, unit in METRICS:
        cells = []
        for name in report["settings"]:
            stats = report["results"][name][key]
            cell = f"{stats['median']:,.0f} ({stats['min']:,.0f}-{stats['max']:,.0f})"
            if name != "default" and key != "rnn_faults_per_step":
                cell += f" **{stats['median'] / report['results']['default'][key]['median']:.2f}x**"
            cells.append(cell)
        lines.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    lines += ["", "Settings: " + "; ".join(
        f"`{name}`: " + (" ".join(f"{k}={v}" for k, v in env_vars.items()) or "glibc defaults")
        for name, env_vars in SETTINGS.items() if name in report["settings"]) + "."]
    if report.get("skipped"):
        lines += ["", "Not installed on this machine, so not run: " + ", ".join(report["skipped"]) + "."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one round (CI)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3)")
    parser.add_argument("--worker", choices=tuple(SIZES), help=argparse.SUPPRESS)
    parser.add_argument("--out", help="results folder (default benchmarks/results)")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker)
    size = "smoke" if args.smoke else "full"
    rounds = args.rounds or SIZES[size]["rounds"]
    if rounds < 1:
        parser.error("--rounds must be >= 1")
    settings = [name for name in SETTINGS if available(name)]
    skipped = [name for name in SETTINGS if name not in settings]
    for name in skipped:
        print(f"skipped: {missing(name)}", flush=True)
    report = {"size": size, "rounds": rounds, "settings": settings, "skipped": skipped,
              "environment": environment(ROOT)}
    started, runs = time.time(), {name: [] for name in settings}
    for round_index in range(rounds):
        for name in settings:
            runs[name].append(run_worker(name, size))
            print(f"round {round_index + 1} {name}: "
                  + ", ".join(f"{k} {v:,.0f}" for k, v in runs[name][-1].items()), flush=True)
    report["results"] = {name: {key: summary([r[key] for r in results]) for key, *_ in METRICS}
                         for name, results in runs.items()}
    report.update(total_seconds=round(time.time() - started, 1),
                  load_average_after=[round(x, 2) for x in os.getloadavg()])
    out = Path(args.out) if args.out else HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    stem = "host_memory" + ("-smoke" if args.smoke else "")
    write_results(out, stem, report, markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
