/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small recursive-descent JSON parser (see jdoc.h). It reads what out.c
 * writes and what any conforming writer writes; depth is bounded so hostile
 * input cannot exhaust the stack.
 */
#include "render/jdoc.h"

#include <stdlib.h>
#include <string.h>

#define JDOC_MAX_DEPTH 64

struct parser {
	const char *p, *end;
	char *err;
	size_t errlen;
	int depth;
};

static struct jv *parse_value(struct parser *ps, const char *key);

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r'))
		ps->p++;
}

static struct jv *err_at(struct parser *ps, const char *what)
{
	if (ps->err && !ps->err[0])
		snprintf(ps->err, ps->errlen, "JSON: %s at byte %zu", what,
			 (size_t)(ps->end - ps->p));
	return NULL;
}

static void put_utf8(char **o, unsigned cp)
{
	char *q = *o;

	if (cp < 0x80) {
		*q++ = (char)cp;
	} else if (cp < 0x800) {
		*q++ = (char)(0xc0 | cp >> 6);
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*q++ = (char)(0xe0 | cp >> 12);
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = q;
}

/* At the opening quote; a malloc'ed, unescaped string. */
static char *parse_string(struct parser *ps)
{
	const char *s = ++ps->p, *q = s;
	char *out, *o;

	/* Sized to this string, never to the rest of the document: a report
	 * holds ~10^5 strings, and an allocation each as large as what
	 * follows was hundreds of MB for a 1 MB report. Unescaping only
	 * shrinks (\uXXXX, 6 bytes, gives at most 3). */
	while (q < ps->end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	out = malloc((size_t)((q < ps->end ? q : ps->end) - s) + 1);
	o = out;

	if (!out)
		return NULL;
	while (ps->p < ps->end && *ps->p != '"') {
		char c = *ps->p++;
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		if (ps->p >= ps->end)
			break;
		c = *ps->p++;
		switch (c) {
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'u': {
			unsigned cp = 0;
			for (int i = 0; i < 4 && ps->p < ps->end; i++, ps->p++) {
				char h = *ps->p;
				cp = cp * 16 +
				     (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
			}
			put_utf8(&o, cp & 0xffff);
			break;
		}
		default:
			*o++ = c;
		}
	}
	if (ps->p >= ps->end) {
		free(out);
		return (char *)err_at(ps, "unterminated string");
	}
	ps->p++;
	*o = 0;
	return out;
}

/* A node with its member name and its text (slen bytes of s, may be
 * NULL) in the same allocation: a report of a fork storm holds ~10^5
 * nodes, and three allocations each made the tree 5x the JSON text. */
static struct jv *node_with(enum jtype t, const char *key, const char *s, size_t slen)
{
	size_t klen = key ? strlen(key) + 1 : 0;
	struct jv *v = calloc(1, sizeof(*v) + klen + (s ? slen + 1 : 0));
	char *tail;

	if (!v)
		return NULL;
	tail = (char *)(v + 1);
	v->type = t;
	if (key) {
		v->key = memcpy(tail, key, klen);
		tail += klen;
	}
	if (s) {
		v->str = memcpy(tail, s, slen);
		v->str[slen] = '\0';
	}
	return v;
}

static struct jv *node(enum jtype t, const char *key)
{
	return node_with(t, key, NULL, 0);
}

static struct jv *parse_container(struct parser *ps, int obj, const char *name)
{
	struct jv *v = node(obj ? J_OBJ : J_ARR, name), **tail;

	if (!v)
		return NULL;
	tail = &v->kids;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
		ps->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(ps);
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"' || !(key = parse_string(ps)))
				goto bad;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p++ != ':') {
				free(key);
				goto bad;
			}
		}
		struct jv *kid = parse_value(ps, key);
		free(key);
		if (!kid)
			goto bad;
		*tail = kid;
		tail = &kid->next;
		v->n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
			ps->p++;
			return v;
		}
		goto bad;
	}
bad:
	jdoc_free(v);
	return err_at(ps, obj ? "bad object" : "bad array");
}

static struct jv *parse_number(struct parser *ps, const char *key)
{
	char *end;
	double num = strtod(ps->p, &end);
	struct jv *v;

	if (end == ps->p || end > ps->end)
		return err_at(ps, "bad number");
	v = node_with(J_NUM, key, ps->p, (size_t)(end - ps->p));
	if (!v)
		return NULL;
	v->num = num;
	ps->p = end;
	return v;
}

static struct jv *parse_word(struct parser *ps, const char *key)
{
	static const struct {
		const char *w;
		enum jtype t;
		double n;
	} words[] = {
	    {"null", J_NULL, 0},
	    {"true", J_BOOL, 1},
	    {"false", J_BOOL, 0},
	};
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(words[i].w);
		if ((size_t)(ps->end - ps->p) >= l && !memcmp(ps->p, words[i].w, l)) {
			struct jv *v = node(words[i].t, key);
			if (v)
				v->num = words[i].n;
			ps->p += l;
			return v;
		}
	}
	return err_at(ps, "unexpected character");
}

static struct jv *parse_value(struct parser *ps, const char *key)
{
	struct jv *v;
	char *s;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return err_at(ps, "unexpected end");
	if (++ps->depth > JDOC_MAX_DEPTH)
		return err_at(ps, "nested too deep");
	switch (*ps->p) {
	case '{':
	case '[':
		v = parse_container(ps, *ps->p == '{', key);
		break;
	case '"':
		s = parse_string(ps);
		v = s ? node_with(J_STR, key, s, strlen(s)) : NULL;
		free(s);
		break;
	default:
		v = (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) ? parse_number(ps, key)
									: parse_word(ps, key);
	}
	ps->depth--;
	return v;
}

struct jv *jdoc_parse(const char *s, size_t len, char *err, size_t errlen)
{
	struct parser ps = {s, s + len, err, errlen, 0};
	struct jv *v;

	if (err && errlen)
		err[0] = 0;
	v = parse_value(&ps, NULL);
	skip_ws(&ps);
	if (v && ps.p != ps.end) {
		jdoc_free(v);
		return err_at(&ps, "trailing data");
	}
	return v;
}

void jdoc_free(struct jv *v)
{
	while (v) {
		struct jv *next = v->next;
		jdoc_free(v->kids); /* key and str are in v's allocation */
		free(v);
		v = next;
	}
}

const struct jv *jdoc_get(const struct jv *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (const struct jv *k = obj->kids; k; k = k->next)
		if (k->key && !strcmp(k->key, key))
			return k;
	return NULL;
}

double jdoc_num(const struct jv *obj, const char *key, double def)
{
	const struct jv *v = jdoc_get(obj, key);

	return v && (v->type == J_NUM || v->type == J_BOOL) ? v->num : def;
}

const char *jdoc_str(const struct jv *obj, const char *key)
{
	const struct jv *v = jdoc_get(obj, key);

	return v && v->type == J_STR ? v->str : NULL;
}

const struct jv *jdoc_nested_rows(const struct jv *e)
{
	static const char *const keys[] = {"calls"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct jv *a = jdoc_get(e, keys[i]);
		if (a && a->type == J_ARR)
			return a;
	}
	return NULL;
}

static const char *const *image_names;

void jdoc_set_images(const char *const *names)
{
	image_names = names;
}

int jdoc_is_image(const char *name)
{
	for (const char *const *n = image_names; n && *n; n++)
		if (strcmp(*n, name) == 0)
			return 1;
	return 0;
}

int jdoc_image_set(const struct jv *o)
{
	if (!o || o->type != J_OBJ || !o->kids)
		return 0;
	for (const struct jv *m = o->kids; m; m = m->next)
		if (m->type != J_OBJ || !m->key || !jdoc_is_image(m->key))
			return 0;
	return 1;
}
