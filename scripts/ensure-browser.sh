#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the dashboard tests (never a
# browser build downloaded by a test framework). Idempotent: nothing to do when
# /usr/bin/chromium exists. Fonts come along so screenshots show text.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "ensure-browser: installing Debian's chromium (once)" >&2
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
apt_get update -qq
apt_get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version >&2
