#!/usr/bin/env bash
# The browser tests (tests/e2e) need Debian's Chromium and a CJK font; install them when missing.
# Never `playwright install`: Playwright drives /usr/bin/chromium.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
cjk_fonts=""
if command -v fc-list >/dev/null 2>&1; then
  cjk_fonts="$(fc-list :lang=zh family 2>/dev/null || true)"
fi
case "${cjk_fonts,,}" in
  *noto*cjk*) ;;
  *) need+=(fonts-noto-cjk) ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0
echo "setup.d/browser.sh: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
