/* write_guard.c - see write_guard.h. */
#include "write_guard.h"
#include "prefer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int write_guard_parse(struct write_guard *g, const char *prefer, struct verrs *v)
{
	char value[32];
	int r, before = verr_count(v);

	g->max_affected = -1;
	g->rollback = 0;
	g->applied[0] = '\0';
	if ((r = prefer_value(prefer, "max-affected", value, sizeof value)) != 0) {
		size_t n = strlen(value);
		if (r < 0 || n < 1 || n > 18 || strspn(value, "0123456789") != n)
			verr_add(v, "max-affected must be an integer >= 0", "value_error.prefer", "header",
			         "Prefer", NULL, NULL);
		else
			g->max_affected = strtoll(value, NULL, 10);
	}
	if ((r = prefer_value(prefer, "tx", value, sizeof value)) != 0) {
		if (r < 0 || (strcasecmp(value, "commit") && strcasecmp(value, "rollback")))
			verr_add(v, "tx must be commit or rollback", "value_error.prefer", "header",
			         "Prefer", NULL, NULL);
		else
			g->rollback = !strcasecmp(value, "rollback");
	}
	if (g->max_affected >= 0)
		snprintf(g->applied, sizeof g->applied, "max-affected=%lld%s", g->max_affected,
		         g->rollback ? ", tx=rollback" : "");
	else if (g->rollback)
		snprintf(g->applied, sizeof g->applied, "tx=rollback");
	return verr_count(v) - before;
}

int write_guard_refuse(const struct write_guard *g, long long would, struct verrs *v)
{
	char msg[128];

	if (g->max_affected < 0 || would <= g->max_affected)
		return 0;
	snprintf(msg, sizeof msg, "%lld documents would be affected, more than max-affected=%lld",
	         would, g->max_affected);
	verr_add(v, msg, "value_error.max_affected", "header", "Prefer", NULL, NULL);
	return 1;
}
