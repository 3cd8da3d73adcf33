// Reference side of the map benchmarks: the same work as bench/map-ops.ts and
// bench/map-batch.ts, done in C through Debian's libbpf (bpf/bpf.h, -lbpf).
//
//   map_bench single <array|hash> <lookup|update> <ops> <warmup> <reps> <key_space>
//   map_bench batch-dump <entries> <batch> <warmup> <reps>
//   map_bench batch-fill <entries> <batch> <warmup> <reps>
//
// <warmup> untimed repetitions precede <reps> timed ones of <ops> operations
// (or <entries> map entries) each, exactly as bench/harness.ts does.
//
// Prints one JSON line: {"ops":N,"samples_ns":[...],"check":X}. Timing and
// statistics are left to the TypeScript harness so both sides are summarised
// by the same code; `check` is a checksum of what the kernel returned, computed
// outside the timed region, so the two sides can be shown to do the same work.
#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"

#define KEY_SIZE 4
#define VALUE_SIZE 8

static void die(const char *what) {
  fprintf(stderr, "map_bench: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int create_map(enum bpf_map_type type, uint32_t max_entries) {
  int fd = bpf_map_create(type, "bench", KEY_SIZE, VALUE_SIZE, max_entries, NULL);
  if (fd < 0) die("bpf_map_create");
  return fd;
}

static void print_result(long ops, const uint64_t *samples, long reps, double check) {
  printf("{\"ops\":%ld,\"samples_ns\":[", ops);
  for (long r = 0; r < reps; r++) printf("%s%llu", r ? "," : "", (unsigned long long)samples[r]);
  printf("],\"check\":%.0f}\n", check);
}

// Single-element lookups or updates cycling over key_space keys (a power of two).
static int run_single(const char *kind, const char *op, long ops, long warmup, long reps, long key_space) {
  enum bpf_map_type type = strcmp(kind, "array") == 0 ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_HASH;
  int is_lookup = strcmp(op, "lookup") == 0;
  if (key_space < 1 || (key_space & (key_space - 1))) {
    fprintf(stderr, "map_bench: key_space must be a power of two\n");
    return 2;
  }
  uint32_t mask = (uint32_t)key_space - 1;
  int fd = create_map(type, (uint32_t)key_space);
  uint32_t key;
  uint64_t value;
  for (key = 0; key < (uint32_t)key_space; key++) {
    value = key + 1;
    if (bpf_map_update_elem(fd, &key, &value, BPF_ANY)) die("prefill");
  }
  uint64_t *samples = calloc((size_t)reps, sizeof *samples);
  double check = 0;
  for (long r = -warmup; r < reps; r++) {  // negative r: warm-up rounds
    uint64_t sum = 0;
    uint64_t t0 = now_ns();
    if (is_lookup) {
      for (long i = 0; i < ops; i++) {
        key = (uint32_t)i & mask;
        if (bpf_map_lookup_elem(fd, &key, &value)) die("bpf_map_lookup_elem");
        sum += value;
      }
    } else {
      for (long i = 0; i < ops; i++) {
        key = (uint32_t)i & mask;
        value = (uint64_t)i;
        if (bpf_map_update_elem(fd, &key, &value, BPF_ANY)) die("bpf_map_update_elem");
      }
    }
    uint64_t t1 = now_ns();
    if (r >= 0) samples[r] = t1 - t0;
    check = (double)sum;
  }
  if (!is_lookup) {
    // Checksum of what the updates left in the map, read back untimed.
    uint64_t sum = 0;
    for (key = 0; key < (uint32_t)key_space; key++) {
      if (bpf_map_lookup_elem(fd, &key, &value)) die("read back");
      sum += value;
    }
    check = (double)sum;
  }
  print_result(ops, samples, reps, check);
  close(fd);
  free(samples);
  return 0;
}

typedef struct {
  uint32_t *keys;
  uint64_t *values;
  long batch;
} batch_bufs;

// Walks the whole map with BPF_MAP_LOOKUP_BATCH; returns the entries seen and,
// when sum is not NULL, adds up the values.
static long dump_all(int fd, batch_bufs *b, uint64_t *sum) {
  uint32_t in_batch = 0, out_batch = 0;
  long seen = 0;
  int first = 1;
  for (;;) {
    uint32_t count = (uint32_t)b->batch;
    int err = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, b->keys, b->values, &count, NULL);
    if (err && errno != ENOENT) die("bpf_map_lookup_batch");
    seen += count;
    if (sum)
      for (uint32_t i = 0; i < count; i++) *sum += b->values[i];
    if (err) return seen;  // ENOENT: the walk is complete
    in_batch = out_batch;
    first = 0;
  }
}

// Inserts keys 0..entries-1 (value key + 1) with BPF_MAP_UPDATE_BATCH in chunks.
static void fill_all(int fd, const uint32_t *keys, const uint64_t *values, long entries, long batch) {
  for (long done = 0; done < entries;) {
    uint32_t count = (uint32_t)(entries - done < batch ? entries - done : batch);
    if (bpf_map_update_batch(fd, keys + done, values + done, &count, NULL)) die("bpf_map_update_batch");
    done += count;
  }
}

static int run_batch(const char *mode, long entries, long batch, long warmup, long reps) {
  uint32_t *all_keys = malloc((size_t)entries * sizeof *all_keys);
  uint64_t *all_values = malloc((size_t)entries * sizeof *all_values);
  batch_bufs b = {malloc((size_t)batch * sizeof *b.keys), malloc((size_t)batch * sizeof *b.values), batch};
  uint64_t *samples = calloc((size_t)reps, sizeof *samples);
  if (!all_keys || !all_values || !b.keys || !b.values || !samples) die("malloc");
  for (long i = 0; i < entries; i++) {
    all_keys[i] = (uint32_t)i;
    all_values[i] = (uint64_t)i + 1;
  }
  int dump = strcmp(mode, "batch-dump") == 0;
  int fd = -1;
  if (dump) {
    fd = create_map(BPF_MAP_TYPE_HASH, (uint32_t)entries);
    fill_all(fd, all_keys, all_values, entries, batch);
  }
  for (long r = -warmup; r < reps; r++) {
    if (!dump) fd = create_map(BPF_MAP_TYPE_HASH, (uint32_t)entries);  // fill an empty map each round
    uint64_t t0 = now_ns();
    if (dump) {
      long seen = dump_all(fd, &b, NULL);
      if (seen != entries) {
        fprintf(stderr, "map_bench: dump saw %ld of %ld entries\n", seen, entries);
        return 1;
      }
    } else {
      fill_all(fd, all_keys, all_values, entries, batch);
    }
    uint64_t t1 = now_ns();
    if (r >= 0) samples[r] = t1 - t0;
    if (!dump && r < reps - 1) close(fd);
  }
  uint64_t sum = 0;
  long seen = dump_all(fd, &b, &sum);  // untimed verification pass
  if (seen != entries) {
    fprintf(stderr, "map_bench: verification saw %ld of %ld entries\n", seen, entries);
    return 1;
  }
  print_result(entries, samples, reps, (double)sum);
  close(fd);
  free(all_keys);
  free(all_values);
  free(b.keys);
  free(b.values);
  free(samples);
  return 0;
}

int main(int argc, char **argv) {
  bench_clock_from_env();
  if (argc == 8 && strcmp(argv[1], "single") == 0)
    return run_single(argv[2], argv[3], arg_long("map_bench", argv[4]), arg_long("map_bench", argv[5]), arg_long("map_bench", argv[6]), arg_long("map_bench", argv[7]));
  if (argc == 6 && (strcmp(argv[1], "batch-dump") == 0 || strcmp(argv[1], "batch-fill") == 0))
    return run_batch(argv[1], arg_long("map_bench", argv[2]), arg_long("map_bench", argv[3]), arg_long("map_bench", argv[4]), arg_long("map_bench", argv[5]));
  fprintf(stderr,
          "usage: map_bench single <array|hash> <lookup|update> <ops> <warmup> <reps> <key_space>\n"
          "       map_bench batch-dump|batch-fill <entries> <batch> <warmup> <reps>\n");
  return 2;
}
