/* bulk.c - see bulk.h. */
#include "bulk.h"

#include <stdio.h>

int bulk_build(struct filter_sql *f, const struct bulk_query *q, struct verrs *v)
{
	struct buf sql = { 0 }, nm = { 0 }, nf = { 0 }, where = { 0 };
	char max[24], depth[16], fdepth[16];
	int before = verr_count(v);

	filter_init(f, 6);
	filter_compile(f, q->filters, q->ts_config, v, "body", "filters");
	if (verr_count(v) > before)
		goto done;
	buf_puts(&where, f->sql.data);
	const struct update_data *u = q->u;
	/* The new columns, from the row as it is when it is written. */
	buf_printf(&nm, "public.docapi_apply_paths(public.docapi_patched(d.metadata, $%d::jsonb,"
	           " true), $%d::jsonb, false)", filter_param(f, u->meta_patch),
	           filter_param(f, u->meta_paths));
	buf_printf(&nf, "public.docapi_apply_paths(public.docapi_patched(d.fields, $%d::jsonb,"
	           " true), $%d::jsonb, true)", filter_param(f, u->fields_patch),
	           filter_param(f, u->field_paths));
	int pb = filter_param(f, u->blobs);
	snprintf(max, sizeof max, "%lld", q->max_affected);
	int pm = filter_param(f, q->max_affected >= 0 ? max : NULL);
	/* as docapi_patch: metadata may nest max_depth - 1 levels, a flat field max_depth */
	snprintf(depth, sizeof depth, "%d", q->max_depth - 1);
	snprintf(fdepth, sizeof fdepth, "%d", q->max_depth);
	int pd = filter_param(f, depth), pfd = filter_param(f, fdepth);
	buf_puts(&sql, "WITH s AS (SELECT k.role,"
	         " (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())) AS key_valid,"
	         " n.ns_id, (k.namespaces IS NULL OR n.ns_id = ANY (k.namespaces)) AS ns_allowed,"
	         " c.col_id, c.id AS col_pk FROM public.api_keys k"
	         " LEFT JOIN public.namespaces n ON n.org_pk = k.org_pk AND (n.ns_id = $2 OR n.name = $3)"
	         " LEFT JOIN public.collections c ON c.ns_pk = n.id AND (c.col_id = $4 OR c.name = $5)"
	         " WHERE k.key_hash = $1)");
	buf_printf(&sql, ", m AS (SELECT d.id FROM s JOIN public.documents d ON d.col_pk = s.col_pk"
	           " JOIN public.collections c ON c.id = d.col_pk WHERE s.key_valid AND s.ns_allowed"
	           " AND s.role IN ('write', 'admin') AND %s)", where.data);
	buf_printf(&sql, ", bad AS (SELECT d.document_id FROM m JOIN public.documents d ON d.id = m.id"
	           " WHERE %s IS NULL OR %s IS NULL OR public.docapi_nests_deeper(%s, $%d::int)"
	           " OR public.docapi_nests_deeper(%s, $%d::int) ORDER BY d.document_id LIMIT 100)",
	           nm.data, nf.data, nm.data, pd, nf.data, pfd);
	buf_puts(&sql, ", ok AS (SELECT (SELECT count(*) FROM m) AS n,"
	         " NOT EXISTS (SELECT 1 FROM bad) AS valid)");
	/* The write: the filter again, on each row as the UPDATE finds it
	 * (a row another writer changed meanwhile is re-checked), only when
	 * every match can take it and the guard allows; a document it leaves
	 * equal is not rewritten. */
	buf_printf(&sql, ", u AS (UPDATE public.documents d SET metadata = %s, fields = %s,"
	           " document_blobs = coalesce($%d::json, d.document_blobs),"
	           " version = d.version + 1, updated_at = now()"
	           " FROM s, ok, public.collections c WHERE c.id = d.col_pk AND d.col_pk = s.col_pk"
	           " AND s.key_valid AND s.ns_allowed AND s.role IN ('write', 'admin') AND ok.valid"
	           " AND ($%d::bigint IS NULL OR ok.n <= $%d::bigint) AND %s"
	           " AND %s IS NOT NULL AND %s IS NOT NULL"
	           " AND (%s IS DISTINCT FROM d.metadata OR %s IS DISTINCT FROM d.fields"
	           " OR ($%d::json IS NOT NULL AND $%d::jsonb IS DISTINCT FROM d.document_blobs::jsonb))"
	           " RETURNING d.id)",
	           nm.data, nf.data, pb, pm, pm, where.data, nm.data, nf.data, nm.data, nf.data,
	           pb, pb);
	buf_puts(&sql, " SELECT '-'::\"char\", s.role, s.key_valid, s.ns_id, s.ns_allowed, s.col_id,"
	         " json_build_object('bad', (SELECT coalesce(json_agg(document_id), '[]') FROM bad),"
	         " 'matched', (SELECT n FROM ok)), (SELECT count(*) FROM u), NULL::boolean FROM s");
	buf_reset(&f->sql);
	buf_puts(&f->sql, sql.data);
done:
	buf_free(&where);
	buf_free(&sql);
	buf_free(&nm);
	buf_free(&nf);
	return verr_count(v) - before;
}
