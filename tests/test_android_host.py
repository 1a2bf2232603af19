"""Runs the Android demo's host-JVM tests (pure-Kotlin core module) through kotlinc + JUnit 4.

The toolchain (kotlinc 2.0.21 with kotlinx-coroutines from npm, junit4 from Debian) lives in
android_demo/.toolchain/; `bash android_demo/check_app.sh --install` fetches it (.ci/run does).
"""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "android_demo" / "run_host_tests.sh"


def _missing_toolchain():
    """None when run_host_tests.sh finds its toolchain, else what is missing."""
    check = subprocess.run(
        ["bash", str(SCRIPT), "--check-toolchain"], capture_output=True, text=True, check=False
    )
    if check.returncode == 0:
        return None
    return check.stderr.strip() or f"run_host_tests.sh --check-toolchain exited {check.returncode}"


def test_android_core_host_tests():
    reason = _missing_toolchain()
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        ["bash", str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    summary = [line for line in result.stdout.splitlines() if line.endswith(" failed")]
    assert summary and summary[-1].endswith(" 0 failed"), output[-4000:]
