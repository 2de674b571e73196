/* aggregate.c - see aggregate.h. */
#include "aggregate.h"
#include "list_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_TEXT(t) "to_jsonb(to_char((" t ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"

/* One compile: the statement's parameters, the unwind path, problems. */
struct agg {
	struct filter_sql *f;
	struct verrs *v;
	const char *unwind;          /* NULL: none */
	struct json_object *aliases; /* alias -> "g<n>" / "m<n>" column */
};

static void problem(struct agg *a, const char *l1, const char *l2, const char *msg)
{
	verr_add(a->v, msg, "value_error", "body", l1, l2, NULL);
}

static const char *member_string(struct json_object *o, const char *k)
{
	struct json_object *x;
	return json_object_object_get_ex(o, k, &x) && json_object_is_type(x, json_type_string)
	       ? json_object_get_string(x) : NULL;
}

/* The jsonb expression of a field (a timestamp as its RFC 3339 text);
 * with *time set the timestamptz one instead, when the field is one. The
 * unwound field (and paths inside it) is the row's element u.v. 0, or -1
 * with a problem at loc. */
static int field_sql(struct agg *a, const char *field, struct buf *out, int *time,
                     const char *l1, const char *l2)
{
	size_t n = a->unwind ? strlen(a->unwind) : 0;
	const char *why = NULL;
	int is_time = 0;

	*time = 0;
	if (a->unwind && !strncmp(field, a->unwind, n) && (field[n] == '\0' || field[n] == '.')) {
		if (field[n] == '\0') {
			buf_puts(out, "u.v");
			return 0;
		}
		/* a path inside the element: as a flat field path, on u.v */
		struct buf tmp = { 0 };
		if (!filter_field_expr(a->f, field + n + 1, &tmp, &is_time, &why) ||
		    strncmp(tmp.data, "(d.fields #>", 12) != 0) {
			buf_free(&tmp);
			problem(a, l1, l2, "a path inside the unwound field must be a plain path");
			return -1;
		}
		buf_printf(out, "(u.v%s", tmp.data + 9);
		buf_free(&tmp);
		return 0;
	}
	struct buf e = { 0 };
	if (!filter_field_expr(a->f, field, &e, &is_time, &why)) {
		problem(a, l1, l2, why);
		buf_free(&e);
		return -1;
	}
	if (is_time) {
		buf_printf(out, TS_TEXT("%s"), e.data);
		*time = 1;
	} else {
		buf_puts(out, e.data);
	}
	buf_free(&e);
	return 0;
}

/* An instant from a field for date_trunc / date_part: timestamps, and
 * RFC 3339 strings (anything else: NULL). */
static int instant_sql(struct agg *a, const char *field, struct buf *out, const char *l1,
                       const char *l2)
{
	const char *why = NULL;
	int is_time = 0;
	struct buf e = { 0 };

	if (!filter_field_expr(a->f, field, &e, &is_time, &why)) {
		problem(a, l1, l2, why);
		buf_free(&e);
		return -1;
	}
	if (is_time)
		buf_puts(out, e.data);
	else
		buf_printf(out, "public.docapi_instant(%s)", e.data);
	buf_free(&e);
	return 0;
}

static int in_list(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return 1;
	return 0;
}

/* Registers alias for column col; 0, or -1 when it is taken. */
static int take_alias(struct agg *a, const char *alias, const char *col, const char *l1,
                      const char *l2)
{
	if (json_object_object_get_ex(a->aliases, alias, NULL)) {
		problem(a, l1, l2, "aliases of groups and metrics must be unique");
		return -1;
	}
	json_object_object_add(a->aliases, alias, json_object_new_string(col));
	return 0;
}

/* The group keys: select list into keys, "json_build_object" arguments
 * into obj. Returns the number of keys. */
static int group_keys(struct agg *a, struct json_object *groups, struct json_object *buckets,
                      struct buf *keys, struct buf *obj)
{
	static const char *const truncs[] = { "year", "month", "week", "day", "hour", "minute",
	                                      "second" };
	static const char *const parts[] = { "year", "month", "week", "day", "dayOfWeek",
	                                     "dayOfYear", "hour", "minute", "second" };
	static const char *const part_sql[] = { "year", "month", "week", "day", "dow", "doy",
	                                        "hour", "minute", "second" };
	size_t n = json_object_is_type(groups, json_type_array) ? json_object_array_length(groups) : 0;
	int nkeys = 0;
	char ix[24], col[24];

	if (n < 1 || n > 8) {
		problem(a, "group_by", NULL, "must be a list of 1 to 8 group fields");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *g = json_object_array_get_idx(groups, i);
		snprintf(ix, sizeof ix, "#%zu", i);
		const char *field = json_object_is_type(g, json_type_object) ? member_string(g, "field") : NULL;
		const char *alias = member_string(g, "alias");
		const char *trunc = member_string(g, "date_trunc"), *part = member_string(g, "date_part");
		if (!field) {
			problem(a, "group_by", ix, "needs a field (a string)");
			continue;
		}
		struct buf e = { 0 };
		int time;
		if (trunc && part)
			problem(a, "group_by", ix, "date_trunc or date_part, not both");
		else if (trunc && !in_list(trunc, truncs, 7))
			problem(a, "group_by", ix, "date_trunc must be year month week day hour minute second");
		else if (part && !in_list(part, parts, 9))
			problem(a, "group_by", ix, "date_part must be year month week day dayOfWeek "
			        "dayOfYear hour minute second");
		else if (trunc || part) {
			struct buf t = { 0 };
			if (instant_sql(a, field, &t, "group_by", ix) == 0) {
				if (trunc)  /* from the fixed list above: a literal */
					buf_printf(&e, TS_TEXT("date_trunc('%s', %s AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"),
					           trunc, t.data);
				else {
					size_t k = 0;
					while (strcmp(parts[k], part))
						k++;
					buf_printf(&e, "to_jsonb((floor(extract(%s FROM %s AT TIME ZONE 'UTC'))%s)::int)",
					           part_sql[k], t.data, !strcmp(part, "dayOfWeek") ? " + 1" : "");
				}
			}
			buf_free(&t);
		} else {
			field_sql(a, field, &e, &time, "group_by", ix);
		}
		if (e.len) {
			/* missing and null are one group: the key null */
			snprintf(col, sizeof col, "g%d", ++nkeys);
			buf_printf(keys, "%scoalesce(%s, 'null'::jsonb) AS %s", nkeys > 1 ? ", " : "",
			           e.data, col);
			buf_printf(obj, "%s$%d::text, q.%s", nkeys > 1 ? ", " : "",
			           filter_param(a->f, alias ? alias : field), col);
			take_alias(a, alias ? alias : field, col, "group_by", ix);
		}
		buf_free(&e);
	}
	size_t nb = json_object_is_type(buckets, json_type_array) ? json_object_array_length(buckets) : 0;
	if (buckets && !json_object_is_type(buckets, json_type_array))
		problem(a, "range_buckets", NULL, "must be a list");
	for (size_t i = 0; i < nb; i++) {
		struct json_object *rb = json_object_array_get_idx(buckets, i), *bounds, *def;
		snprintf(ix, sizeof ix, "#%zu", i);
		const char *field = json_object_is_type(rb, json_type_object) ? member_string(rb, "field") : NULL;
		size_t nbound = field && json_object_object_get_ex(rb, "boundaries", &bounds) &&
		                json_object_is_type(bounds, json_type_array)
		                ? json_object_array_length(bounds) : 0;
		int ok = nbound > 0;
		for (size_t k = 0; ok && k < nbound; k++) {
			struct json_object *b = json_object_array_get_idx(bounds, k);
			ok = json_object_is_type(b, json_type_int) || json_object_is_type(b, json_type_double);
			if (ok && k)
				ok = json_object_get_double(json_object_array_get_idx(bounds, k - 1)) <
				     json_object_get_double(b);
		}
		if (!ok) {
			problem(a, "range_buckets", ix, "needs a field and 1 or more ascending boundaries");
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			const char *gf = member_string(json_object_array_get_idx(groups, k), "field");
			if (gf && !strcmp(gf, field))
				ok = 0;
		}
		if (!ok) {
			problem(a, "range_buckets", ix, "the field is also in group_by");
			continue;
		}
		const char *dflt = json_object_object_get_ex(rb, "default_bucket", &def) &&
		                   json_object_is_type(def, json_type_string)
		                   ? json_object_get_string(def) : "other";
		struct buf e = { 0 };
		int time;
		if (field_sql(a, field, &e, &time, "range_buckets", ix) != 0) {
			buf_free(&e);
			continue;
		}
		struct buf c = { 0 };
		buf_printf(&c, "CASE WHEN jsonb_typeof(%s) IS DISTINCT FROM 'number' THEN to_jsonb($%d::text)",
		           e.data, filter_param(a->f, dflt));
		for (size_t k = 0; k <= nbound; k++) {
			const char *lo = k ? json_object_to_json_string(json_object_array_get_idx(bounds, k - 1)) : NULL;
			const char *hi = k < nbound ? json_object_to_json_string(json_object_array_get_idx(bounds, k)) : NULL;
			char label[96];
			if (!lo)
				snprintf(label, sizeof label, "<%s", hi ? hi : "");
			else if (!hi)
				snprintf(label, sizeof label, ">%s", lo);
			else
				snprintf(label, sizeof label, "%s-%s", lo, hi);
			int pl = filter_param(a->f, label);
			if (hi)
				buf_printf(&c, " WHEN (%s)::numeric <= $%d::numeric THEN to_jsonb($%d::text)",
				           e.data, filter_param(a->f, hi), pl);
			else
				buf_printf(&c, " ELSE to_jsonb($%d::text) END", pl);
		}
		snprintf(col, sizeof col, "g%d", ++nkeys);
		buf_printf(keys, "%s%s AS %s", nkeys > 1 ? ", " : "", c.data, col);
		buf_printf(obj, "%s$%d::text, q.%s", nkeys > 1 ? ", " : "", filter_param(a->f, field), col);
		take_alias(a, field, col, "range_buckets", ix);
		buf_free(&c);
		buf_free(&e);
	}
	return nkeys;
}

/* The metrics: select list into cols, json_build_object arguments into
 * obj. Returns how many. */
static int metrics(struct agg *a, struct json_object *aggs, struct buf *cols, struct buf *obj)
{
	static const char *const fns[] = { "count", "count_distinct", "sum", "avg", "min", "max",
	                                   "first", "last", "push", "add_to_set" };
	size_t n = json_object_is_type(aggs, json_type_array) ? json_object_array_length(aggs) : 0;
	int nm = 0;
	char ix[24], col[24];

	if (n < 1 || n > 32) {
		problem(a, "aggregations", NULL, "must be a list of 1 to 32 aggregations");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(aggs, i);
		snprintf(ix, sizeof ix, "#%zu", i);
		const char *fn = json_object_is_type(m, json_type_object) ? member_string(m, "function") : NULL;
		const char *alias = fn ? member_string(m, "alias") : NULL;
		const char *field = fn ? member_string(m, "field") : NULL;
		const char *dfield = fn ? member_string(m, "distinct_field") : NULL;
		if (!fn || !in_list(fn, fns, 10)) {
			problem(a, "aggregations", ix, "function must be count count_distinct sum avg min "
			        "max first last push add_to_set");
			continue;
		}
		if (!alias) {
			problem(a, "aggregations", ix, "needs an alias");
			continue;
		}
		if (!strcmp(fn, "count_distinct") && dfield)
			field = dfield;
		if (!field && strcmp(fn, "count")) {
			problem(a, "aggregations", ix, "needs a field");
			continue;
		}
		struct buf e = { 0 }, s = { 0 };
		int time;
		if (field && field_sql(a, field, &e, &time, "aggregations", ix) != 0) {
			buf_free(&e);
			continue;
		}
		const char *x = e.data;
#define NUM "CASE WHEN jsonb_typeof(%s) = 'number' THEN (%s)::numeric END"
#define STR "CASE WHEN jsonb_typeof(%s) = 'string' THEN %s #>> '{}' END COLLATE \"C\""
#define PRESENT "FILTER (WHERE %s IS NOT NULL AND jsonb_typeof(%s) <> 'null')"
		if (!strcmp(fn, "count") && !field)
			buf_puts(&s, "to_jsonb(count(*))");
		else if (!strcmp(fn, "count"))
			buf_printf(&s, "to_jsonb(count(*) " PRESENT ")", x, x);
		else if (!strcmp(fn, "count_distinct"))
			buf_printf(&s, "to_jsonb(count(DISTINCT %s) " PRESENT ")", x, x, x);
		else if (!strcmp(fn, "sum") || !strcmp(fn, "avg"))
			buf_printf(&s, "to_jsonb(%s(" NUM "))", fn, x, x);
		else if (!strcmp(fn, "min") || !strcmp(fn, "max"))
			buf_printf(&s, "coalesce(to_jsonb(%s(" NUM ")), to_jsonb(%s(" STR ")))", fn, x, x,
			           fn, x, x);
		else if (!strcmp(fn, "first") || !strcmp(fn, "last"))
			buf_printf(&s, "(array_agg(%s ORDER BY d.created_at%s, d.document_id%s) " PRESENT ")[1]",
			           x, fn[0] == 'l' ? " DESC" : "", fn[0] == 'l' ? " DESC" : "", x, x);
		else if (!strcmp(fn, "push"))
			buf_printf(&s, "coalesce(jsonb_agg(%s ORDER BY d.created_at, d.document_id) " PRESENT
			           ", '[]')", x, x, x);
		else
			buf_printf(&s, "coalesce(jsonb_agg(DISTINCT %s ORDER BY %s) " PRESENT ", '[]')",
			           x, x, x, x);
#undef NUM
#undef STR
#undef PRESENT
		snprintf(col, sizeof col, "m%d", ++nm);
		buf_printf(cols, ", %s AS %s", s.data, col);
		buf_printf(obj, "%s$%d::text, q.%s", nm > 1 ? ", " : "", filter_param(a->f, alias), col);
		take_alias(a, alias, col, "aggregations", ix);
		buf_free(&e);
		buf_free(&s);
	}
	return nm;
}

/* having: every condition on a metric alias holds. */
static void having(struct agg *a, struct json_object *list, struct buf *out)
{
	static const char *const ops[] = { "gt", "gte", "lt", "lte", "eq", "ne" };
	static const char *const sym[] = { ">", ">=", "<", "<=", "=", "<>" };
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	char ix[24];

	if (list && !json_object_is_type(list, json_type_array))
		problem(a, "having", NULL, "must be a list");
	for (size_t i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(list, i), *val, *colj;
		snprintf(ix, sizeof ix, "#%zu", i);
		const char *field = json_object_is_type(h, json_type_object) ? member_string(h, "field") : NULL;
		const char *op = field ? member_string(h, "operator") : NULL;
		size_t k = 0;
		while (op && k < 6 && strcmp(op, ops[k]))
			k++;
		if (!field || !op || k == 6 || !json_object_object_get_ex(h, "value", &val)) {
			problem(a, "having", ix, "needs field, operator (gt gte lt lte eq ne) and value");
			continue;
		}
		if (!json_object_object_get_ex(a->aliases, field, &colj) ||
		    json_object_get_string(colj)[0] != 'm') {
			problem(a, "having", ix, "field must name an aggregation alias");
			continue;
		}
		const char *col = json_object_get_string(colj);
		if (k >= 4)
			buf_printf(out, " AND coalesce(q.%s %s $%d::jsonb, %s)", col,
			           k == 4 ? "=" : "<>",
			           filter_param(a->f, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN)),
			           k == 4 ? "FALSE" : "TRUE");
		else if (json_object_is_type(val, json_type_int) || json_object_is_type(val, json_type_double))
			buf_printf(out, " AND CASE WHEN jsonb_typeof(q.%s) = 'number' THEN (q.%s)::numeric %s"
			           " $%d::numeric ELSE FALSE END", col, col, sym[k],
			           filter_param(a->f, json_object_to_json_string(val)));
		else if (json_object_is_type(val, json_type_string))
			buf_printf(out, " AND CASE WHEN jsonb_typeof(q.%s) = 'string' THEN (q.%s #>> '{}')"
			           " COLLATE \"C\" %s $%d::text ELSE FALSE END", col, col, sym[k],
			           filter_param(a->f, json_object_get_string(val)));
		else
			problem(a, "having", ix, "an order comparison needs a number or a string");
	}
}

int aggregate_build(struct filter_sql *f, struct json_object *body, const char *ts_config,
                    struct verrs *v)
{
	struct agg a = { .f = f, .v = v, .aliases = json_object_new_object() };
	struct buf keys = { 0 }, gobj = { 0 }, mcols = { 0 }, mobj = { 0 }, hav = { 0 };
	struct buf sql = { 0 }, order = { 0 }, unwind = { 0 }, where = { 0 };
	struct json_object *x = NULL;
	int before = verr_count(v);
	long long limit = 0;

	filter_init(f, 6);
	if (!json_object_is_type(body, json_type_object)) {
		verr_add(v, "must be a JSON object", "type_error.dict", "body", NULL, NULL, NULL);
		goto done;
	}
	json_object_object_get_ex(body, "filters", &x);
	filter_compile(f, json_object_is_type(x, json_type_null) ? NULL : x, ts_config, v,
	               "body", "filters");
	buf_puts(&where, f->sql.data);  /* the filter, kept: the builder reuses f->sql */
	a.unwind = member_string(body, "unwind");
	if (a.unwind) {
		int time;
		const char *save = a.unwind;
		a.unwind = NULL;  /* the unwound path itself resolves on the document */
		if (field_sql(&a, save, &unwind, &time, "unwind", NULL) == 0 && time)
			problem(&a, "unwind", NULL, "a timestamp cannot be unwound");
		a.unwind = save;
	}
	struct json_object *g = NULL, *m = NULL, *h = NULL, *rb = NULL, *lim = NULL;
	json_object_object_get_ex(body, "group_by", &g);
	json_object_object_get_ex(body, "aggregations", &m);
	json_object_object_get_ex(body, "having", &h);
	json_object_object_get_ex(body, "range_buckets", &rb);
	int nkeys = group_keys(&a, g, rb, &keys, &gobj);
	int nm = metrics(&a, m, &mcols, &mobj);
	having(&a, h, &hav);
	if (json_object_object_get_ex(body, "limit", &lim) && !json_object_is_type(lim, json_type_null)) {
		if (!json_object_is_type(lim, json_type_int) || json_object_get_int64(lim) < 1)
			problem(&a, "limit", NULL, "must be an integer > 0");
		else
			limit = json_object_get_int64(lim);
	}
	const char *sort_by = member_string(body, "sort_by");
	const char *dir = member_string(body, "sort_direction");
	if (dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
		problem(&a, "sort_direction", NULL, "must be asc or desc");
	struct json_object *sc = NULL;
	if (sort_by && !json_object_object_get_ex(a.aliases, sort_by, &sc))
		problem(&a, "sort_by", NULL, "must name a group or aggregation alias");
	if (verr_count(v) > before || !nkeys || !nm)
		goto done;
	if (sc)
		buf_printf(&order, "q.%s %s NULLS LAST", json_object_get_string(sc),
		           dir && !strcmp(dir, "asc") ? "ASC" : "DESC");
	for (int i = 1; i <= nkeys; i++)
		buf_printf(&order, "%sq.g%d", order.len ? ", " : "", i);
	char cap[24];
	snprintf(cap, sizeof cap, "%lld", limit ? limit : (long long)AGGREGATE_MAX_GROUPS);
	int pcap = filter_param(f, cap);
	buf_puts(&sql, list_scope_cte);
	buf_printf(&sql, ", q AS (SELECT %s%s FROM s JOIN public.documents d ON d.col_pk = s.col_pk"
	           " JOIN public.collections c ON c.id = d.col_pk", keys.data, mcols.data);
	if (a.unwind)
		buf_printf(&sql, " CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(%s)"
		           " = 'array' THEN %s END) AS u(v)", unwind.data, unwind.data);
	buf_printf(&sql, " WHERE s.key_valid AND s.ns_allowed AND %s GROUP BY ", where.data);
	for (int i = 1; i <= nkeys; i++)
		buf_printf(&sql, "%s%d", i > 1 ? ", " : "", i);
	buf_printf(&sql, "), g AS (SELECT json_build_object(%s) AS grp, json_build_object(%s) AS met,"
	           " row_number() OVER (ORDER BY %s) AS ord FROM q WHERE TRUE%s)",
	           gobj.data, mobj.data, order.data, hav.len ? hav.data : "");
	/* truncated: only without a limit of the client's */
	char truncated[48];
	if (limit)
		snprintf(truncated, sizeof truncated, "FALSE");
	else
		snprintf(truncated, sizeof truncated, "(SELECT count(*) > $%d FROM g)", pcap);
	buf_printf(&sql, " SELECT '-'::\"char\", s.role, s.key_valid, s.ns_id, s.ns_allowed, s.col_id,"
	           " (SELECT json_build_object('results', coalesce(json_agg(json_build_object("
	           "'group', g.grp, 'metrics', g.met) ORDER BY g.ord) FILTER (WHERE g.ord <= $%d),"
	           " '[]'), 'total_groups', count(*) FILTER (WHERE g.ord <= $%d)) FROM g),"
	           " (SELECT count(*) FROM s JOIN public.documents d ON d.col_pk = s.col_pk"
	           " JOIN public.collections c ON c.id = d.col_pk WHERE s.key_valid AND s.ns_allowed"
	           " AND %s), %s FROM s", pcap, pcap, where.data, truncated);
	buf_reset(&f->sql);
	buf_puts(&f->sql, sql.data);
done:
	buf_free(&where);
	json_object_put(a.aliases);
	buf_free(&keys);
	buf_free(&gobj);
	buf_free(&mcols);
	buf_free(&mobj);
	buf_free(&hav);
	buf_free(&sql);
	buf_free(&order);
	buf_free(&unwind);
	return verr_count(v) - before;
}
