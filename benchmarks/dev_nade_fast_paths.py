"""Dev check: NADE-784/500 through the public API (fit, log_prob, sample) next to a
per-pixel torch loop, interleaved in one process; medians of `rounds` runs.

    KERAS_AR_DATA=... KERAS_BACKEND=tensorflow python benchmarks/dev_nade_fast_paths.py 100 sigmoid 3
"""
import json
import os
import sys
import time

import keras
import numpy as np
import torch

import keras_ar as ka

torch.set_num_threads(2)
batch, act, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 4
n, d = 784, 500
data = np.load(os.path.join(os.environ["KERAS_AR_DATA"], "binarized_mnist.npz"))
x = data[sorted(data.files)[0]].reshape(-1, 784).astype("float32")[: batch * steps]
class TorchNADE(torch.nn.Module):
    def __init__(s, act):
        super().__init__()
        s.W = torch.nn.Parameter(torch.randn(n, d) * 0.01); s.V = torch.nn.Parameter(torch.randn(n, d) * 0.01)
        s.b = torch.nn.Parameter(torch.zeros(n)); s.c = torch.nn.Parameter(torch.zeros(d))
        s.f = torch.relu if act == "relu" else torch.sigmoid
    def forward(s, x):
        a = s.c.expand(x.shape[0], -1); logits = []
        for i in range(n):
            h = s.f(a)
            logits.append(h @ s.V[i] + s.b[i])
            a = a + x[:, i : i + 1] * s.W[i]
        logits = torch.stack(logits, 1)
        return -torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    @torch.no_grad()
    def sample(s, m):
        a = s.c.expand(m, -1); out = []
        for i in range(n):
            p = torch.sigmoid(s.f(a) @ s.V[i] + s.b[i])
            xi = torch.bernoulli(p); out.append(xi)
            a = a + xi[:, None] * s.W[i]
        return torch.stack(out, 1)
tm = TorchNADE(act); opt = torch.optim.Adam(tm.parameters(), 1e-3); tx = torch.from_numpy(x)
def torch_fit():
    for i in range(steps):
        xb = tx[i * batch : (i + 1) * batch]; opt.zero_grad(); loss = -tm(xb).mean(); loss.backward(); opt.step()
def torch_lp():
    with torch.no_grad():
        for i in range(steps): tm(tx[i * batch : (i + 1) * batch])
def torch_sample(): tm.sample(batch)
km = ka.NADE(n, d, activation=act); km.compile(optimizer=keras.optimizers.Adam(1e-3))
def keras_fit(): km.fit(x, batch_size=batch, epochs=1, verbose=0, shuffle=False)
def keras_lp():
    for i in range(steps): np.asarray(km.log_prob(x[i * batch : (i + 1) * batch]))
def keras_sample(): np.asarray(km.sample(batch, seed=1))
tasks = {"keras fit": (keras_fit, batch * steps), "torch fit": (torch_fit, batch * steps),
         "keras log_prob": (keras_lp, batch * steps), "torch log_prob": (torch_lp, batch * steps),
         "keras sample": (keras_sample, batch), "torch sample": (torch_sample, batch)}
for f, _ in tasks.values(): f()  # warm-up / compile
res = {k: [] for k in tasks}
for r in range(rounds):
    for k, (f, count) in tasks.items():
        t = time.perf_counter(); f(); res[k].append(count / (time.perf_counter() - t)); print('  ', r, k, round(res[k][-1]), flush=True)
out = {"backend": keras.backend.backend(), "batch": batch, "activation": act, "load": os.getloadavg()[0]}
for k, v in res.items():
    out[k] = [round(a) for a in sorted(v)]
    print(f"{keras.backend.backend():10s} b{batch} {act:7s} {k:15s} median {np.median(v):7.0f} img/s  range {min(v):.0f}-{max(v):.0f}", flush=True)
with open(os.environ.get("BENCH_OUT", "benchmarks/results/dev_nade_fast_paths.jsonl"), "a") as fh: fh.write(json.dumps(out) + "\n")
