/* batch.c - see batch.h. */
#include "batch.h"
#include "list_query.h"

#include <stdio.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The rows it may write, locked in id order: `l`. */
static void locked_rows(struct buf *sql, const struct batch_query *q, const char *where,
                        int pitems)
{
	buf_puts(sql, ", w AS (SELECT s.col_pk, s.col_id FROM s WHERE s.key_valid AND s.ns_allowed"
	         " AND s.role IN ('write', 'admin'))");
	buf_puts(sql, ", l AS (SELECT d.id, d.document_id, d.metadata, d.fields, d.document_blobs,"
	         " d.sys, d.vector, d.created_at, d.updated_at, w.col_id"
	         " FROM w JOIN public.documents d ON d.col_pk = w.col_pk");
	if (q->items)
		buf_printf(sql, " WHERE d.document_id = ANY (ARRAY(SELECT e ->> 'i' FROM"
		           " jsonb_array_elements($%d::jsonb) e))", pitems);
	else
		buf_printf(sql, " JOIN public.collections c ON c.id = d.col_pk WHERE %s", where);
	buf_puts(sql, " ORDER BY d.id FOR UPDATE OF d)");
	/* it: what each document is asked to take, in the order of results */
	if (q->items)
		buf_printf(sql, ", it AS (SELECT t.ord, t.e ->> 'i' AS doc, t.e"
		           " FROM jsonb_array_elements($%d::jsonb) WITH ORDINALITY t(e, ord))", pitems);
	else
		buf_printf(sql, ", it AS (SELECT row_number() OVER (ORDER BY l.document_id) AS ord,"
		           " l.document_id AS doc, $%d::jsonb AS e FROM l)", pitems);
}

/* r: each item's new columns (update) and error, NULL when it can be written. */
static void item_results(struct buf *sql, const struct batch_query *q, int pdm, int pdf)
{
	if (q->op == BATCH_DELETE) {
		buf_puts(sql, ", r AS (SELECT it.ord, it.doc, l.id, CASE WHEN it.e ? 'err'"
		         " THEN it.e ->> 'err' WHEN l.id IS NULL THEN 'Document not found' END AS err"
		         " FROM it LEFT JOIN l ON l.document_id = it.doc)");
		return;
	}
	/* Only what an item asks for is computed: the paths, the read-only
	 * view, the depth check of a patch that can nest (a flat patch of
	 * scalars and arrays, bounded by the body's depth, cannot). */
	buf_puts(sql, ", x AS (SELECT it.ord, it.doc, it.e, l.id, l.metadata, l.fields,"
	         " l.document_blobs,"
	         " CASE WHEN it.e ? 'mx' THEN public.docapi_apply_paths(public.docapi_patched("
	         "l.metadata, it.e -> 'mp', it.e ? 'md'), it.e -> 'mx', false)"
	         " ELSE public.docapi_patched(l.metadata, it.e -> 'mp', it.e ? 'md') END AS nm,"
	         " CASE WHEN it.e ? 'fx' THEN public.docapi_apply_paths(public.docapi_patched("
	         "l.fields, it.e -> 'fp', it.e ? 'fd'), it.e -> 'fx', true)"
	         " ELSE public.docapi_patched(l.fields, it.e -> 'fp', it.e ? 'fd') END AS nf,"
	         " CASE WHEN it.e ? 'ro' THEN public.docapi_readonly_changed("
	         "jsonb_build_object('source_blobs', '[]'::jsonb) || l.sys::jsonb"
	         " || jsonb_build_object('document_id', l.document_id, 'collection_id', l.col_id,"
	         " 'created_at', " TS("l.created_at") ", 'updated_at', " TS("l.updated_at") ","
	         " 'vector', l.vector), it.e -> 'ro') END AS ro_changed"
	         " FROM it LEFT JOIN l ON l.document_id = it.doc)");
	buf_printf(sql, ", r AS (SELECT x.*, CASE WHEN x.e ? 'err' THEN x.e ->> 'err'"
	           " WHEN x.id IS NULL THEN 'Document not found'"
	           " WHEN x.ro_changed IS NOT NULL THEN format('Field %%L is read-only', x.ro_changed)"
	           " WHEN x.nm IS NULL OR x.nf IS NULL THEN"
	           " 'A dotted path in update_data goes through a value that is not an object'"
	           " WHEN ((x.e ? 'md' OR x.e ? 'mx') AND public.docapi_nests_deeper(x.nm, $%d::int))"
	           " OR ((x.e ? 'fd' OR x.e ? 'fx') AND public.docapi_nests_deeper(x.nf, $%d::int))"
	           " THEN 'The updated document would nest deeper than the limit' END AS err FROM x)",
	           pdm, pdf);
}

int batch_build(struct filter_sql *f, const struct batch_query *q, struct verrs *v)
{
	struct buf sql = { 0 }, where = { 0 };
	char max[24], depth[16], fdepth[16];
	int before = verr_count(v);

	filter_init(f, 6);
	if (!q->items) {
		filter_compile(f, q->filters, q->ts_config, v, "body", "filters");
		if (verr_count(v) > before)
			goto done;
		buf_puts(&where, f->sql.data);
	}
	int pitems = filter_param(f, q->items ? q->items : q->update ? q->update : "{}");
	int patomic = filter_param(f, q->atomic ? "true" : "false");
	snprintf(max, sizeof max, "%lld", q->max_affected);
	int pmax = filter_param(f, q->max_affected >= 0 ? max : NULL);
	/* as docapi_patch: metadata may nest max_depth - 1 levels, a flat field max_depth */
	snprintf(depth, sizeof depth, "%d", q->max_depth - 1);
	snprintf(fdepth, sizeof fdepth, "%d", q->max_depth);
	int pdm = 0, pdf = 0;
	if (q->op == BATCH_UPDATE) {
		pdm = filter_param(f, depth);
		pdf = filter_param(f, fdepth);
	}

	buf_puts(&sql, list_scope_cte);
	locked_rows(&sql, q, where.data, pitems);
	item_results(&sql, q, pdm, pdf);
	buf_puts(&sql, ", g AS (SELECT count(*) FILTER (WHERE err IS NULL) AS ok,"
	         " count(*) FILTER (WHERE err IS NOT NULL) AS bad FROM r)");
	/* The write, when the guards allow it. The rows are locked, so what r
	 * computed from them is what the write sees; a document the update
	 * leaves equal is not rewritten (and keeps its version). */
	if (q->op == BATCH_DELETE)
		buf_printf(&sql, ", u AS (DELETE FROM public.documents d USING r, g"
		           " WHERE d.id = r.id AND r.err IS NULL AND (NOT $%d::boolean OR g.bad = 0)"
		           " AND ($%d::bigint IS NULL OR g.ok <= $%d::bigint) RETURNING d.id)",
		           patomic, pmax, pmax);
	else
		buf_printf(&sql, ", u AS (UPDATE public.documents d SET metadata = r.nm, fields = r.nf,"
		           " document_blobs = CASE WHEN r.e ? 'b' THEN (r.e -> 'b')::json"
		           " ELSE d.document_blobs END, version = d.version + 1, updated_at = now()"
		           " FROM r, g WHERE d.id = r.id AND r.err IS NULL"
		           " AND (NOT $%d::boolean OR g.bad = 0)"
		           " AND ($%d::bigint IS NULL OR g.ok <= $%d::bigint)"
		           " AND (r.nm IS DISTINCT FROM d.metadata OR r.nf IS DISTINCT FROM d.fields"
		           " OR (r.e ? 'b' AND r.e -> 'b' IS DISTINCT FROM d.document_blobs::jsonb))"
		           " RETURNING d.id)", patomic, pmax, pmax);
	/* every item in order; in filter mode the failed ones, capped */
	buf_printf(&sql, " SELECT '-'::\"char\", s.role, s.key_valid, s.ns_id, s.ns_allowed, s.col_id,"
	           " json_build_object('ok', g.ok, 'failed', g.bad, 'results', (SELECT"
	           " coalesce(json_agg(CASE WHEN p.err IS NULL THEN json_build_object('document_id',"
	           " p.doc, 'success', true) ELSE json_build_object('document_id', p.doc, 'success',"
	           " false, 'error', p.err) END ORDER BY p.ord), '[]') FROM (SELECT * FROM r%s"
	           " ORDER BY r.ord LIMIT %d) p)),"
	           " (SELECT count(*) FROM u), NULL::boolean FROM s, g",
	           q->items ? "" : " WHERE r.err IS NOT NULL", BATCH_MAX_REPORTED);
	buf_reset(&f->sql);
	buf_puts(&f->sql, sql.data);
done:
	buf_free(&where);
	buf_free(&sql);
	return verr_count(v) - before;
}
