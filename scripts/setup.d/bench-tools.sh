#!/usr/bin/env bash
# The benchmarks (bench/) compare guotu with peer tools: `wrk` (HTTP load on the tile server) and
# `ogr2ogr` (GDAL's loader, the import-speed peer). Install them when missing.
set -euo pipefail
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v ogr2ogr >/dev/null 2>&1 || need+=(gdal-bin)
[ ${#need[@]} -eq 0 ] && exit 0
echo "setup.d/bench-tools.sh: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
