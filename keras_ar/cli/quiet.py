"""A quiet command line: TensorFlow's native start-up lines (absl, oneDNN, CUDA
probing) are written by C++ straight to file descriptor 2, before and regardless of
`TF_CPP_MIN_LOG_LEVEL`; they are captured here and dropped, everything else that
reaches stderr is kept (`--verbose` turns all of this off)."""

import contextlib
import logging
import os
import re
import sys
import tempfile

# glog-style lines (I/W from C++ logging) and absl's pre-initialisation notice
NOISE = re.compile(r"^([IW]\d{4} |WARNING: All log messages before absl::InitializeLog"
                   r"|To enable the following instructions: )")


@contextlib.contextmanager
def quiet(verbose=False):
    """Within the block: C-level stderr goes to a temporary file (replayed at the end
    without the `NOISE` lines); Python's own stderr stays live."""
    if verbose:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read when TensorFlow is imported
    for name in ("absl", "tensorflow", "tf2onnx", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    sys.stderr.flush()
    original_fd = os.dup(2)
    python_stderr = sys.stderr
    if _writes_to_fd2(python_stderr):  # keep Python's stderr on the real stream
        sys.stderr = open(os.dup(original_fd), "w", buffering=1, encoding="utf-8",
                          errors="replace")
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(original_fd, 2)
            os.close(original_fd)
            if sys.stderr is not python_stderr:
                sys.stderr.close()
                sys.stderr = python_stderr
            captured.seek(0)
            for line in captured.read().decode("utf-8", "replace").splitlines():
                if not NOISE.match(line):
                    print(line, file=sys.stderr)


def _writes_to_fd2(stream):
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False
