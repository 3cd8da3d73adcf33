#!/bin/sh
# Prebuilt native addons shipped in the package (prebuildify, N-API: one
# binary per platform and arch serves every Node version), so an install
# with --ignore-scripts, or without a C compiler, still makes kernel calls.
# linux-x64 natively; linux-arm64 with Debian's cross compiler
# (apt install gcc-aarch64-linux-gnu) when it is installed. Where no prebuild
# matches, installing compiles the addon (node-gyp-build's fallback).
set -eu
cd "$(dirname "$0")/.."
rm -rf prebuilds
npx prebuildify --napi --strip
if [ "$(node -p process.arch)" = x64 ]; then
  if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-gcc \
      PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip npx prebuildify --napi --strip --arch arm64
  else
    echo "prebuild: no aarch64-linux-gnu-gcc (apt install gcc-aarch64-linux-gnu): the package gets no linux-arm64 prebuild" >&2
  fi
fi
# prebuildify leaves build/ holding the last (maybe foreign) build: compile this machine's again.
npx node-gyp rebuild --silent
