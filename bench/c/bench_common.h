// Shared by the C harnesses in bench/c: the clock and argument parsing, so
// every harness times and reads its arguments exactly like the others.
#ifndef TSBPF_BENCH_COMMON_H
#define TSBPF_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// BENCH_CLOCK=cpu selects process CPU time (user + system), as bench/harness.ts
// does with process.cpuUsage(); anything else is wall-clock monotonic time.
static clockid_t bench_clock = CLOCK_MONOTONIC;

static void bench_clock_from_env(void) {
  const char *name = getenv("BENCH_CLOCK");
  if (name && strcmp(name, "cpu") == 0) bench_clock = CLOCK_PROCESS_CPUTIME_ID;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(bench_clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// A non-negative decimal argument; exits with status 2 (usage) otherwise.
static long arg_long(const char *harness, const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0) {
    fprintf(stderr, "%s: bad number '%s'\n", harness, s);
    exit(2);
  }
  return v;
}

#endif
