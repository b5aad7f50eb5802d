#!/bin/sh
# Regenerates the tables of docs/blending.md: Bhulai & Koole's threshold rule against its exact
# model, the ContactCenters "Blend" example against its published results, and the speed.
# Usage: benchmarks/blend.sh [BUILD_DIR]   (default: build; needs the omnivox_blend_bench target)
set -e
build=${1:-build}
"$build/benchmarks/omnivox_blend_bench" threshold --seeds 20 --hours 20
echo
"$build/benchmarks/omnivox_blend_bench" contactcenters --days 1000
echo
"$build/benchmarks/omnivox_blend_bench" speed
