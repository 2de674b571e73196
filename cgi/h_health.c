/* h_health.c - GET /healthz: no authentication; reports the database. */
#include "handlers.h"

enum h_result h_healthz(struct call *c)
{
	struct json_object *o;

	if (db_ping(c->db, c->req->request_id) != DB_OK) {
		http_error(c->resp, 503, "Database unavailable", NULL);
		return H_DONE;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "database", json_object_new_string("ok"));
	http_set_json(c->resp, 200, o);
	json_object_put(o);
	return H_DONE;
}
