#!/usr/bin/env bash
# Install dubkit's [f5] extra (f5-tts 1.1.22 and its vocoder, vocos) into a virtual environment.
#
#   scripts/setup_f5.sh [VENV]        (default: .venv)
#
# The installed torch is kept as it is (a constraint pins it), so a CPU build stays a CPU build.
# CPU-only hosts: torchaudio and torchcodec on PyPI are CUDA builds, and f5-tts and vocos import
# torchaudio at module top, which then fails (libc10_cuda.so). ONLY when no CUDA device is present,
# this script removes torchaudio's compiled extension libraries (site-packages/torchaudio/lib/*.so);
# torchaudio then imports as pure Python (MelSpectrogram works, torchaudio.load does not, and dubkit
# never calls it). On a CUDA host nothing is removed. The workaround lives here, never in library code.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PY="$VENV/bin/python"
if [ ! -x "$PY" ]; then
  echo "setup_f5: no Python at $PY (create the venv first: scripts/setup.sh)" >&2
  exit 2
fi
PIP="$PY -m pip --disable-pip-version-check -q"

torch_before=$("$PY" -c "import torch; print(torch.__version__)" 2>/dev/null || true)
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
if [ -n "$torch_before" ]; then
  echo "torch==${torch_before}" >"$constraints"
else
  # torch first: 2.13.0 is the CPU build on CPU machines; later packages keep it.
  $PIP install "torch==2.13.0"
  torch_before=$("$PY" -c "import torch; print(torch.__version__)")
  echo "torch==${torch_before}" >"$constraints"
fi

$PIP install -c "$constraints" -e ".[f5]"

torch_after=$("$PY" -c "import torch; print(torch.__version__)")
if [ "$torch_after" != "$torch_before" ]; then
  echo "setup_f5: torch changed from $torch_before to $torch_after; reinstall torch==$torch_before" >&2
  exit 1
fi

has_cuda=0
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  has_cuda=1
fi
if "$PY" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  has_cuda=1
fi

if [ "$has_cuda" -eq 0 ] && ! "$PY" -c "import torchaudio" >/dev/null 2>&1; then
  ta_lib=$("$PY" -c "import importlib.util, pathlib; s = importlib.util.find_spec('torchaudio'); \
print(pathlib.Path(s.origin).parent / 'lib')")
  echo "setup_f5: no CUDA device; removing torchaudio's CUDA-built extensions in $ta_lib (pure-Python torchaudio)"
  rm -f "$ta_lib"/*.so
fi

"$PY" -c "import f5_tts.model, vocos" || {
  echo "setup_f5: f5-tts does not import in $VENV" >&2
  exit 1
}
echo "setup_f5: done (f5-tts in $VENV, torch $torch_after, cuda=$has_cuda)"
