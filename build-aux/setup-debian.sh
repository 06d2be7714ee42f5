#!/usr/bin/env bash
# Installs the Debian 12 packages BioX Bridge needs to build, run and test.
# Idempotent: asks apt only for what is missing. Run as root (or with sudo).
#
#   bash build-aux/setup-debian.sh            # build + run + test
#   bash build-aux/setup-debian.sh reference  # + PyTorch/SciPy/sklearn, to regenerate fixtures
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config gettext
  libglib2.0-dev libjson-glib-dev libgtk-4-dev libadwaita-1-dev libedf-dev libopenblas-dev
  appstream desktop-file-utils flatpak-builder
  xvfb xauth imagemagick
  clang libclang-rt-14-dev
  python3
)
if [ "${1:-}" = "reference" ]; then
  packages+=(python3-torch python3-numpy python3-scipy python3-sklearn)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
