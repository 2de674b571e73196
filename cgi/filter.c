/* filter.c - see filter.h. */
#include "filter.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The filtering context of one compile. */
struct ctx {
	struct filter_sql *f;
	struct verrs *v;
	const char *loc0, *loc1;
	const char *ts_config;
	int ts_param;               /* $ of ts_config once bound, else 0 */
};

/* A field of section 9, resolved. */
struct field {
	int is_time;                /* created_at / updated_at: timestamptz */
	int whole_object;           /* metadata / internal_metadata alone: text only */
	const char *column;         /* "d.metadata" / "d.fields" for paths into them, else NULL */
	struct json_object *keys;   /* owned: the path inside column (array of strings) */
	const char *base;           /* with path: the jsonb the path starts from */
	struct json_object *path;   /* owned: the keys from base, or NULL */
	struct buf expr;            /* owned: the SQL expression (jsonb or timestamptz) */
};

void filter_init(struct filter_sql *f, int first)
{
	memset(f, 0, sizeof *f);
	f->first = first;
	buf_puts(&f->sql, "");
}

void filter_free(struct filter_sql *f)
{
	for (int i = 0; i < f->nparams; i++)
		free(f->params[i]);
	free(f->params);
	buf_free(&f->sql);
	memset(f, 0, sizeof *f);
}

int filter_param(struct filter_sql *f, const char *text)
{
	f->params = xrealloc(f->params, (size_t)(f->nparams + 1) * sizeof *f->params);
	f->params[f->nparams] = text ? xstrdup(text) : NULL;
	return f->first + f->nparams++;
}

static void problem(struct ctx *x, const char *path, const char *key, const char *msg,
                    const char *type)
{
	if (path && *path)
		verr_add(x->v, msg, type, x->loc0, x->loc1, path, key);
	else
		verr_add(x->v, msg, type, x->loc0, x->loc1, key, NULL);
}

/* ---- fields ------------------------------------------------------------- */

/* System fields that are one value: their SQL as jsonb. The names come
 * from this table, never from the request. */
static const struct {
	const char *name;
	const char *expr;
} system_fields[] = {
	{ "document_id", "to_jsonb(d.document_id)" },
	{ "collection_id", "to_jsonb(c.col_id)" },
	{ "root_object_id", "to_jsonb(d.root_object_id)" },
	{ "source_document_id", "to_jsonb(d.source_document_id)" },
	{ "source_collection_id", "to_jsonb(d.source_collection_id)" },
	{ "document_schema_version", "(d.sys -> 'document_schema_version')::jsonb" },
	{ "root_bucket_id", "(d.sys -> 'root_bucket_id')::jsonb" },
	{ "source_type", "(d.sys -> 'source_type')::jsonb" },
	{ "source_object_id", "(d.sys -> 'source_object_id')::jsonb" },
	{ "lineage_path", "(d.sys -> 'lineage_path')::jsonb" },
};

/* Fields that cannot be filtered on (section 9). */
static int unfilterable(const char *first)
{
	static const char *const names[] = {
		"lineage", "lineage_chain", "source_blobs", "document_blobs", "vector",
		"presigned_url", "presigned_urls",
	};
	if (first[0] == '_')
		return 1;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(first, names[i]) == 0)
			return 1;
	return 0;
}

/* The path's segments; NULL when one is empty. */
static struct json_object *split_path(const char *field)
{
	struct json_object *a = json_object_new_array();
	const char *p = field;

	for (;;) {
		size_t n = strcspn(p, ".");
		if (n == 0) {
			json_object_put(a);
			return NULL;
		}
		json_object_array_add(a, json_object_new_string_len(p, (int)n));
		if (!p[n])
			return a;
		p += n + 1;
	}
}

/* `(column #> $n::text[])` for the keys from index `from` of all. */
static void path_expr(struct filter_sql *f, struct buf *out, const char *column,
                      struct json_object *all, size_t from)
{
	size_t n = json_object_array_length(all) - from;
	const char **keys = xmalloc((n ? n : 1) * sizeof *keys);
	struct buf lit = { 0 };

	for (size_t i = 0; i < n; i++)
		keys[i] = json_object_get_string(json_object_array_get_idx(all, from + i));
	util_pg_array(&lit, keys, (int)n);
	buf_printf(out, "(%s #> $%d::text[])", column, filter_param(f, lit.data));
	buf_free(&lit);
	free(keys);
}

/* The field's SQL expression; a path's keys become a parameter the first
 * time (a condition answered by containment never binds them). */
static const char *expr_of(struct filter_sql *f, struct field *fd)
{
	if (fd->path) {
		path_expr(f, &fd->expr, fd->base, fd->path, 0);
		json_object_put(fd->path);
		fd->path = NULL;
	}
	return fd->expr.data;
}

static void field_free(struct field *fd)
{
	json_object_put(fd->keys);
	json_object_put(fd->path);
	buf_free(&fd->expr);
	memset(fd, 0, sizeof *fd);
}

/* Resolves a field path (binding nothing yet); 0, or -1 with *why. */
static int resolve(const char *name, struct field *fd,
                   const char **why)
{
	struct json_object *segs = split_path(name);
	const char *first;
	size_t nseg;

	memset(fd, 0, sizeof *fd);
	if (!segs) {
		*why = "a field is a dot path without empty segments";
		return -1;
	}
	first = json_object_get_string(json_object_array_get_idx(segs, 0));
	nseg = json_object_array_length(segs);
	if (unfilterable(first)) {
		*why = "unknown or unfilterable system field";
		goto refuse;
	}
	if (!strcmp(first, "created_at") || !strcmp(first, "updated_at")) {
		if (nseg != 1) {
			*why = "a timestamp has no members";
			goto refuse;
		}
		fd->is_time = 1;
		buf_printf(&fd->expr, "d.%s", first);
		json_object_put(segs);
		return 0;
	}
	for (size_t i = 0; i < sizeof system_fields / sizeof system_fields[0]; i++)
		if (!strcmp(first, system_fields[i].name)) {
			if (nseg != 1) {
				*why = "this field has no members";
				goto refuse;
			}
			buf_puts(&fd->expr, system_fields[i].expr);
			json_object_put(segs);
			return 0;
		}
	if (!strcmp(first, "metadata") || !strcmp(first, "internal_metadata")) {
		const char *col = first[0] == 'm' ? "d.metadata"
		                  : "(d.sys -> 'internal_metadata')::jsonb";
		if (nseg == 1) {
			fd->whole_object = 1;
			buf_puts(&fd->expr, col);
		} else {
			fd->base = col;
			fd->path = json_object_new_array();
			for (size_t i = 1; i < nseg; i++)
				json_object_array_add(fd->path, json_object_get(
					json_object_array_get_idx(segs, i)));
			if (first[0] == 'm') {
				fd->column = "d.metadata";
				fd->keys = json_object_get(fd->path);
			}
		}
		json_object_put(segs);
		return 0;
	}
	/* a flat user field, or a value inside one */
	fd->base = fd->column = "d.fields";
	fd->path = segs;
	fd->keys = json_object_get(segs);
	return 0;
refuse:
	json_object_put(segs);
	return -1;
}

const char *filter_field_expr(struct filter_sql *f, const char *field,
                              struct buf *out, int *is_time, const char **why)
{
	struct field fd;

	if (resolve(field, &fd, why) != 0)
		return NULL;
	if (fd.whole_object) {
		*why = "metadata itself can only be searched with the text operator";
		field_free(&fd);
		return NULL;
	}
	*is_time = fd.is_time;
	buf_puts(out, expr_of(f, &fd));
	field_free(&fd);
	return out->data;
}

/* ---- conditions --------------------------------------------------------- */

enum op {
	OP_EQ, OP_NE, OP_GT, OP_LT, OP_GTE, OP_LTE, OP_IN, OP_NIN, OP_CONTAINS,
	OP_STARTS, OP_ENDS, OP_REGEX, OP_EXISTS, OP_IS_NULL, OP_TEXT, OP_NONE
};

static const char *const op_names[] = {
	"eq", "ne", "gt", "lt", "gte", "lte", "in", "nin", "contains",
	"starts_with", "ends_with", "regex", "exists", "is_null", "text",
};

static enum op op_of(const char *s)
{
	for (int i = 0; i < OP_NONE; i++)
		if (!strcmp(s, op_names[i]))
			return (enum op)i;
	return OP_NONE;
}

static int is_dynamic(struct json_object *val)
{
	struct json_object *t;
	return json_object_is_type(val, json_type_object) &&
	       json_object_object_get_ex(val, "type", &t) &&
	       json_object_is_type(t, json_type_string) &&
	       !strcmp(json_object_get_string(t), "dynamic");
}

static const char *json_text(struct json_object *val)
{
	return val ? json_object_to_json_string_ext(val, JSON_COMPACT) : "null";
}

/* The condition on one element x (jsonb) for a scalar value: equality. */
static void elem_eq(struct ctx *x, struct buf *b, struct json_object *val, int ci)
{
	if (ci && json_object_is_type(val, json_type_string))
		buf_printf(b, "(jsonb_typeof(x) = 'string' AND lower(x #>> '{}') = lower($%d::text))",
		           filter_param(x->f, json_object_get_string(val)));
	else
		buf_printf(b, "x = $%d::jsonb", filter_param(x->f, json_text(val)));
}

/* {k1: {k2: ... leaf}} for a path. Caller owns. */
static struct json_object *nest(struct json_object *keys, struct json_object *leaf)
{
	struct json_object *o = leaf;
	for (size_t i = json_object_array_length(keys); i-- > 0;) {
		struct json_object *w = json_object_new_object();
		json_object_object_add(w, json_object_get_string(json_object_array_get_idx(keys, i)), o);
		o = w;
	}
	return o;
}

/* Equality of a field with one value (eq). */
static void eq_cond(struct ctx *x, struct buf *b, struct field *fd,
                    struct json_object *val, int ci)
{
	int scalar = !json_object_is_type(val, json_type_object) &&
	             !json_object_is_type(val, json_type_array);

	if (!scalar) {  /* whole JSON values */
		buf_printf(b, "coalesce(%s = $%d::jsonb, FALSE)", expr_of(x->f, fd),
		           filter_param(x->f, json_text(val)));
		return;
	}
	if (fd->column && !(ci && json_object_is_type(val, json_type_string))) {
		/* Containment: the value there, or an array there holding it. The
		 * column's GIN index answers both. */
		struct json_object *one = nest(fd->keys, json_object_get(val));
		struct json_object *arr = json_object_new_array();
		json_object_array_add(arr, json_object_get(val));
		struct json_object *many = nest(fd->keys, arr);
		int p1 = filter_param(x->f, json_text(one));
		int p2 = filter_param(x->f, json_text(many));
		buf_printf(b, "(%s @> $%d::jsonb OR %s @> $%d::jsonb)", fd->column, p1,
		           fd->column, p2);
		json_object_put(one);
		json_object_put(many);
		return;
	}
	buf_printf(b, "EXISTS (SELECT 1 FROM public.docapi_elems(%s) x WHERE ", expr_of(x->f, fd));
	elem_eq(x, b, val, ci);
	buf_putc(b, ')');
}

/* Members of a containment list the planner estimates one by one. */
#define FILTER_IN_ESTIMATED 32

/*
 * in / nin: the members as at most four array parameters, whatever their
 * number, each member tested as eq_cond() tests one value. PostgreSQL
 * takes at most 65535 parameters in one statement, and plans a long OR
 * slowly: one parameter per value (two for containment) made 256 lists of
 * 1000 members 512,000 parameters, which libpq refused to send (answered
 * 503, "database unavailable"), and 33 lists an OR the planner worked on
 * for minutes. The groups, in eq_cond()'s terms:
 *  - containment (a column, and not a string compared case-insensitively):
 *    column @> ANY (the value there, or an array there holding it) - the
 *    GIN index answers it in a bitmap scan, once per element;
 *  - a scalar on a field of no column: an element equal to one of them;
 *  - a string compared case-insensitively: an element whose lower() is the
 *    lower() of one of them;
 *  - an object or array: the whole value equal to one of them.
 */
static void in_cond(struct ctx *x, struct buf *b, struct field *fd, struct json_object *list,
                    int ci)
{
	size_t n = json_object_array_length(list);
	const char **cont = xmalloc(2 * (n ? n : 1) * sizeof *cont);
	const char **elem = xmalloc((n ? n : 1) * sizeof *elem);
	const char **lower = xmalloc((n ? n : 1) * sizeof *lower);
	const char **whole = xmalloc((n ? n : 1) * sizeof *whole);
	struct json_object *keep = json_object_new_array();  /* owns the texts' objects */
	int nc = 0, ne = 0, nl = 0, nw = 0;
	struct buf lit = { 0 };

	for (size_t i = 0; i < n; i++) {
		struct json_object *val = json_object_array_get_idx(list, i);
		if (json_object_is_type(val, json_type_object) ||
		    json_object_is_type(val, json_type_array)) {
			whole[nw++] = json_text(val);
		} else if (ci && json_object_is_type(val, json_type_string)) {
			lower[nl++] = json_object_get_string(val);
		} else if (fd->column) {
			struct json_object *arr = json_object_new_array();
			json_object_array_add(arr, json_object_get(val));
			struct json_object *one = nest(fd->keys, json_object_get(val));
			struct json_object *many = nest(fd->keys, arr);
			json_object_array_add(keep, one);
			json_object_array_add(keep, many);
			cont[nc++] = json_text(one);
			cont[nc++] = json_text(many);
		} else {
			elem[ne++] = json_text(val);
		}
	}
	buf_puts(b, "(FALSE");
	if (nc) {
		/* A constant array the planner estimates element by element,
		 * against the column's statistics: some 50 us each, 25 s for 256
		 * lists of 1000. Past FILTER_IN_ESTIMATED members it is an
		 * InitPlan's value instead (a default estimate; the index is
		 * used all the same). */
		util_pg_array(&lit, cont, nc);
		buf_printf(b, nc > 2 * FILTER_IN_ESTIMATED ? " OR %s @> ANY ((SELECT $%d::jsonb[])::jsonb[])"
		                                           : " OR %s @> ANY ($%d::jsonb[])",
		           fd->column, filter_param(x->f, lit.data));
	}
	if (ne) {
		buf_reset(&lit);
		util_pg_array(&lit, elem, ne);
		buf_printf(b, " OR EXISTS (SELECT 1 FROM public.docapi_elems(%s) x WHERE x = ANY"
		           " ($%d::jsonb[]))", expr_of(x->f, fd), filter_param(x->f, lit.data));
	}
	if (nl) {
		buf_reset(&lit);
		util_pg_array(&lit, lower, nl);
		buf_printf(b, " OR EXISTS (SELECT 1 FROM public.docapi_elems(%s) x WHERE"
		           " jsonb_typeof(x) = 'string' AND lower(x #>> '{}') IN (SELECT lower(t)"
		           " FROM unnest($%d::text[]) t))", expr_of(x->f, fd),
		           filter_param(x->f, lit.data));
	}
	if (nw) {
		buf_reset(&lit);
		util_pg_array(&lit, whole, nw);
		buf_printf(b, " OR coalesce(%s = ANY ($%d::jsonb[]), FALSE)", expr_of(x->f, fd),
		           filter_param(x->f, lit.data));
	}
	buf_putc(b, ')');
	buf_free(&lit);
	json_object_put(keep);
	free(cont);
	free(elem);
	free(lower);
	free(whole);
}

/* gt, lt, gte, lte on one element x. */
static void elem_order(struct ctx *x, struct buf *b, enum op op, struct json_object *val)
{
	static const char *const sym[] = { [OP_GT] = ">", [OP_LT] = "<", [OP_GTE] = ">=",
	                                   [OP_LTE] = "<=" };
	if (json_object_is_type(val, json_type_string))
		buf_printf(b, "(jsonb_typeof(x) = 'string' AND (x #>> '{}') COLLATE \"C\" %s $%d::text)",
		           sym[op], filter_param(x->f, json_object_get_string(val)));
	else
		/* CASE, not AND: the cast must not run on other types */
		buf_printf(b, "CASE WHEN jsonb_typeof(x) = 'number' THEN (x)::numeric %s $%d::numeric"
		           " ELSE FALSE END", sym[op], filter_param(x->f, json_text(val)));
}

/* starts_with, ends_with, regex on one element x. */
static void elem_string(struct ctx *x, struct buf *b, enum op op, const char *s, int ci)
{
	int p = filter_param(x->f, s);
	const char *l = ci ? "lower(" : "(", *r = ")";

	buf_puts(b, "(jsonb_typeof(x) = 'string' AND ");
	if (op == OP_STARTS)
		buf_printf(b, "starts_with(%sx #>> '{}'%s, %s$%d::text%s)", l, r, l, p, r);
	else if (op == OP_ENDS)
		buf_printf(b, "right(%sx #>> '{}'%s, char_length($%d::text)) = %s$%d::text%s", l, r, p,
		           l, p, r);
	else
		buf_printf(b, "(x #>> '{}') %s $%d::text", ci ? "~*" : "~", p);
	buf_putc(b, ')');
}

/* Characters (code points) of a UTF-8 string: the contract's "<= 1000
 * chars" of a regex (a body is valid UTF-8 by now). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

/* A condition on a timestamp column (created_at, updated_at). */
static void time_cond(struct ctx *x, struct buf *b, struct field *fd, enum op op,
                      struct json_object *val, const char *path)
{
	static const char *const sym[] = { [OP_EQ] = "=", [OP_NE] = "<>", [OP_GT] = ">",
	                                   [OP_LT] = "<", [OP_GTE] = ">=", [OP_LTE] = "<=" };
	switch (op) {
	case OP_EXISTS:
	case OP_IS_NULL:
		if (!json_object_is_type(val, json_type_boolean)) {
			problem(x, path, "value", "must be true or false", "type_error.bool");
			return;
		}
		/* A timestamp is always there and never null. */
		buf_puts(b, (op == OP_EXISTS) == json_object_get_boolean(val) ? "TRUE" : "FALSE");
		return;
	case OP_IN:
	case OP_NIN: {
		size_t n = json_object_is_type(val, json_type_array) ? json_object_array_length(val) : 0;
		if (!json_object_is_type(val, json_type_array) || n > FILTER_MAX_IN) {
			problem(x, path, "value", "must be an array of at most 1000 timestamps",
			        "type_error.list");
			return;
		}
		/* one timestamptz[] parameter (see in_cond()) */
		const char **ts = xmalloc((n ? n : 1) * sizeof *ts);
		for (size_t i = 0; i < n; i++) {
			struct json_object *m = json_object_array_get_idx(val, i);
			ts[i] = json_object_get_string(m);
			if (!json_object_is_type(m, json_type_string) || !util_is_rfc3339(ts[i])) {
				problem(x, path, "value", "must be RFC 3339 timestamps", "value_error.datetime");
				free(ts);
				return;
			}
		}
		if (n == 0) {
			buf_puts(b, op == OP_NIN ? "TRUE" : "FALSE");
		} else {
			struct buf lit = { 0 };
			util_pg_array(&lit, ts, (int)n);
			buf_printf(b, "%s(%s = ANY ($%d::timestamptz[]))", op == OP_NIN ? "NOT " : "",
			           expr_of(x->f, fd), filter_param(x->f, lit.data));
			buf_free(&lit);
		}
		free(ts);
		return;
	}
	case OP_EQ: case OP_NE: case OP_GT: case OP_LT: case OP_GTE: case OP_LTE:
		if (!json_object_is_type(val, json_type_string) ||
		    !util_is_rfc3339(json_object_get_string(val))) {
			problem(x, path, "value", "must be an RFC 3339 timestamp", "value_error.datetime");
			return;
		}
		buf_printf(b, "%s %s $%d::timestamptz", expr_of(x->f, fd), sym[op],
		           filter_param(x->f, json_object_get_string(val)));
		return;
	default:
		problem(x, path, "operator", "timestamps take eq ne gt gte lt lte in nin exists "
		        "is_null", "value_error.operator");
	}
}

/* Appends the condition `field op value` to b (an SQL boolean that is
 * never NULL). */
static void condition(struct ctx *x, struct buf *b, const char *name, enum op op,
                      struct json_object *val, int ci, const char *path)
{
	struct field fd;
	const char *why = NULL;
	size_t mark = b->len;

	if (resolve(name, &fd, &why) != 0) {
		problem(x, path, "field", why, "value_error.field");
		return;
	}
	if (is_dynamic(val)) {
		problem(x, path, "value", "dynamic values are not supported", "value_error.dynamic");
		goto done;
	}
	if (fd.whole_object && op != OP_TEXT) {
		problem(x, path, "field", "metadata itself can only be searched with the text "
		        "operator", "value_error.field");
		goto done;
	}
	if (fd.is_time) {
		buf_putc(b, '(');
		time_cond(x, b, &fd, op, val, path);
		buf_putc(b, ')');
		goto done;
	}
	/* Every condition below is TRUE or FALSE, never NULL (NOT must work),
	 * and is written bare so that the planner sees containment (GIN) and
	 * can estimate it: only `text` needs a coalesce. */
	buf_putc(b, '(');
	switch (op) {
	case OP_EQ:
	case OP_NE:
		if (op == OP_NE)
			buf_puts(b, "NOT ");
		buf_putc(b, '(');
		eq_cond(x, b, &fd, val, ci);
		buf_putc(b, ')');
		break;
	case OP_IN:
	case OP_NIN: {
		size_t n = json_object_is_type(val, json_type_array) ? json_object_array_length(val) : 0;
		if (!json_object_is_type(val, json_type_array) || n > FILTER_MAX_IN) {
			problem(x, path, "value", "must be an array of at most 1000 values",
			        "type_error.list");
			break;
		}
		if (op == OP_NIN)
			buf_puts(b, "NOT ");
		in_cond(x, b, &fd, val, ci);
		break;
	}
	case OP_GT: case OP_LT: case OP_GTE: case OP_LTE:
		if (!is_number(val) && !json_object_is_type(val, json_type_string)) {
			problem(x, path, "value", "must be a number or a string", "type_error");
			break;
		}
		buf_printf(b, "EXISTS (SELECT 1 FROM public.docapi_elems(%s) x WHERE ", expr_of(x->f, &fd));
		elem_order(x, b, op, val);
		buf_putc(b, ')');
		break;
	case OP_CONTAINS:
		if (json_object_is_type(val, json_type_object) ||
		    json_object_is_type(val, json_type_array)) {
			problem(x, path, "value", "must be a scalar", "type_error");
			break;
		}
		buf_printf(b, "CASE jsonb_typeof(%s) WHEN 'array' THEN EXISTS (SELECT 1 FROM "
		           "jsonb_array_elements(%s) x WHERE ", expr_of(x->f, &fd), expr_of(x->f, &fd));
		elem_eq(x, b, val, ci);
		buf_puts(b, ")");
		if (json_object_is_type(val, json_type_string)) {
			int p = filter_param(x->f, json_object_get_string(val));
			if (ci)
				buf_printf(b, " WHEN 'string' THEN strpos(lower(%s #>> '{}'), lower($%d::text)) > 0",
				           expr_of(x->f, &fd), p);
			else
				buf_printf(b, " WHEN 'string' THEN strpos(%s #>> '{}', $%d::text) > 0",
				           expr_of(x->f, &fd), p);
		}
		buf_puts(b, " ELSE FALSE END");
		break;
	case OP_STARTS:
	case OP_ENDS:
	case OP_REGEX:
		if (!json_object_is_type(val, json_type_string) ||
		    (op == OP_REGEX && utf8_chars(json_object_get_string(val)) > FILTER_MAX_REGEX)) {
			problem(x, path, "value", op == OP_REGEX ? "must be a string of at most 1000 "
			        "characters" : "must be a string", "type_error.str");
			break;
		}
		buf_printf(b, "EXISTS (SELECT 1 FROM public.docapi_elems(%s) x WHERE ", expr_of(x->f, &fd));
		elem_string(x, b, op, json_object_get_string(val), ci);
		buf_putc(b, ')');
		break;
	case OP_EXISTS:
	case OP_IS_NULL:
		if (!json_object_is_type(val, json_type_boolean)) {
			problem(x, path, "value", "must be true or false", "type_error.bool");
			break;
		}
		if (op == OP_EXISTS)
			buf_printf(b, "%s IS %sNULL", expr_of(x->f, &fd),
			           json_object_get_boolean(val) ? "NOT " : "");
		else
			buf_printf(b, "%s IS %sDISTINCT FROM 'null'::jsonb", expr_of(x->f, &fd),
			           json_object_get_boolean(val) ? "NOT " : "");
		break;
	case OP_TEXT:
		if (!json_object_is_type(val, json_type_string)) {
			problem(x, path, "value", "must be a string", "type_error.str");
			break;
		}
		if (!x->ts_param)
			x->ts_param = filter_param(x->f, x->ts_config);
		buf_printf(b, "coalesce(jsonb_to_tsvector($%d::regconfig, %s, '[\"string\"]') @@ "
		           "websearch_to_tsquery($%d::regconfig, $%d::text), FALSE)", x->ts_param,
		           expr_of(x->f, &fd), x->ts_param,
		           filter_param(x->f, json_object_get_string(val)));
		break;
	case OP_NONE:
		break;
	}
	buf_putc(b, ')');
done:
	if (verr_count(x->v)) {  /* keep the SQL meaningful only when valid */
		b->len = mark;
		b->data[mark] = '\0';
	}
	field_free(&fd);
}

/* ---- the tree ----------------------------------------------------------- */

static void node(struct ctx *x, struct buf *b, struct json_object *o, int depth, int ci,
                 const char *path);

static int is_qdrant_key(const char *k)
{
	return !strcmp(k, "must") || !strcmp(k, "should") || !strcmp(k, "must_not");
}

/* A FilterCondition object. */
static void condition_node(struct ctx *x, struct buf *b, struct json_object *o, int ci,
                           const char *path)
{
	struct json_object *field, *opv, *val = NULL, *cs;
	enum op op = OP_EQ;

	json_object_object_foreach(o, k, kv) {
		(void)kv;
		if (is_qdrant_key(k))
			problem(x, path, k, "must/should/must_not are not Mixpeek filters: use "
			        "AND/OR/NOT", "value_error.filter");
	}
	json_object_object_get_ex(o, "field", &field);
	if (!json_object_is_type(field, json_type_string)) {
		problem(x, path, "field", "must be a string", "type_error.str");
		return;
	}
	if (json_object_object_get_ex(o, "operator", &opv)) {
		op = json_object_is_type(opv, json_type_string) ? op_of(json_object_get_string(opv))
		                                                : OP_NONE;
		if (op == OP_NONE) {
			problem(x, path, "operator", "unknown operator", "value_error.operator");
			return;
		}
	}
	if (!json_object_object_get_ex(o, "value", &val)) {
		problem(x, path, "value", "field required", "value_error.missing");
		return;
	}
	if (json_object_object_get_ex(o, "case_sensitive", &cs)) {
		if (!json_object_is_type(cs, json_type_boolean)) {
			problem(x, path, "case_sensitive", "must be true or false", "type_error.bool");
			return;
		}
		ci = !json_object_get_boolean(cs);
	}
	if (++x->f->conditions > FILTER_MAX_CONDITIONS) {
		if (x->f->conditions == FILTER_MAX_CONDITIONS + 1)
			problem(x, NULL, NULL, "more than 256 conditions", "value_error.filter");
		return;
	}
	condition(x, b, json_object_get_string(field), op, val, ci, path);
}

/* The members of AND / OR / NOT: an array of nodes (NOT: or one node). */
static void list_node(struct ctx *x, struct buf *b, const char *key,
                      struct json_object *list, int depth, int ci, const char *path)
{
	/* the path of a member: never cut short (a fixed buffer cut long
	 * keys, and with them a UTF-8 sequence, out of the 422's loc) */
	struct buf sub = { 0 };
	int is_not = !strcmp(key, "NOT"), is_or = !strcmp(key, "OR");
	size_t n;

	if (is_not && json_object_is_type(list, json_type_object)) {
		buf_printf(&sub, "%s%s%s", path, *path ? "." : "", key);
		buf_puts(b, "NOT (");
		node(x, b, list, depth + 1, ci, sub.data);
		buf_putc(b, ')');
		buf_free(&sub);
		return;
	}
	if (!json_object_is_type(list, json_type_array)) {
		problem(x, path, key, "must be an array of filters", "type_error.list");
		return;
	}
	n = json_object_array_length(list);
	buf_puts(b, is_not ? "NOT (FALSE" : is_or ? "(FALSE" : "(TRUE");
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(list, i);
		buf_reset(&sub);
		buf_printf(&sub, "%s%s%s.%zu", path, *path ? "." : "", key, i);
		if (!json_object_is_type(m, json_type_object)) {
			problem(x, sub.data, NULL, "must be an object", "type_error.dict");
			continue;
		}
		buf_puts(b, is_not || is_or ? " OR " : " AND ");
		node(x, b, m, depth + 1, ci, sub.data);
	}
	buf_putc(b, ')');
	buf_free(&sub);
}

/* A LogicalOperator or a condition. */
static void node(struct ctx *x, struct buf *b, struct json_object *o, int depth, int ci,
                 const char *path)
{
	struct json_object *cs;

	if (depth > FILTER_MAX_DEPTH) {
		problem(x, path, NULL, "filters nest deeper than 16 levels", "value_error.filter");
		return;
	}
	if (json_object_object_get_ex(o, "field", NULL)) {
		condition_node(x, b, o, ci, path);
		return;
	}
	if (json_object_object_get_ex(o, "case_sensitive", &cs)) {
		if (!json_object_is_type(cs, json_type_boolean)) {
			problem(x, path, "case_sensitive", "must be true or false", "type_error.bool");
			return;
		}
		ci = !json_object_get_boolean(cs);
	}
	buf_puts(b, "(TRUE");
	json_object_object_foreach(o, k, val) {
		if (!strcmp(k, "case_sensitive"))
			continue;
		if (is_qdrant_key(k)) {
			problem(x, path, k, "must/should/must_not are not Mixpeek filters: use "
			        "AND/OR/NOT", "value_error.filter");
			continue;
		}
		buf_puts(b, " AND ");
		if (!strcmp(k, "AND") || !strcmp(k, "OR") || !strcmp(k, "NOT")) {
			list_node(x, b, k, val, depth, ci, path);
			continue;
		}
		/* the shorthand {"metadata.title": "x"} */
		if (json_object_is_type(val, json_type_object)) {
			int mongo = 0;
			json_object_object_foreach(val, vk, vv) {
				(void)vv;
				mongo |= vk[0] == '$';
			}
			if (mongo) {
				problem(x, path, k, "operators like $gt are not Mixpeek filters: use "
				        "{field, operator, value}", "value_error.filter");
				continue;
			}
		}
		if (++x->f->conditions > FILTER_MAX_CONDITIONS) {
			if (x->f->conditions == FILTER_MAX_CONDITIONS + 1)
				problem(x, NULL, NULL, "more than 256 conditions", "value_error.filter");
			continue;
		}
		struct buf sub = { 0 };
		buf_printf(&sub, "%s%s%s", path, *path ? "." : "", k);
		condition(x, b, k, OP_EQ, val, ci, sub.data);
		buf_free(&sub);
	}
	buf_putc(b, ')');
}

int filter_compile(struct filter_sql *f, struct json_object *filters,
                   const char *ts_config, struct verrs *v, const char *loc0,
                   const char *loc1)
{
	struct ctx x = { .f = f, .v = v, .loc0 = loc0, .loc1 = loc1, .ts_config = ts_config };
	int before = verr_count(v);

	buf_reset(&f->sql);
	if (!filters || json_object_is_type(filters, json_type_null)) {
		buf_puts(&f->sql, "TRUE");
		return 0;
	}
	if (!json_object_is_type(filters, json_type_object)) {
		verr_add(v, "must be an object", "type_error.dict", loc0, loc1, NULL, NULL);
		return verr_count(v) - before;
	}
	node(&x, &f->sql, filters, 1, 1, "");
	return verr_count(v) - before;
}
