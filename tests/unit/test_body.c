/*
 * test_body.c - unit tests for cgi/body.c: the bound on numbers PostgreSQL
 * can store (body.h), as a table of number texts and the length of the
 * text numeric writes for them, and the loc of a refused number.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "body.h"
#include "check.h"

/* ---- body_number_stored_len ------------------------------------------ */

struct stored_case {
	const char *num;
	size_t want;          /* length PostgreSQL writes; 0 = refused */
};

static const struct stored_case stored_cases[] = {
	/* ordinary numbers: the length of numeric_out's text */
	{ "0", 1 },                       /* 0 */
	{ "-0", 1 },                      /* 0 */
	{ "-0.0", 3 },                    /* 0.0 */
	{ "12", 2 },
	{ "-12", 3 },
	{ "1.50", 4 },                    /* trailing zeros are kept */
	{ "1.50e-3", 7 },                 /* 0.00150 */
	{ "1e-3", 5 },                    /* 0.001 */
	{ "1.0e1", 2 },                   /* 10 */
	{ "1e2", 3 },                     /* 100 */
	{ "0e-5", 7 },                    /* 0.00000 */
	{ "0e5", 1 },                     /* 0 */
	{ "0.1", 3 },
	{ "0.10000000000000000001", 22 },
	{ "-9223372036854775808", 20 },
	{ "18446744073709551615", 20 },
	{ "1.7976931348623157e308", 309 },
	{ "4.9406564584124654e-324", 342 },  /* smallest subnormal, 17 digits */
	{ "1.5e-300", 303 },
	/* at the bounds */
	{ "1e-1000", 1002 },              /* 0. and 1000 digits */
	{ "-1e-1000", 1003 },
	{ "0e-1000", 1002 },
	{ "0.5e-999", 1002 },
	{ "1e1000", 1001 },
	{ "9.9e1000", 1001 },
	/* 100 significant digits */
	{ "1.23456789023456789023456789023456789023456789023456"
	  "7890234567890234567890234567890234567890234567890", 101 },
	{ "0.0000123456789023456789023456789023456789023456789023456"
	  "7890234567890234567890234567890234567890234567890", 106 },
	/* past them */
	{ "1e-1001", 0 },
	{ "0e-1001", 0 },
	{ "1e1001", 0 },
	{ "10e1000", 0 },
	{ "0.1e-1000", 0 },
	{ "1e-16000", 0 },                /* stored as 16,002 characters */
	{ "1e-20000", 0 },                /* numeric overflows */
	{ "0e-20000", 0 },
	{ "1e2000000000", 0 },
	{ "1e-99999999999999999999999999", 0 },  /* exponent saturates */
	{ "0e99999999999999999999999999", 0 },   /* numeric overflows too */
	{ "1.23456789023456789023456789023456789023456789023456"
	  "78902345678902345678902345678902345678902345678902", 0 },  /* 101 */
	{ "1.000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000", 0 },   /* zeros count */
};

static void test_stored_len_table(void)
{
	for (size_t i = 0; i < sizeof stored_cases / sizeof stored_cases[0]; i++) {
		const struct stored_case *c = &stored_cases[i];
		size_t got = body_number_stored_len(c->num, strlen(c->num));
		if (got != c->want)
			fprintf(stderr, "stored_len(%.60s) = %lu, want %lu\n", c->num,
			        (unsigned long)got, (unsigned long)c->want);
		CHECK(got == c->want, "body_number_stored_len");
		CHECK(got <= BODY_NUM_STORED_MAX, "a stored number stays under the bound");
	}
	/* 0. and 20,000 digits (a flat field in the bug report) */
	{
		size_t n = 2 + 20000;
		char *s = malloc(n + 1);
		memcpy(s, "0.", 2);
		memset(s + 2, '0', 20000);
		s[n - 1] = '1';
		s[n] = '\0';
		CHECK(body_number_stored_len(s, n) == 0, "0. and 20,000 digits refused");
		free(s);
	}
}

/* ---- body_parse_json: what is refused, and where ---------------------- */

struct parse_case {
	const char *body;
	const char *loc;      /* JSON of the first item's loc; NULL = accepted */
	const char *type;
};

static const struct parse_case parse_cases[] = {
	{ "{\"metadata\":{\"x\":1e-20000}}", "[\"body\",\"metadata\",\"x\"]",
	  "value_error.number.not_storable" },
	{ "{\"metadata\":{\"x\":1e-16000}}", "[\"body\",\"metadata\",\"x\"]",
	  "value_error.number.not_storable" },
	{ "{\"flat\":1e-1001}", "[\"body\",\"flat\"]", "value_error.number.not_storable" },
	{ "{\"a\":{\"b\":[0,\"x,]\",{\"c\\\"d\":[1,[2,1e5000]]}]}}",
	  "[\"body\",\"a\",\"b\",2,\"c\\\"d\",1,1]", "value_error.number.not_storable" },
	{ "[{\"op\":\"add\",\"path\":\"/metadata/x\",\"value\":1e-20000}]",
	  "[\"body\",0,\"value\"]", "value_error.number.not_storable" },
	{ "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1},"
	  "{\"op\":\"add\",\"path\":\"/metadata/x\",\"value\":{\"k\":[1e9999]}}]",
	  "[\"body\",1,\"value\",\"k\",0]", "value_error.number.not_storable" },
	{ "{\"k\\u00e9y\":{\"\":0e-2000}}", "[\"body\",\"k\\u00e9y\",\"\"]",
	  "value_error.number.not_storable" },
	{ "1e-5000", "[\"body\"]", "value_error.number.not_storable" },
	/* numbers that pass the bound keep their old answers */
	{ "{\"metadata\":{\"x\":1e400}}", "[\"body\"]", "value_error.number" },
	{ "{\"metadata\":{\"x\":1e-1000,\"y\":0.10000000000000000001,\"z\":1.5e-300}}",
	  NULL, NULL },
	{ "{\"metadata\":{\"x\":-9223372036854775808,\"y\":18446744073709551615}}",
	  NULL, NULL },
};

static void test_parse_table(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct verrs v = { 0 };
		struct json_object *o = body_parse_json(c->body, strlen(c->body), 64, &v);

		if (!c->loc) {
			CHECK(o != NULL && verr_count(&v) == 0, c->body);
		} else {
			struct json_object *item = v.detail ?
				json_object_array_get_idx(v.detail, 0) : NULL;
			struct json_object *loc = NULL, *type = NULL, *want = json_tokener_parse(c->loc);
			json_object_object_get_ex(item, "loc", &loc);
			json_object_object_get_ex(item, "type", &type);
			CHECK(o == NULL, c->body);
			CHECK_STR(loc ? json_object_to_json_string_ext(loc, JSON_C_TO_STRING_PLAIN) : NULL,
			          json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN), c->body);
			CHECK_STR(type ? json_object_get_string(type) : NULL, c->type, c->body);
			json_object_put(want);
		}
		json_object_put(o);
		verr_free(&v);
	}
}

/* Many numbers, each storable, that together would multiply the body:
 * 4,000 x 1e-999 (36 KB sent, 4 MB stored) is refused at the number where
 * the budget runs out; 4,000 ordinary floats are not. */
static void test_growth_budget(void)
{
	size_t n = 4000, cap = 16 + n * 16;
	char *s = malloc(cap), *w;
	struct verrs v = { 0 };
	struct json_object *o;

	w = s + sprintf(s, "{\"a\":[");
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, i ? ",1e-999" : "1e-999");
	w += sprintf(w, "]}");
	o = body_parse_json(s, (size_t)(w - s), 64, &v);
	CHECK(o == NULL && verr_count(&v) == 1, "4,000 x 1e-999 refused, one item");
	if (verr_count(&v) == 1) {
		struct json_object *loc = NULL;
		json_object_object_get_ex(json_object_array_get_idx(v.detail, 0), "loc", &loc);
		CHECK(json_object_array_length(loc) == 3 &&
		      json_object_get_int(json_object_array_get_idx(loc, 2)) > 0,
		      "the item names the element where the budget ran out");
	}
	verr_free(&v);

	w = s + sprintf(s, "{\"a\":[");
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, i ? ",1.234e-30" : "1.234e-30");
	w += sprintf(w, "]}");
	o = body_parse_json(s, (size_t)(w - s), 64, &v);
	CHECK(o != NULL && verr_count(&v) == 0, "4,000 small floats accepted");
	json_object_put(o);
	verr_free(&v);

	/* more refused numbers than reported: the last item says how many */
	w = s + sprintf(s, "[");
	for (size_t i = 0; i < 20; i++)
		w += sprintf(w, i ? ",1e-5000" : "1e-5000");
	w += sprintf(w, "]");
	o = body_parse_json(s, (size_t)(w - s), 64, &v);
	CHECK(o == NULL && verr_count(&v) == BODY_NUM_REPORT_MAX, "report capped");
	if (verr_count(&v) == BODY_NUM_REPORT_MAX) {
		struct json_object *msg = NULL;
		json_object_object_get_ex(json_object_array_get_idx(v.detail,
		                          BODY_NUM_REPORT_MAX - 1), "msg", &msg);
		CHECK(strstr(json_object_get_string(msg), "and 12 more") != NULL,
		      "last item counts the rest");
	}
	verr_free(&v);
	free(s);
}

int main(void)
{
	test_stored_len_table();
	test_parse_table();
	test_growth_budget();
	return check_summary();
}
