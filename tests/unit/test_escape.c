/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The escapers of render/escape.h on the names test_hostile_names puts on
 * the host: each format's exact form, as docs/formats.md documents it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "procimage/out.h"
#include "render/escape.h"

/* comm "\e]0;PWN\a\e[2J\n\xff": OSC retitle, clear screen, newline, a byte
 * that is not UTF-8 */
static const char comm[] = "\x1b]0;PWN\x07\x1b[2J\n\xff";

typedef void (*writer)(FILE *, const char *);

static char *written(writer w, const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	w(fp, s);
	fclose(fp);
	return buf;
}

static void w_text(FILE *fp, const char *s)
{
	esc_text(fp, s, strlen(s));
}
static void w_json(FILE *fp, const char *s)
{
	esc_json(fp, s, strlen(s));
}
static void w_xml(FILE *fp, const char *s)
{
	esc_xml(fp, s, strlen(s));
}
static void w_csv(FILE *fp, const char *s)
{
	esc_csv(fp, s);
}

static void expect(writer w, const char *in, const char *want)
{
	char *got = written(w, in);
	assert_string_equal(got, want);
	free(got);
}

static void test_forms(void **state)
{
	char buf[256];

	(void)state;
	expect(w_text, comm, "\\x1b]0;PWN\\x07\\x1b[2J\\x0a\\xff");
	expect(w_json, comm, "\\u001b]0;PWN\\u0007\\u001b[2J\\n\\ufffd");
	expect(w_xml, "a<&>\"'\x1b", "a&lt;&amp;&gt;&quot;&apos;\\x1b");
	expect(w_csv, "a,\"b\"\n", "\"a,\"\"b\"\"\\x0a\"");
	expect(w_csv, "plain", "plain");
	/* C1 (NEL), the line and paragraph separators: shown as bytes in
	 * text, \u in JSON; other characters as they are */
	expect(w_text, "\xc2\x85|\xe2\x80\xa8|\xe2\x80\xa9|\xc3\xa9",
	       "\\xc2\\x85|\\xe2\\x80\\xa8|"
	       "\\xe2\\x80\\xa9|\xc3\xa9");
	expect(w_json, "\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9", "\\u0085\\u2028\\u2029\xc3\xa9");
	/* overlong '/', a surrogate, above U+10FFFF: not UTF-8 */
	expect(w_json, "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80",
	       "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	       "\\ufffd\\ufffd\\ufffd\\ufffd");
	esc_prom(buf, sizeof(buf), "a\"b\\c\n");
	assert_string_equal(buf, "a\\\"b\\\\c\\\\x0a");
	esc_frame(buf, sizeof(buf), "x;y\n", 4);
	assert_string_equal(buf, "x:y\\x0a");
	/* bounded: cut between escapes, never inside one */
	esc_text_buf(buf, 7, comm, strlen(comm), NULL);
	assert_string_equal(buf, "\\x1b]0");
	/* out_printf: the format's newline stays, the argument's is escaped */
	char *p = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&p, &len);
	out_printf(fp, "comm %s|%c\n", comm, '\x07');
	fclose(fp);
	assert_string_equal(p, "comm \\x1b]0;PWN\\x07\\x1b[2J\\x0a\\xff|\\x07\n");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
