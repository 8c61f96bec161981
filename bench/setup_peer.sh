#!/usr/bin/env bash
# Creates bench/.venv-pyrender: the peer renderer pyrender 0.1.45 with its own numpy<2
# (pyrender uses np.infty, removed in numpy 2). Idempotent: re-running only re-checks the pins.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-pyrender"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi

# The same pins every time; pip does nothing when they are already satisfied.
"$venv/bin/python" -m pip install --quiet \
    "pyrender==0.1.45" \
    "numpy<2" \
    "PyOpenGL==3.1.0" \
    "trimesh==5.2.0" \
    "pillow" \
    "scipy" \
    "networkx"

# Quick check that the peer imports with the EGL platform (no display needed).
PYOPENGL_PLATFORM=egl "$venv/bin/python" - <<'PY'
import numpy
import pyrender
import trimesh

print(f"bench/.venv-pyrender ready: pyrender {pyrender.__version__}, "
      f"numpy {numpy.__version__}, trimesh {trimesh.__version__}")
PY
