#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test.
# On a fresh Debian machine it first installs what the tests need (a C compiler, Chromium and
# chromedriver for the browser test; run it as root there).
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

install_debian() {
    if have apt-get && [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
    else
        echo "tests/run.sh: please install these packages first: $*" >&2
        exit 1
    fi
}

missing=()
have cc || missing+=(gcc libc6-dev)
have kill || missing+=(procps)
# The browser test drives Debian's headless Chromium through chromedriver.
[ -x /usr/bin/chromium ] || missing+=(chromium)
have chromedriver || [ -x /usr/lib/chromium/chromedriver ] || missing+=(chromium-driver)
if [ "${#missing[@]}" -gt 0 ]; then install_debian "${missing[@]}"; fi

if ! have cargo; then
    echo "tests/run.sh: cargo is missing; install Rust (https://rustup.rs) and run again" >&2
    exit 1
fi
for component in rustfmt clippy; do
    cargo "$component" --version >/dev/null 2>&1 || rustup component add "$component"
done

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --all-targets --locked
