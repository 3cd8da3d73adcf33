// tsbpf native shim: the only C in the project. It exposes raw kernel
// entry points to TypeScript and nothing else — no BPF logic lives here.
//   syscall(nr, ...args)          -> result >= 0, or -errno
//   bpf(cmd, attrAddress, size)   -> the same for bpf(2), numbers only (hot path)
//   address(view)                 -> bigint address of a Buffer/TypedArray/ArrayBuffer
//   mmap(fd, len, prot, flags, off) -> external ArrayBuffer, or -errno
//   munmap(arrayBuffer)           -> 0 or -errno (detaches the buffer)
//   watch(fd, events, callback)   -> handle; callback(status, events) on readiness
//   unwatch(handle)
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "tsbpf native: " #call " failed"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

// Converts one JS argument to a machine word: numbers and bigints by value,
// buffers and typed arrays by the address of their bytes.
static int to_word(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  bool is;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_number) return napi_get_value_int64(env, v, out) == napi_ok;
  if (t == napi_bigint) {
    bool lossless;
    return napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok;
  }
  if (t == napi_undefined || t == napi_null) { *out = 0; return 1; }
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    size_t len, off;
    napi_typedarray_type tt;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &tt, &len, &data, &ab, &off) != napi_ok) return 0;
    *out = (int64_t)(uintptr_t)data;
    return 1;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    size_t len, off;
    napi_value ab;
    if (napi_get_dataview_info(env, v, &len, &data, &ab, &off) != napi_ok) return 0;
    *out = (int64_t)(uintptr_t)data;
    return 1;
  }
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    size_t len;
    if (napi_get_arraybuffer_info(env, v, &data, &len) != napi_ok) return 0;
    *out = (int64_t)(uintptr_t)data;
    return 1;
  }
  return 0;
}

static napi_value make_i64(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static napi_value js_syscall(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  int64_t w[7] = {0};
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) { napi_throw_type_error(env, NULL, "syscall: missing number"); return NULL; }
  for (size_t i = 0; i < argc; i++) {
    if (!to_word(env, argv[i], &w[i])) {
      napi_throw_type_error(env, NULL, "syscall: arguments must be number, bigint or buffer");
      return NULL;
    }
  }
  long r = syscall(w[0], w[1], w[2], w[3], w[4], w[5], w[6]);
  return make_i64(env, r < 0 ? -errno : r);
}

// bpf(cmd, attrAddress, size): the hot path of every map operation. Takes
// plain numbers only, skipping the per-argument type dispatch of syscall().
static napi_value js_bpf(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t cmd, size;
  int64_t attr;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_int32(env, argv[0], &cmd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &attr) != napi_ok ||
      napi_get_value_int32(env, argv[2], &size) != napi_ok) {
    napi_throw_type_error(env, NULL, "bpf(cmd, attrAddress, size): numbers expected");
    return NULL;
  }
  long r = syscall(__NR_bpf, cmd, (void *)(uintptr_t)attr, size);
  return make_i64(env, r < 0 ? -errno : r);
}

static napi_value js_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  int64_t w;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !to_word(env, argv[0], &w)) {
    napi_throw_type_error(env, NULL, "address: expected a buffer");
    return NULL;
  }
  CHECK(napi_create_bigint_uint64(env, (uint64_t)w, &r));
  return r;
}

// A mapping stays alive until munmap() or until its ArrayBuffer is collected.
typedef struct { void *addr; size_t len; } mapping_t;

static void mapping_finalize(napi_env env, void *data, void *hint) {
  mapping_t *m = hint;
  (void)env; (void)data;
  if (m->addr) munmap(m->addr, m->len);
  free(m);
}

static napi_value js_mmap(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], ab;
  int64_t w[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  for (size_t i = 0; i < 5; i++)
    if (i >= argc || !to_word(env, argv[i], &w[i])) {
      napi_throw_type_error(env, NULL, "mmap(fd, length, prot, flags, offset)");
      return NULL;
    }
  void *p = mmap(NULL, (size_t)w[1], (int)w[2], (int)w[3], (int)w[0], (off_t)w[4]);
  if (p == MAP_FAILED) return make_i64(env, -errno);
  mapping_t *m = malloc(sizeof *m);
  if (!m) { munmap(p, (size_t)w[1]); return make_i64(env, -ENOMEM); }
  m->addr = p;
  m->len = (size_t)w[1];
  if (napi_create_external_arraybuffer(env, p, m->len, mapping_finalize, m, &ab) != napi_ok) {
    munmap(p, m->len);
    free(m);
    napi_throw_error(env, NULL, "mmap: cannot wrap mapping");
    return NULL;
  }
  // Remember the mapping on the buffer so munmap() can find it.
  napi_wrap(env, ab, m, NULL, NULL, NULL);
  return ab;
}

static napi_value js_munmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  mapping_t *m = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_unwrap(env, argv[0], (void **)&m) != napi_ok || !m || !m->addr)
    return make_i64(env, -EINVAL);
  // Detach first so no JS view can touch the pages after they are gone.
  CHECK(napi_detach_arraybuffer(env, argv[0]));
  int r = munmap(m->addr, m->len);
  m->addr = NULL;
  return make_i64(env, r < 0 ? -errno : 0);
}

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int closing;
} watcher_t;

static void watcher_closed(uv_handle_t *h) { free(h->data); }

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
  napi_value argv[3], handle;
  int32_t fd, events;
  uv_loop_t *loop;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &events) != napi_ok) {
    napi_throw_type_error(env, NULL, "watch(fd, events, callback)");
    return NULL;
  }
  CHECK(napi_get_uv_event_loop(env, &loop));
  watcher_t *w = calloc(1, sizeof *w);
  if (!w) return make_i64(env, -ENOMEM);
  w->env = env;
  w->poll.data = w;
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r == 0) r = uv_poll_start(&w->poll, events, watcher_ready);
  if (r != 0) {
    free(w);
    return make_i64(env, r);  // libuv errors are already -errno
  }
  napi_value name;
  CHECK(napi_create_string_utf8(env, "tsbpf:watch", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &w->context));
  CHECK(napi_create_reference(env, argv[2], 1, &w->callback));
  CHECK(napi_create_external(env, w, NULL, NULL, &handle));
  return handle;
}

static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  watcher_t *w = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&w) != napi_ok || !w)
    return make_i64(env, -EINVAL);
  if (w->closing) return make_i64(env, 0);
  w->closing = 1;
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->context);
  uv_poll_stop(&w->poll);
  uv_close((uv_handle_t *)&w->poll, watcher_closed);
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
