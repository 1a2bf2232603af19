"""The speed benchmark's peers are the same models as keras-ar's, and its smoke run
writes the promised result fields (the script itself is not a timed test)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason='the benchmark peers need torch (pip install -e ".[bench]")')

import keras_ar as ka

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from peers.torch_gru import TorchCharGRU
from peers.torch_mlp import MADE as TorchMADE
from peers.torch_mlp import DeepNADE as TorchDeepNADE
from peers.torch_nade import CumsumNADE, LoopNADE


def first_step_adam(module, learning_rate=1e-2):
    """torch Adam whose first step equals Keras' Adam(epsilon=1e-7): Keras adds epsilon
    to sqrt(v) before the bias correction sqrt(1 - beta2^t), torch after it."""
    return torch.optim.Adam(module.parameters(), lr=learning_rate, eps=1e-7 / np.sqrt(1 - 0.999))


def random_weights(model, seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:  # random weights; MADE keeps its mask degrees
        weight.assign(rng.normal(0, scale, weight.shape).astype("float32"))
    return model


def torch_weights(module):
    return {name: p.detach().numpy().copy() for name, p in module.named_parameters()}


def nade_pair(activation, peer):
    model = ka.NADE(10, hidden_units=6, activation=activation)
    model.ensure_built()
    random_weights(model)
    return model, peer(10, 6, activation).load_keras(model)


@pytest.mark.parametrize("peer", [LoopNADE, CumsumNADE])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_torch_nade_peers_compute_keras_ar_log_prob(activation, peer):
    model, module = nade_pair(activation, peer)
    x = (np.random.default_rng(1).uniform(size=(7, 10)) < 0.5).astype("float32")
    ours = np.asarray(model.log_prob(x))
    with torch.no_grad():
        theirs = module.log_prob(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(theirs, ours, atol=1e-4)
    assert np.ptp(ours) > 0.1  # different images, different densities


@pytest.mark.parametrize("peer", [LoopNADE, CumsumNADE])
def test_one_adam_step_of_a_torch_nade_peer_equals_keras_ar_fit(peer):
    model, module = nade_pair("sigmoid", peer)
    before = [w.copy() for w in model.get_weights()]
    x = (np.random.default_rng(2).uniform(size=(8, 10)) < 0.5).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    module.train_step(torch.from_numpy(x), first_step_adam(module))
    got = torch_weights(module)
    for name, ours, old in zip(["W", "c", "V", "b"], model.get_weights(), before):
        np.testing.assert_allclose(got[name], ours, atol=1e-5, err_msg=name)
        assert np.abs(ours - old).max() > 1e-3 or name == "W"  # the step moved it
    # W's last row never contributes to any conditional: no gradient, no update
    np.testing.assert_array_equal(got["W"][-1], before[0][-1])


def char_rnn_pair(layers=2):
    model = ka.CharRNN(vocab_size=5, units=4, num_layers=layers, embedding_dim=3)
    model.ensure_built()
    random_weights(model)
    return model, TorchCharGRU(5, 4, layers, 3).load_keras(model)


def test_torch_gru_peer_computes_char_rnn_log_prob():
    model, module = char_rnn_pair()
    ids = np.random.default_rng(3).integers(0, 5, size=(6, 9)).astype("int32")
    ours = np.asarray(model.log_prob(ids))
    with torch.no_grad():
        theirs = module.log_prob(torch.from_numpy(ids.astype("int64"))).numpy()
    np.testing.assert_allclose(theirs, ours, atol=1e-4)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_step_of_the_gru_peer_equals_char_rnn_fit(optimizer):
    """Same weights after one SGD step; after one Adam step too, except the embedding:
    Keras' Adam (TensorFlow) takes the embedding's sparse gradient row by row, squaring
    repeated ids separately, where torch squares their sum (an optimizer detail)."""
    model, module = char_rnn_pair(layers=1)
    ids = np.random.default_rng(4).integers(0, 5, size=(8, 7)).astype("int32")
    if optimizer == "sgd":
        keras_optimizer = keras.optimizers.SGD(0.5)
        torch_optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
    else:
        keras_optimizer = keras.optimizers.Adam(1e-2)
        torch_optimizer = first_step_adam(module)
    before = torch_weights(module)
    model.compile(optimizer=keras_optimizer)
    model.fit(ids, batch_size=8, epochs=1, shuffle=False, verbose=0)
    module.train_step(torch.from_numpy(ids.astype("int64")), torch_optimizer)
    mapped = torch_weights(TorchCharGRU(5, 4, 1, 3).load_keras(model))
    for name, value in torch_weights(module).items():
        assert np.abs(value - before[name]).max() > 1e-4, name  # the step moved it
        if optimizer == "adam" and name.startswith("embedding"):
            continue
        np.testing.assert_allclose(value, mapped[name], atol=1e-5, err_msg=name)


def test_torch_made_peer_computes_made_log_prob_and_takes_the_same_adam_step():
    model = ka.MADE(10, hidden_units=(7, 6))
    model.ensure_built()
    random_weights(model, scale=0.3)
    module = TorchMADE(10, (7, 6)).load_keras(model)
    x = (np.random.default_rng(5).uniform(size=(8, 10)) < 0.5).astype("float32")
    with torch.no_grad():
        theirs = module.log_prob(torch.from_numpy(x)).numpy()
    ours = np.asarray(model.log_prob(x))
    np.testing.assert_allclose(theirs, ours, atol=1e-4)
    assert np.ptp(ours) > 0.1
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
    model.fit(x, batch_size=8, epochs=1, shuffle=False, verbose=0)
    module.train_step(torch.from_numpy(x), first_step_adam(module))
    mapped = torch_weights(TorchMADE(10, (7, 6)).load_keras(model))
    for name, value in torch_weights(module).items():
        np.testing.assert_allclose(value, mapped[name], atol=1e-5, err_msg=name)


def test_torch_deep_nade_peer_computes_the_order_agnostic_estimator():
    """For the same observed masks, the torch step scores what DeepNADE's loss scores."""
    model = ka.DeepNADE(10, hidden_units=(7, 6))
    model.ensure_built()
    random_weights(model, scale=0.3)
    module = TorchDeepNADE(10, (7, 6)).load_keras(model)
    rng = np.random.default_rng(6)
    x = (rng.uniform(size=(9, 10)) < 0.5).astype("float32")
    known = (rng.uniform(size=(9, 10)) < 0.4).astype("float32")
    known[:, -1] = 0.0  # at least one scored dimension
    ours = np.asarray(model.order_agnostic_log_prob(x, known=known))
    with torch.no_grad():
        theirs = module.estimate(torch.from_numpy(x), torch.from_numpy(known)).numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-4)
    assert np.ptp(ours) > 0.1


@pytest.mark.slow
def test_smoke_run_writes_the_promised_fields(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, str(BENCHMARKS / "speed.py"), "--smoke", "--out",
                           str(tmp_path)], env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    report = json.loads((tmp_path / "speed-smoke.json").read_text())
    env_info = report["environment"]
    assert {"date_utc", "machine", "logical_cpus", "load_average", "command"} <= set(env_info)
    assert {"python", "keras", "tensorflow", "torch", "jax", "numpy"} <= set(env_info["versions"])
    assert len(report["load_average_after"]) == 3
    tasks = {(r["model"], r["task"]) for r in report["rows"]}
    assert tasks == {(m, t) for m in ("NADE", "CharRNN") for t in ("train", "log_prob", "sample")} | {
        ("MADE", "train"), ("MADE", "log_prob"), ("DeepNADE", "train")}
    peers_of = {"NADE": ["torch_loop", "torch_cumsum"], "CharRNN": ["torch_gru"],
                "MADE": ["torch_made"], "DeepNADE": ["torch_deep_nade"]}
    for row in report["rows"]:
        peers = peers_of[row["model"]]
        if row["model"] in ("MADE", "DeepNADE") and row["task"] == "train":
            peers = [*peers, "keras_ar_no_xla"]  # what jit_compile="auto" gains
        for name in ["keras_ar", *peers]:
            stats = row[name]
            assert len(stats["runs"]) >= 3 and stats["min"] <= stats["median"] <= stats["max"]
            assert stats["warm_up_seconds"] >= 0
        for peer in peers:  # ratios are rounded to 3 decimals
            assert row[f"ratio_vs_{peer}"] == pytest.approx(
                row["keras_ar"]["median"] / row[peer]["median"], rel=1e-2, abs=1e-3)
    markdown = (tmp_path / "speed-smoke.md").read_text()
    assert "torch per-pixel loop" in markdown and "torch.nn.GRU" in markdown
    assert "torch MADE" in markdown and "torch DeepNADE" in markdown
    assert "keras-ar, jit_compile=False" in markdown


@pytest.mark.slow
def test_versus_runs_keras_ar_on_the_other_backend_interleaved(tmp_path):
    """`--versus jax`: keras-ar on JAX is one more contestant of every row, and the
    report counts the cells within 1.25x."""
    pytest.importorskip("jax", reason="jax is not installed")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    same = subprocess.run([sys.executable, str(BENCHMARKS / "speed.py"), "--smoke", "--versus", "tensorflow"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert same.returncode == 2 and "choose a backend other than --backend" in same.stderr
    done = subprocess.run([sys.executable, str(BENCHMARKS / "speed.py"), "--smoke", "--models", "nade",
                           "--versus", "jax", "--out", str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    report = json.loads((tmp_path / "speed-smoke-nade-vs-jax.json").read_text())
    assert report["versus"] == "jax" and {r["task"] for r in report["rows"]} == {"train", "log_prob", "sample"}
    for row in report["rows"]:
        stats = row["keras_ar_on_jax"]
        assert len(stats["runs"]) >= 3 and stats["min"] <= stats["median"] <= stats["max"]
        assert row["ratio_vs_keras_ar_on_jax"] == pytest.approx(
            row["keras_ar"]["median"] / stats["median"], rel=1e-2, abs=1e-3)
    markdown = (tmp_path / "speed-smoke-nade-vs-jax.md").read_text()
    within = sum(row["ratio_vs_keras_ar_on_jax"] >= 0.8 for row in report["rows"])
    assert f"(ratio >= 0.80) in {within} of {len(report['rows'])} cells" in markdown
    assert "keras-ar on JAX" in markdown


@pytest.mark.slow
def test_host_memory_smoke_run_writes_every_setting(tmp_path):
    """The host-memory benchmark runs each malloc setting in its own JAX process and
    reports every workload for each (the numbers themselves are BENCHMARKS.md's)."""
    pytest.importorskip("jax", reason="jax is not installed")
    done = subprocess.run([sys.executable, str(BENCHMARKS / "host_memory.py"), "--smoke", "--out",
                           str(tmp_path)], env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    report = json.loads((tmp_path / "host_memory-smoke.json").read_text())
    import host_memory

    installed = host_memory.available("tcmalloc")
    assert report["settings"] == ["default", "thp", "reuse"] + (["tcmalloc"] if installed else [])
    assert report["skipped"] == ([] if installed else ["tcmalloc"])
    metrics = {"nade_sample", "nade_log_prob", "nade_train", "rnn_train", "rnn_faults_per_step"}
    for name in report["settings"]:
        assert set(report["results"][name]) == metrics
        for key, stats in report["results"][name].items():
            assert stats["min"] <= stats["median"] <= stats["max"]
            assert stats["median"] > 0 or key == "rnn_faults_per_step"
    markdown = (tmp_path / "host_memory-smoke.md").read_text()
    assert "MALLOC_ARENA_MAX=1" in markdown and "glibc.malloc.hugetlb=1" in markdown
    assert ("LD_PRELOAD=libtcmalloc_minimal.so.4" in markdown) == installed
    assert ("Not installed on this machine, so not run: tcmalloc" in markdown) == (not installed)


def test_jax_environment_is_the_readmes_and_says_what_is_missing(monkeypatch):
    """The JAX workers' environment: one CPU device per core, tcmalloc preloaded where
    the library is installed (after any LD_PRELOAD of the caller's own), else huge pages;
    asking for tcmalloc without it is an error that names the package."""
    import ctypes.util

    import host_memory

    base = {"XLA_FLAGS": "--xla_dump_to=x", "LD_PRELOAD": "libmine.so"}
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libtcmalloc_minimal.so.4")
    env = host_memory.jax_environment(base=base)
    assert env["LD_PRELOAD"] == "libmine.so libtcmalloc_minimal.so.4"
    assert env["XLA_FLAGS"] == f"--xla_dump_to=x --xla_force_host_platform_device_count={os.cpu_count()}"
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert host_memory.recommended() == "thp"
    assert host_memory.jax_environment(base={})["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"
    with pytest.raises(ValueError, match="apt install libtcmalloc-minimal4"):
        host_memory.jax_environment("tcmalloc", base={})


def test_only_keras_ar_on_jax_gets_the_jax_environment():
    """The torch peers run as torch users run them, in the caller's environment, even in a
    JAX run: a malloc preloaded for JAX would change the peer, not keras-ar."""
    import workers

    base = {"PATH": "/bin"}
    ours = workers.worker_environment("jax", jax_malloc="thp", base=base)
    peers = workers.worker_environment("jax", jax_malloc="thp", peers=True, base=base)
    assert ours["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1" and "device_count" in ours["XLA_FLAGS"]
    assert not {"GLIBC_TUNABLES", "LD_PRELOAD", "XLA_FLAGS"} & set(peers)
    assert peers["KERAS_BACKEND"] == ours["KERAS_BACKEND"] == "jax" and peers["PATH"] == "/bin"
    assert "XLA_FLAGS" not in workers.worker_environment("tensorflow", base=base)


def test_epoch_rate_smoke_run_times_every_setting(tmp_path):
    """The whole-epoch benchmark times each setting's epochs after an untimed first one,
    and reports the median inside its range against the moonshot's 3,000 images/s."""
    done = subprocess.run([sys.executable, str(BENCHMARKS / "epoch_rate.py"), "--smoke", "--out",
                           str(tmp_path)], env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    stem = "epoch-rate-jax-smoke" if os.environ.get("KERAS_BACKEND") == "jax" else "epoch-rate-smoke"
    report = json.loads((tmp_path / f"{stem}.json").read_text())
    assert report["goal_images_per_second"] == 3000
    assert [(r["activation"], r["batch"]) for r in report["rows"]] == [("sigmoid", 8)]
    for row in report["rows"]:
        assert row["images"] == 64 and row["min"] <= row["median"] <= row["max"]
    assert "| sigmoid | 8 |" in (tmp_path / f"{stem}.md").read_text()


def test_a_dead_worker_is_reported_with_its_exit_code_and_stderr():
    """A worker killed mid-run (e.g. out of memory) stops the benchmark with its exit
    code and the end of its stderr, not a bare "died"."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import speed
    finally:
        sys.path.remove(str(BENCHMARKS))
    worker = speed.Worker("tensorflow")
    worker.process.kill()  # as the kernel's out-of-memory killer would
    worker.process.wait(timeout=60)
    with pytest.raises(RuntimeError, match=r"worker died \(exit -9\) during \{'op': 'run'"):
        worker.ask(op="run", name="keras_ar")
    worker.close()
