"""Runs the Android demo's host-JVM tests (pure-Kotlin core module) through kotlinc + JUnit 4."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "android_demo" / "run_host_tests.sh"
JAVA_LIBS = Path(os.environ.get("JAVA_LIBS", "/usr/share/java"))


def _missing_toolchain():
    if shutil.which("kotlinc") is None:
        return "kotlinc not installed (apt-get install -y kotlin junit4)"
    if shutil.which("java") is None:
        return "java not installed"
    if not any((JAVA_LIBS / name).is_file() for name in ("junit4.jar", "junit.jar")):
        return f"junit4 jar not found in {JAVA_LIBS} (apt-get install -y junit4)"
    return None


def test_android_core_host_tests():
    reason = _missing_toolchain()
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        ["bash", str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    summary = [line for line in result.stdout.splitlines() if line.endswith(" failed")]
    assert summary and summary[-1].endswith(" 0 failed"), output[-4000:]
