// Oracle for the object-spec tests: opens a BPF object with libbpf
// (bpf_object__open_mem) and prints what libbpf sees as JSON — programs
// (name, section, type, expected attach type, instruction count) and maps
// (name, type, key/value size, max entries, flags, BTF type ids).
// With "load" as third argument it also loads the object and prints each
// loaded program's final instructions (hex), to compare subprogram linking.
// Usage: object_dump OBJECT NAME [load]
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

static void print_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\') printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
		else putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	if (argc < 3) { fprintf(stderr, "usage: %s OBJECT NAME [load]\n", argv[0]); return 2; }
	int load = argc > 3 && strcmp(argv[3], "load") == 0;
	FILE *f = fopen(argv[1], "rb");
	if (!f) { perror(argv[1]); return 1; }
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc(size);
	if (!buf || fread(buf, 1, size, f) != (size_t)size) { fprintf(stderr, "read failed\n"); return 1; }
	fclose(f);
	if (!getenv("ORACLE_VERBOSE")) libbpf_set_print(quiet);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = argv[2]);
	struct bpf_object *obj = bpf_object__open_mem(buf, size, &opts);
	if (!obj) { printf("{\"error\":%d}\n", -errno); return 0; }
	if (load) {
		int err = bpf_object__load(obj);
		if (err) { printf("{\"loadError\":%d}\n", err); return 0; }
	}
	struct bpf_program *p;
	struct bpf_map *m;
	int first = 1;
	printf("{\"programs\":[");
	bpf_object__for_each_program(p, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		first = 0;
		print_str(bpf_program__name(p));
		printf(",\"section\":");
		print_str(bpf_program__section_name(p));
		printf(",\"type\":%d,\"expectedAttachType\":%d,\"autoload\":%s,\"insnCount\":%zu",
		       bpf_program__type(p), bpf_program__expected_attach_type(p),
		       bpf_program__autoload(p) ? "true" : "false", bpf_program__insn_cnt(p));
		if (load && bpf_program__autoload(p)) {
			const unsigned char *insns = (const unsigned char *)bpf_program__insns(p);
			printf(",\"insns\":\"");
			for (size_t i = 0; i < bpf_program__insn_cnt(p) * 8; i++) printf("%02x", insns[i]);
			printf("\"");
		}
		printf("}");
	}
	printf("],\"maps\":[");
	first = 1;
	bpf_object__for_each_map(m, obj) {
		printf("%s{\"name\":", first ? "" : ",");
		first = 0;
		print_str(bpf_map__name(m));
		printf(",\"type\":%d,\"keySize\":%u,\"valueSize\":%u,\"maxEntries\":%u,\"flags\":%u,\"keyTypeId\":%u,\"valueTypeId\":%u,\"internal\":%s}",
		       bpf_map__type(m), bpf_map__key_size(m), bpf_map__value_size(m), bpf_map__max_entries(m),
		       bpf_map__map_flags(m), bpf_map__btf_key_type_id(m), bpf_map__btf_value_type_id(m),
		       bpf_map__is_internal(m) ? "true" : "false");
	}
	printf("]}\n");
	bpf_object__close(obj);
	free(buf);
	return 0;
}
