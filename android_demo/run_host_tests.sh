#!/usr/bin/env bash
# Compiles the pure-Kotlin core module and its JUnit 4 tests with kotlinc and runs them on
# the host JVM. No Gradle, no Android SDK, no network. Installs nothing: it needs
#   apt-get install -y kotlin junit4      (Debian: kotlinc 1.3.31, junit4 4.13, hamcrest)
#
#   bash android_demo/run_host_tests.sh
#       the JUnit tests; ends with a line "N passed, N failed"; exits non-zero on a failure.
#   MANIFEST_DIR=EXPORT_DIR[:EXPORT_DIR...] bash android_demo/run_host_tests.sh [--exports-only]
#       also (or only) checks export directories of keras-ar (manifest.json, and
#       app_trace.json if present, see android_demo/app_loop.py) with ContractCheck: prints
#       "MANIFEST <json>" per directory and "REPLAY <dir> <run> ok" per replayed run, then
#       "exports: N checked, N failed".
#
# Compiled classes are cached by a hash of the sources in $KERAS_AR_KOTLIN_CACHE (default
# ${TMPDIR:-/tmp}/keras-ar-android-host-$UID; entries unused for 2 days are removed);
# KERAS_AR_KOTLIN_CACHE=off compiles into a temporary folder every time.
set -euo pipefail

exports_only=0
for arg in "$@"; do
    case "$arg" in
        --exports-only) exports_only=1 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
if [ "$exports_only" = 1 ] && [ -z "${MANIFEST_DIR:-}" ]; then
    echo "--exports-only needs MANIFEST_DIR=dir[:dir...]" >&2; exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
core="$here/core/src"
java_dir="${JAVA_LIBS:-/usr/share/java}"

find_jar() {
    for name in "$@"; do
        if [ -f "$java_dir/$name" ]; then echo "$java_dir/$name"; return 0; fi
    done
    echo "missing jar: one of $* in $java_dir (apt-get install -y kotlin junit4)" >&2
    return 1
}

command -v kotlinc >/dev/null || { echo "kotlinc not found (apt-get install -y kotlin)" >&2; exit 2; }
junit="$(find_jar junit4.jar junit.jar)"
hamcrest="$(find_jar hamcrest-core.jar hamcrest.jar)"
stdlib="$(find_jar kotlin-stdlib.jar)"

work="$(mktemp -d)"
partial=""
cleanup() { rm -rf "$work"; if [ -n "$partial" ]; then rm -rf "$partial"; fi; }
trap cleanup EXIT

# kotlinc's launcher passes -noverify, which JDK 13+ warns about; that line is noise.
quiet() { grep -v -e '^OpenJDK 64-Bit Server VM warning: Options -Xverify:none' || true; }

compile() { # compile NAME ARGS...: runs kotlinc, prints its messages, fails the run on error
    local name="$1"; shift
    echo "compiling $name..."
    if ! kotlinc "$@" > "$work/kotlinc.log" 2>&1; then
        quiet < "$work/kotlinc.log"
        echo "$name did not compile" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    quiet < "$work/kotlinc.log"
}

# --- compile (or reuse a cached build of the same sources) -----------------------------
cache_root="${KERAS_AR_KOTLIN_CACHE:-${TMPDIR:-/tmp}/keras-ar-android-host-$(id -u)}"
if [ "$cache_root" = off ]; then
    build="$work/build"
    mkdir -p "$build"
    compile core "$core/main/kotlin" -d "$build/main"
    compile tests "$core/test/kotlin" -cp "$build/main:$junit:$hamcrest" -d "$build/test"
else
    key="$(
        cd "$core"
        command -v kotlinc
        find main/kotlin test/kotlin -name '*.kt' | LC_ALL=C sort | while IFS= read -r f; do
            echo "== $f"; cat "$f"
        done
    )"
    key="$(printf '%s' "$key" | sha256sum | cut -c1-20)"
    mkdir -p "$cache_root"
    find "$cache_root" -mindepth 1 -maxdepth 1 -mtime +2 -exec rm -rf {} + 2>/dev/null || true
    build="$cache_root/$key"
    if [ -f "$build/complete" ]; then
        echo "using compiled classes from $build"
        touch "$build"
    else
        partial="$(mktemp -d "$cache_root/.partial-XXXXXX")"
        compile core "$core/main/kotlin" -d "$partial/main"
        compile tests "$core/test/kotlin" -cp "$partial/main:$junit:$hamcrest" -d "$partial/test"
        touch "$partial/complete"
        if ! mv -T "$partial" "$build" 2>/dev/null; then rm -rf "$partial"; fi  # a parallel run won
    fi
fi

classpath="$build/main:$build/test:$core/test/resources:$stdlib:$junit:$hamcrest"

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
