/*
 * handlers.h - route handlers (h_*.c). Each fills a->resp and returns; the
 * dispatcher has already done what the route's flags ask.
 */
#ifndef DOCAPI_HANDLERS_H
#define DOCAPI_HANDLERS_H

#include "app.h"

void h_healthz(struct app *a, const char *const *params);
void h_openapi(struct app *a, const char *const *params);
void h_document_get(struct app *a, const char *const *params);
void h_document_patch(struct app *a, const char *const *params);

#endif
