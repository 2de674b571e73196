/* list_query.c - see list_query.h. */
#include "list_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

const char list_scope_cte[] =
	"WITH s AS (SELECT k.role,"
	" (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())) AS key_valid,"
	" n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)) AS ns_allowed,"
	" c.col_id, c.id AS col_pk"
	" FROM public.api_keys k"
	" LEFT JOIN public.namespaces n ON n.org_pk = k.org_pk AND (n.ns_id = $2 OR n.name = $3)"
	" LEFT JOIN public.collections c ON c.ns_pk = n.id AND (c.col_id = $4 OR c.name = $5)"
	" WHERE k.key_hash = $1)";

/* The namespace-wide scope: col_id is the first of the collections asked
 * for ($%d, text[]) that the namespace lacks. */
static const char ns_scope_cte[] =
	"WITH s AS (SELECT k.role,"
	" (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())) AS key_valid,"
	" n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)) AS ns_allowed,"
	" (SELECT min(r) FROM unnest($%d::text[]) r WHERE NOT EXISTS (SELECT 1 FROM"
	" public.collections x WHERE x.ns_pk = n.id AND (x.col_id = r OR x.name = r))) AS col_id,"
	" n.id AS ns_pk"
	" FROM public.api_keys k"
	" LEFT JOIN public.namespaces n ON n.org_pk = k.org_pk AND (n.ns_id = $2 OR n.name = $3)"
	/* no collection in the path: $4 and $5 are NULL, typed here */
	" WHERE k.key_hash = $1 AND $4::text IS NULL AND $5::text IS NULL)";

/* The sort keys of a jsonb value E, in the contract's order of types:
 * numbers, strings, booleans, other JSON, then missing or null (k1 the
 * rank; none of the keys is NULL, so rows compare as tuples). */
static void json_sort_keys(struct buf *b, const char *e, char k)
{
	buf_printf(b, ", CASE WHEN %s IS NULL THEN 4 ELSE CASE jsonb_typeof(%s) WHEN 'number'"
	           " THEN 0 WHEN 'string' THEN 1 WHEN 'boolean' THEN 2 WHEN 'null' THEN 4 ELSE 3"
	           " END END AS %c1", e, e, k);
	buf_printf(b, ", coalesce(CASE WHEN jsonb_typeof(%s) = 'number' THEN (%s)::numeric END, 0)"
	           " AS %c2", e, e, k);
	buf_printf(b, ", coalesce(CASE WHEN jsonb_typeof(%s) = 'string' THEN %s #>> '{}' END, '')"
	           " COLLATE \"C\" AS %c3", e, e, k);
	buf_printf(b, ", coalesce(%s, 'null'::jsonb) AS %c4", e, k);
}

/* After m, with group_by: the groups in ascending key order after the
 * cursor's group, a page of them, and the first documents of each in the
 * list's order (`order`). Rows 'G' (version: the group's size, sys: its
 * key, sort_key: its position) each followed by its 'D' rows. */
static int grouped_tail(struct filter_sql *f, struct buf *sql, const struct list_query *q,
                        const char *order)
{
	char lim[24], off[24], docs[24];
	int bad = 0;

	buf_puts(sql, ", grp AS (SELECT m.g1, m.g2, m.g3, m.g4, count(*) AS n FROM m"
	         " GROUP BY 1, 2, 3, 4)"
	         ", gpage AS (SELECT grp.*, row_number() OVER (ORDER BY g1, g2, g3, g4) AS grn"
	         " FROM grp WHERE TRUE");
	if (q->after) {
		struct json_object *p = q->after;
		if (json_object_array_length(p) != 4 ||
		    !json_object_is_type(json_object_array_get_idx(p, 0), json_type_int) ||
		    !json_object_is_type(json_object_array_get_idx(p, 2), json_type_string))
			bad = 1;
		else
			buf_printf(sql, " AND (g1, g2, g3, g4) > ($%d::int, $%d::numeric, $%d::text,"
			           " $%d::jsonb)",
			           filter_param(f, json_object_to_json_string(json_object_array_get_idx(p, 0))),
			           filter_param(f, json_object_to_json_string(json_object_array_get_idx(p, 1))),
			           filter_param(f, json_object_get_string(json_object_array_get_idx(p, 2))),
			           filter_param(f, json_object_to_json_string_ext(
			               json_object_array_get_idx(p, 3), JSON_C_TO_STRING_PLAIN)));
	}
	snprintf(lim, sizeof lim, "%lld", q->limit + 1);
	snprintf(off, sizeof off, "%lld", q->after ? 0 : q->offset);
	snprintf(docs, sizeof docs, "%lld", q->limit < 100 ? q->limit : 100);
	int pl = filter_param(f, lim), po = filter_param(f, off);
	buf_printf(sql, " ORDER BY g1, g2, g3, g4 LIMIT $%d OFFSET $%d)", pl, po);
	buf_printf(sql, ", page AS (SELECT m.*, gp.grn, row_number() OVER (PARTITION BY gp.grn"
	           " ORDER BY %s) AS drn FROM m JOIN gpage gp ON (m.g1, m.g2, m.g3, m.g4) ="
	           " (gp.g1, gp.g2, gp.g3, gp.g4))", order);
	if (q->count)
		buf_puts(sql, ", t AS (SELECT (SELECT count(*) FROM grp) AS n, json_build_object("
		         "'total_documents', count(*), 'avg_blobs_per_document',"
		         " coalesce(avg(json_array_length(m.sys -> 'source_blobs')), 0),"
		         " 'total_groups', (SELECT count(*) FROM grp), 'avg_documents_per_group',"
		         " coalesce(count(*)::numeric / nullif((SELECT count(*) FROM grp), 0), 0))"
		         " AS stats FROM m)");
	buf_printf(sql, " SELECT '-'::\"char\", s.role, s.key_valid, s.ns_id, s.ns_allowed,"
	           " s.col_id, NULL::bigint, %s, %s, NULL::jsonb, NULL::json, NULL::jsonb,"
	           " NULL::jsonb, NULL::json, NULL::text, NULL::text, NULL::text, NULL::text,"
	           " 0::bigint AS ord, NULL::jsonb AS vectors FROM s",
	           q->count ? "(SELECT n FROM t)" : "NULL::bigint",
	           q->count ? "(SELECT stats FROM t)" : "NULL::json");
	buf_puts(sql, " UNION ALL SELECT 'G', NULL, NULL, NULL, NULL, NULL, NULL, gp.n,"
	         " gp.g4::json, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	         " json_build_array(gp.g1, gp.g2, gp.g3, gp.g4)::text, gp.grn * 1000, NULL"
	         " FROM gpage gp");
	buf_printf(sql, " UNION ALL SELECT 'D', NULL, NULL, NULL, NULL, p.m_col_id, p.id,"
	           " p.version, p.sys, p.metadata, p.document_blobs, p.fields, p.vector,"
	           " p.vector_names, " TS("p.created_at") ", " TS("p.updated_at") ", p.document_id,"
	           " NULL, p.grn * 1000 + p.drn, %s FROM page p WHERE p.drn <= $%d::bigint"
	           " ORDER BY ord", q->with_vectors ? "p.vectors" : "NULL",
	           filter_param(f, docs));
	return bad ? -1 : 0;
}

/* The keyset condition after position p (checked against the order's
 * shape); 0, or -1 when p does not fit. */
static int keyset(struct filter_sql *f, struct buf *b, int is_time, int desc, int ns_wide,
                  struct json_object *p)
{
	const char *cmp = desc ? "<" : ">";
	size_t n = json_object_array_length(p);
	/* ns_wide: the collection breaks ties of one id in two collections */
	struct json_object *col = ns_wide ? json_object_array_get_idx(p, n - 1) : NULL;
	struct json_object *doc = json_object_array_get_idx(p, n - 1 - (ns_wide != 0));
	char tail[64] = "";

	if (n < 2 || !json_object_is_type(doc, json_type_string) ||
	    (ns_wide && !json_object_is_type(col, json_type_string)))
		return -1;
	n -= ns_wide != 0;
	if (is_time) {
		struct json_object *us = json_object_array_get_idx(p, 0);
		if (n != 2 || !json_object_is_type(us, json_type_int))
			return -1;
		int pu = filter_param(f, json_object_to_json_string(us));
		int pd = filter_param(f, json_object_get_string(doc));
		if (ns_wide)
			snprintf(tail, sizeof tail, ", $%d::text", filter_param(f, json_object_get_string(col)));
		buf_printf(b, " AND (m.k1, m.document_id%s) %s ('epoch'::timestamptz + $%d::bigint"
		           " * interval '1 microsecond', $%d::text%s)", ns_wide ? ", m.m_col_id" : "",
		           cmp, pu, pd, tail);
		return 0;
	}
	struct json_object *rank = json_object_array_get_idx(p, 0);
	struct json_object *num = json_object_array_get_idx(p, 1);
	struct json_object *str = json_object_array_get_idx(p, 2);
	struct json_object *val = json_object_array_get_idx(p, 3);
	if (n != 5 || !json_object_is_type(rank, json_type_int) ||
	    !(json_object_is_type(num, json_type_int) || json_object_is_type(num, json_type_double)) ||
	    !json_object_is_type(str, json_type_string))
		return -1;
	int p1 = filter_param(f, json_object_to_json_string(rank));
	int p2 = filter_param(f, json_object_to_json_string(num));
	int p3 = filter_param(f, json_object_get_string(str));
	int p4 = filter_param(f, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
	int p5 = filter_param(f, json_object_get_string(doc));
	if (ns_wide)
		snprintf(tail, sizeof tail, ", $%d::text", filter_param(f, json_object_get_string(col)));
	buf_printf(b, " AND (m.k1, m.k2, m.k3, m.k4, m.document_id%s) %s ($%d::int, $%d::numeric,"
	           " $%d::text, $%d::jsonb, $%d::text%s)", ns_wide ? ", m.m_col_id" : "", cmp,
	           p1, p2, p3, p4, p5, tail);
	return 0;
}

/* The list's order by the sort keys of prefix (m. or p.), document_id,
 * and, across collections, the collection. */
static void order_by(struct buf *b, const char *prefix, int is_time, int ns_wide,
                     const char *dir)
{
	if (is_time)
		buf_printf(b, "%sk1%s", prefix, dir);
	else
		buf_printf(b, "%sk1%s, %sk2%s, %sk3%s, %sk4%s", prefix, dir, prefix, dir, prefix, dir,
		           prefix, dir);
	buf_printf(b, ", %sdocument_id%s", prefix, dir);
	if (ns_wide)
		buf_printf(b, ", %sm_col_id%s", prefix, dir);
}

int list_query_build(struct filter_sql *f, const struct list_query *q,
                     struct verrs *v, const char *loc0)
{
	struct buf sql = { 0 }, expr = { 0 }, gexpr = { 0 };
	const char *dir = q->desc ? " DESC" : "";
	const char *why = NULL;
	int is_time = 1, g_time = 0, before = verr_count(v);

	filter_init(f, LIST_FIRST_PARAM);
	filter_compile(f, q->filters, q->ts_config, v, loc0, "filters");
	if (q->sort_field &&
	    !filter_field_expr(f, q->sort_field, &expr, &is_time, &why))
		verr_add(v, why, "value_error.field", loc0, "sort", "field", NULL);
	if (q->group_by &&
	    !filter_field_expr(f, q->group_by, &gexpr, &g_time, &why))
		verr_add(v, why, "value_error.field", loc0, "group_by", NULL, NULL);
	if (verr_count(v) > before)
		goto done;
	int pcols = 0;
	if (q->estimate)
		buf_puts(&sql, "EXPLAIN (FORMAT JSON) ");
	if (q->ns_wide) {
		pcols = filter_param(f, q->cols ? q->cols : "{}");
		buf_printf(&sql, ns_scope_cte, pcols);
	} else {
		buf_puts(&sql, list_scope_cte);
	}
	/* m: the matching documents with their sort keys (not materialized:
	 * the page's LIMIT and the keyset reach the index). */
	buf_puts(&sql, ", m AS NOT MATERIALIZED (SELECT d.*, c.col_id AS m_col_id");
	if (is_time)
		buf_printf(&sql, ", %s AS k1", q->sort_field ? expr.data : "d.created_at");
	else
		json_sort_keys(&sql, expr.data, 'k');
	if (q->group_by) {  /* a timestamp groups by its JSON text */
		struct buf g = { 0 };
		buf_printf(&g, g_time ? "to_jsonb(%s)" : "%s", gexpr.data);
		json_sort_keys(&sql, g.data, 'g');
		buf_free(&g);
	}
	/* The collection (namespace) as a value, not a join: then the
	 * planner can read the (col_pk, created_at, document_id) index in
	 * order and stop at the page. */
	if (q->ns_wide)
		buf_puts(&sql, " FROM public.documents d JOIN public.collections c ON c.id = d.col_pk"
		         " WHERE c.ns_pk = (SELECT s.ns_pk FROM s WHERE s.key_valid AND s.ns_allowed"
		         " AND s.col_id IS NULL) AND ");
	else
		buf_puts(&sql, " FROM public.documents d JOIN public.collections c ON c.id = d.col_pk"
		         " WHERE d.col_pk = (SELECT s.col_pk FROM s WHERE s.key_valid AND s.ns_allowed)"
		         " AND ");
	if (q->ns_wide && q->cols)
		buf_printf(&sql, "(c.col_id = ANY ($%d::text[]) OR c.name = ANY ($%d::text[])) AND ",
		           pcols, pcols);
	buf_puts(&sql, f->sql.data);
	if (q->search) {
		int cfg = filter_param(f, q->ts_config);
		int text = filter_param(f, q->search);
		buf_printf(&sql, " AND (jsonb_to_tsvector($%d::regconfig, d.metadata, '[\"string\"]')"
		           " || jsonb_to_tsvector($%d::regconfig, d.fields, '[\"string\"]'))"
		           " @@ websearch_to_tsquery($%d::regconfig, $%d::text)", cfg, cfg, cfg, text);
	}
	buf_puts(&sql, ")");
	if (q->estimate) {
		buf_puts(&sql, q->group_by ? " SELECT DISTINCT g1, g2, g3, g4 FROM m"
		                           : " SELECT 1 FROM m");
		goto built;
	}
	struct buf order = { 0 }, porder = { 0 };
	order_by(&order, "m.", is_time, q->ns_wide, dir);
	order_by(&porder, "p.", is_time, q->ns_wide, dir);
	if (q->group_by) {
		if (grouped_tail(f, &sql, q, order.data) != 0)
			verr_add(v, "invalid cursor", "value_error.cursor", "query", "cursor", NULL, NULL);
		buf_free(&order);
		buf_free(&porder);
		goto built;
	}
	/* page: after the position, in order, limit + 1 (is there more?) */
	buf_puts(&sql, ", page AS (SELECT m.* FROM m WHERE TRUE");
	if (q->after && keyset(f, &sql, is_time, q->desc, q->ns_wide, q->after) != 0)
		verr_add(v, "invalid cursor", "value_error.cursor", "query", "cursor", NULL, NULL);
	char lim[24], off[24];
	snprintf(lim, sizeof lim, "%lld", q->limit + 1);
	snprintf(off, sizeof off, "%lld", q->after ? 0 : q->offset);
	int pl = filter_param(f, lim), po = filter_param(f, off);
	buf_printf(&sql, " ORDER BY %s LIMIT $%d OFFSET $%d)", order.data, pl, po);
	buf_free(&order);
	/* the totals, only when asked */
	if (q->count)
		buf_puts(&sql, ", t AS (SELECT count(*) AS n, json_build_object('total_documents',"
		         " count(*), 'avg_blobs_per_document', coalesce(avg(json_array_length("
		         "m.sys -> 'source_blobs')), 0)) AS stats FROM m)");
	buf_printf(&sql, " SELECT '-'::\"char\", s.role, s.key_valid, s.ns_id, s.ns_allowed,"
	           " s.col_id, NULL::bigint, %s, %s, NULL::jsonb, NULL::json, NULL::jsonb,"
	           " NULL::jsonb, NULL::json, NULL::text, NULL::text, NULL::text, NULL::text,"
	           " 0::bigint AS ord, NULL::jsonb AS vectors FROM s",
	           q->count ? "(SELECT n FROM t)" : "NULL::bigint",
	           q->count ? "(SELECT stats FROM t)" : "NULL::json");
	buf_puts(&sql, " UNION ALL SELECT 'D', NULL, NULL, NULL, NULL, p.m_col_id, p.id,"
	         " p.version, p.sys, p.metadata, p.document_blobs, p.fields, p.vector,"
	         " p.vector_names, " TS("p.created_at") ", " TS("p.updated_at") ", p.document_id, ");
	if (is_time)
		buf_printf(&sql, "json_build_array((extract(epoch FROM p.k1) * 1000000)::bigint,"
		           " p.document_id%s)::text", q->ns_wide ? ", p.m_col_id" : "");
	else
		buf_printf(&sql, "json_build_array(p.k1, p.k2, p.k3, p.k4, p.document_id%s)::text",
		           q->ns_wide ? ", p.m_col_id" : "");
	/* the page is small: numbering it here sorts only the page */
	buf_printf(&sql, ", row_number() OVER (ORDER BY %s), %s FROM page p ORDER BY ord",
	           porder.data, q->with_vectors ? "p.vectors" : "NULL");
	buf_free(&porder);
built:
	/* f->sql becomes the whole statement */
	buf_reset(&f->sql);
	buf_puts(&f->sql, sql.data);
done:
	buf_free(&sql);
	buf_free(&expr);
	buf_free(&gexpr);
	return verr_count(v) - before;
}
