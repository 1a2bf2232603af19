"""The speed benchmark's smoke runs write the promised result fields (the scripts
themselves are not timed tests); the peers' equivalence is test_benchmark_peers.py."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason='the benchmark peers need torch (pip install -e ".[bench]")')

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))


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
