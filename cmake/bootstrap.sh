#!/usr/bin/env bash
# Installs the Debian 12 packages Omnivox needs to build, test and benchmark.
# Idempotent: packages already present are not reinstalled; `apt-get update` runs once.
#
# libphonenumber-dev depends on Boost 1.74's dev packages, which conflict with the
# Boost 1.81 family we need for Boost.JSON. So we install libphonenumber's runtime
# libraries through apt and unpack only its headers from the Debian package into
# ${OMNIVOX_DEPS_DIR:-/opt/omnivox-deps}; cmake/FindPhoneNumber.cmake looks there.
set -euo pipefail

DEPS_DIR="${OMNIVOX_DEPS_DIR:-/opt/omnivox-deps}"
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git python3
  libboost1.81-dev libboost-json1.81-dev
  libcctz-dev tzdata libcsv-dev libcli11-dev
  libphonenumber8 libgeocoding8 libprotobuf-dev libabsl-dev libicu-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libsqlite3-dev
  libpqxx-dev libpq-dev postgresql procps
  libssl-dev libboost-url1.81-dev prometheus openssl
  chromium chromium-driver python3-selenium nodejs
  python3-dev pybind11-dev python3-pytest python3-numpy python3-matplotlib python3-mypy python3-venv python3-pip python3-setuptools python3-wheel python3-pandas python3-tqdm
  swig openjdk-17-jdk-headless junit4
  clang libclang-rt-14-dev clang-format
  libre-dev libspandsp-dev libspeexdsp-dev
  abigail-tools
  sip-tester kamailio sox espeak-ng flite
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

updated=0
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get update -qq
  updated=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f "$DEPS_DIR/include/phonenumbers/phonenumberutil.h" ]; then
  echo "bootstrap: unpacking libphonenumber headers into $DEPS_DIR"
  if [ "$updated" -eq 0 ]; then $SUDO apt-get update -qq; fi
  tmp="$(mktemp -d)"
  chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -qq libphonenumber-dev 2>/dev/null)
  dpkg -x "$tmp"/libphonenumber-dev_*.deb "$tmp/x"
  $SUDO mkdir -p "$DEPS_DIR/include"
  $SUDO cp -r "$tmp/x/usr/include/phonenumbers" "$DEPS_DIR/include/"
  rm -rf "$tmp"
fi
echo "bootstrap: dependencies ready"
