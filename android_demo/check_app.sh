#!/usr/bin/env bash
# Compile gate for the Android app without Gradle or the Android SDK (see README, "Compile gate").
#
#   bash android_demo/check_app.sh [--install]
#
# 1. aapt2 compile + link of app/src/main/res and the manifest (package= added from the
#    `namespace` of app/build.gradle.kts, as the Android Gradle plugin does) against Debian's
#    API-29 framework resources, with the assets; writes R.java.
# 2. kotlinc 2.0.21: core/ against JDK 17 (as core/build.gradle.kts), then app/ against the
#    API-23 android.jar, kotlinx-coroutines, core and the compile-only stubs of gate/stubs/
#    (LiteRT 1.4.1 Interpreter, AppCompat, androidx core/activity/lifecycle). Any error fails.
# 3. The bytecode of core and app must not call the covariant java.nio buffer methods that
#    JDK 9 added (ByteBuffer.rewind()Ljava/nio/ByteBuffer; ...): Android before API 34 lacks
#    them unless desugared.
# 4. A structural APK (manifest, resources, assets; no dex: no d8/dx is installable here):
#    model.tflite must be stored uncompressed, zipalign -c, apksigner sign + verify.
#
# --install first fetches missing tools (gate/toolchain.sh: apt, npm, apt-get download) into
# android_demo/.toolchain/. When a tool is still missing (no network), it prints
# "android compile gate: SKIPPED (...)" and exits 0; a compile error always exits 1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
install=""
for arg in "$@"; do
    case "$arg" in
        --install) install=--install ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
# shellcheck source=gate/toolchain.sh
source "$here/gate/toolchain.sh"
start=$SECONDS
if ! toolchain_setup $install; then
    echo "android compile gate: SKIPPED (missing:$TOOLCHAIN_MISSING; run bash android_demo/check_app.sh --install)"
    exit 0
fi

app="$here/app"
stubs="$here/gate/stubs"
coroutines="$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar"
stdlib="$KOTLIN_LIB/kotlin-stdlib.jar"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
timings=()

fail() {
    echo "android compile gate: FAILED at $* after $((SECONDS - start))s ($(IFS=,; echo "${timings[*]:-}" | sed 's/,/, /g'))"
    exit 1
}
timed() { # timed LABEL COMMAND...: runs COMMAND, records its wall time
    local label="$1" t0=$SECONDS
    shift
    echo "[$label]"
    "$@" || fail "$label"
    timings+=("$label $((SECONDS - t0))s")
}

# Functions below chain their commands with `|| return 1`: `set -e` does not apply inside a
# function called from `timed ... || fail`.

# --- compile-only stubs (cached by content) ---------------------------------------------
_compile_stubs() {
    local out="$1" shim
    shim="$(mktemp -d)"
    javac -nowarn -encoding UTF-8 -cp "$ANDROID_JAR" -d "$shim" $(find "$stubs/shim" -name '*.java') \
        && javac -nowarn -encoding UTF-8 --release 17 -cp "$shim:$ANDROID_JAR:$coroutines" -d "$out" \
            $(find "$stubs/java" -name '*.java')
    local status=$?
    rm -rf "$shim"
    return $status
}
stub_classes() { stub_dir="$(cached_build stubs _compile_stubs "$stubs/java" "$stubs/shim")"; }
timed stubs stub_classes

# --- resources, manifest, R.java ----------------------------------------------------------
namespace="$(sed -n 's/^ *namespace *= *"\(.*\)".*/\1/p' "$app/build.gradle.kts" | head -n 1)"
gradle_value() { sed -n "s/^ *$1 *= *\"\{0,1\}\([^\"]*\)\"\{0,1\}.*/\1/p" "$app/build.gradle.kts" | head -n 1; }
[ -n "$namespace" ] || fail "no namespace in app/build.gradle.kts"
link_resources() {
    mkdir -p "$work/gen" || return 1
    sed "s|<manifest |<manifest package=\"$namespace\" |" "$app/src/main/AndroidManifest.xml" > "$work/AndroidManifest.xml" || return 1
    aapt2 compile --dir "$app/src/main/res" -o "$work/res.zip" || return 1
    aapt2 compile --dir "$stubs/res" -o "$work/stub-res.zip" || return 1
    local assets=() ext
    [ -d "$app/src/main/assets" ] && assets=(-A "$app/src/main/assets")
    # androidResources.noCompress of app/build.gradle.kts, as the packager applies it to assets
    for ext in $(sed -n 's/.*noCompress\.add("\([^"]*\)").*/\1/p' "$app/build.gradle.kts"); do
        assets+=(-0 ".$ext")
    done
    aapt2 link -o "$work/app-unsigned.apk" -I "$FRAMEWORK_RES" --manifest "$work/AndroidManifest.xml" \
        --java "$work/gen" --min-sdk-version "$(gradle_value minSdk)" --target-sdk-version "$(gradle_value targetSdk)" \
        --version-code "$(gradle_value versionCode)" --version-name "$(gradle_value versionName)" \
        "${assets[@]}" "$work/stub-res.zip" "$work/res.zip" || return 1
    javac -nowarn -encoding UTF-8 --release 17 -cp "$ANDROID_JAR" -d "$work/r" $(find "$work/gen" -name '*.java') || return 1
}
timed resources link_resources

# --- Kotlin: core, then app ---------------------------------------------------------------
core_classes() { core_dir="$(build_core_main)"; }
timed "kotlinc core" core_classes
compile_app() {
    kotlinc_quiet "$app/src/main/java" "$stubs/kotlin" -no-jdk -no-reflect -jvm-target 17 \
        -cp "$ANDROID_JAR:$stub_dir:$work/r:$core_dir:$coroutines:$stdlib" -d "$work/app"
}
timed "kotlinc app" compile_app

# --- bytecode: no covariant java.nio Buffer returns (JDK 9+ only) -------------------------
check_bytecode() {
    local classes hits
    classes="$(find "$core_dir" "$work/app" -name '*.class' ! -path "$work/app/androidx/*")"
    [ -n "$classes" ] || return 1
    # shellcheck disable=SC2086
    javap -c -p $classes > "$work/javap.txt" || return 1
    hits="$(grep -oE 'Method java/nio/([A-Za-z]*Buffer)\.(rewind|flip|clear|mark|reset|position|limit):\(I?\)Ljava/nio/[A-Za-z]*Buffer;' "$work/javap.txt" \
        | grep -vE 'Ljava/nio/Buffer;$' | sort -u || true)"
    if [ -n "$hits" ]; then
        echo "$hits" >&2
        echo "these calls need a JDK 9+ runtime; call them on a java.nio.Buffer (val b: Buffer = buffer)" >&2
        return 1
    fi
}
timed "bytecode check" check_bytecode

# --- structural APK: uncompressed model, zipalign, apksigner ------------------------------
package_apk() {
    local key="$TOOLCHAIN_DIR/gate-debug.keystore"
    if unzip -v "$work/app-unsigned.apk" | grep -E '\.tflite$' | grep -vq ' Stored '; then
        echo "model.tflite is compressed in the APK: it must be memory-mapped (noCompress)" >&2; return 1
    fi
    zipalign -p -f 4 "$work/app-unsigned.apk" "$work/app-aligned.apk" || return 1
    zipalign -c -p 4 "$work/app-aligned.apk" || return 1
    if [ ! -f "$key" ]; then
        keytool -genkeypair -keystore "$key" -storepass android -keypass android -alias gate \
            -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=keras-ar compile gate" >/dev/null 2>&1 || return 1
    fi
    apksigner sign --ks "$key" --ks-pass pass:android --key-pass pass:android \
        --min-sdk-version "$(gradle_value minSdk)" --out "$work/app.apk" "$work/app-aligned.apk" || return 1
    apksigner verify --min-sdk-version "$(gradle_value minSdk)" "$work/app.apk" || return 1
    echo "structural APK: $(unzip -l "$work/app.apk" | tail -n 1 | awk '{print $2}') entries, $(stat -c %s "$work/app.apk") bytes"
}
timed apk package_apk

echo "android compile gate: passed in $((SECONDS - start))s ($(IFS=,; echo "${timings[*]}" | sed 's/,/, /g'))"
