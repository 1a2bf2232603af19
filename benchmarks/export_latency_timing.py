"""Timing of exported steps and samples: per-call times inside a real sampling loop
(outputs fed back), wall times of whole samples, and LiteRT's step without the
signature runner's per-call resize."""

import statistics
import time

import numpy as np


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
