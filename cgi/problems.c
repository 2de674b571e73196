/* problems.c - see problems.h. */
#include "problems.h"

#include <stdlib.h>

static void loc_add(struct json_object *loc, const char *part)
{
	if (!part)
		return;
	if (part[0] == '#')
		json_object_array_add(loc, json_object_new_int(atoi(part + 1)));
	else
		json_object_array_add(loc, json_object_new_string(part));
}

void verr_add(struct verrs *v, const char *msg, const char *type,
              const char *loc0, const char *loc1, const char *loc2,
              const char *loc3)
{
	struct json_object *e = json_object_new_object();
	struct json_object *loc = json_object_new_array();

	if (!v->detail)
		v->detail = json_object_new_array();
	loc_add(loc, loc0);
	if (loc1) {
		loc_add(loc, loc1);
		if (loc2) {
			loc_add(loc, loc2);
			loc_add(loc, loc3);
		}
	}
	json_object_object_add(e, "loc", loc);
	json_object_object_add(e, "msg", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_array_add(v->detail, e);
}

int verr_count(const struct verrs *v)
{
	return v->detail ? (int)json_object_array_length(v->detail) : 0;
}

struct json_object *verr_take(struct verrs *v)
{
	struct json_object *d = v->detail ? v->detail : json_object_new_array();
	v->detail = NULL;
	return d;
}

void verr_free(struct verrs *v)
{
	json_object_put(v->detail);
	v->detail = NULL;
}

