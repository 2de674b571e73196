/* h_openapi.c - GET /v1/openapi.json: the API description, no auth. The
 * document is cgi/openapi.json, compiled in by make (openapi_json.c). */
#include "handlers.h"

#include <string.h>

extern const char openapi_json[];

void h_openapi(struct app *a, const char *const *params)
{
	(void)params;
	http_set_body(&a->resp, 200, openapi_json, strlen(openapi_json));
}
