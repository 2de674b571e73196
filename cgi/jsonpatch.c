/*
 * jsonpatch.c - RFC 7396 merge patch, RFC 6902 JSON Patch, RFC 6901 JSON
 * Pointer, on json-c values. Pure: no I/O, no globals.
 *
 * jp_apply() validates every op first, then runs them on a deep copy of the
 * document and swaps it in only when all succeeded, so a failed patch leaves
 * the caller's document exactly as it was.
 */
#include "jsonpatch.h"
#include "util.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest piece of user text quoted in an error message, in bytes. */
#define JP_CLIP 56

enum jp_kind { JP_ADD, JP_REMOVE, JP_REPLACE, JP_MOVE, JP_COPY, JP_TEST };

static const char *const jp_kind_names[] = {
	"add", "remove", "replace", "move", "copy", "test"
};

/* A parsed JSON Pointer: n unescaped, NUL-terminated tokens in one buffer. */
struct jp_ptr {
	size_t n;
	char **tok;        /* n pointers into buf */
	char *buf;
	const char *text;  /* the pointer as written (borrowed), for messages */
	size_t text_len;
};

/* One validated operation; pointers own their buffers, value is borrowed. */
struct jp_op {
	enum jp_kind kind;
	struct jp_ptr path;
	struct jp_ptr from;
	struct json_object *value;
};

/* Deep copy (NULL stays NULL); caller owns the result. Aborts on failure. */
static struct json_object *jp_copy(struct json_object *src)
{
	struct json_object *dst = NULL;

	if (!src)
		return NULL;
	if (json_object_deep_copy(src, &dst, NULL) != 0)
		abort();
	return dst;
}

/*
 * Writes at most JP_CLIP bytes of s (len bytes) into out, cut on a UTF-8
 * character boundary, control bytes replaced by '?', "..." when clipped.
 */
static void jp_clip(char out[JP_CLIP + 4], const char *s, size_t len)
{
	size_t n = len, i;

	if (!s)
		n = len = 0;
	if (n > JP_CLIP) {
		n = JP_CLIP;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/*
 * Fills err (if any) from msg, where the first "%s" (if any) stands for the
 * clipped user text (text may be NULL), and returns st. msg is not a printf
 * format: nothing else in it is interpreted.
 */
static enum jp_status jp_fail(struct jp_error *err, int index,
                              enum jp_status st, const char *msg,
                              const char *text, size_t text_len)
{
	char clip[JP_CLIP + 4];
	const char *hole;

	if (err) {
		err->index = index;
		hole = strstr(msg, "%s");
		if (!hole) {
			snprintf(err->msg, sizeof(err->msg), "%s", msg);
		} else {
			jp_clip(clip, text, text_len);
			snprintf(err->msg, sizeof(err->msg), "%.*s%s%s",
			         (int)(hole - msg), msg, clip, hole + 2);
		}
	}
	return st;
}

static void jp_ptr_free(struct jp_ptr *p)
{
	free(p->tok);
	free(p->buf);
	p->tok = NULL;
	p->buf = NULL;
	p->n = 0;
}

/*
 * Parses the RFC 6901 pointer s (len bytes, no NUL inside) into p; p must
 * be freed with jp_ptr_free() on success. Returns -1 (p untouched, nothing
 * to free) when s does not start with '/' or has a '~' not followed by
 * '0' or '1'.
 */
static int jp_ptr_parse(struct jp_ptr *p, const char *s, size_t len)
{
	size_t i, n = 0;
	char *w;

	if (len > 0 && s[0] != '/')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '/')
			n++;
		else if (s[i] == '~' && (i + 1 == len ||
		                         (s[i + 1] != '0' && s[i + 1] != '1')))
			return -1;
	}
	p->n = n;
	p->text = s;
	p->text_len = len;
	p->tok = xmalloc(n * sizeof(*p->tok));
	p->buf = xmalloc(len + 1);
	w = p->buf;
	n = 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '/') {
			if (n > 0)
				*w++ = '\0';
			p->tok[n++] = w;
		} else if (s[i] == '~') {
			*w++ = s[++i] == '0' ? '~' : '/';
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return 0;
}

/*
 * Parses an array index token: decimal digits, no leading zero (except "0"
 * itself), no overflow. Returns 0 and sets *idx, or -1 ("-" included).
 */
static int jp_index(const char *tok, size_t *idx)
{
	size_t v = 0;
	const char *c;

	if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
		return -1;
	for (c = tok; *c; c++) {
		if (*c < '0' || *c > '9' || v > (SIZE_MAX - 9) / 10)
			return -1;
		v = v * 10 + (size_t)(*c - '0');
	}
	*idx = v;
	return 0;
}

/*
 * Follows the first ntok tokens of p from root; *out is borrowed from the
 * tree. Returns 0, or -1 when some token does not resolve.
 */
static int jp_walk(struct json_object *root, const struct jp_ptr *p,
                   size_t ntok, struct json_object **out)
{
	struct json_object *cur = root;
	size_t i, idx;

	for (i = 0; i < ntok; i++) {
		if (json_object_is_type(cur, json_type_object)) {
			if (!json_object_object_get_ex(cur, p->tok[i], &cur))
				return -1;
		} else if (json_object_is_type(cur, json_type_array)) {
			if (jp_index(p->tok[i], &idx) != 0 ||
			    idx >= json_object_array_length(cur))
				return -1;
			cur = json_object_array_get_idx(cur, idx);
		} else {
			return -1;
		}
	}
	*out = cur;
	return 0;
}

/* Inserts val (owned) into arr at idx <= length, shifting the tail up. */
static void jp_array_insert(struct json_object *arr, size_t idx,
                            struct json_object *val)
{
	size_t j = json_object_array_length(arr);

	if (json_object_array_add(arr, NULL) != 0)
		abort();
	for (; j > idx; j--) {
		/* the slot j-1 keeps a reference until it is overwritten below */
		if (json_object_array_put_idx(arr, j,
		        json_object_get(json_object_array_get_idx(arr, j - 1))) != 0)
			abort();
	}
	if (json_object_array_put_idx(arr, idx, val) != 0)
		abort();
}

/*
 * The target of p in *root as a (parent, last token) pair. For an array
 * parent, *idx is the index; with may_append, "-" gives the length and an
 * index may equal the length. Returns 0 or -1 (does not resolve).
 */
static int jp_locate(struct json_object *root, const struct jp_ptr *p,
                     int may_append, struct json_object **parent,
                     size_t *idx)
{
	const char *last = p->tok[p->n - 1];
	size_t len;

	if (jp_walk(root, p, p->n - 1, parent) != 0)
		return -1;
	if (json_object_is_type(*parent, json_type_object))
		return may_append ||
		       json_object_object_get_ex(*parent, last, NULL) ? 0 : -1;
	if (!json_object_is_type(*parent, json_type_array))
		return -1;
	len = json_object_array_length(*parent);
	if (may_append && strcmp(last, "-") == 0) {
		*idx = len;
		return 0;
	}
	if (jp_index(last, idx) != 0 || *idx > len ||
	    (*idx == len && !may_append))
		return -1;
	return 0;
}

/*
 * Puts val (owned, consumed on every path) at p: RFC 6902 "add" when add
 * is set (insert into arrays, create or replace members), else "replace"
 * (the target must exist).
 */
static enum jp_status jp_put(struct json_object **root, const struct jp_ptr *p,
                             struct json_object *val, int add)
{
	struct json_object *parent;
	size_t idx = 0;

	if (p->n == 0) {
		json_object_put(*root);
		*root = val;
		return JP_OK;
	}
	if (jp_locate(*root, p, add, &parent, &idx) != 0) {
		json_object_put(val);
		return JP_EPATH;
	}
	if (json_object_is_type(parent, json_type_object)) {
		if (json_object_object_add(parent, p->tok[p->n - 1], val) != 0)
			abort();
	} else if (add) {
		jp_array_insert(parent, idx, val);
	} else if (json_object_array_put_idx(parent, idx, val) != 0) {
		abort();
	}
	return JP_OK;
}

/*
 * Removes the value at p (which must exist and not be the root). With
 * detach, the removed value is handed to the caller in *detach instead of
 * being freed.
 */
static enum jp_status jp_remove(struct json_object *root,
                                const struct jp_ptr *p,
                                struct json_object **detach)
{
	struct json_object *parent, *val;
	size_t idx = 0;

	if (p->n == 0 || jp_locate(root, p, 0, &parent, &idx) != 0)
		return JP_EPATH;
	if (json_object_is_type(parent, json_type_object)) {
		json_object_object_get_ex(parent, p->tok[p->n - 1], &val);
		if (detach)
			*detach = json_object_get(val);
		json_object_object_del(parent, p->tok[p->n - 1]);
	} else {
		if (detach)
			*detach = json_object_get(json_object_array_get_idx(parent, idx));
		json_object_array_del_idx(parent, idx, 1);
	}
	return JP_OK;
}

/* 1 when a's tokens are a prefix of b's (equal counts as prefix). */
static int jp_ptr_prefix(const struct jp_ptr *a, const struct jp_ptr *b)
{
	size_t i;

	if (a->n > b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->tok[i], b->tok[i]) != 0)
			return 0;
	return 1;
}

/*
 * Reads member `name` of op as a pointer into *p. Returns JP_OK (p must be
 * freed) or JP_EINVALID with err filled (nothing to free).
 */
static enum jp_status jp_op_pointer(struct json_object *op, const char *name,
                                    struct jp_ptr *p, int index,
                                    struct jp_error *err)
{
	struct json_object *v;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(op, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return jp_fail(err, index, JP_EINVALID,
		               strcmp(name, "path") == 0 ?
		               "missing or non-string \"path\"" :
		               "missing or non-string \"from\"", NULL, 0);
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len)
		return jp_fail(err, index, JP_EINVALID,
		               "JSON pointer contains a NUL byte", NULL, 0);
	if (jp_ptr_parse(p, s, len) != 0)
		return jp_fail(err, index, JP_EINVALID,
		               "invalid JSON pointer '%s'", s, len);
	return JP_OK;
}

/*
 * Validates ops[index] into *op. On JP_OK the caller frees op with
 * jp_op_free(); on failure err is filled and nothing needs freeing.
 */
static enum jp_status jp_op_parse(struct json_object *ops, int index,
                                  struct jp_op *op, struct jp_error *err)
{
	struct json_object *o = json_object_array_get_idx(ops, (size_t)index);
	struct json_object *name;
	const char *s;
	enum jp_status st;
	size_t k, nk = sizeof(jp_kind_names) / sizeof(jp_kind_names[0]);

	memset(op, 0, sizeof(*op));
	if (!json_object_is_type(o, json_type_object))
		return jp_fail(err, index, JP_EINVALID,
		               "operation is not an object", NULL, 0);
	if (!json_object_object_get_ex(o, "op", &name) ||
	    !json_object_is_type(name, json_type_string))
		return jp_fail(err, index, JP_EINVALID,
		               "missing or non-string \"op\"", NULL, 0);
	s = json_object_get_string(name);
	for (k = 0; k < nk && strcmp(s, jp_kind_names[k]) != 0; k++)
		;
	if (k == nk || strlen(s) != (size_t)json_object_get_string_len(name))
		return jp_fail(err, index, JP_EINVALID, "unknown op '%s'", s,
		               (size_t)json_object_get_string_len(name));
	op->kind = (enum jp_kind)k;
	if ((op->kind == JP_ADD || op->kind == JP_REPLACE ||
	     op->kind == JP_TEST) &&
	    !json_object_object_get_ex(o, "value", &op->value))
		return jp_fail(err, index, JP_EINVALID, "missing \"value\"",
		               NULL, 0);
	st = jp_op_pointer(o, "path", &op->path, index, err);
	if (st != JP_OK || (op->kind != JP_MOVE && op->kind != JP_COPY))
		return st;
	st = jp_op_pointer(o, "from", &op->from, index, err);
	if (st != JP_OK)
		jp_ptr_free(&op->path);
	return st;
}

static void jp_op_free(struct jp_op *op)
{
	jp_ptr_free(&op->path);
	jp_ptr_free(&op->from);
}

/* Number of values in v (v itself included), counting stops above cap. */
static size_t jp_count(struct json_object *v, size_t cap)
{
	size_t n = 1;
	struct json_object_iter it;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreachC(v, it) {
			if (n > cap)
				break;
			n += jp_count(it.val, cap - n);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		size_t len = json_object_array_length(v);
		for (size_t i = 0; i < len && n <= cap; i++)
			n += jp_count(json_object_array_get_idx(v, i), cap - n);
	}
	return n;
}

/* Runs one validated op against *root; fills err on failure. *copied
 * counts the values copied so far by this patch. */
static enum jp_status jp_op_run(struct json_object **root,
                                const struct jp_op *op, int index,
                                struct jp_error *err, size_t *copied)
{
	const struct jp_ptr *path = &op->path, *from = &op->from;
	struct json_object *v = NULL;

	switch (op->kind) {
	case JP_ADD:
	case JP_REPLACE:
		if (jp_put(root, path, jp_copy(op->value), op->kind == JP_ADD)
		    == JP_OK)
			return JP_OK;
		break;
	case JP_REMOVE:
		if (path->n == 0)
			return jp_fail(err, index, JP_EPATH,
			               "cannot remove the document root", NULL, 0);
		if (jp_remove(*root, path, NULL) == JP_OK)
			return JP_OK;
		break;
	case JP_TEST:
		if (jp_walk(*root, path, path->n, &v) != 0)
			return jp_fail(err, index, JP_ETEST,
			               "test failed: path '%s' does not exist",
			               path->text, path->text_len);
		if (!jp_equal(v, op->value))
			return jp_fail(err, index, JP_ETEST,
			               "test failed: value at '%s' differs",
			               path->text, path->text_len);
		return JP_OK;
	case JP_MOVE:
	case JP_COPY:
		if (jp_walk(*root, from, from->n, &v) != 0)
			return jp_fail(err, index, JP_EPATH,
			               "from '%s' does not exist",
			               from->text, from->text_len);
		if (op->kind == JP_COPY) {
			*copied += jp_count(v, JP_MAX_COPIED - *copied);
			if (*copied > JP_MAX_COPIED)
				return jp_fail(err, index, JP_ELIMIT,
				               "copy ops would copy too much (from '%s')",
				               from->text, from->text_len);
			v = jp_copy(v);
		}
		else if (jp_ptr_prefix(from, path) && from->n == path->n)
			return JP_OK; /* moving a value onto itself */
		else if (jp_ptr_prefix(from, path))
			return jp_fail(err, index, JP_EPATH,
			               "cannot move '%s' into its own child",
			               from->text, from->text_len);
		else if (jp_remove(*root, from, &v) != JP_OK)
			return jp_fail(err, index, JP_EPATH,
			               "from '%s' cannot be removed",
			               from->text, from->text_len);
		if (jp_put(root, path, v, 1) == JP_OK)
			return JP_OK;
		break;
	}
	return jp_fail(err, index, JP_EPATH, "path '%s' does not exist",
	               path->text, path->text_len);
}

enum jp_status jp_validate(struct json_object *ops, struct jp_error *err)
{
	struct jp_op op;
	enum jp_status st;
	size_t n, i;

	if (err) {
		err->index = -1;
		err->msg[0] = '\0';
	}
	if (!json_object_is_type(ops, json_type_array))
		return jp_fail(err, -1, JP_EINVALID,
		               "a JSON Patch must be an array of operations",
		               NULL, 0);
	n = json_object_array_length(ops);
	if (n > (size_t)INT_MAX)
		return jp_fail(err, -1, JP_EINVALID, "too many operations",
		               NULL, 0);
	for (i = 0; i < n; i++) {
		st = jp_op_parse(ops, (int)i, &op, err);
		if (st != JP_OK)
			return st;
		jp_op_free(&op);
	}
	return JP_OK;
}

enum jp_status jp_apply(struct json_object **doc, struct json_object *ops,
                        struct jp_error *err)
{
	struct json_object *work = NULL;
	struct jp_op op;
	enum jp_status st;
	size_t n, i;

	size_t copied = 0;

	st = jp_validate(ops, err);
	if (st != JP_OK)
		return st;
	n = json_object_array_length(ops);
	work = jp_copy(*doc);
	for (i = 0; i < n; i++) {
		st = jp_op_parse(ops, (int)i, &op, err);
		if (st == JP_OK) {
			st = jp_op_run(&work, &op, (int)i, err, &copied);
			jp_op_free(&op);
		}
		if (st != JP_OK)
			goto cleanup;
	}
	json_object_put(*doc);
	*doc = work;
	work = NULL;
cleanup:
	json_object_put(work);
	return st;
}

struct json_object *jp_merge(struct json_object *target,
                             struct json_object *patch)
{
	struct json_object_iter it;

	if (!json_object_is_type(patch, json_type_object)) {
		json_object_put(target);
		return jp_copy(patch);
	}
	if (!json_object_is_type(target, json_type_object)) {
		json_object_put(target);
		target = json_object_new_object();
		if (!target)
			abort();
	}
	json_object_object_foreachC(patch, it) {
		struct json_object *child = NULL, *merged;

		if (!it.val) {
			json_object_object_del(target, it.key);
			continue;
		}
		/* hold our own reference: jp_merge() consumes one */
		if (json_object_object_get_ex(target, it.key, &child))
			json_object_get(child);
		merged = jp_merge(child, it.val);
		if (merged == child)
			json_object_put(merged); /* merged in place, target keeps it */
		else if (json_object_object_add(target, it.key, merged) != 0)
			abort();
	}
	return target;
}

int jp_merge_is_noop(struct json_object *target, struct json_object *patch)
{
	struct json_object_iter it;

	if (!json_object_is_type(patch, json_type_object))
		return jp_equal(target, patch);
	if (!json_object_is_type(target, json_type_object))
		return 0; /* the result is an object, target is not */
	json_object_object_foreachC(patch, it) {
		struct json_object *child = NULL;
		int present = json_object_object_get_ex(target, it.key, &child);

		if (!it.val) {
			if (present)
				return 0; /* removed */
			continue;
		}
		if (!present || !jp_merge_is_noop(child, it.val))
			return 0;
	}
	return 1;
}

/*
 * A JSON number as an exact decimal, read from its text: the mantissa's
 * digits (those before and after the point, taken as one run) and the
 * exponent. Nothing is copied: the digits stay in the text.
 */
struct jp_dec {
	int neg;
	const char *ip, *fp;   /* digits before / after the point */
	size_t in, fn;
	size_t lead, sig;      /* leading zeros of the run; significant digits
	                        * (first to last non-zero); sig 0: the value 0 */
	long long place;       /* power of ten of the first significant digit */
};

/* Digit k of the run (k < in + fn). */
static char jp_dec_digit(const struct jp_dec *d, size_t k)
{
	return k < d->in ? d->ip[k] : d->fp[k - d->in];
}

/*
 * Reads s (NUL-terminated) as a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?[0-9]+)?. Returns 0, or -1 when s is not one. The exponent
 * saturates at +-10^15, far beyond any number json-c or PostgreSQL keeps
 * (body.h bounds request numbers to places within +-1000).
 */
static int jp_dec_parse(const char *s, struct jp_dec *d)
{
	long long e = 0;
	int eneg = 0;
	size_t k, n, trail;

	memset(d, 0, sizeof *d);
	if (*s == '-') {
		d->neg = 1;
		s++;
	}
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	for (d->ip = s; *s >= '0' && *s <= '9'; s++)
		d->in++;
	if (*s == '.') {
		for (d->fp = ++s; *s >= '0' && *s <= '9'; s++)
			d->fn++;
		if (d->fn == 0)
			return -1;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			eneg = *s++ == '-';
		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++)
			if (e < 1000000000000000LL)
				e = e * 10 + (*s - '0');
	}
	if (*s != '\0')
		return -1;
	n = d->in + d->fn;
	for (k = 0; k < n && jp_dec_digit(d, k) == '0'; k++)
		;
	d->lead = k;
	if (k == n)
		return 0; /* zero, whatever its sign, point or exponent */
	for (trail = 0; jp_dec_digit(d, n - 1 - trail) == '0'; trail++)
		;
	d->sig = n - k - trail;
	d->place = (eneg ? -e : e) + (long long)d->in - 1 - (long long)k;
	return 0;
}

/*
 * The text of number o: for a double parsed from text, that text (json-c
 * 0.13+ keeps it as the object's userdata, and deep copies keep it too;
 * it is what is serialized, so what PostgreSQL stores); for an integer,
 * its decimal digits; for a double without text (json_object_new_double(),
 * json_object_set_double()), "%.17g", which names that double exactly
 * enough to tell it from every other double. buf holds the last two.
 */
static const char *jp_num_text(struct json_object *o, char buf[40])
{
	const char *t;

	if (json_object_is_type(o, json_type_int)) {
		int64_t v = json_object_get_int64(o);
		if (v < 0)
			snprintf(buf, 40, "%lld", (long long)v);
		else
			snprintf(buf, 40, "%llu",
			         (unsigned long long)json_object_get_uint64(o));
		return buf;
	}
	t = json_object_get_userdata(o);
	if (t)
		return t;
	snprintf(buf, 40, "%.17g", json_object_get_double(o));
	return buf;
}

/*
 * Exact equality of two JSON numbers as decimals, as PostgreSQL's numeric
 * compares them: 1 == 1.0 == 1e0 == 10e-1, -0 == 0, 0.1 !=
 * 0.10000000000000000001. No floating point, no allocation. A text that is
 * not a JSON number (inf, nan: never from a checked body) falls back to ==
 * on the doubles.
 */
static int jp_num_equal(struct json_object *a, struct json_object *b)
{
	char ba[40], bb[40];
	struct jp_dec x, y;

	if (jp_dec_parse(jp_num_text(a, ba), &x) != 0 ||
	    jp_dec_parse(jp_num_text(b, bb), &y) != 0)
		return json_object_get_double(a) == json_object_get_double(b);
	if (x.sig == 0 || y.sig == 0)
		return x.sig == y.sig;
	if (x.neg != y.neg || x.place != y.place || x.sig != y.sig)
		return 0;
	for (size_t k = 0; k < x.sig; k++)
		if (jp_dec_digit(&x, x.lead + k) != jp_dec_digit(&y, y.lead + k))
			return 0;
	return 1;
}

int jp_equal(struct json_object *a, struct json_object *b)
{
	enum json_type ta = json_object_get_type(a);
	enum json_type tb = json_object_get_type(b);
	struct json_object_iter it;
	size_t i, n;

	if ((ta == json_type_int || ta == json_type_double) &&
	    (tb == json_type_int || tb == json_type_double))
		return jp_num_equal(a, b);
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return !json_object_get_boolean(a) == !json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		       json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
		              (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!jp_equal(json_object_array_get_idx(a, i),
			              json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object:
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreachC(a, it) {
			struct json_object *vb;

			if (!json_object_object_get_ex(b, it.key, &vb) ||
			    !jp_equal(it.val, vb))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}
