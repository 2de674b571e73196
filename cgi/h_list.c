/*
 * h_list.c - POST /v1/collections/{collection}/documents/list (contract
 * section 10).
 *
 * An R_FUSED route: the body and query are checked here, the filter is
 * compiled (filter.c) into one statement with the scope, the order, the
 * keyset position and the page (list_query.c), and that statement is the
 * request's one round trip. The documents are written from their stored
 * texts, as GET writes one; `select` projects each.
 *
 * POST /v1/documents/list is the same over the namespace's collections,
 * or those of the body's collection_ids.
 */
#include "cursor.h"
#include "db_documents.h"
#include "handlers.h"
#include "list_query.h"
#include "log.h"
#include "prefer.h"
#include "router.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIST_DEFAULT_LIMIT 10
#define LIST_MAX_LIMIT 1000
#define LIST_MAX_OFFSET 10000
#define LIST_MAX_SELECT 100
#define JSON_COMPACT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The request, checked. Borrowed from the body and query unless said. */
struct list_req {
	struct list_query q;
	struct json_object *sort;       /* the body's sort object, for the cursor binding */
	struct json_object *select;     /* array of paths, or NULL */
	char cursor[CURSOR_MAX + 1];
	int has_cursor;
	int offset_given;
	char *position;                 /* owned: the cursor's position text */
	struct json_object *vnames;     /* return_vector_names as a list (borrowed), or NULL */
	int planned;                    /* Prefer: count=planned, and no exact count asked */
	long long estimate;             /* then: PostgreSQL's estimate */
	int ns_wide;                    /* POST /v1/documents/list */
	struct json_object *cols;       /* owned: its collection_ids, sorted, without repeats */
	struct buf cols_literal;        /* owned: the same as a text[] literal */
};

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)a),
	              json_object_get_string(*(struct json_object *const *)b));
}

/* collection_ids of the namespace-wide list: up to 100 ids or names. */
static void parse_cols(struct json_object *b, struct list_req *lr, struct verrs *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(b, "collection_ids", &x) || json_object_is_type(x, json_type_null))
		return;
	size_t n = json_object_is_type(x, json_type_array) ? json_object_array_length(x) : 0;
	int ok = json_object_is_type(x, json_type_array) && n <= 100;
	for (size_t i = 0; ok && i < n; i++)
		ok = json_object_is_type(json_object_array_get_idx(x, i), json_type_string) &&
		     json_object_get_string_len(json_object_array_get_idx(x, i)) > 0;
	if (!ok) {
		verr_add(v, "must be a list of at most 100 collection ids or names", "type_error.list",
		         "body", "collection_ids", NULL, NULL);
		return;
	}
	if (n == 0)
		return;  /* [] is every collection, as no list */
	lr->cols = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(lr->cols, json_object_get(json_object_array_get_idx(x, i)));
	json_object_array_sort(lr->cols, cmp_json_str);
	const char **names = xmalloc(n * sizeof *names);
	int m = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(lr->cols, i));
		if (!m || strcmp(names[m - 1], s))
			names[m++] = s;
	}
	util_pg_array(&lr->cols_literal, names, m);
	free(names);
	lr->q.cols = lr->cols_literal.data;
}

static int body_bool(struct json_object *body, const char *name, struct verrs *v)
{
	struct json_object *x;
	if (!json_object_object_get_ex(body, name, &x) || json_object_is_type(x, json_type_null))
		return 0;
	if (!json_object_is_type(x, json_type_boolean)) {
		verr_add(v, "value could not be parsed to a boolean", "type_error.bool", "body",
		         name, NULL, NULL);
		return 0;
	}
	return json_object_get_boolean(x);
}

/* A body integer in [min, max]; 1 when given. */
static int body_int(struct json_object *body, const char *name, long long min,
                    long long max, long long *out, struct verrs *v)
{
	struct json_object *x;
	if (!json_object_object_get_ex(body, name, &x) || json_object_is_type(x, json_type_null))
		return 0;
	if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) < min ||
	    json_object_get_int64(x) > max) {
		char msg[80];
		snprintf(msg, sizeof msg, "must be an integer from %lld to %lld", min, max);
		verr_add(v, msg, "type_error.integer", "body", name, NULL, NULL);
		return 0;
	}
	*out = json_object_get_int64(x);
	return 1;
}

/* limit and offset: the query's win, then the body's, then page_size. */
static void parse_page(struct call *c, struct list_req *lr, struct verrs *v)
{
	const char *q = c->req->query;
	long long x;
	int r;

	lr->q.limit = LIST_DEFAULT_LIMIT;
	if ((r = http_query_int(q, "limit", 1, LIST_MAX_LIMIT, &x)) < 0)
		verr_add(v, "must be an integer from 1 to 1000", "type_error.integer", "query",
		         "limit", NULL, NULL);
	else if (r > 0)
		lr->q.limit = x;
	else if (!body_int(c->body, "limit", 1, LIST_MAX_LIMIT, &lr->q.limit, v))
		body_int(c->body, "page_size", 1, LIST_MAX_LIMIT, &lr->q.limit, v);
	if ((r = http_query_int(q, "offset", 0, LIST_MAX_OFFSET, &x)) < 0)
		verr_add(v, "must be an integer from 0 to 10000", "type_error.integer", "query",
		         "offset", NULL, NULL);
	else if (r > 0)
		lr->q.offset = x, lr->offset_given = 1;
	else
		lr->offset_given = body_int(c->body, "offset", 0, LIST_MAX_OFFSET, &lr->q.offset, v);
}

static void parse_sort(struct json_object *body, struct list_req *lr, struct verrs *v)
{
	struct json_object *s, *f, *d;

	if (!json_object_object_get_ex(body, "sort", &s) || json_object_is_type(s, json_type_null))
		return;
	if (!json_object_is_type(s, json_type_object) ||
	    !json_object_object_get_ex(s, "field", &f) || !json_object_is_type(f, json_type_string)) {
		verr_add(v, "must be {\"field\": ..., \"direction\": \"asc\" | \"desc\"}",
		         "type_error.dict", "body", "sort", NULL, NULL);
		return;
	}
	lr->sort = s;
	lr->q.sort_field = json_object_get_string(f);
	if (json_object_object_get_ex(s, "direction", &d)) {
		const char *dir = json_object_get_string(d);
		if (!json_object_is_type(d, json_type_string) || (strcmp(dir, "asc") && strcmp(dir, "desc")))
			verr_add(v, "must be \"asc\" or \"desc\"", "type_error.enum", "body", "sort",
			         "direction", NULL);
		else
			lr->q.desc = dir[0] == 'd';
	}
}

static void parse_request(struct call *c, struct list_req *lr, struct verrs *v)
{
	struct json_object *b = c->body, *x;
	char value[32];

	if (!json_object_is_type(b, json_type_object)) {
		verr_add(v, "must be a JSON object", "type_error.dict", "body", NULL, NULL, NULL);
		return;
	}
	lr->q.ts_config = c->cfg->text_search_config;
	lr->ns_wide = lr->q.ns_wide = !(c->flags & R_COLLECTION);
	if (lr->ns_wide)
		parse_cols(b, lr, v);
	if (json_object_object_get_ex(b, "filters", &x) && !json_object_is_type(x, json_type_null))
		lr->q.filters = x;
	parse_sort(b, lr, v);
	if (json_object_object_get_ex(b, "search", &x) && !json_object_is_type(x, json_type_null)) {
		if (!json_object_is_type(x, json_type_string))
			verr_add(v, "must be a string", "type_error.str", "body", "search", NULL, NULL);
		else
			lr->q.search = json_object_get_string(x);
	}
	if (json_object_object_get_ex(b, "group_by", &x) && !json_object_is_type(x, json_type_null)) {
		if (!json_object_is_type(x, json_type_string))
			verr_add(v, "must be a field path", "type_error.str", "body", "group_by", NULL, NULL);
		else
			lr->q.group_by = json_object_get_string(x);
	}
	if (json_object_object_get_ex(b, "select", &x) && !json_object_is_type(x, json_type_null)) {
		int ok = json_object_is_type(x, json_type_array) &&
		         json_object_array_length(x) <= LIST_MAX_SELECT;
		for (size_t i = 0; ok && i < json_object_array_length(x); i++)
			ok = json_object_is_type(json_object_array_get_idx(x, i), json_type_string) &&
			     json_object_get_string_len(json_object_array_get_idx(x, i)) > 0;
		if (!ok)
			verr_add(v, "must be a list of at most 100 field paths", "type_error.list",
			         "body", "select", NULL, NULL);
		else
			lr->select = x;
	}
	/* Flags: true when the body or the query says true. */
	c->query.return_url |= body_bool(b, "return_presigned_urls", v) | body_bool(b, "return_url", v);
	c->query.return_vectors |= body_bool(b, "return_vectors", v);
	if (json_object_object_get_ex(b, "return_vector_names", &x) &&
	    json_object_is_type(x, json_type_array)) {
		int ok = json_object_array_length(x) <= 128;
		for (size_t i = 0; ok && i < json_object_array_length(x); i++)
			ok = json_object_is_type(json_object_array_get_idx(x, i), json_type_string);
		if (!ok)
			verr_add(v, "must be true, false or a list of at most 128 vector names",
			         "type_error.list", "body", "return_vector_names", NULL, NULL);
		lr->vnames = x;
		lr->q.with_vectors = 1;
	} else
		c->query.return_vector_names |= body_bool(b, "return_vector_names", v);
	parse_page(c, lr, v);
	if (http_query_param(c->req->query, "include_total", value, sizeof value)) {
		int t = http_parse_bool(value);
		if (t < 0)
			verr_add(v, "value could not be parsed to a boolean", "type_error.bool", "query",
			         "include_total", NULL, NULL);
		lr->q.count |= t > 0;
	}
	int pv = prefer_value(c->req->prefer, "count", value, sizeof value);
	if (pv < 0 || (pv > 0 && strcasecmp(value, "exact") && strcasecmp(value, "planned")))
		verr_add(v, "count must be exact or planned", "value_error.prefer", "header",
		         "Prefer", NULL, NULL);
	else if (pv > 0 && !strcasecmp(value, "exact"))
		lr->q.count = 1;
	else if (pv > 0)
		lr->planned = 1;
	if (lr->q.count)  /* exact wins when both are asked */
		lr->planned = 0;
	if (pv > 0)
		c->resp->preference_applied = lr->planned ? "count=planned" : "count=exact";
	/* the cursor: the query's wins */
	lr->has_cursor = http_query_param(c->req->query, "cursor", lr->cursor, sizeof lr->cursor);
	if (!lr->has_cursor && json_object_object_get_ex(b, "cursor", &x) &&
	    !json_object_is_type(x, json_type_null)) {
		lr->has_cursor = 1;
		snprintf(lr->cursor, sizeof lr->cursor, "%s", json_object_is_type(x, json_type_string) &&
		         json_object_get_string_len(x) <= CURSOR_MAX ? json_object_get_string(x) : "");
	}
}

/* What a cursor is bound to: the collection as the path names it, the
 * filters, search, sort (and group_by) as canonical JSON. */
static void binding_of(struct call *c, const struct list_req *lr, struct buf *b)
{
	const char *parts[4] = {
		lr->q.filters ? json_object_to_json_string_ext(lr->q.filters, JSON_COMPACT) : "null",
		lr->q.search ? lr->q.search : "",
		lr->sort ? json_object_to_json_string_ext(lr->sort, JSON_COMPACT) : "null",
		lr->q.group_by ? lr->q.group_by : "",
	};
	const char *col = lr->ns_wide ? (lr->q.cols ? lr->q.cols : "*") : c->params[0];
	buf_printf(b, "documents/list\n%d:%zu:%s", lr->ns_wide, strlen(col), col);
	for (int i = 0; i < 4; i++)
		buf_printf(b, "\n%zu:%s", strlen(parts[i]), parts[i]);
}

/* The cursor's position, or a 422 problem. */
static enum h_result open_cursor(struct call *c, struct list_req *lr, struct verrs *v,
                                 struct json_object **pos)
{
	struct buf binding = { 0 };
	const char *secret;
	enum h_result r = call_cursor_secret(c, &secret);

	*pos = NULL;
	if (r != H_DONE)
		return r;
	binding_of(c, lr, &binding);
	lr->position = cursor_open(lr->cursor, secret, strlen(secret), binding.data);
	if (lr->position)
		*pos = json_tokener_parse(lr->position);
	if (!json_object_is_type(*pos, json_type_array) || json_object_array_length(*pos) < 2) {
		json_object_put(*pos);
		*pos = NULL;
		verr_add(v, "invalid cursor", "value_error.cursor", "query", "cursor", NULL, NULL);
	}
	buf_free(&binding);
	return H_DONE;
}

/* Copies into out the members of in named by the remaining keys of path
 * (keys[from..]), making the objects on the way. */
static void project_path(struct json_object *in, struct json_object *out,
                         struct json_object *keys, size_t from)
{
	const char *k = json_object_get_string(json_object_array_get_idx(keys, from));
	struct json_object *val, *dst;

	if (!json_object_is_type(in, json_type_object) || !json_object_object_get_ex(in, k, &val))
		return;
	if (from + 1 == json_object_array_length(keys)) {
		json_object_object_add(out, k, json_object_get(val));
		return;
	}
	if (!json_object_object_get_ex(out, k, &dst)) {
		if (!json_object_is_type(val, json_type_object))
			return;
		dst = json_object_new_object();
		json_object_object_add(out, k, dst);
	}
	if (json_object_is_type(dst, json_type_object))
		project_path(val, dst, keys, from + 1);
}

/* The document keeping document_id, collection_id, the selected paths
 * and what the return_* flags add. Caller owns. */
static struct json_object *project(struct json_object *doc, struct json_object *select,
                                   int return_url)
{
	static const char *const always[] = { "document_id", "collection_id", "vector",
	                                      "_vectors", "presigned_url", "presigned_urls" };
	/* presigned_urls is there on every document; selected, only when asked */
	size_t nalways = return_url ? 6 : 5;
	struct json_object *out = json_object_new_object();

	json_object_object_foreach(doc, k, val) {
		int keep = 0;
		for (size_t i = 0; i < nalways; i++)
			keep |= !strcmp(k, always[i]);
		/* the vectors return_vector_names added follow that flag too */
		struct json_object *named;
		if (json_object_object_get_ex(doc, "_vectors", &named) &&
		    json_object_is_type(named, json_type_array))
			for (size_t i = 0; !keep && i < json_object_array_length(named); i++)
				keep = !strcmp(k, json_object_get_string(json_object_array_get_idx(named, i)));
		for (size_t i = 0; !keep && i < json_object_array_length(select); i++) {
			const char *p = json_object_get_string(json_object_array_get_idx(select, i));
			size_t n = strlen(k);
			if (!strncmp(p, k, n) && (p[n] == '\0' || p[n] == '.')) {
				if (p[n] == '\0')
					keep = 1;
				else {  /* a path inside this member: only what it names */
					struct json_object *keys = json_object_new_array();
					for (const char *s = p + n + 1; *s;) {
						size_t len = strcspn(s, ".");
						json_object_array_add(keys, json_object_new_string_len(s, (int)len));
						s += len + (s[len] == '.');
					}
					struct json_object *dst;
					if (!json_object_object_get_ex(out, k, &dst)) {
						dst = json_object_new_object();
						json_object_object_add(out, k, dst);
					}
					if (json_object_array_length(keys) && json_object_is_type(dst, json_type_object))
						project_path(val, dst, keys, 0);
					json_object_put(keys);
				}
			}
		}
		if (keep)
			json_object_object_add(out, k, json_object_get(val));
	}
	return out;
}

/* With return_vector_names as a list: `_vectors` names those of the list
 * the document has (sorted), each then a top-level key holding that
 * vector (over a flat field of the same name), before document_blobs.
 * Takes doc; returns the new object. */
static struct json_object *add_named_vectors(struct json_object *doc, const char *stored,
                                             struct json_object *wanted)
{
	struct json_object *vecs = stored ? json_tokener_parse(stored) : NULL;
	struct json_object *names = json_object_new_array(), *out = json_object_new_object();

	for (size_t i = 0; i < json_object_array_length(wanted); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(wanted, i));
		int dup = 0;
		for (size_t k = 0; k < json_object_array_length(names); k++)
			dup |= !strcmp(json_object_get_string(json_object_array_get_idx(names, k)), n);
		if (!dup && json_object_is_type(vecs, json_type_object) &&
		    json_object_object_get_ex(vecs, n, NULL))
			json_object_array_add(names, json_object_new_string(n));
	}
	json_object_array_sort(names, cmp_json_str);
	json_object_object_foreach(doc, k, val) {
		int hidden = !strcmp(k, "_vectors");
		for (size_t i = 0; !hidden && i < json_object_array_length(names); i++)
			hidden = !strcmp(json_object_get_string(json_object_array_get_idx(names, i)), k);
		if (!strcmp(k, "document_blobs")) {
			json_object_object_add(out, "_vectors", json_object_get(names));
			for (size_t i = 0; i < json_object_array_length(names); i++) {
				const char *n = json_object_get_string(json_object_array_get_idx(names, i));
				struct json_object *s, *value = NULL;
				json_object_object_get_ex(vecs, n, &s);
				if (!json_object_object_get_ex(s, "vector", &value) &&
				    !json_object_object_get_ex(s, "vectors", &value)) {
					value = json_object_new_object();  /* sparse */
					struct json_object *p;
					if (json_object_object_get_ex(s, "indices", &p))
						json_object_object_add(value, "indices", json_object_get(p));
					if (json_object_object_get_ex(s, "values", &p))
						json_object_object_add(value, "values", json_object_get(p));
					json_object_object_add(out, n, value);
					continue;
				}
				json_object_object_add(out, n, json_object_get(value));
			}
		}
		if (!hidden)
			json_object_object_add(out, k, json_object_get(val));
	}
	json_object_put(names);
	json_object_put(vecs);
	json_object_put(doc);
	return out;
}

/* Appends document i of l to b (projected when select is given). */
static enum h_result append_doc(struct call *c, const struct list_req *lr,
                                const struct db_listed *l, int i, struct buf *b,
                                const char **doc_id, const char **key)
{
	struct stored_doc row;
	const char *col_id;
	enum h_result r;

	db_listed_doc(l, i, &row, doc_id, &col_id, key);
	if (!lr->select && !lr->vnames)
		return h_append_row(c, &row, *doc_id, col_id, b);
	struct buf one = { 0 };
	r = h_append_row(c, &row, *doc_id, col_id, &one);
	struct json_object *full = r == H_DONE ? json_tokener_parse(one.data) : NULL;
	if (r == H_DONE && !full) {
		log_error(c->req->request_id, "a listed document did not parse back");
		r = H_FAILED;
	}
	if (full && lr->vnames)
		full = add_named_vectors(full, db_listed_vectors(l, i), lr->vnames);
	if (full) {
		struct json_object *p = lr->select ? project(full, lr->select, c->query.return_url)
		                                   : json_object_get(full);
		buf_puts(b, json_object_to_json_string_ext(p, JSON_COMPACT));
		json_object_put(p);
	}
	json_object_put(full);
	buf_free(&one);
	return r;
}

/* The groups of a grouped list ({"groups": [{group_key, documents,
 * count}], without its closing bracket), at most limit of them; *more
 * when the statement found one more, *key the last group's position. */
static enum h_result append_groups(struct call *c, const struct list_req *lr,
                                   const struct db_listed *l, struct buf *b, int *more,
                                   const char **key)
{
	const char *doc_id, *dkey, *gkey, *gpos;
	long long count = 0, open_count = 0;
	int groups = 0, docs = 0;
	enum h_result r = H_DONE;

	*more = 0;
	buf_puts(b, "{\"groups\":[");
	for (int i = 0; i < l->n && r == H_DONE; i++) {
		if (db_listed_group(l, i, &count, &gkey, &gpos) == 'G') {
			if (groups == lr->q.limit) {  /* the one beyond the page */
				*more = 1;
				break;
			}
			if (groups++)
				buf_printf(b, "],\"count\":%lld},", open_count);
			buf_printf(b, "{\"group_key\":%s,\"documents\":[", gkey);
			open_count = count;
			*key = gpos;
			docs = 0;
			continue;
		}
		if (docs++)
			buf_putc(b, ',');
		r = append_doc(c, lr, l, i, b, &doc_id, &dkey);
	}
	if (groups)
		buf_printf(b, "],\"count\":%lld}", open_count);
	return r;
}

/* next_page / previous_page: this request's path and query with offset
 * and limit set. */
static void page_url(struct call *c, const struct list_req *lr, long long offset, struct buf *b)
{
	if (lr->ns_wide)
		buf_printf(b, "%s/v1/documents/list?", c->cfg->mount_prefix);
	else
		buf_printf(b, "%s/v1/collections/%s/documents/list?", c->cfg->mount_prefix,
		           c->params[0]);
	const char *q = c->req->query;
	while (q && *q) {
		size_t n = strcspn(q, "&");
		if (strncmp(q, "offset=", 7) && strncmp(q, "limit=", 6) && strncmp(q, "cursor=", 7) &&
		    n) {
			buf_append(b, q, n);
			buf_putc(b, '&');
		}
		q += n + (q[n] == '&');
	}
	buf_printf(b, "offset=%lld&limit=%lld", offset, lr->q.limit);
}

static enum h_result reply(struct call *c, const struct list_req *lr, const struct db_listed *l)
{
	struct buf *b = &c->resp->body;
	int shown = l->n < lr->q.limit ? l->n : (int)lr->q.limit;
	int more = l->n > shown;
	const char *doc_id = NULL, *key = NULL;
	enum h_result r = H_DONE;

	buf_reset(b);
	if (lr->q.group_by) {
		r = append_groups(c, lr, l, b, &more, &key);
	} else {
		buf_puts(b, "{\"results\":[");
		for (int i = 0; i < shown && r == H_DONE; i++) {
			if (i)
				buf_putc(b, ',');
			r = append_doc(c, lr, l, i, b, &doc_id, &key);
		}
	}
	if (r != H_DONE)
		return r;
	buf_puts(b, "],\"pagination\":{");
	long long total = lr->planned ? lr->estimate : l->total;
	if (lr->q.count || lr->planned)
		buf_printf(b, "\"total\":%lld,\"total_pages\":%lld,", total,
		           (total + lr->q.limit - 1) / lr->q.limit);
	if (!lr->has_cursor)
		buf_printf(b, "\"page\":%lld,", lr->q.offset / lr->q.limit + 1);
	buf_printf(b, "\"page_size\":%lld", lr->q.limit);
	if (!lr->has_cursor && more) {
		struct buf u = { 0 };
		page_url(c, lr, lr->q.offset + lr->q.limit, &u);
		struct json_object *s = json_object_new_string(u.data);
		buf_printf(b, ",\"next_page\":%s", json_object_to_json_string_ext(s, JSON_COMPACT));
		json_object_put(s);
		buf_free(&u);
	}
	if (!lr->has_cursor && lr->q.offset > 0) {
		struct buf u = { 0 };
		long long prev = lr->q.offset > lr->q.limit ? lr->q.offset - lr->q.limit : 0;
		page_url(c, lr, prev, &u);
		struct json_object *s = json_object_new_string(u.data);
		buf_printf(b, ",\"previous_page\":%s", json_object_to_json_string_ext(s, JSON_COMPACT));
		json_object_put(s);
		buf_free(&u);
	}
	if (more) {
		struct buf binding = { 0 };
		const char *secret;
		if ((r = call_cursor_secret(c, &secret)) != H_DONE)
			return r;
		binding_of(c, lr, &binding);
		buf_puts(b, ",\"next_cursor\":\"");
		cursor_make(b, secret, strlen(secret), binding.data, key);
		buf_putc(b, '"');
		buf_free(&binding);
	}
	buf_printf(b, ",\"has_more\":%s}", more ? "true" : "false");
	if (lr->q.group_by) {
		struct json_object *g = json_object_new_string(lr->q.group_by);
		buf_printf(b, ",\"group_by_field\":%s", json_object_to_json_string_ext(g, JSON_COMPACT));
		json_object_put(g);
	}
	if (lr->q.count && l->by_collection) {
		/* grouped: the total counts groups, total_documents documents */
		long long docs = l->total;
		struct json_object *st = lr->q.group_by ? json_tokener_parse(l->by_collection) : NULL, *td;
		if (json_object_object_get_ex(st, "total_documents", &td))
			docs = json_object_get_int64(td);
		json_object_put(st);
		buf_printf(b, ",\"total_documents\":%lld,\"stats\":%s", docs, l->by_collection);
	}
	else if (lr->planned)  /* an estimate: no stats, which would need the rows */
		buf_printf(b, ",\"total_documents\":%lld", total);
	buf_putc(b, '}');
	c->resp->status = 200;
	return H_DONE;
}

/* return_url asked for (also by the body) but no credentials: 503 once
 * the scope's checks pass. */
static int refuse_presign(struct call *c, enum h_result *r)
{
	int answered = 0;

	if (!c->query.return_url || presigner_ready(c->presigner, c->req->request_id))
		return 0;
	*r = call_resolve(c, &answered);
	if (*r == H_DONE && !answered)
		http_error(c->resp, 503, "Presigned URLs are not available: S3 presigning is "
		           "not configured on this server", NULL);
	return 1;
}

enum h_result h_list(struct call *c)
{
	struct list_req lr = { 0 };
	struct filter_sql f = { 0 };
	struct verrs v = { 0 };
	struct db_listed l = { 0 };
	struct json_object *pos = NULL;
	enum h_result r = H_DONE;

	filter_init(&f, LIST_FIRST_PARAM);
	parse_request(c, &lr, &v);
	if (!verr_count(&v) && lr.has_cursor)
		r = open_cursor(c, &lr, &v, &pos);
	if (r != H_DONE)
		goto cleanup;
	lr.q.after = pos;
	/* built even after other problems: its own (filters, sort, group_by)
	 * are listed with them (section 2: every problem, not the first) */
	filter_free(&f);
	list_query_build(&f, &lr.q, &v, "body");
	if (verr_count(&v)) {
		r = call_refuse_invalid(c, &v);
		goto cleanup;
	}
	if (refuse_presign(c, &r))
		goto cleanup;
	struct db *db = c->db_read;
	const char *col = lr.ns_wide ? NULL : c->params[0];
	enum db_status st = db_list(db, c->req->request_id, c->key_hash, call_namespace(c),
	                            col, &f, &l);
	if (st == DB_UNAVAILABLE && db != c->db) {
		db = c->db;
		st = db_list(db, c->req->request_id, c->key_hash, call_namespace(c), col, &f, &l);
	}
	if (st == DB_ERROR && call_refuse_bad_value(c, db, &r))
		goto cleanup;
	if (st != DB_OK) {
		r = h_of_db(st);
		goto cleanup;
	}
	c->scope = l.scope;  /* the dispatcher releases it */
	if (call_refuse_scope(c) || call_refuse_missing(c))
		goto cleanup;
	if (lr.ns_wide && l.scope.col_id) {  /* a collection_ids member the namespace lacks */
		http_error(c->resp, 404, "Collection not found",
		           http_not_found_details("collection", l.scope.col_id));
		goto cleanup;
	}
	if (lr.planned) {  /* a second statement: the planner's estimate */
		struct filter_sql e;
		struct list_query eq = lr.q;
		eq.estimate = 1;
		eq.after = NULL;
		list_query_build(&e, &eq, &v, "body");
		st = db_list_estimate(db, c->req->request_id, c->key_hash, call_namespace(c), col,
		                      &e, &lr.estimate);
		filter_free(&e);
		if (st != DB_OK) {
			r = h_of_db(st);
			goto cleanup;
		}
	}
	r = reply(c, &lr, &l);
cleanup:
	json_object_put(lr.cols);
	buf_free(&lr.cols_literal);
	json_object_put(pos);
	free(lr.position);
	filter_free(&f);
	verr_free(&v);
	return r;
}
