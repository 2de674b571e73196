/* h_health.c - GET /healthz: no authentication; reports the database. */
#include "handlers.h"

void h_healthz(struct app *a, const char *const *params)
{
	struct json_object *o = json_object_new_object();
	(void)params;

	if (db_ping(&a->db, a->req.request_id) == DB_OK) {
		json_object_object_add(o, "status", json_object_new_string("ok"));
		json_object_object_add(o, "database", json_object_new_string("ok"));
		http_set_json(&a->resp, 200, o);
	} else {
		http_error(&a->resp, 503, "Database unavailable", NULL);
	}
	json_object_put(o);
}
