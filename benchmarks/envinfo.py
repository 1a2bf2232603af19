"""Machine and software facts for every benchmark result file, and the writing of those
files (one place)."""

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

PACKAGES = ("keras", "tensorflow", "torch", "jax", "numpy")


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def versions(packages=PACKAGES):
    """Installed versions, without importing the frameworks into this process."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for name in packages:
        for dist in (name, f"{name}-cpu"):
            try:
                found[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                found[name] = None
    try:
        found["keras_ar"] = metadata.version("keras-ar")
    except metadata.PackageNotFoundError:
        found["keras_ar"] = None
    return found


def git_commit(root):
    """The short commit, with "+changes" when tracked files differ from it (the numbers
    then belong to code that is not in that commit)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, check=False,
                              capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                check=False, capture_output=True, text=True, timeout=10)
        commit = done.stdout.strip() or None
        return commit and commit + ("+changes" if status.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment(root=None):
    """Date (UTC), machine (CPU model, cores, load average now) and versions."""
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.machine()} {cpu_model()}",
        "logical_cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "command": " ".join(["python", *sys.argv]),
        "git_commit": git_commit(root) if root else None,
        "versions": versions(),
    }


def write_results(out, stem, report, markdown):
    """`<stem>.json` (the report) and `<stem>.md` (`markdown`) in the folder `out`, each
    written whole or not at all (`keras_ar.files`)."""
    from keras_ar import files

    files.write_json(out / f"{stem}.json", report)
    files.write_text(out / f"{stem}.md", markdown)
