#!/usr/bin/env bash
# Compiles the pure-Kotlin core module and its JUnit 4 tests with kotlinc and runs them on
# the host JVM. No Gradle, no Android SDK, no network. Installs nothing: it needs
#   apt-get install -y kotlin junit4      (Debian: kotlinc 1.3.31, junit4 4.13, hamcrest)
# Ends with a line "N passed, N failed"; exits non-zero on any failure.
set -euo pipefail

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
trap 'rm -rf "$work"' EXIT

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

compile core "$core/main/kotlin" -d "$work/main"
compile tests "$core/test/kotlin" -cp "$work/main:$junit:$hamcrest" -d "$work/test"

classes=()
while IFS= read -r file; do
    package="$(sed -n 's/^package \(.*\)$/\1/p' "$file" | head -n 1)"
    classes+=("$package.$(basename "$file" .kt)")
done < <(find "$core/test/kotlin" -name '*Test.kt' | sort)

classpath="$work/main:$work/test:$core/test/resources:$stdlib:$junit:$hamcrest"
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
echo "$((total - failed)) passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
