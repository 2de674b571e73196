/*
 * h_health.c - GET /healthz: no authentication; reports each configured
 * database and its role. 200 when the primary answers as a primary and
 * the read database (database_read_url), if any, answers; else 503 with
 * the same list in the error's details.
 */
#include "handlers.h"

/* {"name": name, "status": "ok"|"unavailable", "role": ...}; *ok is
 * cleared when the database does not answer, or when want_primary and it
 * is a standby. */
static struct json_object *probe(struct call *c, struct db *db, const char *name,
                                 int want_primary, int *ok)
{
	struct json_object *o = json_object_new_object();
	int standby = 0;
	enum db_status st = db_role(db, c->req->request_id, &standby);

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "status", json_object_new_string(
		st == DB_OK ? "ok" : "unavailable"));
	if (st == DB_OK)
		json_object_object_add(o, "role", json_object_new_string(
			standby ? "standby" : "primary"));
	if (st != DB_OK || (want_primary && standby))
		*ok = 0;
	return o;
}

enum h_result h_healthz(struct call *c)
{
	struct json_object *dbs = json_object_new_array(), *o;
	int ok = 1;

	json_object_array_add(dbs, probe(c, c->db, "database_url", 1, &ok));
	if (c->db_read != c->db)
		json_object_array_add(dbs, probe(c, c->db_read, "database_read_url", 0, &ok));
	if (!ok) {
		o = json_object_new_object();
		json_object_object_add(o, "databases", dbs);
		http_error(c->resp, 503, "Database unavailable", o);
		return H_DONE;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "database", json_object_new_string("ok"));
	json_object_object_add(o, "databases", dbs);
	http_set_json(c->resp, 200, o);
	json_object_put(o);
	return H_DONE;
}
