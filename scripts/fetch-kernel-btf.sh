#!/bin/sh
# Fetches other kernels' BTF for the CO-RE oracle tests: downloads Debian
# linux-image packages (never installs them), pulls the compressed vmlinux out
# of /boot/vmlinuz-*, decompresses it and keeps only its .BTF section, as
# $CACHE/<package>.btf. Kernel blobs stay outside the repository.
#   usage: scripts/fetch-kernel-btf.sh [package …]
# Default packages: the newest 6.1 cloud and PREEMPT_RT kernels and the
# newest 6.12 cloud kernel apt knows about (run apt-get update first).
set -eu
CACHE=${TSBPF_BTF_CACHE:-/var/cache/tsbpf-btf}
OBJCOPY=${OBJCOPY:-llvm-objcopy-19}
mkdir -p "$CACHE"

newest() { apt-cache search --names-only "^linux-image-$1.*-$2-amd64-unsigned\$" | cut -d' ' -f1 | sort -V | tail -n1; }
if [ $# -eq 0 ]; then
  set -- "$(newest '6\.1\.0-[0-9]+' cloud)" "$(newest '6\.1\.0-[0-9]+' rt)" "$(newest '6\.12\.[0-9]+' cloud)"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

for pkg in "$@"; do
  [ -n "$pkg" ] || continue
  out="$CACHE/$pkg.btf"
  if [ -s "$out" ]; then echo "cached: $out"; continue; fi
  echo "fetching $pkg"
  (cd "$work" && apt-get download -q "$pkg" >/dev/null)
  deb=$(ls "$work"/*.deb | head -n1)
  dpkg-deb -x "$deb" "$work/root"
  image=$(ls "$work"/root/boot/vmlinuz-* | head -n1)
  # bzImage boot protocol (2.08+): setup_sects at 0x1f1, payload_offset at
  # 0x248 and payload_length at 0x24c (relative to the protected-mode code,
  # which starts after (setup_sects + 1) * 512 bytes). The payload's magic
  # says which decompressor to use (Debian kernels use lz4, xz or zstd).
  setup=$(od -An -tu1 -j $((0x1f1)) -N1 "$image" | tr -d ' ')
  [ "$setup" -eq 0 ] && setup=4
  poff=$(od -An -tu4 -j $((0x248)) -N4 "$image" | tr -d ' ')
  plen=$(od -An -tu4 -j $((0x24c)) -N4 "$image" | tr -d ' ')
  start=$(( (setup + 1) * 512 + poff ))
  tail -c +"$((start + 1))" "$image" | head -c "$plen" > "$work/payload"
  magic=$(od -An -tx1 -N6 "$work/payload" | tr -d ' ')
  case $magic in
    28b52ffd*) dec="zstd -dcq" ;;
    fd377a585a00) dec="xz -dcq" ;;
    02214c18*) dec="lz4 -dcq" ;;
    1f8b*) dec="gzip -dcq" ;;
    425a68*) dec="bzip2 -dcq" ;;
    5d0000*) dec="lzma -dcq" ;;
    *) echo "unknown payload compression (magic $magic) in $image" >&2; exit 1 ;;
  esac
  # Decompressors may complain about padding after the stream; success is
  # judged by the ELF magic of the output.
  $dec < "$work/payload" > "$work/vmlinux" 2>/dev/null || true
  if [ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" != "7f454c46" ]; then rm -f "$work/vmlinux"; fi
  [ -f "$work/vmlinux" ] || { echo "no compressed vmlinux found in $image" >&2; exit 1; }
  "$OBJCOPY" --dump-section .BTF="$out.tmp" "$work/vmlinux" /dev/null 2>/dev/null || "$OBJCOPY" --dump-section .BTF="$out.tmp" "$work/vmlinux" "$work/discard"
  mv "$out.tmp" "$out"
  rm -rf "$work/root" "$work/vmlinux" "$work/payload" "$deb"
  echo "wrote $out ($(wc -c < "$out") bytes)"
done
