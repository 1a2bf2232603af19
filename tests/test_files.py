"""keras_ar.files: a file is written whole or not at all, even when the writer dies."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_ar import files


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if "partial" in p.name)


def test_json_text_and_arrays_are_written_to_exactly_their_path(tmp_path):
    files.write_json(tmp_path / "new" / "r.json", {"nll": 88.5})  # the folder is made
    assert json.loads((tmp_path / "new" / "r.json").read_text()) == {"nll": 88.5}
    files.save_array(tmp_path / "a.more7.npy", np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(np.load(tmp_path / "a.more7.npy"), np.arange(6.0).reshape(2, 3))
    files.save_array(tmp_path / "plain", np.ones(2))  # no ".npy" appended
    assert (tmp_path / "plain").exists() and not (tmp_path / "plain.npy").exists()
    files.write_text(tmp_path / "t.txt", "once")
    files.write_text(tmp_path / "t.txt", "twice")
    assert (tmp_path / "t.txt").read_text() == "twice"
    assert leftovers(tmp_path) == leftovers(tmp_path / "new") == []


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    path = tmp_path / "r.json"
    files.write_json(path, {"epochs": 3})
    with pytest.raises(TypeError):
        files.write_json(path, {"epochs": object()})  # not JSON: nothing is written
    with pytest.raises(RuntimeError, match="disk full"):
        with files.replacing(path, "w") as stream:
            stream.write('{"epochs": ')
            raise RuntimeError("disk full")
    assert json.loads(path.read_text()) == {"epochs": 3}
    assert leftovers(tmp_path) == []


def test_a_writer_killed_mid_file_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "history.json"
    files.write_json(path, [{"epoch": 1}])
    writer = (
        "import importlib.util, os, signal, sys\n"
        "spec = importlib.util.spec_from_file_location('files', sys.argv[1])\n"
        "files = importlib.util.module_from_spec(spec); spec.loader.exec_module(files)\n"
        "with files.replacing(sys.argv[2], 'w') as stream:\n"
        "    stream.write('[{\"epoch\": 1}, {\"epo'); stream.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = subprocess.run([sys.executable, "-c", writer, files.__file__, str(path)], timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert json.loads(path.read_text()) == [{"epoch": 1}]  # the old file, whole
    files.write_json(path, [{"epoch": 1}, {"epoch": 2}])  # the next write replaces the debris
    assert json.loads(path.read_text()) == [{"epoch": 1}, {"epoch": 2}]
    assert leftovers(tmp_path) == []
