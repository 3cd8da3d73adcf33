// Reference side of bench/btf-parse.ts: opening and walking the kernel's BTF
// with Debian's libbpf (bpf/btf.h, -lbpf).
//
//   btf_parse parse <file> <warmup> <reps>   time btf__parse(file, NULL)
//   btf_parse walk  <file> <warmup> <reps>   time visiting every type of an
//                                            already parsed BTF: its name and,
//                                            for structs and unions, every
//                                            member's name
//
// Prints one JSON line {"ops":N,"samples_ns":[...],"check":X} where N is the
// number of types (void excluded). `check` is the type count for `parse` and
// the total length of all type and member names for `walk`; the TypeScript
// side computes the same figures, so equal checks mean equal work.
#include <bpf/btf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

static struct btf *parse_or_die(const char *path) {
  struct btf *btf = btf__parse(path, NULL);
  if (!btf) {
    fprintf(stderr, "btf_parse: btf__parse(%s): %s\n", path, strerror(errno));
    exit(1);
  }
  return btf;
}

// Every type's name, and every struct/union member's name: the work of
// decoding each type record once. Returns the total name length.
static uint64_t walk(const struct btf *btf) {
  uint64_t total = 0;
  uint32_t n = btf__type_cnt(btf);
  for (uint32_t id = 1; id < n; id++) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    total += strlen(btf__name_by_offset(btf, t->name_off));
    if (btf_is_composite(t)) {
      const struct btf_member *m = btf_members(t);
      for (uint16_t i = 0; i < btf_vlen(t); i++) total += strlen(btf__name_by_offset(btf, m[i].name_off));
    }
  }
  return total;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: btf_parse {parse|walk} FILE WARMUP REPS\n");
    return 2;
  }
  bench_clock_from_env();
  const char *mode = argv[1];
  const char *path = argv[2];
  long warmup = arg_long("btf_parse", argv[3]);
  long reps = arg_long("btf_parse", argv[4]);
  int is_walk = strcmp(mode, "walk") == 0;
  if (!is_walk && strcmp(mode, "parse") != 0) {
    fprintf(stderr, "btf_parse: unknown mode '%s'\n", mode);
    return 2;
  }
  uint64_t *samples = calloc(reps > 0 ? reps : 1, sizeof(*samples));
  if (!samples) return 1;
  uint64_t check = 0;
  long types = 0;
  for (long rep = -warmup; rep < reps; rep++) {
    uint64_t t0, t1;
    struct btf *btf;
    if (is_walk) {
      btf = parse_or_die(path);
      t0 = now_ns();
      check = walk(btf);
      t1 = now_ns();
    } else {
      t0 = now_ns();
      btf = parse_or_die(path);
      t1 = now_ns();
      check = btf__type_cnt(btf) - 1;
    }
    types = (long)btf__type_cnt(btf) - 1;
    btf__free(btf);
    if (rep >= 0) samples[rep] = t1 - t0;
  }
  printf("{\"ops\":%ld,\"samples_ns\":[", types);
  for (long r = 0; r < reps; r++) printf("%s%llu", r ? "," : "", (unsigned long long)samples[r]);
  printf("],\"check\":%llu}\n", (unsigned long long)check);
  free(samples);
  return 0;
}
