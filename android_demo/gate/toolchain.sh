# Sourced by check_app.sh and run_host_tests.sh: finds, and with --install fetches, the tools
# of the Android compile gate into android_demo/.toolchain/ (gitignored). Only Debian
# packages and the npm registry are used:
#   apt:  aapt (aapt2), zipalign, apksigner, android-framework-res (API-29 resources),
#         openjdk-17-jdk-headless, junit4
#   npm:  kotlin-compiler@2.0.21 (kotlinc 2.0.21 with kotlin-stdlib and kotlinx-coroutines-core-jvm)
#   apt-get download libandroid-23-java (android.jar, API 23; served by Debian bullseye/sid, not
#         bookworm), from a private APT configuration that adds those suites of the mirror the
#         machine already uses; unpacked with dpkg-deb -x, nothing is installed system-wide.
# toolchain_setup [--install] [--host] sets KOTLINC, KOTLIN_LIB, ANDROID_JAR, FRAMEWORK_RES, JUNIT,
# HAMCREST and returns non-zero with the reason in TOOLCHAIN_MISSING when something is absent.

KOTLIN_VERSION=2.0.21
TOOLCHAIN_DIR="${KERAS_AR_ANDROID_TOOLCHAIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.toolchain}"

_toolchain_log() { echo "toolchain: $*" >&2; }

_fetch_kotlinc() {
    local dir="$TOOLCHAIN_DIR/kotlinc-$KOTLIN_VERSION" tmp
    [ -x "$dir/bin/kotlinc" ] && return 0
    command -v npm >/dev/null || { _toolchain_log "npm not found"; return 1; }
    tmp="$(mktemp -d "$TOOLCHAIN_DIR/.npm-XXXXXX")"
    _toolchain_log "npm pack kotlin-compiler@$KOTLIN_VERSION"
    if (cd "$tmp" && timeout 600 npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null 2>&1 \
        && tar xzf kotlin-compiler-*.tgz) && [ -x "$tmp/package/bin/kotlinc" ]; then
        rm -rf "$dir" && mv "$tmp/package" "$dir"
    fi
    rm -rf "$tmp"
    [ -x "$dir/bin/kotlinc" ]
}

_fetch_android_jar() {
    local dir="$TOOLCHAIN_DIR/android-23" apt="$TOOLCHAIN_DIR/apt" codename mirror suite deb
    [ -f "$dir/android.jar" ] && return 0
    command -v apt-get >/dev/null || { _toolchain_log "apt-get not found"; return 1; }
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    # The mirror this machine already uses for its own release (no host is named here).
    mirror="$(apt-cache policy 2>/dev/null | awk -v s="$codename/main" '$3 == s {print $2; exit}')"
    [ -n "$mirror" ] || { _toolchain_log "no Debian mirror found in apt-cache policy"; return 1; }
    rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/prefs" "$dir"
    for suite in bullseye sid; do
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
    done > "$apt/sources.list"
    cat > "$apt/apt.conf" <<CONF
Dir::Etc::sourcelist "$apt/sources.list";
Dir::Etc::sourceparts "$apt/parts";
Dir::Etc::preferencesparts "$apt/prefs";
Dir::State::lists "$apt/lists";
Dir::Cache "$apt/cache";
CONF
    _toolchain_log "apt-get download libandroid-23-java (private APT_CONFIG with bullseye, sid)"
    if ! (export APT_CONFIG="$apt/apt.conf"; apt-get update -qq >/dev/null 2>&1 \
            && cd "$apt" && apt-get download -qq libandroid-23-java >/dev/null 2>&1); then
        _toolchain_log "no suite served libandroid-23-java"; rm -rf "$apt"; return 1
    fi
    deb="$(ls "$apt"/libandroid-23-java_*.deb 2>/dev/null | head -n 1)"
    [ -n "$deb" ] && dpkg-deb -x "$deb" "$apt/root" \
        && cp "$apt/root/usr/share/java/com.android.android-23.jar" "$dir/android.jar.part" \
        && mv "$dir/android.jar.part" "$dir/android.jar"
    rm -rf "$apt"
    [ -f "$dir/android.jar" ]
}

_install_debian() {
    local missing=()
    command -v aapt2 >/dev/null || missing+=(aapt)
    command -v zipalign >/dev/null || missing+=(zipalign)
    command -v apksigner >/dev/null || missing+=(apksigner)
    [ -f /usr/share/android-framework-res/framework-res.apk ] || missing+=(android-framework-res)
    command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
    [ -f /usr/share/java/junit4.jar ] || missing+=(junit4)
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null || return 1
    _toolchain_log "apt-get install ${missing[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1
}

toolchain_setup() { # toolchain_setup [--install] [--host]: --host needs only the JVM test tools
    local install=0 host=0 arg need
    for arg in "$@"; do
        case "$arg" in --install) install=1 ;; --host) host=1 ;; esac
    done
    TOOLCHAIN_MISSING=""
    if [ "$install" = 1 ]; then
        mkdir -p "$TOOLCHAIN_DIR"
        _install_debian || _toolchain_log "apt-get install failed"
        _fetch_kotlinc || _toolchain_log "could not fetch kotlinc $KOTLIN_VERSION"
        _fetch_android_jar || _toolchain_log "could not fetch android.jar"
    fi
    KOTLINC="$TOOLCHAIN_DIR/kotlinc-$KOTLIN_VERSION/bin/kotlinc"
    KOTLIN_LIB="$TOOLCHAIN_DIR/kotlinc-$KOTLIN_VERSION/lib"
    ANDROID_JAR="$TOOLCHAIN_DIR/android-23/android.jar"
    FRAMEWORK_RES=/usr/share/android-framework-res/framework-res.apk
    JUNIT=/usr/share/java/junit4.jar
    HAMCREST=/usr/share/java/hamcrest-core.jar
    local files=("$KOTLINC" "$JUNIT" "$HAMCREST") tools=(java)
    if [ "$host" = 0 ]; then
        files+=("$ANDROID_JAR" "$FRAMEWORK_RES")
        tools+=(javac javap keytool aapt2 zipalign apksigner unzip)
    fi
    for need in "${files[@]}"; do
        [ -e "$need" ] || TOOLCHAIN_MISSING="$TOOLCHAIN_MISSING ${need#"$TOOLCHAIN_DIR/"}"
    done
    for need in "${tools[@]}"; do
        command -v "$need" >/dev/null || TOOLCHAIN_MISSING="$TOOLCHAIN_MISSING $need"
    done
    [ -z "$TOOLCHAIN_MISSING" ]
}

# cached_build NAME FN INPUT...: runs `FN OUT_DIR` once per content hash of the INPUT files and
# folders (and of FN's definition) and prints the folder, reused by later runs with the same
# inputs. Folders unused for 2 days are removed. KERAS_AR_KOTLIN_CACHE=off builds afresh.
cached_build() {
    local name="$1" fn="$2" key out partial root="${KERAS_AR_KOTLIN_CACHE:-$TOOLCHAIN_DIR/build}"
    shift 2
    if [ "$root" = off ]; then
        root="$(mktemp -d)"
    fi
    mkdir -p "$root"
    find "$root" -mindepth 1 -maxdepth 1 -mtime +2 -exec rm -rf {} + 2>/dev/null || true
    key="$(
        echo "$KOTLIN_VERSION"; declare -f "$fn"
        for input in "$@"; do
            find "$input" -type f | LC_ALL=C sort | while IFS= read -r f; do echo "== ${f#"$input"}"; cat "$f"; done
        done
    )"
    key="$(printf '%s' "$key" | sha256sum | cut -c1-16)"
    out="$root/$name-$key"
    if [ ! -f "$out/.complete" ]; then
        partial="$(mktemp -d "$root/.partial-XXXXXX")"
        if ! "$fn" "$partial" >&2; then rm -rf "$partial"; return 1; fi
        touch "$partial/.complete"
        mv -T "$partial" "$out" 2>/dev/null || rm -rf "$partial"  # a parallel run won
    fi
    touch "$out"
    echo "$out"
}

# kotlinc_quiet ARGS...: kotlinc without the launcher's JDK 13+ "-Xverify:none" warning. A
# compiler run is short: the C1 JIT alone and the serial GC halve its CPU time (measured on
# core/: 39 s -> 21 s of CPU).
KOTLINC_JAVA_OPTS="${KOTLINC_JAVA_OPTS:--Xmx1g -Xms128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
kotlinc_quiet() {
    local log status=0
    log="$(mktemp)"
    JAVA_OPTS="$KOTLINC_JAVA_OPTS" "$KOTLINC" "$@" > "$log" 2>&1 || status=$?
    grep -v -e 'warning: Options -Xverify:none' "$log" >&2 || true
    rm -f "$log"
    return "$status"
}

# The core module's main classes (plain JVM, JDK 17, as core/build.gradle.kts): shared by
# check_app.sh and run_host_tests.sh.
_compile_core_main() {
    kotlinc_quiet "$ANDROID_DEMO/core/src/main/kotlin" -jvm-target 17 \
        -cp "$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar" -d "$1"
}
build_core_main() {
    ANDROID_DEMO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    cached_build core-main _compile_core_main "$ANDROID_DEMO/core/src/main/kotlin"
}
