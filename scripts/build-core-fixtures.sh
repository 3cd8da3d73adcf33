#!/bin/sh
# Rebuilds the CO-RE fixture objects in test/fixtures/core from their C
# sources with the pinned compiler (Debian clang-19) and libbpf-dev headers.
# The .o files are committed so the test suite needs no compiler.
set -eu
cd "$(dirname "$0")/../test/fixtures/core"
CLANG=${CLANG:-clang-19}
for src in *.bpf.c; do
  "$CLANG" -g -O2 -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$src" -o "${src%.c}.o"
  echo "built ${src%.c}.o"
done
# A big-endian build of the cases, for the byte-order-dependent parts (bitfield shifts, patching).
"$CLANG" -g -O2 -target bpfeb -I"/usr/include/$(uname -m)-linux-gnu" -c core-cases.bpf.c -o core-cases.bpfeb.o
echo "built core-cases.bpfeb.o"
