"""The speed benchmark's worker processes: one per framework and side, each building
contestants and timing their runs when `speed.py` asks (JSON lines on stdin/stdout)."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from host_memory import jax_environment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def versus_name(backend):
    """The contestant that runs keras-ar on another Keras backend."""
    return f"keras_ar_on_{backend}"


def worker_environment(backend, threads=None, jax_malloc=None, peers=False, base=None):
    """A worker's environment: `base` (default `os.environ`), the Keras backend, the thread
    limit, and for keras-ar on JAX (not the peers) the README's JAX settings."""
    base = os.environ if base is None else base
    jax = backend == "jax" and not peers
    return dict(base, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND=backend,
                **(jax_environment(jax_malloc, base) if jax else {}),
                BENCH_THREADS=str(threads or ""),
                PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT), base.get("PYTHONPATH", "")]))


class Worker:
    """A child process that builds contestants and times their runs on request. keras-ar's
    workers on JAX get the README's environment for JAX on CPU (`jax_malloc`); the torch
    peers' worker (`peers=True`) runs in the caller's own, as torch users run it (tcmalloc,
    preloaded for JAX, slowed the per-pixel loop in every pair of runs measured)."""

    def __init__(self, backend, threads=None, jax_malloc=None, peers=False):
        env = worker_environment(backend, threads, jax_malloc, peers)
        self.errors = tempfile.TemporaryFile("w+")  # its stderr, shown if it dies
        self.process = subprocess.Popen([sys.executable, __file__], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.errors, text=True, cwd=ROOT)

    def ask(self, **command):
        try:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            for line in self.process.stdout:
                if line.startswith("@@"):
                    reply = json.loads(line[2:])
                    if "error" in reply:
                        raise RuntimeError(f"{command.get('name')}: {reply['error']}")
                    return reply
        except BrokenPipeError:
            pass
        self.errors.seek(0)
        tail = self.errors.read()[-3000:]
        raise RuntimeError(f"worker died (exit {self.process.wait()}) during {command}; its stderr ends:\n{tail}")

    def close(self):
        try:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
        self.errors.close()


def worker_loop():
    """Reads JSON commands on stdin: setup (build + one warm-up run), run, release."""
    import gc
    import traceback

    from contestants import CONTESTANTS, limit_threads

    limit_threads(os.environ.get("BENCH_THREADS"))

    live = {}
    for line in sys.stdin:
        command = json.loads(line)
        try:
            name = command.get("name")
            if command["op"] == "setup":
                start = time.perf_counter()
                kind = "keras_ar" if name.startswith(versus_name("")) else name
                live[name] = CONTESTANTS[kind](command["config"])
                live[name].run()  # warm-up: tracing, compilation, first allocation
                reply = {"warm_up_seconds": time.perf_counter() - start,
                         "data": live[name].data_source}
            elif command["op"] == "run":
                start = time.perf_counter()
                count = live[name].run()
                reply = {"count": count, "seconds": time.perf_counter() - start}
            else:  # release
                live.clear()
                gc.collect()
                reply = {}
        except Exception:  # noqa: BLE001 - reported to the parent, which stops
            reply = {"error": traceback.format_exc()[-3000:]}
        print("@@" + json.dumps(reply), flush=True)


if __name__ == "__main__":
    worker_loop()
