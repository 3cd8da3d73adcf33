// CO-RE oracle: what libbpf makes of an object's programs when it relocates
// them against a given target BTF (btf_custom_path), without loading them.
//
//   relocs <object.o> <target-btf>    → JSON on stdout:
//   {"programs":[{"name":…,"section":…,"insns":"<hex of the final instructions>"}]}
//   or {"error":"…","errno":N} when libbpf refuses the object.
//
// libbpf (Debian's 1.1) has no hook to see a program right before loading,
// so this file defines syscall(): bpf(BPF_PROG_LOAD) of the object's
// programs (recognised by their BTF fd; libbpf's own feature probes carry
// none or are named libbpf_*) is recorded and answered with a harmless fd, everything else (maps,
// BTF, probes) goes to the kernel. Build: cc -O1 relocs.c -lbpf -ldl -Wl,--export-dynamic
#define _GNU_SOURCE
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_PROGS 512

struct captured {
	char name[BPF_OBJ_NAME_LEN];
	size_t insn_cnt;
	unsigned char *insns;
};

static struct captured captured[MAX_PROGS];
static int captured_cnt;

typedef long (*syscall_fn)(long, ...);

long syscall(long nr, ...)
{
	static syscall_fn real;
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real)
		real = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	if (nr == __NR_bpf && a[0] == BPF_PROG_LOAD) {
		const union bpf_attr *attr = (const union bpf_attr *)a[1];

		/* libbpf's own probes are named libbpf_* or carry no BTF */
		if (attr->prog_btf_fd > 0 && strncmp(attr->prog_name, "libbpf_", 7) != 0 && captured_cnt < MAX_PROGS) {
			struct captured *c = &captured[captured_cnt++];
			size_t bytes = (size_t)attr->insn_cnt * sizeof(struct bpf_insn);

			memcpy(c->name, attr->prog_name, sizeof(c->name));
			c->insn_cnt = attr->insn_cnt;
			c->insns = malloc(bytes);
			memcpy(c->insns, (const void *)(unsigned long)attr->insns, bytes);
			return open("/dev/null", O_RDONLY | O_CLOEXEC);
		}
	}
	if (nr == __NR_bpf && a[0] == BPF_PROG_BIND_MAP)
		return 0;
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level != LIBBPF_WARN || getenv("RELOCS_QUIET"))
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Sizes a tool's user space would set before loading (stack depth, table
 * sizes); zero would make map creation fail before CO-RE matters. */
static void size_maps(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		enum bpf_map_type type = bpf_map__type(map);

		if (bpf_map__max_entries(map) == 0 && type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			bpf_map__set_max_entries(map, type == BPF_MAP_TYPE_RINGBUF ? 4096 : 1);
		if (bpf_map__value_size(map) == 0 && type == BPF_MAP_TYPE_STACK_TRACE)
			bpf_map__set_value_size(map, 8);
	}
}

/* Opens and loads the object; with only >= 0, just that program (by index)
 * is loaded. Returns the loaded object or NULL with errno set. */
static struct bpf_object *open_and_load(const char *path, const char *btf, int only, int retype)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf);
	struct bpf_object *obj = bpf_object__open_file(path, &opts);
	struct bpf_program *prog;
	int i = 0, err;

	if (!obj)
		return NULL;
	size_maps(obj);
	if (only >= 0) {
		bpf_object__for_each_program(prog, obj) {
			bpf_program__set_autoload(prog, i == only);
			/* The attach target (a function this kernel lacks) does not
			 * matter for CO-RE: point it at a function every kernel has. */
			if (i++ == only && retype)
				bpf_program__set_attach_target(prog, 0, "bpf_fentry_test1");
		}
	}
	captured_cnt = 0;
	err = bpf_object__load(obj);
	if (err) {
		bpf_object__close(obj);
		errno = -err;
		return NULL;
	}
	return obj;
}

static int program_count(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	int n = 0;

	if (!obj)
		return 0;
	bpf_object__for_each_program(prog, obj)
		n++;
	bpf_object__close(obj);
	return n;
}

/* Prints the object's loaded programs paired with the captured loads. */
static int print_programs(struct bpf_object *obj, int *printed)
{
	struct bpf_program *prog;
	int i = 0;

	bpf_object__for_each_program(prog, obj) {
		struct captured *c;

		if (!bpf_program__autoload(prog))
			continue;
		if (i >= captured_cnt) {
			fprintf(stderr, "program %s was not captured\n", bpf_program__name(prog));
			return -1;
		}
		c = &captured[i++];
		if (strncmp(c->name, bpf_program__name(prog), BPF_OBJ_NAME_LEN - 1) != 0 && c->name[0]) {
			fprintf(stderr, "load order mismatch: %s vs %s\n", c->name, bpf_program__name(prog));
			return -1;
		}
		printf("%s{\"name\":", (*printed)++ ? "," : "");
		print_json_string(bpf_program__name(prog));
		printf(",\"section\":");
		print_json_string(bpf_program__section_name(prog));
		printf(",\"insns\":\"");
		for (size_t j = 0; j < c->insn_cnt * sizeof(struct bpf_insn); j++)
			printf("%02x", c->insns[j]);
		printf("\"}");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	int printed = 0, first_err = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s <object.o> <target-btf>\n", argv[0]);
		return 2;
	}
	libbpf_set_print(quiet_print);
	obj = open_and_load(argv[1], argv[2], -1, 0);
	if (obj) {
		printf("{\"single\":false,\"programs\":[");
		if (print_programs(obj, &printed))
			return 1;
		printf("]}\n");
		bpf_object__close(obj);
		return 0;
	}
	/* Some program cannot load here (an attach target this kernel lacks,
	 * say): load the programs one at a time and keep those that can. */
	first_err = -errno;
	printf("{\"single\":true,\"programs\":[");
	for (int i = 0, n = program_count(argv[1]); i < n; i++) {
		obj = open_and_load(argv[1], argv[2], i, 0);
		if (!obj && errno == ESRCH)
			obj = open_and_load(argv[1], argv[2], i, 1);
		if (!obj)
			continue;
		if (print_programs(obj, &printed))
			return 1;
		bpf_object__close(obj);
	}
	printf("],\"error\":\"load\",\"errno\":%d}\n", first_err);
	return 0;
}
