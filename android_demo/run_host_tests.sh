#!/usr/bin/env bash
# Compiles the pure-Kotlin core module and its JUnit 4 tests with kotlinc 2.0.21 and runs them
# on the host JVM. No Gradle, no Android SDK. Uses the toolchain of the compile gate
# (gate/toolchain.sh: kotlinc 2.0.21 with kotlinx-coroutines from npm, junit4 from Debian);
# fetch it once with `bash android_demo/check_app.sh --install`.
#
#   bash android_demo/run_host_tests.sh
#       the JUnit tests; ends with a line "N passed, N failed"; exits non-zero on a failure.
#   bash android_demo/run_host_tests.sh --check-toolchain
#       exits 0 when the toolchain is there, else prints what is missing and exits 3.
#   MANIFEST_DIR=EXPORT_DIR[:EXPORT_DIR...] bash android_demo/run_host_tests.sh [--exports-only]
#       also (or only) checks export directories of keras-ar (manifest.json, and
#       app_trace.json if present, see android_demo/app_loop.py) with ContractCheck: prints
#       "MANIFEST <json>" per directory and "REPLAY <dir> <run> ok" per replayed run, then
#       "exports: N checked, N failed".
#
# Compiled classes are cached by a hash of the sources in android_demo/.toolchain/build
# (entries unused for 2 days are removed); KERAS_AR_KOTLIN_CACHE=off compiles afresh.
set -euo pipefail

exports_only=0
check_only=0
for arg in "$@"; do
    case "$arg" in
        --exports-only) exports_only=1 ;;
        --check-toolchain) check_only=1 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
if [ "$exports_only" = 1 ] && [ -z "${MANIFEST_DIR:-}" ]; then
    echo "--exports-only needs MANIFEST_DIR=dir[:dir...]" >&2; exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
core="$here/core/src"
# shellcheck source=gate/toolchain.sh
source "$here/gate/toolchain.sh"
if ! toolchain_setup --host; then
    echo "missing:$TOOLCHAIN_MISSING (bash android_demo/check_app.sh --install)" >&2
    exit 3
fi
[ "$check_only" = 1 ] && exit 0
coroutines="$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar"
stdlib="$KOTLIN_LIB/kotlin-stdlib.jar"

fail_compile() { echo "$1 did not compile" >&2; echo "0 passed, 1 failed"; exit 1; }
echo "compiling core and tests (cached by content)..."
main="$(build_core_main)" || fail_compile core
_compile_core_tests() {
    kotlinc_quiet "$core/test/kotlin" -jvm-target 17 -cp "$main:$coroutines:$JUNIT:$HAMCREST" -d "$1"
}
tests="$(cached_build core-test _compile_core_tests "$core/main/kotlin" "$core/test/kotlin")" || fail_compile tests
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

classpath="$main:$tests:$core/test/resources:$stdlib:$coroutines:$JUNIT:$HAMCREST"

# --- ContractCheck on export directories ------------------------------------------------
check_exports() {
    local dirs checked=0 failed=0
    IFS=: read -r -a dirs <<< "$MANIFEST_DIR"
    for dir in "${dirs[@]}"; do
        [ -n "$dir" ] || continue
        checked=$((checked + 1))
        if ! java -cp "$classpath" com.kerasar.demo.core.ContractCheckKt "$dir"; then
            failed=$((failed + 1))
        fi
    done
    echo "exports: $checked checked, $failed failed"
    [ "$failed" -eq 0 ]
}

if [ "$exports_only" = 1 ]; then
    check_exports
    exit $?
fi

classes=()
while IFS= read -r file; do
    package="$(sed -n 's/^package \(.*\)$/\1/p' "$file" | head -n 1)"
    classes+=("$package.$(basename "$file" .kt)")
done < <(find "$core/test/kotlin" -name '*Test.kt' | sort)

set +e
java -cp "$classpath" org.junit.runner.JUnitCore "${classes[@]}" > "$work/junit.log" 2>&1
status=$?
set -e
cat "$work/junit.log"

# JUnitCore closes with "OK (N tests)" or "Tests run: N,  Failures: M".
if line="$(grep -E '^OK \([0-9]+ tests?\)' "$work/junit.log")"; then
    total="$(echo "$line" | grep -oE '[0-9]+')"
    failed=0
elif line="$(grep -E '^Tests run: [0-9]+, +Failures: [0-9]+' "$work/junit.log")"; then
    total="$(echo "$line" | sed -E 's/^Tests run: ([0-9]+),.*/\1/')"
    failed="$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')"
else
    echo "could not read the JUnit summary" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
exports_ok=1
if [ -n "${MANIFEST_DIR:-}" ]; then check_exports || exports_ok=0; fi
echo "$((total - failed)) passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$exports_ok" -ne 1 ]; then exit 1; fi
