#!/bin/sh
# Rebuilds the committed BTF fixture objects from their C sources with the
# pinned compiler (Debian clang-19) and libbpf-dev's headers. Run from the
# repository root: scripts/build-fixtures.sh
set -eu
CLANG=${CLANG:-clang-19}
dir=test/fixtures/btf
arch=$(uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
inc=/usr/include/"$(uname -m)"-linux-gnu
# Compile inside the fixture directory so line info records relative file names.
cd "$dir"
map=-fdebug-prefix-map="$(pwd)"=.
for src in *.bpf.c; do
	obj="${src%.c}.o"
	"$CLANG" -g -O2 "$map" -target bpf -D__TARGET_ARCH_"$arch" -I"$inc" -c "$src" -o "$obj"
	echo "built $dir/$obj"
done
# A big-endian build of the kinds fixture exercises the byte-swapping paths.
"$CLANG" -g -O2 "$map" -target bpfeb -I"$inc" -c kinds.bpf.c -o kinds.bpfeb.o
echo "built $dir/kinds.bpfeb.o"
