#!/usr/bin/env bash
# System packages the tests need (Debian): each scripts/setup.d/*.sh installs one thing when missing.
# Called by `make test`; idempotent and quick when everything is there. Needs root (as on CI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for step in "$here"/setup.d/*.sh; do
  [ -e "$step" ] || continue
  bash "$step"
done
