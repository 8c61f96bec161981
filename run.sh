#!/usr/bin/env bash
# One entry point for a fresh machine: sets everything up, then runs what you ask for.
#   bash run.sh storyboard   render the example stage's storyboard frames into out/storyboard
#   bash run.sh test         lint and format check (ruff), type check (mypy), then the whole test suite
#   bash run.sh test-lowest  the suite against the lowest dependency versions pyproject.toml allows
# Set-up is idempotent: a virtual environment in .venv with previs and its dependencies, and
# Mesa's EGL driver from apt when no OpenGL context can be made.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "previs needs Python 3.11 or newer: install python3 (apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "previs needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1)" >&2
  exit 1
fi

apt_install() {
  # Installs Debian packages when we may (root or passwordless sudo); otherwise says what to do.
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "previs needs these system packages: $*  (apt-get install $*)" >&2; return 1; fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "previs needs system packages providing: $* (no apt-get here: install them with your package manager)" >&2
    return 1
  fi
  echo "installing system packages: $*" >&2
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    apt_install python3-venv && "$PY" -m venv .venv
  fi
fi
stamp=.venv/.previs-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi

# OpenGL without a display: Mesa's EGL (llvmpipe on a machine without a GPU).
if ! .venv/bin/python -m previs.render.check >/dev/null 2>&1; then
  apt_install libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 || exit 1
  .venv/bin/python -m previs.render.check || exit 1
fi

# The blocking window's tests open real glfw windows on a virtual X display (Xvfb, GLX from Mesa).
if [[ "${1:-}" = test* ]] && ! command -v Xvfb >/dev/null 2>&1; then
  apt_install xvfb libglx-mesa0 libgl1-mesa-dri || exit 1
fi

# The tests read PDFs back with poppler's pdftoppm, as a production office would print them.
if [[ "${1:-}" = test* ]] && ! command -v pdftoppm >/dev/null 2>&1; then
  apt_install poppler-utils || exit 1
fi

# The review page is loaded in headless Chromium, as its readers would open it.
if [[ "${1:-}" = test* ]] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium || exit 1
fi

case "${1:-}" in
  storyboard)
    shift
    .venv/bin/previs render scenes/led_stage.yaml -o out/storyboard "$@"
    ;;
  test)
    shift
    # lint and format (ruff), the type check ([tool.mypy]: previs.core and previs.io), the suite
    .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/python -m mypy \
      && .venv/bin/python -m pytest -q "$@"
    ;;
  test-lowest)
    shift
    # Every dependency at the lowest version pyproject.toml allows (uv's lowest-direct resolution),
    # then the suite but the install test: a minimum that does not work fails here, not for a user.
    [ -x .venv-lowest/bin/python ] || "$PY" -m venv .venv-lowest
    .venv/bin/python -m pip install -q uv
    .venv/bin/uv pip install -q --python .venv-lowest/bin/python --resolution lowest-direct -e '.[test]'
    # (no type check here: older numpy, Pillow and pydantic ship other stubs; `test` checks types)
    .venv-lowest/bin/python -m pytest -q --ignore tests/test_install.py "$@"
    ;;
  *)
    echo "usage: bash run.sh storyboard|test|test-lowest" >&2
    exit 2
    ;;
esac
