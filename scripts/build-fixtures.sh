#!/bin/sh
# Rebuilds the committed BPF fixture objects under test/fixtures from their C
# sources with the pinned compiler (Debian clang-19) and libbpf-dev's headers.
# The .o files are committed so the test suite needs no compiler.
#   usage (from anywhere): scripts/build-fixtures.sh [DIR…]   (e.g. btf core object)
# With no arguments every directory of test/fixtures holding *.bpf.c is rebuilt
# (dump/ is compiled by its test, against a generated vmlinux.h, and skipped). struct-ops and tracing include a
# vmlinux.h generated from this machine's kernel BTF (bpftool), so its objects
# rebuild byte-identically only on a kernel with the same BTF.
set -eu
CLANG=${CLANG:-clang-19}
root=$(cd "$(dirname "$0")/.." && pwd)
arch=$(uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
inc=/usr/include/"$(uname -m)"-linux-gnu

# build DIR TARGET SRC OBJ [EXTRA…]: one object, compiled inside its directory
# so line info records relative file names. The core fixtures were built
# without -fdebug-prefix-map (their BTF names the absolute directory); they
# keep that so a rebuild reproduces the committed objects.
build() {
	dir=$1 target=$2 src=$3 obj=$4
	shift 4
	(cd "$root/test/fixtures/$dir" &&
		if [ "$dir" = core ]; then map=; else map=-fdebug-prefix-map="$(pwd)"=.; fi &&
		"$CLANG" -g -O2 $map -target "$target" -I"$inc" "$@" -c "$src" -o "$obj")
	echo "built test/fixtures/$dir/$obj"
}

if [ $# -eq 0 ]; then
	for d in "$root"/test/fixtures/*/; do
		d=$(basename "$d")
		[ "$d" != dump ] && ls "$root/test/fixtures/$d"/*.bpf.c >/dev/null 2>&1 && set -- "$@" "$d"
	done
fi
for dir in "$@"; do
	# Generated next to the sources (and removed after) so the objects record a relative path.
	if [ "$dir" = struct-ops ] || [ "$dir" = tracing ]; then
		bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$root/test/fixtures/$dir/vmlinux.h"
		trap 'rm -f "$root/test/fixtures/$dir/vmlinux.h"' EXIT
	fi
	for path in "$root/test/fixtures/$dir"/*.bpf.c; do
		src=$(basename "$path")
		base=${src%.c}
		case $dir in
		btf | struct-ops | loader | usdt | tracing) build "$dir" bpf "$src" "$base.o" -D__TARGET_ARCH_"$arch" ;;
		# Big-endian builds exercise the byte-swapping paths.
		object | variables | typed)
			build "$dir" bpf "$src" "$base.o"
			build "$dir" bpfeb "$src" "$base.eb.o"
			;;
		# Objects with no BTF (-g0) for the generator's bad-input tests: skel.bpf.nobtf.o, plain.bpf.o.
		skeleton)
			if [ "$base" = plain.bpf ]; then build "$dir" bpf "$src" "$base.o" -g0; else build "$dir" bpf "$src" "$base.o"; fi
			if [ "$base" = skel.bpf ]; then build "$dir" bpf "$src" "$base.nobtf.o" -g0; fi
			;;
		# cpu v3 (32-bit subregisters, jmp32): what clang ≥ 20 emits by default, and what the benchmark measures.
		vm-bench) build "$dir" bpf "$src" "$base.o" -mcpu=v3 ;;
		*) build "$dir" bpf "$src" "$base.o" ;;
		esac
	done
	case $dir in
	btf) build btf bpfeb kinds.bpf.c kinds.bpfeb.o ;;
	core) build core bpfeb core-cases.bpf.c core-cases.bpfeb.o ;;
	struct-ops | tracing) rm -f "$root/test/fixtures/$dir/vmlinux.h" ;;
	esac
done
