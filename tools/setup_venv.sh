#!/usr/bin/env bash
# Makes .venv/ (or $RNNRT_VENV): Debian's /usr/bin/python3 with its system packages (NumPy,
# PyTorch, Dask, pytest from apt) and rnnrt pip-installed into it from this clone, as a
# newcomer's `pip install .` would (without build isolation: Debian's python3-mesonpy).
#   tools/setup_venv.sh [more pip packages to install into the venv...]
# Rerunning reinstalls rnnrt; build-pip/ keeps meson's build, so that is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${RNNRT_VENV:-.venv}
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install -q --no-build-isolation --no-deps --force-reinstall \
  --config-settings=builddir=build-pip .
if [ $# -gt 0 ]; then
  "$venv/bin/python" -m pip install -q "$@"
fi
