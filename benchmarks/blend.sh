#!/bin/sh
# Regenerates the two tables of docs/blending.md: Bhulai & Koole's threshold rule against its
# exact model, and the ContactCenters "Blend" example against its published results.
# Usage: benchmarks/blend.sh [BUILD_DIR]   (default: build; needs the omnivox_blend_bench target)
set -e
build=${1:-build}
"$build/benchmarks/omnivox_blend_bench" threshold --seeds 20 --hours 20
echo
"$build/benchmarks/omnivox_blend_bench" contactcenters --days 1000
