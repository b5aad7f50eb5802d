# The start shared by the pacing benchmark scripts that take [SEEDS] [OMNIVOX] [WARM_UP]
# (defaults: 10, ./build/src/cli/omnivox, 2): strict mode, the repository's root as the working
# directory, and WORK, a temporary directory removed on exit.
# Usage, at the top of such a script: source "$(dirname "$0")/pacing_script_setup.sh" "$@"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SEEDS="${1:-10}"
OMNIVOX="${2:-./build/src/cli/omnivox}"
WARM_UP="${3:-2}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
