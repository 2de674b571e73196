/*
 * app.h - one worker's state, and the entry point that turns a request into
 * a response.
 *
 * A worker (process or thread) owns one `struct app`: the configuration
 * (borrowed, read-only after start-up), its database connection and the
 * request/response buffers it reuses for every request.
 */
#ifndef DOCAPI_APP_H
#define DOCAPI_APP_H

#include "config.h"
#include "db.h"
#include "http.h"

struct presigner;

struct app {
	const struct config *cfg;
	struct db db;                  /* the primary: every write */
	struct db db_read;             /* database_read_url's, when set */
	int has_read;                  /* db_read is configured */
	struct request req;
	struct response resp;
	struct presigner *presign;     /* owned: presigner.h */
};

/* Sets up the worker (connects to the database). */
void app_init(struct app *a, const struct config *cfg);
void app_free(struct app *a);

/* Reads one request from io, handles it and writes the response. */
void app_serve(struct app *a, const struct http_io *io);

#endif
