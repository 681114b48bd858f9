#!/usr/bin/env bash
# Build the one-folder app from a clean clone: dist/secondopinion/secondopinion (Linux).
# Usage: packaging/build.sh            (PYTHON=python3.11 packaging/build.sh to pick the interpreter)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv-build"
start=$(date +%s)

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# A regular (not editable) install: the resources package exists only in an installed copy.
"$VENV/bin/python" -m pip install --quiet --upgrade "$ROOT[packaging]"
# The installed package may be replaced by a newer one from the source tree with the same version number.
"$VENV/bin/python" -m pip install --quiet --no-deps --force-reinstall "$ROOT"

# Run PyInstaller outside the source tree so the installed package, not ./secondopinion_desktop, is analysed.
cd "$(mktemp -d)"
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/packaging/secondopinion.spec"

end=$(date +%s)
echo
echo "Built $ROOT/dist/secondopinion/secondopinion"
echo "Bundle size: $(du -sh "$ROOT/dist/secondopinion" | cut -f1)"
echo "Build time: $((end - start)) s"
