#!/bin/sh
# Rebuilds the committed verifier-error fixtures (test/fixtures/verifier):
# small programs, each rejected by the verifier for one known reason, built
# with the pinned compiler (Debian clang-19) and libbpf-dev's headers.
# Run from the repository root.
set -eu
CLANG=${CLANG:-clang-19}
dir=test/fixtures/verifier
inc=/usr/include/"$(uname -m)"-linux-gnu
cd "$dir"
map=-fdebug-prefix-map="$(pwd)"=.
for src in *.bpf.c; do
	base="${src%.c}"
	"$CLANG" -g -O2 "$map" -target bpf -I"$inc" -c "$src" -o "$base.o"
	echo "built $dir/$base.o"
done
