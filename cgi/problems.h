/*
 * problems.h - validation problems (the 422 body of contract section 2),
 * collected by any layer and turned into a response by http.h's
 * verr_respond().
 *
 * A `struct verrs` starts zeroed, owns its JSON and is released with
 * verr_free() (or handed to verr_respond(), which takes the list).
 */
#ifndef DOCAPI_PROBLEMS_H
#define DOCAPI_PROBLEMS_H

#include <json-c/json.h>

struct verrs {
	struct json_object *detail; /* array, created on first add */
};

/* loc is "body", "query", "path" or "header", then up to 3 parts (NULL ends);
 * a part starting with '#' is an array index ("#3" -> 3). */
void verr_add(struct verrs *v, const char *msg, const char *type,
              const char *loc0, const char *loc1, const char *loc2,
              const char *loc3);
int verr_count(const struct verrs *v);
/* Takes the list out of v (caller owns; an empty array when none). */
struct json_object *verr_take(struct verrs *v);
void verr_free(struct verrs *v);

#endif
