"""Two worker processes on localhost (`MultiWorkerMirroredStrategy`, TF_CONFIG) train a
NADE to the same weights as one process on the same global batches."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).parent / "distributed_run.py"
TIMEOUT = 240  # seconds for the whole cluster; a hung collective must not hang CI


def free_loopback_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(tf_config=None):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(SCRIPT.parent), str(SCRIPT.parents[1])])}
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


@pytest.mark.slow
def test_two_worker_processes_match_one_process(tmp_path):
    try:
        ports = [free_loopback_port(), free_loopback_port()]
    except OSError as error:
        pytest.skip(f"cannot bind a loopback port here ({error})")
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    workers = [
        subprocess.Popen(
            [sys.executable, str(SCRIPT), "multi_worker", str(tmp_path / f"worker{i}.npz")],
            env=environment({"cluster": cluster, "task": {"type": "worker", "index": i}}),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(2)
    ]
    single = subprocess.run([sys.executable, str(SCRIPT), "none", str(tmp_path / "single.npz")],
                            env=environment(), capture_output=True, text=True, timeout=TIMEOUT,
                            check=False)
    assert single.returncode == 0, single.stderr[-3000:]
    try:
        outputs = [worker.communicate(timeout=TIMEOUT) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]
    expected = np.load(tmp_path / "single.npz")
    assert expected["loss"][-1] < expected["loss"][0]  # it did train
    for i in range(2):
        got = np.load(tmp_path / f"worker{i}.npz")
        np.testing.assert_allclose(got["loss"], expected["loss"], rtol=1e-5)
        for key in expected.files:
            np.testing.assert_allclose(got[key], expected[key], atol=1e-5, err_msg=f"worker {i} {key}")
