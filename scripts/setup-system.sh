#!/usr/bin/env bash
# Make sure the system packages Sigillo needs are present: Python >= 3.11 with venv, tesseract with the English and
# Italian language data, openssl (the stock verifier of seals and bundles), and the tools the tests and
# docs/sealing.md use to check evidence by hand: sqlite3, xxd, sha256sum (coreutils), pdftoppm (poppler-utils); DejaVu fonts for the bundle's REPORT.pdf. Installs what is missing through apt-get when run as root; otherwise prints the exact
# command to run and stops. Idempotent: does nothing when everything is there.
set -euo pipefail

PY=${PY:-python3}
missing=()

if ! command -v "$PY" >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
elif ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "sigillo needs Python 3.11 or newer; $PY is $("$PY" -V 2>&1). Set PY=/path/to/python3.11 and run again." >&2
  exit 1
elif ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if ! command -v tesseract >/dev/null 2>&1; then
  missing+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-ita)
else
  langs=$(tesseract --list-langs 2>/dev/null || true)
  grep -qx eng <<<"$langs" || missing+=(tesseract-ocr-eng)
  grep -qx ita <<<"$langs" || missing+=(tesseract-ocr-ita)
fi

command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v xxd >/dev/null 2>&1 || missing+=(xxd)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Run this as root (or with sudo), then run make again:" >&2
  echo "  $cmd" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
