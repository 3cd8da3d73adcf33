// Reference side of bench/collection-load.ts: opening and loading a CO-RE
// object with Debian's libbpf (bpf/libbpf.h, -lbpf).
//
//   collection_load <object.bpf.o> <warmup> <reps>
//
// Each repetition times bpf_object__open_file + bpf_object__load +
// bpf_object__close: ELF parse, vmlinux BTF parse (libbpf parses it again for
// every object it loads), CO-RE relocation, map creation and program loads.
// Run with warmup 0 and reps 1 it measures a first load in a fresh process.
//
// Prints one JSON line {"ops":1,"samples_ns":[...],"check":N} where N is the
// number of programs loaded; the TypeScript side counts the same.
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

// Silence libbpf's informational prints; errors still reach stderr.
static int print_errors(enum libbpf_print_level level, const char *fmt, va_list ap) {
  return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

// One open + load + close; returns the number of programs loaded.
static long open_load_close(const char *path) {
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) {
    fprintf(stderr, "collection_load: open %s: %s\n", path, strerror(errno));
    exit(1);
  }
  int err = bpf_object__load(obj);
  if (err) {
    fprintf(stderr, "collection_load: load %s: %s\n", path, strerror(-err));
    exit(1);
  }
  long programs = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    if (bpf_program__fd(prog) >= 0) programs++;
  }
  bpf_object__close(obj);
  return programs;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: collection_load OBJECT WARMUP REPS\n");
    return 2;
  }
  bench_clock_from_env();
  libbpf_set_print(print_errors);
  const char *path = argv[1];
  long warmup = arg_long("collection_load", argv[2]);
  long reps = arg_long("collection_load", argv[3]);
  uint64_t *samples = calloc(reps > 0 ? reps : 1, sizeof(*samples));
  if (!samples) return 1;
  long programs = 0;
  for (long rep = -warmup; rep < reps; rep++) {
    uint64_t t0 = now_ns();
    programs = open_load_close(path);
    uint64_t t1 = now_ns();
    if (rep >= 0) samples[rep] = t1 - t0;
  }
  printf("{\"ops\":1,\"samples_ns\":[");
  for (long r = 0; r < reps; r++) printf("%s%llu", r ? "," : "", (unsigned long long)samples[r]);
  printf("],\"check\":%ld}\n", programs);
  free(samples);
  return 0;
}
