/* h_openapi.c - GET /v1/openapi.json: the API description, no auth. The
 * document is cgi/openapi.json, compiled in by make (openapi_json.c). */
#include "handlers.h"

#include <string.h>

extern const char openapi_json[];

enum h_result h_openapi(struct call *c)
{
	http_set_body(c->resp, 200, openapi_json, strlen(openapi_json));
	return H_DONE;
}
