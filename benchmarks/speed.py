"""Speed: keras-ar against the implementations users of these models actually run.

NADE 784/500 (sigmoid and ReLU hidden units) against (a) the per-pixel torch loop as
pytorch-generative writes it (eager autograd, Adam; sampling = the same loop under
no_grad), (b) a vectorized torch cumsum NADE and, with --tf-eager-loop, a labelled
extra column (c): the per-pixel loop in eager TensorFlow; CharRNN (GRU 1x128, embedding 32, the names row)
against `torch.nn.GRU` of the same size. Training, `log_prob` and sampling at batch
100 and 512 (CharRNN sampling at batch 1 and 64). MADE 784-500-500-784 (1 mask)
against a torch MADE with karpathy/pytorch-made's masked layers (training, `log_prob`),
and DeepNADE 500x500 against the order-agnostic step written in torch (training), at
batch 100 and 512.

Every contestant lives in its own worker process (`workers.py`: its framework, its
threads; warm-up and tracing done once and reported apart; keras-ar on JAX with the
README's JAX environment, the torch peers in the caller's own). For each configuration
the workers then run interleaved rounds so that a noisy shared machine slows all of
them alike; each round
starts with the next contestant (ours, peer; peer, ours; ...), and each timed run waits
its mode's `settle` seconds first (0.3 in --quick), so that no contestant always runs
in the wake of the same other one while that one's thread pools still spin. A timed
sampling run makes several calls (`sample_calls`). Each number is the median of the
rounds, with min-max;
ratio = ours / peer (> 1: keras-ar is faster). keras-ar runs through its public API only
(`model.fit`, `model.log_prob`, `model.sample`).

    python benchmarks/speed.py --quick                 # under 10 minutes
    python benchmarks/speed.py --quick --backend jax   # keras-ar on JAX (torch peers same)
    python benchmarks/speed.py --smoke                 # CI smoke: tiny sizes, seconds
    python benchmarks/speed.py --quick --models made,deep_nade   # some families only

Writes benchmarks/results/speed-<mode>[-<backend>][-<models>][-vs-<backend>]
[-malloc-<setting>].{json,md} (use --out to change; <models> only when --models leaves
some out; the malloc setting only when --jax-malloc is not the README's).
Needs torch (`pip install -e ".[bench]"`).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from envinfo import environment, write_results
from host_memory import SETTINGS as MALLOC_SETTINGS
from host_memory import jax_environment
from host_memory import recommended as recommended_malloc
from report import markdown
from workers import Worker, versus_name

NADE = {"model": "nade", "n": 784, "d": 500}
CHAR_RNN = {"model": "char_rnn", "vocab": 27, "units": 128, "layers": 1, "embedding": 32,
            "length": 32}
MLP = {"n": 784, "hidden": [500, 500], "activation": "relu"}
FAMILIES = ("nade", "char_rnn", "made", "deep_nade")
MODES = {
    # per configuration: rounds, and batches per timed run (train / log_prob); a CharRNN
    # run is one epoch of names.txt's training split (5,707 windows of 32), as in training;
    # settle: seconds of pause before each timed run (see `measure`); sample_calls: sampling
    # calls per timed run, by batch size (one call at 512 lasts tens of milliseconds)
    "quick": {"rounds": 3, "settle": 0.3, "nade": NADE, "char_rnn": CHAR_RNN,
              "batches": {100: 6, 512: 2},
              "rnn_batches": {100: 57, 512: 11}, "activations": ("sigmoid", "relu"),
              "batch_sizes": (100, 512), "sample_batches": (1, 64), "sample_length": 64,
              "sample_calls": {100: 8, 512: 4, 1: 4, 64: 4},
              "tf_eager_loop": {"activation": "sigmoid", "batch": 100, "batches": 1},
              "mlp": MLP, "mlp_batches": {100: 50, 512: 10}},
    "smoke": {"rounds": 3, "settle": 0.0, "nade": {**NADE, "n": 16, "d": 8},
              "char_rnn": {**CHAR_RNN, "units": 8, "embedding": 4, "length": 8},
              "batches": {8: 2}, "rnn_batches": {8: 2}, "activations": ("sigmoid",),
              "batch_sizes": (8,), "sample_batches": (2,), "sample_length": 8,
              "sample_calls": {8: 1, 2: 1},
              "tf_eager_loop": {"activation": "sigmoid", "batch": 8, "batches": 1},
              "mlp": {**MLP, "n": 16, "hidden": [8, 8]}, "mlp_batches": {8: 2}},
}
PEERS = {"nade": ("torch_loop", "torch_cumsum"), "char_rnn": ("torch_gru",),
         "made": ("torch_made",), "deep_nade": ("torch_deep_nade",)}
UNITS = {("nade", "sample"): "images/s", "nade": "examples/s", "char_rnn": "characters/s",
         "made": "examples/s", "deep_nade": "examples/s"}
TITLES = {"nade": "NADE", "char_rnn": "CharRNN", "made": "MADE", "deep_nade": "DeepNADE"}
# the MLP models' tasks: DeepNADE's exact log_prob (784 passes) has no torch peer here;
# their training also runs against keras-ar itself without XLA (what "auto" gains there)
MLP_TASKS = {"made": ("train", "log_prob"), "deep_nade": ("train",)}


def configurations(p, families=FAMILIES, versus=None):
    """(group, config, contestants), most important first (a run cut short keeps them);
    workers restart between groups (frees memory). `versus`: keras-ar on that backend
    too, as a contestant right after keras-ar."""
    for group, config, names in _configurations(p):
        if config["model"] in families:
            yield group, config, (names[:1] + (versus_name(versus),) + names[1:]) if versus else names


def _configurations(p):
    def nade(activation, batch):
        extra = p["tf_eager_loop"]
        eager = ("tf_eager_loop",) if extra and (extra["activation"], extra["batch"]) == (activation, batch) else ()
        for task in ("train", "log_prob", "sample"):
            yield f"NADE {activation} b{batch}", {
                **p["nade"], "task": task, "batch": batch, "activation": activation,
                "batches": p["batches"][batch],
                **({"calls": p["sample_calls"][batch]} if task == "sample" else {}),
            }, ("keras_ar", *PEERS["nade"], *eager)

    def char_rnn(batch, tasks=("train", "log_prob")):
        for task in tasks:
            yield f"CharRNN b{batch}", {**p["char_rnn"], "task": task, "batch": batch,
                                         "batches": p["rnn_batches"][batch]}, ("keras_ar", "torch_gru")

    first, *other_batches = p["batch_sizes"]
    yield from nade(p["activations"][0], first)
    yield from char_rnn(first)
    for batch in p["sample_batches"]:
        yield "CharRNN sample", {**p["char_rnn"], "task": "sample", "batch": batch,
                                 "length": p["sample_length"],
                                 "calls": p["sample_calls"][batch]}, ("keras_ar", "torch_gru")
    for batch in other_batches:
        yield from nade(p["activations"][0], batch)
    for activation in p["activations"][1:]:
        for batch in p["batch_sizes"]:
            yield from nade(activation, batch)
    for batch in other_batches:
        yield from char_rnn(batch)
    for model, tasks in MLP_TASKS.items():
        for batch, batches in p["mlp_batches"].items():
            for task in tasks:
                extra = ("keras_ar_no_xla",) if task == "train" else ()
                yield f"{TITLES[model]} b{batch}", {**p["mlp"], "model": model, "task": task,
                                                    "batch": batch, "batches": batches}, ("keras_ar", *PEERS[model], *extra)


# ----------------------------------------------------------------------------- driver
def measure(workers, config, names, rounds, settle):
    """Warm-up each contestant, then `rounds` interleaved timed runs of each; round r
    starts with contestant r (mod their number). Each timed run waits `settle` seconds
    first: the contestant that ran last may still hold both cores (OpenMP and Eigen
    worker threads spin after their work before they sleep)."""
    results = {}
    for name in names:
        results[name] = workers[name].ask(op="setup", name=name, config=config)
    for round_index in range(rounds):
        first = round_index % len(names)
        for name in names[first:] + names[:first]:
            time.sleep(settle)
            reply = workers[name].ask(op="run", name=name)
            results[name].setdefault("rates", []).append(reply["count"] / reply["seconds"])
    for name in names:
        workers[name].ask(op="release", name=name)
    return results


def row_of(config, results):
    unit = UNITS.get((config["model"], config["task"]), UNITS[config["model"]])
    row = {"model": TITLES[config["model"]], "task": config["task"],
           "batch": config["batch"], "activation": config.get("activation", "gru"), "unit": unit,
           "data": results["keras_ar"]["data"], "config": config}
    for name, r in results.items():
        rates = r["rates"]
        row[name] = {"median": round(statistics.median(rates), 1), "min": round(min(rates), 1),
                     "max": round(max(rates), 1), "runs": [round(x, 1) for x in rates],
                     "warm_up_seconds": round(r["warm_up_seconds"], 2)}
    for name in results:
        if name != "keras_ar":
            row[f"ratio_vs_{name}"] = round(row["keras_ar"]["median"] / row[name]["median"], 3)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--quick", action="store_true", help="the table, under 10 minutes")
    group.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--backend", default="tensorflow", choices=("tensorflow", "jax"),
                        help="Keras backend of keras-ar (the peers are unchanged)")
    parser.add_argument("--versus", choices=("tensorflow", "jax"),
                        help="also run keras-ar on this backend, interleaved with the rest "
                             "(ratio = keras-ar on --backend / on this one)")
    parser.add_argument("--rounds", type=int, help="timed rounds per number (>= 3)")
    parser.add_argument("--threads", type=int, help="CPU threads of every contestant "
                        "(default: the frameworks' own, all cores); 1 is fairer on an "
                        "oversubscribed machine, where 2-thread ops wait for each other")
    parser.add_argument("--tf-eager-loop", action="store_true",
                        help="add the old TF eager loop baseline (sigmoid, first batch size; slow)")
    parser.add_argument("--models", default=",".join(FAMILIES),
                        help=f"comma-separated families to run (default all: {','.join(FAMILIES)})")
    parser.add_argument("--jax-malloc", choices=tuple(MALLOC_SETTINGS),
                        help="malloc setting of the JAX workers (README, 'JAX and host memory'; "
                             "default: the README's, tcmalloc where installed, else thp = huge "
                             "pages); reuse = glibc keeping freed memory, default = glibc's own. "
                             "The results file name says which when it is not the README's")
    parser.add_argument("--out", help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)
    import importlib.util

    if importlib.util.find_spec("torch") is None:  # the workers import it
        parser.error('the peers need torch: pip install -e ".[bench]"')
    families = tuple(m.strip() for m in args.models.split(",") if m.strip())
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown or not families:
        parser.error(f"--models: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(FAMILIES)}")
    mode = "smoke" if args.smoke else "quick"
    p = dict(MODES[mode])
    if args.rounds is not None:
        if args.rounds < 3:
            parser.error("--rounds must be >= 3 (a median of fewer is not a median)")
        p["rounds"] = args.rounds
    if not args.tf_eager_loop and mode != "smoke":
        p["tf_eager_loop"] = None
    out = Path(args.out) if args.out else HERE / "results"
    out.mkdir(parents=True, exist_ok=True)
    if args.versus == args.backend:
        parser.error(f"--versus {args.versus}: choose a backend other than --backend")
    uses_jax = "jax" in (args.backend, args.versus)
    try:
        jax_env = jax_environment(args.jax_malloc) if uses_jax else None
    except ValueError as error:  # the setting's library is not installed
        parser.error(f"--jax-malloc: {error}")
    report = {"mode": mode, "backend": args.backend, "versus": args.versus, "rounds": p["rounds"],
              "threads": args.threads, "jax_environment": jax_env,
              "environment": environment(ROOT), "rows": []}
    started = time.time()
    stem = f"speed-{mode}" + ("" if args.backend == "tensorflow" else f"-{args.backend}")
    if set(families) != set(FAMILIES):
        stem += "-" + "-".join(f for f in FAMILIES if f in families)
    if args.versus:
        stem += f"-vs-{args.versus}"
    if uses_jax and args.jax_malloc not in (None, recommended_malloc()):
        stem += f"-malloc-{args.jax_malloc}"
    workers, current = {}, None
    try:
        for group_name, config, names in configurations(p, families, args.versus):
            if group_name != current and mode != "smoke":  # fresh processes: memory freed
                for worker in {id(w): w for w in workers.values() if w}.values():
                    worker.close()
                workers, current = {}, group_name
            if not workers:
                torch_worker = Worker(args.backend, args.threads, peers=True)
                ours = Worker(args.backend, args.threads, args.jax_malloc)
                workers = {"keras_ar": ours, "keras_ar_no_xla": ours, "tf_eager_loop": None,
                           **{n: torch_worker for peers in PEERS.values() for n in peers}}
                if args.versus:
                    workers[versus_name(args.versus)] = Worker(args.versus, args.threads, args.jax_malloc)
            if "tf_eager_loop" in names and workers["tf_eager_loop"] is None:
                workers["tf_eager_loop"] = Worker("tensorflow", args.threads)
            row = row_of(config, measure(workers, config, names, p["rounds"], p["settle"]))
            report["rows"].append(row)
            peers = "  ".join(f"{n} {row[n]['median']} (x{row['ratio_vs_' + n]})"
                              for n in names[1:])
            print(f"[{mode}] {row['model']:7} {row['activation']:7} b{row['batch']:<4} "
                  f"{row['task']:8} keras-ar {row['keras_ar']['median']} {row['unit']}  {peers}",
                  flush=True)
            write(report, out, stem, started, complete=False)  # every finished row counts
    finally:
        for worker in {id(w): w for w in workers.values() if w}.values():
            worker.close()
    write(report, out, stem, started, complete=True)
    print(markdown(report))
    return 0


def write(report, out, stem, started, complete):
    """Both files, replaced atomically; `complete` is False while rows are still coming."""
    report.update(complete=complete, total_seconds=round(time.time() - started, 1),
                  load_average_after=[round(x, 2) for x in os.getloadavg()])
    write_results(out, stem, report, markdown(report))


if __name__ == "__main__":
    sys.exit(main())
