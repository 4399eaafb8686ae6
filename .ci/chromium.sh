#!/usr/bin/env bash
# Make sure Chromium and its WebDriver are installed for browser (Selenium) tests.
# Installs the Debian packages chromium + chromium-driver when we are root and they
# are missing; prints the Chromium version. Exit 3 if they cannot be had.
set -euo pipefail

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]] && [[ $EUID -eq 0 ]]; then
    echo "chromium.sh: installing chromium and chromium-driver with apt-get ..." >&2
    { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } >&2 || true
fi
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    echo "!!! chromium.sh: /usr/bin/chromium or /usr/bin/chromedriver missing and could not be installed" >&2
    exit 3
fi
/usr/bin/chromium --version
