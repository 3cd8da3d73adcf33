// tsbpf native shim: the only C in the project. It exposes raw kernel
// entry points to TypeScript and nothing else — no BPF logic lives here.
//   syscall(nr, ...args)          -> result >= 0, or -errno (at most 6 args)
//   bpf(cmd, attrAddress, size)   -> the same for bpf(2), numbers only (hot path)
//   address(view)                 -> bigint address of a Buffer/TypedArray/ArrayBuffer
//   mmap(fd, len, prot, flags, off) -> external ArrayBuffer, or -errno
//   munmap(arrayBuffer)           -> 0 or -errno (detaches the buffer; again: no-op)
//   watch(fd, events, callback)   -> handle; callback(status, events) on readiness
//   unwatch(handle)               -> 0 (again, or after the fd closed: no-op)
// Every argument is checked here, before any side effect: a wrong type is a
// TypeError, a value out of range a RangeError, both with the code below so
// the TypeScript wrapper can tell them apart. A bad argument must never reach
// libuv or the kernel as a half-made watcher or a dangling pointer.
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#define ARG_ERROR_CODE "ERR_TSBPF_NATIVE_ARGUMENT"
#define MAX_SYSCALL_ARGS 6
#define MAX_SAFE_INTEGER 9007199254740991.0
#define TWO_POW_63 9223372036854775808.0
#define TWO_POW_64 18446744073709551616.0

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "tsbpf native: " #call " failed"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

// Tags that prove a buffer or handle was made by this shim (not just any
// ArrayBuffer or object a caller hands back).
static const napi_type_tag MAPPING_TAG = {0x7473627066006d6dULL, 0x6d61707069676e31ULL};
static const napi_type_tag WATCHER_TAG = {0x7473627066007777ULL, 0x7761746368657231ULL};

static napi_value arg_error(napi_env env, int range, const char *fn, const char *what) {
  char msg[192];
  snprintf(msg, sizeof msg, "tsbpf native %s: %s", fn, what);
  if (range) napi_throw_range_error(env, ARG_ERROR_CODE, msg);
  else napi_throw_type_error(env, ARG_ERROR_CODE, msg);
  return NULL;
}

// An integral number or bigint within [min, max]. Returns 0 after throwing.
static int get_int(napi_env env, napi_value v, double min, double max, int64_t *out, const char *fn, const char *what) {
  char msg[160];
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_number) {
    double d;
    napi_get_value_double(env, v, &d);
    if (isfinite(d) && floor(d) == d && d >= min && d <= max) { *out = (int64_t)d; return 1; }
  } else if (t == napi_bigint) {
    bool lossless;
    napi_get_value_bigint_int64(env, v, out, &lossless);
    if (lossless && (double)*out >= min && (double)*out <= max) return 1;
  } else {
    snprintf(msg, sizeof msg, "%s must be an integer", what);
    arg_error(env, 0, fn, msg);
    return 0;
  }
  snprintf(msg, sizeof msg, "%s must be an integer in [%.0f, %.0f]", what, min, max);
  arg_error(env, 1, fn, msg);
  return 0;
}

// The bytes of a buffer argument. Detached buffers are refused: their
// address is gone, and 0 would reach the kernel as a NULL pointer.
// Returns 1 on success, 0 when v is not a buffer, -1 after throwing.
static int get_bytes(napi_env env, napi_value v, void **data, const char *fn) {
  bool is = false, detached = false;
  napi_value ab = v;
  size_t len, off;
  napi_typedarray_type tt;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    if (napi_get_typedarray_info(env, v, &tt, &len, data, &ab, &off) != napi_ok) return -1;
  } else if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    if (napi_get_dataview_info(env, v, &len, data, &ab, &off) != napi_ok) return -1;
  } else if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    if (napi_get_arraybuffer_info(env, v, data, &len) != napi_ok) return -1;
  } else {
    return 0;
  }
  if (napi_is_detached_arraybuffer(env, ab, &detached) == napi_ok && detached) {
    arg_error(env, 0, fn, "the buffer is detached");
    return -1;
  }
  return 1;
}

// One syscall argument as a machine word: integers (negative ones too, e.g.
// AT_FDCWD; bigints up to 2^64-1) by value, buffers by the address of their bytes.
static int to_word(napi_env env, napi_value v, int64_t *out, int index) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_undefined || t == napi_null) { *out = 0; return 1; }
  if (t == napi_number) {
    double d;
    napi_get_value_double(env, v, &d);
    if (isfinite(d) && floor(d) == d && d >= -TWO_POW_63 && d < TWO_POW_64) {
      *out = d < TWO_POW_63 ? (int64_t)d : (int64_t)(uint64_t)d;
      return 1;
    }
    char msg[128];
    snprintf(msg, sizeof msg, "argument %d must be an integer of at most 64 bits", index);
    arg_error(env, 1, "syscall", msg);
    return 0;
  }
  if (t == napi_bigint) {
    bool lossless;
    uint64_t u;
    napi_get_value_bigint_int64(env, v, out, &lossless);
    if (lossless) return 1;
    napi_get_value_bigint_uint64(env, v, &u, &lossless);
    if (lossless) { *out = (int64_t)u; return 1; }
    char msg[128];
    snprintf(msg, sizeof msg, "argument %d must fit in 64 bits", index);
    arg_error(env, 1, "syscall", msg);
    return 0;
  }
  void *data = NULL;
  int r = get_bytes(env, v, &data, "syscall");
  if (r > 0) { *out = (int64_t)(uintptr_t)data; return 1; }
  if (r == 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "argument %d must be a number, bigint, buffer, null or undefined", index);
    arg_error(env, 0, "syscall", msg);
  }
  return 0;
}

static napi_value make_i64(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static napi_value js_syscall(napi_env env, napi_callback_info info) {
  size_t argc = MAX_SYSCALL_ARGS + 1;
  napi_value argv[MAX_SYSCALL_ARGS + 1];
  int64_t w[MAX_SYSCALL_ARGS + 1] = {0};
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  // argc is the caller's count, which may exceed what argv holds.
  if (argc < 1 || argc > MAX_SYSCALL_ARGS + 1)
    return arg_error(env, 0, "syscall", "takes a syscall number and at most 6 arguments");
  if (!get_int(env, argv[0], 0, 4095, &w[0], "syscall", "the syscall number")) return NULL;
  for (size_t i = 1; i < argc; i++)
    if (!to_word(env, argv[i], &w[i], (int)i)) return NULL;
  long r = syscall(w[0], w[1], w[2], w[3], w[4], w[5], w[6]);
  return make_i64(env, r < 0 ? -errno : r);
}

// bpf(cmd, attrAddress, size): the hot path of every map operation. Takes
// plain numbers only, skipping the per-argument type dispatch of syscall().
static napi_value js_bpf(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  double cmd, attr, size;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return arg_error(env, 0, "bpf", "bpf(cmd, attrAddress, size) takes 3 numbers");
  if (napi_get_value_double(env, argv[0], &cmd) != napi_ok || napi_get_value_double(env, argv[1], &attr) != napi_ok ||
      napi_get_value_double(env, argv[2], &size) != napi_ok)
    return arg_error(env, 0, "bpf", "bpf(cmd, attrAddress, size): numbers expected");
  // NaN fails every comparison, so it lands here too.
  if (!(cmd >= 0 && cmd <= INT32_MAX && floor(cmd) == cmd) || !(attr >= 0 && attr <= MAX_SAFE_INTEGER && floor(attr) == attr) ||
      !(size >= 0 && size <= UINT32_MAX && floor(size) == size))
    return arg_error(env, 1, "bpf", "bpf(cmd, attrAddress, size): non-negative integers expected");
  long r = syscall(__NR_bpf, (int)cmd, (void *)(uintptr_t)attr, (unsigned int)size);
  return make_i64(env, r < 0 ? -errno : r);
}

static napi_value js_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  void *data = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1) return arg_error(env, 0, "address", "takes one buffer");
  int ok = get_bytes(env, argv[0], &data, "address");
  if (ok == 0) return arg_error(env, 0, "address", "expected a Buffer, TypedArray, DataView or ArrayBuffer");
  if (ok < 0) return NULL;
  CHECK(napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)data, &r));
  return r;
}

// A mapping lives until munmap() or until its ArrayBuffer's backing store is
// freed (garbage collection), whichever comes first. munmap() reaches it
// through a wrap that it removes before detaching, so nothing points at the
// record once the backing store's finalizer may free it.
typedef struct { void *addr; size_t len; } mapping_t;

static void mapping_finalize(napi_env env, void *data, void *hint) {
  mapping_t *m = hint;
  if (m->addr) munmap(m->addr, m->len);
  free(m);
}

static napi_value js_mmap(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], ab;
  int64_t fd, len, prot, flags, off;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 5) return arg_error(env, 0, "mmap", "mmap(fd, length, prot, flags, offset) takes 5 integers");
  if (!get_int(env, argv[0], 0, INT32_MAX, &fd, "mmap", "fd") ||
      !get_int(env, argv[1], 1, MAX_SAFE_INTEGER, &len, "mmap", "length") ||
      !get_int(env, argv[2], 0, PROT_READ | PROT_WRITE, &prot, "mmap", "prot (PROT_READ|PROT_WRITE)") ||
      !get_int(env, argv[3], 0, MAP_SHARED | MAP_PRIVATE, &flags, "mmap", "flags") ||
      !get_int(env, argv[4], 0, MAX_SAFE_INTEGER, &off, "mmap", "offset"))
    return NULL;
  // Only a new shared or private mapping: MAP_FIXED and friends could replace memory Node uses.
  if (flags != MAP_SHARED && flags != MAP_PRIVATE) return arg_error(env, 1, "mmap", "flags must be MAP_SHARED or MAP_PRIVATE");
  mapping_t *m = malloc(sizeof *m);
  if (!m) return make_i64(env, -ENOMEM);
  void *p = mmap(NULL, (size_t)len, (int)prot, (int)flags, (int)fd, (off_t)off);
  if (p == MAP_FAILED) {
    int e = errno;
    free(m);
    return make_i64(env, -e);
  }
  m->addr = p;
  m->len = (size_t)len;
  if (napi_create_external_arraybuffer(env, p, m->len, mapping_finalize, m, &ab) != napi_ok) {
    munmap(p, m->len);
    free(m);
    napi_throw_error(env, NULL, "tsbpf native mmap: cannot wrap the mapping");
    return NULL;
  }
  // From here the finalizer owns m: failures below leave it to garbage collection.
  CHECK(napi_type_tag_object(env, ab, &MAPPING_TAG));
  CHECK(napi_wrap(env, ab, m, NULL, NULL, NULL));
  return ab;
}

static napi_value js_munmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  mapping_t *m = NULL;
  bool is = false, ours = false, detached = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || napi_is_arraybuffer(env, argv[0], &is) != napi_ok || !is)
    return arg_error(env, 0, "munmap", "expected an ArrayBuffer returned by mmap()");
  if (napi_check_object_type_tag(env, argv[0], &MAPPING_TAG, &ours) != napi_ok || !ours)
    return arg_error(env, 0, "munmap", "the ArrayBuffer was not returned by mmap()");
  // Already unmapped (or transferred away): a second release does nothing.
  CHECK(napi_is_detached_arraybuffer(env, argv[0], &detached));
  if (detached) return make_i64(env, 0);
  if (napi_remove_wrap(env, argv[0], (void **)&m) != napi_ok || !m) return make_i64(env, 0);
  void *addr = m->addr;
  size_t len = m->len;
  m->addr = NULL;
  int r = munmap(addr, len);
  // Detached, no JS view can reach the pages; the record is freed by the finalizer.
  CHECK(napi_detach_arraybuffer(env, argv[0]));
  return make_i64(env, r < 0 ? -errno : 0);
}

// A watcher is shared by its JS handle (a tagged object wrapping it) and its
// libuv poll; it is freed when both are gone, so unwatch() on a stale handle
// reads live memory and does nothing.
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int closing;
  int owners;
} watcher_t;

static void watcher_release(watcher_t *w) {
  if (--w->owners == 0) free(w);
}

static void watcher_closed(uv_handle_t *h) { watcher_release(h->data); }

static void handle_finalize(napi_env env, void *data, void *hint) { watcher_release(data); }

static void watcher_stop(void *arg) {
  watcher_t *w = arg;
  if (w->closing) return;
  w->closing = 1;
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->context);
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, watcher_closed);
}

static void watcher_ready(uv_poll_t *p, int status, int events) {
  watcher_t *w = p->data;
  napi_handle_scope scope;
  napi_value cb, global, argv[2];
  if (w->closing) return;
  napi_open_handle_scope(w->env, &scope);
  napi_get_reference_value(w->env, w->callback, &cb);
  napi_get_global(w->env, &global);
  napi_create_int32(w->env, status, &argv[0]);
  napi_create_int32(w->env, events, &argv[1]);
  // make_callback (not call_function) so microtasks run and exceptions
  // surface as uncaught errors, like any other libuv-driven callback.
  napi_make_callback(w->env, w->context, global, cb, 2, argv, NULL);
  napi_close_handle_scope(w->env, scope);
}

static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], handle, name;
  int64_t fd, events;
  napi_valuetype t;
  uv_loop_t *loop;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return arg_error(env, 0, "watch", "watch(fd, events, callback) takes 3 arguments");
  if (!get_int(env, argv[0], 0, INT32_MAX, &fd, "watch", "fd") ||
      !get_int(env, argv[1], 1, UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED, &events, "watch",
               "events (a non-empty mask of UV_READABLE|UV_WRITABLE|UV_DISCONNECT|UV_PRIORITIZED)"))
    return NULL;
  CHECK(napi_typeof(env, argv[2], &t));
  if (t != napi_function) return arg_error(env, 0, "watch", "callback must be a function");
  // Everything JS-side is made before the poll starts, so a failure leaves nothing running.
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(napi_create_object(env, &handle));
  CHECK(napi_type_tag_object(env, handle, &WATCHER_TAG));
  watcher_t *w = calloc(1, sizeof *w);
  if (!w) return make_i64(env, -ENOMEM);
  w->env = env;
  w->poll.data = w;
  int r = uv_poll_init(loop, &w->poll, (int)fd);
  if (r != 0) {
    free(w);
    return make_i64(env, r);  // libuv errors are already -errno
  }
  // From here the poll handle exists and can only be freed through uv_close.
  w->owners = 1;
  w->closing = 1;
  if (napi_create_string_utf8(env, "tsbpf:watch", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &w->callback) != napi_ok) {
    uv_close((uv_handle_t *)&w->poll, watcher_closed);
    napi_throw_error(env, NULL, "tsbpf native watch: cannot keep the callback");
    return NULL;
  }
  if (napi_async_init(env, NULL, name, &w->context) != napi_ok) {
    napi_delete_reference(env, w->callback);
    uv_close((uv_handle_t *)&w->poll, watcher_closed);
    napi_throw_error(env, NULL, "tsbpf native watch: cannot create the async context");
    return NULL;
  }
  w->closing = 0;
  r = uv_poll_start(&w->poll, (int)events, watcher_ready);
  if (r == 0 && napi_wrap(env, handle, w, handle_finalize, NULL, NULL) != napi_ok) r = -ENOMEM;
  if (r != 0) {
    watcher_stop(w);
    return make_i64(env, r);
  }
  w->owners = 2;
  // Stop the poll if the environment (a worker thread) ends while it runs.
  napi_add_env_cleanup_hook(env, watcher_stop, w);
  return handle;
}

static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  watcher_t *w = NULL;
  bool ours = false;
  napi_valuetype t;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_object ||
      napi_check_object_type_tag(env, argv[0], &WATCHER_TAG, &ours) != napi_ok || !ours)
    return arg_error(env, 0, "unwatch", "expected a handle returned by watch()");
  // A tagged handle whose watch() failed carries no watcher: nothing to stop.
  if (napi_unwrap(env, argv[0], (void **)&w) != napi_ok || !w || w->closing) return make_i64(env, 0);
  napi_remove_env_cleanup_hook(env, watcher_stop, w);
  watcher_stop(w);
  return make_i64(env, 0);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"syscall", NULL, js_syscall, NULL, NULL, NULL, napi_default, NULL},
      {"bpf", NULL, js_bpf, NULL, NULL, NULL, napi_default, NULL},
      {"address", NULL, js_address, NULL, NULL, NULL, napi_default, NULL},
      {"mmap", NULL, js_mmap, NULL, NULL, NULL, napi_default, NULL},
      {"munmap", NULL, js_munmap, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
