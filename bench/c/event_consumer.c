// Reference side of bench/events.ts: libbpf's ring_buffer__poll and
// perf_buffer__poll consumers under a producer that runs in another thread.
//
//   event_consumer <producer.bpf.o> ring|perf <records> [perf pages per CPU] [warm-up rounds]
//
// The producer thread runs test/fixtures/events/producer.bpf.o's
// produce_ring (or produce_perf) with BPF_PROG_TEST_RUN, repeat = records:
// one 16-byte record { seq, tag } per run, the ring consumer woken every 1024
// records. The main thread polls until the producer has finished, then
// drains what is left. Before that, untimed warm-up rounds (default 5) each
// produce 50,000 records in the main thread and consume them, as the
// TypeScript side does to get its JIT warm; the figures count only the timed
// run. Prints one JSON line:
//   {"mode":…,"produced":N,"received":R,"lost":L,"elapsed_ns":T,"producer_ns":P,"out_of_order":O}
// where lost is what the program could not write (ring full; counted by the
// program in its `counters` map) and elapsed_ns runs from the producer's start
// (when the producer thread starts its test run)
// to the last record read (to within 1024 records: the clock is read when a
// record that woke the consumer (seq % 1024 == 1023) arrives, so that the 100 ms poll timeout after
// the last wake-up does not count). The TypeScript side prints the same fields.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

// Indexes of the fixture's `counters` array.
enum { SEQ, DROPPED, SEQ2, DROPPED2, PERF_SEQ, PERF_DROPPED };
// Records per warm-up round: fits in the 4 MiB ring (24 bytes each) and in
// the default perf rings of 2 CPUs.
#define WARMUP_RECORDS 50000

struct record {
  uint64_t seq;
  uint64_t tag;
};

struct consumer {
  uint64_t received;
  uint64_t last_ns;
  uint64_t next_seq;
  uint64_t out_of_order;
  uint64_t lost_reported;
};

struct producer {
  int prog_fd;
  uint32_t repeat;
  uint64_t start;
  uint64_t ns;
  int err;
  atomic_int done;
};

static int print_errors(enum libbpf_print_level level, const char *fmt, va_list ap) {
  return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void *produce(void *arg) {
  struct producer *p = arg;
  uint8_t packet[64] = {0};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof packet, .repeat = p->repeat);
  uint64_t t0 = now_ns();
  p->start = t0;
  p->err = bpf_prog_test_run_opts(p->prog_fd, &opts) ? -errno : 0;
  p->ns = now_ns() - t0;
  atomic_store(&p->done, 1);
  return NULL;
}

static void count(struct consumer *c, const struct record *r) {
  // Records the program could not write leave gaps; a step back is disorder.
  if (r->seq < c->next_seq) c->out_of_order++;
  c->next_seq = r->seq + 1;
  c->received++;
  // When the last records arrived, to within 1024 records (a clock read per record would cost more than the rest).
  if ((r->seq & 1023) == 1023) c->last_ns = now_ns();
}

static int on_ring_record(void *ctx, void *data, size_t size) {
  if (size == sizeof(struct record)) count(ctx, data);
  return 0;
}

static void on_perf_sample(void *ctx, int cpu, void *data, __u32 size) {
  (void)cpu;
  if (size >= sizeof(struct record)) count(ctx, data);
}

static void on_perf_lost(void *ctx, int cpu, __u64 lost) {
  (void)cpu;
  ((struct consumer *)ctx)->lost_reported += lost;
}

static uint64_t counter(struct bpf_object *obj, uint32_t which) {
  uint64_t v = 0;
  bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "counters")), &which, &v);
  return v;
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 6 || (strcmp(argv[2], "ring") && strcmp(argv[2], "perf"))) {
    fprintf(stderr, "usage: event_consumer OBJECT ring|perf RECORDS [PERF_PAGES [WARMUP_ROUNDS]]\n");
    return 2;
  }
  bench_clock_from_env();
  libbpf_set_print(print_errors);
  int ring = strcmp(argv[2], "ring") == 0;
  long records = arg_long("event_consumer", argv[3]);
  long pages = argc >= 5 ? arg_long("event_consumer", argv[4]) : 64;
  long warmup = argc >= 6 ? arg_long("event_consumer", argv[5]) : 5;
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj || bpf_object__load(obj)) {
    fprintf(stderr, "event_consumer: cannot load %s\n", argv[1]);
    return 1;
  }
  struct bpf_program *prog = bpf_object__find_program_by_name(obj, ring ? "produce_ring" : "produce_perf");
  struct consumer c = {0};
  struct ring_buffer *rb = NULL;
  struct perf_buffer *pb = NULL;
  if (ring)
    rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "ring")), on_ring_record, &c, NULL);
  else
    pb = perf_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")), pages, on_perf_sample, on_perf_lost, &c, NULL);
  if (!prog || (!rb && !pb)) {
    fprintf(stderr, "event_consumer: cannot set up the %s consumer\n", argv[2]);
    return 1;
  }
  // A perf record takes 32 bytes of one CPU's ring: warm-up fills half of it at most.
  uint32_t warmup_records = ring || pages * 4096 / 64 > WARMUP_RECORDS ? WARMUP_RECORDS : (uint32_t)(pages * 4096 / 64);
  struct producer p = {.prog_fd = bpf_program__fd(prog), .repeat = warmup_records};
  for (long round = 0; round < warmup; round++) {
    produce(&p);
    if (ring) ring_buffer__consume(rb);
    else perf_buffer__consume(pb);
  }
  uint64_t produced0 = counter(obj, ring ? SEQ : PERF_SEQ);
  uint64_t lost0 = counter(obj, ring ? DROPPED : PERF_DROPPED);
  c = (struct consumer){.next_seq = c.next_seq};
  p = (struct producer){.prog_fd = bpf_program__fd(prog), .repeat = (uint32_t)records};
  pthread_t thread;
  if (pthread_create(&thread, NULL, produce, &p)) return 1;
  while (!atomic_load(&p.done)) {
    int r = ring ? ring_buffer__poll(rb, 100) : perf_buffer__poll(pb, 100);
    if (r < 0 && r != -EINTR) {
      fprintf(stderr, "event_consumer: poll: %s\n", strerror(-r));
      return 1;
    }
  }
  pthread_join(thread, NULL);
  if (ring) ring_buffer__consume(rb);
  else perf_buffer__consume(pb);
  uint64_t elapsed = (c.last_ns > p.start ? c.last_ns : now_ns()) - p.start;
  if (p.err) {
    fprintf(stderr, "event_consumer: test run: %s\n", strerror(-p.err));
    return 1;
  }
  uint64_t produced = counter(obj, ring ? SEQ : PERF_SEQ) - produced0;
  uint64_t lost = counter(obj, ring ? DROPPED : PERF_DROPPED) - lost0;
  printf("{\"mode\":\"%s\",\"produced\":%llu,\"received\":%llu,\"lost\":%llu,\"lost_reported\":%llu,"
         "\"elapsed_ns\":%llu,\"producer_ns\":%llu,\"out_of_order\":%llu}\n",
         argv[2], (unsigned long long)produced, (unsigned long long)c.received, (unsigned long long)lost,
         (unsigned long long)c.lost_reported, (unsigned long long)elapsed, (unsigned long long)p.ns,
         (unsigned long long)c.out_of_order);
  ring_buffer__free(rb);
  perf_buffer__free(pb);
  bpf_object__close(obj);
  return 0;
}
