#!/bin/sh
# Rebuilds the committed object-spec fixtures (test/fixtures/object) from their
# C sources with the pinned compiler (Debian clang-19) and libbpf-dev's
# headers, little- and big-endian. Run from the repository root.
set -eu
CLANG=${CLANG:-clang-19}
dir=test/fixtures/object
inc=/usr/include/"$(uname -m)"-linux-gnu
cd "$dir"
map=-fdebug-prefix-map="$(pwd)"=.
for src in *.bpf.c; do
	base="${src%.c}"
	"$CLANG" -g -O2 "$map" -target bpf -I"$inc" -c "$src" -o "$base.o"
	"$CLANG" -g -O2 "$map" -target bpfeb -I"$inc" -c "$src" -o "$base.eb.o"
	echo "built $dir/$base.o $dir/$base.eb.o"
done
