#!/usr/bin/env bash
# Create (or reuse) .venv with Python 3.11 and the pinned OpenMMLab stack, then install mmdenoise.
#
# Idempotent: a stamp keyed on the requirement files, setup.py and this script makes a second run
# a no-op (well under a second). Every step that can fail says what failed and what to do.
#
# Options (environment):
#   PYTHON=/path/to/python3.11   interpreter to build the venv from (default: first python3.11 found)
#   PIP_FIND_LINKS="dir ..."      folders with prebuilt wheels; an mmcv-2.1.0 wheel there skips the
#                                 15-25 min source build of mmcv (CI offers ../shared/wheels this way)
#   MMDENOISE_VENV=path           venv location (default: <repo>/.venv)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${MMDENOISE_VENV:-$ROOT/.venv}"
REQ="$ROOT/requirements"
STAMP="$VENV/.mmdenoise-bootstrap-stamp"
CONSTRAINTS="$REQ/constraints.txt"

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$1" >&2; shift; for l in "$@"; do printf '[bootstrap]   %s\n' "$l" >&2; done; exit 1; }

stamp_key() {
  cat "$REQ"/*.txt "$ROOT/setup.py" "$ROOT/tools/setup/bootstrap.sh" | sha256sum | cut -d' ' -f1
}

KEY="$(stamp_key)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" && -x "$VENV/bin/python" ]]; then
  say "environment up to date ($VENV)"
  exit 0
fi

# ---------------------------------------------------------------- interpreter
find_python() {
  if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
  for c in python3.11 "$HOME/.pyenv/versions/3.11"*/bin/python3.11 /usr/bin/python3.11 /usr/local/bin/python3.11; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
      command -v "$c"; return
    fi
  done
}
if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
  die "$VENV exists but is not a Python 3.11 environment." "Remove it (rm -rf $VENV) and run again."
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  PY="$(find_python)"
  [[ -n "$PY" ]] || die "no Python 3.11 interpreter found." \
    "Install Python 3.11 (e.g. 'apt-get install python3.11 python3.11-venv', or pyenv install 3.11)," \
    "or point PYTHON=/path/to/python3.11 at one, then run again."
  say "creating $VENV with $PY"
  "$PY" -m venv "$VENV" || die "could not create the virtual environment at $VENV." \
    "On Debian/Ubuntu install the venv module: apt-get install python3.11-venv"
fi
VPY="$VENV/bin/python"
pip_install() { "$VPY" -m pip install --progress-bar off -c "$CONSTRAINTS" "$@"; }

# ---------------------------------------------------------------- build tools, torch
say "step 1/5: build tools (setuptools, wheel, ninja)"
pip_install -r "$REQ/build.txt" || die "installing the build tools failed (see pip's message above)." \
  "Check that the package index is reachable."

say "step 2/5: torch 2.13.0 (registry build) + torchvision 0.28.0 (several GB on first run)"
pip_install -r "$REQ/torch.txt" || die "installing torch/torchvision failed (see pip's message above)." \
  "The registry build of torch 2.13.0 is required; the local '+cpu' file has no matching torchvision."
"$VPY" -c 'import torch, torchvision' || die "torch/torchvision do not import together." \
  "Check that torch is not the '+cpu' local build: $VPY -m pip show torch"

# ---------------------------------------------------------------- mmcv 2.1.0 (with ops)
say "step 3/5: mmcv 2.1.0 with ops"
if ! "$VPY" -c 'import mmcv, mmcv.ops; assert mmcv.__version__ == "2.1.0"' 2>/dev/null; then
  have_wheel=0
  for d in ${PIP_FIND_LINKS:-}; do
    compgen -G "$d/mmcv-2.1.0-*.whl" >/dev/null && have_wheel=1
  done
  if [[ $have_wheel == 1 ]]; then
    say "using the prebuilt mmcv wheel offered through PIP_FIND_LINKS"
  else
    say "no prebuilt mmcv 2.1.0 wheel offered: building it from source with ops (15-25 minutes on 2 cores;"
    say "pip caches the built wheel, so later installs on this machine are quick)"
    command -v g++ >/dev/null 2>&1 || die "building mmcv needs a C++ compiler and none was found." \
      "Install one (apt-get install g++) or offer a prebuilt wheel: PIP_FIND_LINKS=/dir/with/mmcv-wheel"
    "$VPY" -c 'import sysconfig, os; assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' \
      || die "building mmcv needs the Python 3.11 headers (Python.h) and they are missing." \
             "Install them (apt-get install python3.11-dev) or offer a prebuilt mmcv wheel via PIP_FIND_LINKS."
  fi
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" pip_install --no-build-isolation "mmcv==2.1.0" \
    || die "installing mmcv 2.1.0 failed (see the compiler/pip output above)." \
           "It needs MMCV_WITH_OPS=1, a C++ compiler, Python headers and setuptools<81 (all handled here)."
  "$VPY" -c 'import mmcv.ops' || die "mmcv installed but 'import mmcv.ops' fails: the ops were not compiled." \
    "Remove it ($VPY -m pip uninstall -y mmcv), purge pip's cache of mmcv (pip cache remove mmcv), run again."
fi

# ---------------------------------------------------------------- OpenMMLab stack + tests
say "step 4/5: mmengine, mmdet, mmsegmentation, mmpretrain and test tools"
pip_install -r "$REQ/runtime.txt" -r "$REQ/tests.txt" || die "installing the OpenMMLab stack failed (see pip's message above)."

# ---------------------------------------------------------------- mmdenoise itself
say "step 5/5: mmdenoise (editable, with the .mim links for 'mmdenoise::' configs)"
(cd "$ROOT" && "$VPY" setup.py -q develop --no-deps >/dev/null) \
  || die "installing mmdenoise in development mode failed (see the message above)."
"$VPY" -c 'import mmdenoise, mmcv.ops, mmdet.models, mmseg.models, mmpretrain.models' \
  || die "the installed stack does not import (see the traceback above)."

stamp_key > "$STAMP"
say "done: activate with 'source .venv/bin/activate'"
