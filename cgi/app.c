/* app.c - see app.h. */
#include "app.h"
#include "log.h"
#include "presigner.h"
#include "router.h"

#include <string.h>

void app_init(struct app *a, const struct config *cfg)
{
	memset(a, 0, sizeof *a);
	a->cfg = cfg;
	db_init(&a->db, cfg->database_url, NULL);
	a->has_read = cfg->database_read_url && *cfg->database_read_url;
	if (a->has_read)
		db_init(&a->db_read, cfg->database_read_url, NULL);
	a->presign = presigner_new(cfg);
}

void app_free(struct app *a)
{
	db_close(&a->db);
	if (a->has_read)
		db_close(&a->db_read);
	presigner_free(a->presign);
	a->presign = NULL;
	http_request_free(&a->req);
	http_response_free(&a->resp);
}

void app_serve(struct app *a, const struct http_io *io)
{
	http_request_reset(&a->req);
	http_response_reset(&a->resp);
	http_read_request(&a->req, io, a->cfg->mount_prefix, a->cfg->body_limit,
	                  (int)a->cfg->method_override);
	router_dispatch(a);
	if (a->resp.status >= 500)
		log_warn(a->req.request_id, "answered %d", a->resp.status);
	else
		log_debug(a->req.request_id, "answered %d", a->resp.status);
	if (http_send(&a->req, &a->resp) != 0)
		log_info(a->req.request_id, "client went away before the response was sent");
}
