#!/bin/sh
# Rebuilds the committed BPF objects of the example tools under examples/
# with the pinned compiler (Debian clang-19) and libbpf-dev's headers. Each
# includes a vmlinux.h that tsbpf itself dumps from the running kernel's BTF
# (`tsbpf btf dump file /sys/kernel/btf/vmlinux format c`) into a temporary
# directory; it is not committed. The .o files are, so users need no clang.
# A rebuild on the same kernel reproduces them byte for byte (paths in the
# debug info are mapped to '.').
#   usage (from anywhere, after `npm run build:ts`): scripts/build-examples.sh [opensnoop …]
# (no names: every examples/NAME/ that holds NAME.bpf.c)
set -eu
CLANG=${CLANG:-clang-19}
root=$(cd "$(dirname "$0")/.." && pwd)
arch=$(uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
inc=/usr/include/"$(uname -m)"-linux-gnu
btf=${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}

cli="$root/dist/src/cli/main.js"
[ -f "$cli" ] || { echo "build-examples: $cli is missing; run 'npm run build:ts' first" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node "$cli" btf dump file "$btf" format c >"$tmp/vmlinux.h"

if [ $# -eq 0 ]; then
	for d in "$root"/examples/*/; do
		name=$(basename "$d")
		[ -f "$d/$name.bpf.c" ] && set -- "$@" "$name"
	done
fi
for name in "$@"; do
	dir="$root/examples/$name"
	(cd "$dir" &&
		"$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_"$arch" \
			-fdebug-prefix-map="$dir"=. -fdebug-prefix-map="$tmp"=. \
			-I"$tmp" -I"$inc" -c "$name.bpf.c" -o "$name.bpf.o")
	echo "built examples/$name/$name.bpf.o"
done
