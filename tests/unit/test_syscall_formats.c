/* Unit tests: the syscall image's report in the formats derived from its
 * JSON (src/render: Prometheus text, CSV, HTML) and the comm;syscall
 * aggregate behind -f folded and -f svg, on a synthetic audit stream:
 * 1000 getppid, 30 openat (10 ENOENT, 2 EACCES), one close -EBADF, from a
 * process whose comm is hostile text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/syscall_names.h"
#include "images/syscall_img.h"
#include "procimage/image.h"
#include "render/folded.h"
#include "render/jdoc.h"

#define MS   1000000ull
#define COMM "<b>;w\"x"

static const struct image_ops *ops(void)
{
	const struct image_ops *o = image_find("syscall");
	assert_non_null(o);
	return o;
}

static void sc(void *img, int nr, int64_t ret, uint64_t t)
{
	struct record r = {.kind = REC_SYSCALL, .source = SRC_AUDIT, .t_ns = t};
	r.key.tgid = 100;
	strcpy(r.comm, COMM);
	r.u.sc.nr = nr;
	r.u.sc.arch = SC_ARCH_X86_64;
	r.u.sc.ret = ret;
	r.u.sc.success = ret >= 0;
	r.u.sc.wall_ms = t / MS;
	ops()->consume(img, &r);
}

static int setup(void **state)
{
	struct image_params p = {
	    .interval_ns = 10 * MS, .sequence = 4, .source_mode = "auto", .ticks_per_s = 100};
	void *img = ops()->create(&p);
	struct record r = {.kind = REC_CAPTURE, .source = SRC_AUDIT, .t_ns = MS};

	assert_non_null(img);
	r.key.tgid = r.key.tid = 100;
	r.u.capture.on = r.u.capture.ok = 1;
	r.u.capture.arch = SC_ARCH_X86_64;
	ops()->consume(img, &r);
	for (int i = 0; i < 1000; i++)
		sc(img, 110, 1, 2 * MS + (uint64_t)i); /* getppid */
	for (int i = 0; i < 30; i++)
		sc(img, 257, i < 10 ? -2 : (i < 12 ? -13 : 3), 3 * MS); /* openat */
	/* close -EBADF */
	sc(img, 3, -9, 4 * MS);
	*state = img;
	return 0;
}

static int teardown(void **state)
{
	ops()->destroy(*state);
	return 0;
}

/* The report as the image commands render it: JSON with the envelope's
 * image name, parsed, then through one renderer. */
static char *render(void *img, int (*fn)(FILE *, const struct jv *))
{
	char *json = NULL, *buf = NULL, err[128];
	size_t jlen = 0, len = 0;
	FILE *fp = open_memstream(&json, &jlen);
	struct out o;

	out_init(&o, fp, OUT_JSON);
	out_obj_open(&o, NULL);
	out_str(&o, "schema", NULL, "procimage/1");
	out_str(&o, "image", NULL, "syscall");
	ops()->report(img, &o);
	out_obj_close(&o);
	fclose(fp);
	struct jv *doc = jdoc_parse(json, jlen, err, sizeof(err));
	assert_non_null(doc);
	fp = open_memstream(&buf, &len);
	assert_int_equal(fn(fp, doc), 0);
	fclose(fp);
	jdoc_free(doc);
	free(json);
	return buf;
}

static void test_prom(void **state)
{
	char *s = render(*state, render_prom);

	assert_non_null(strstr(s, "# TYPE procimage_syscall_syscalls_count gauge\n"
				  "procimage_syscall_syscalls_count{name=\"getppid\",nr=\"110\","
				  "arch=\"x86_64\"} 1000\n"));
	assert_non_null(strstr(s, "procimage_syscall_syscalls_errors{name=\"openat\",nr=\"257\","
				  "arch=\"x86_64\"} 12\n"));
	/* errno names are a label of one family, not a family each */
	assert_non_null(strstr(s, "# TYPE procimage_syscall_syscalls_errnos gauge\n"
				  "procimage_syscall_syscalls_errnos{name=\"openat\",nr=\"257\","
				  "arch=\"x86_64\",errno=\"ENOENT\"} 10\n"
				  "procimage_syscall_syscalls_errnos{name=\"openat\",nr=\"257\","
				  "arch=\"x86_64\",errno=\"EACCES\"} 2\n"));
	assert_null(strstr(s, "errnos_"));
	assert_non_null(strstr(s, "procimage_syscall_counts_exact 1\n"));
	/* the caller: audit names the process only (no tid label); comm escaped */
	assert_non_null(
	    strstr(s, "procimage_syscall_callers_count{pid=\"100\",comm=\"<b>;w\\\"x\"} 1031\n"));
	/* the sequence is a timeline, not a metric */
	assert_null(strstr(s, "sequence"));
	assert_null(strstr(s, "calls{"));
	free(s);
}

static void test_csv(void **state)
{
	char *s = render(*state, render_csv);
	char *nl = strchr(s, '\n');
	int seq = 0;

	assert_non_null(nl);
	*nl = 0;
	assert_non_null(strstr(s, "image,table,"));
	assert_non_null(strstr(s, ",name,nr,arch,count,errors,"));
	assert_non_null(strstr(s, ",ret,"));
	assert_non_null(strstr(s, ",error"));
	*nl = '\n';
	assert_non_null(strstr(s, "\nsyscall,syscalls,,,,,,getppid,110,x86_64,1000,0,"));
	assert_non_null(strstr(s, "\nsyscall,syscalls,,,,,,openat,257,x86_64,30,12,"));
	/* the sequence: one row per call (ring of 4) under its caller */
	for (char *p = s; (p = strstr(p, "\nsyscall,sequence,100,")); p++) {
		assert_non_null(strstr(p, ",\"<b>;w\"\"x\","));
		seq++;
	}
	assert_int_equal(seq, 4);
	/* the last call: close -EBADF (error is the last column: first seen there) */
	char *last = strstr(s, ",close,3,,,,,,");
	assert_non_null(last);
	assert_non_null(strstr(last, ",-9,4000000,4,false,EBADF\n"));
	free(s);
}

static void test_html(void **state)
{
	char *s = render(*state, render_html);

	assert_non_null(strstr(s, "<h3>syscalls</h3>"));
	assert_non_null(strstr(s, "<svg class=\"chart bar\""));
	assert_non_null(strstr(s, "<tr><td>getppid</td><td>110</td><td>x86_64</td>"
				  "<td>1000</td><td>0</td>"));
	/* sequence rows: the caller's columns, then the call's */
	char *seq = strstr(s, "<h3>sequence</h3>");
	assert_non_null(seq);
	assert_non_null(strstr(seq, "<th>pid</th><th>tid</th><th>comm</th><th>name</th>"));
	assert_non_null(strstr(seq, "<tr><td>100</td><td></td><td>&lt;b&gt;;w&quot;x</td>"
				    "<td>close</td><td>3</td><td>-9</td><td>EBADF</td>"));
	assert_null(strstr(s, "<b>"));
	free(s);
}

static void test_folded_agg(void **state)
{
	struct stack_agg *agg = stack_agg_new();

	assert_non_null(agg);
	assert_int_equal(sc_fold_agg(*state, agg), 1); /* audit counts */
	/* ';' in comm would split the frame: sanitised to ':' */
	assert_int_equal(stack_agg_get(agg, "<b>:w\"x;getppid"), 1000);
	assert_int_equal(stack_agg_get(agg, "<b>:w\"x;openat"), 30);
	assert_int_equal(stack_agg_get(agg, "<b>:w\"x;close"), 1);
	assert_int_equal(stack_agg_total(agg), 1031);
	stack_agg_free(agg);
}

int main(void)
{
	/* What the CLI gives the renderers: which keys name an image. */
	static const char *names[16];
	for (int i = 0; i < 15 && image_at(i); i++)
		names[i] = image_at(i)->name;
	jdoc_set_images(names);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_prom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_html, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_folded_agg, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
