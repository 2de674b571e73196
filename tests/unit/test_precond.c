/* test_precond.c - If-Match / If-None-Match evaluation (cgi/precond.c) and
 * the Prefer parser (cgi/prefer.c), as tables. */
#include "check.h"
#include "precond.h"
#include "prefer.h"

#define S PRECOND_SAFE
#define U PRECOND_UNSAFE
#define GO PRECOND_PROCEED
#define R304 PRECOND_NOT_MODIFIED
#define R412 PRECOND_FAILED

struct row {
	enum precond_method method;
	const char *if_match;         /* NULL: absent */
	const char *if_none_match;    /* NULL: absent */
	long long version;            /* 0: no current representation */
	enum precond_result want;
};

static const struct row rows[] = {
	/* no condition */
	{ S, NULL, NULL, 3, GO },
	{ U, NULL, NULL, 3, GO },
	{ U, NULL, NULL, 0, GO },
	/* If-Match: strong comparison */
	{ U, "\"3\"", NULL, 3, GO },
	{ U, "\"2\"", NULL, 3, R412 },
	{ U, "\"03\"", NULL, 3, R412 },
	{ U, "\"3 \"", NULL, 3, R412 },
	{ U, "W/\"3\"", NULL, 3, R412 },           /* weak never matches If-Match */
	{ U, "W/\"3\", \"3\"", NULL, 3, GO },
	{ U, "\"1\", \"2\", \"3\"", NULL, 3, GO },
	{ U, "\"1\",\"3\"", NULL, 3, GO },
	{ U, " \t\"1\" ,\t\"3\"\t ", NULL, 3, GO },   /* spaces and tabs */
	{ U, "\"1\", , \"3\"", NULL, 3, GO },        /* empty element ignored */
	{ U, ", \"3\",", NULL, 3, GO },
	{ U, "\"12\"", NULL, 1, R412 },
	{ U, "\"1\"", NULL, 12, R412 },
	{ U, "\"9223372036854775807\"", NULL, 9223372036854775807LL, GO },
	{ U, "\"\"", NULL, 3, R412 },                /* empty opaque tag: valid, no match */
	{ S, "\"3\"", NULL, 3, GO },
	{ S, "\"2\"", NULL, 3, R412 },               /* GET with a failing If-Match */
	{ S, "W/\"3\"", NULL, 3, R412 },
	/* If-Match: * */
	{ U, "*", NULL, 3, GO },
	{ U, " * ", NULL, 3, GO },
	{ U, "*", NULL, 0, R412 },                   /* no current representation */
	{ S, "*", NULL, 0, R412 },
	{ U, "\"3\"", NULL, 0, R412 },
	/* If-None-Match: weak comparison */
	{ S, NULL, "\"3\"", 3, R304 },
	{ S, NULL, "W/\"3\"", 3, R304 },
	{ S, NULL, "\"2\"", 3, GO },
	{ S, NULL, "\"1\", W/\"2\"", 3, GO },
	{ S, NULL, "\"1\",\tW/\"3\"", 3, R304 },
	{ S, NULL, "\"1\", \"2\", \"3\"", 3, R304 },
	{ U, NULL, "\"3\"", 3, R412 },                /* unsafe method: 412, never 304 */
	{ U, NULL, "W/\"3\"", 3, R412 },
	{ U, NULL, "\"2\"", 3, GO },
	/* If-None-Match: * */
	{ S, NULL, "*", 3, R304 },
	{ U, NULL, "*", 3, R412 },
	{ U, NULL, "*", 0, GO },                     /* create only if absent */
	{ S, NULL, "*", 0, GO },
	{ U, NULL, "\"3\"", 0, GO },
	/* both headers: If-Match first, If-None-Match only when it holds */
	{ U, "\"3\"", "\"2\"", 3, GO },              /* IM true, INM true */
	{ U, "\"3\"", "\"3\"", 3, R412 },            /* IM true, INM false */
	{ U, "\"2\"", "\"2\"", 3, R412 },            /* IM false, INM true */
	{ U, "\"2\"", "\"3\"", 3, R412 },            /* IM false, INM false */
	{ S, "\"3\"", "\"2\"", 3, GO },
	{ S, "\"3\"", "\"3\"", 3, R304 },
	{ S, "\"2\"", "\"2\"", 3, R412 },
	{ S, "\"2\"", "\"3\"", 3, R412 },            /* If-Match wins over 304 */
	{ S, "*", "W/\"3\"", 3, R304 },
	{ U, "*", "*", 3, R412 },
	{ U, "*", "*", 0, R412 },
	/* malformed If-Match: never "*", matches nothing -> 412 */
	{ U, "*junk", NULL, 3, R412 },
	{ U, "* \"3\"", NULL, 3, R412 },
	{ U, "\"3\", *", NULL, 3, R412 },
	{ U, "*, \"3\"", NULL, 3, R412 },
	{ U, "*, *", NULL, 3, R412 },
	{ U, "3", NULL, 3, R412 },                   /* unquoted */
	{ U, "W/", NULL, 3, R412 },
	{ U, "W/3", NULL, 3, R412 },
	{ U, "w/\"3\"", NULL, 3, R412 },             /* W/ is case-sensitive */
	{ U, ",", NULL, 3, R412 },                   /* only an empty element */
	{ U, " , \t, ", NULL, 3, R412 },
	{ U, "", NULL, 3, R412 },
	{ U, "\"3", NULL, 3, R412 },                 /* unterminated */
	{ U, "\"3\"x", NULL, 3, R412 },
	{ U, "\"3\" \"4\"", NULL, 3, R412 },
	{ U, "\"3\", \"4", NULL, 3, R412 },          /* a good tag, then a broken one */
	{ U, "\"a b\"", NULL, 3, R412 },             /* space is not etagc */
	{ S, "*junk", NULL, 3, R412 },
	/* malformed If-None-Match: ignored for GET, 412 for writes */
	{ S, NULL, "*junk", 3, GO },
	{ S, NULL, "\"3", 3, GO },
	{ S, NULL, "\"3\", *", 3, GO },
	{ U, NULL, "*junk", 3, R412 },
	{ U, NULL, "*junk", 0, R412 },
	{ U, NULL, "3", 3, R412 },
	{ U, NULL, "W/", 0, R412 },
	{ U, NULL, ",", 3, R412 },
	{ U, "\"3\"", "\"3\", *", 3, R412 },
};

static const char *method_name(enum precond_method m)
{
	return m == PRECOND_SAFE ? "GET" : "PATCH";
}

static void test_evaluate(void)
{
	size_t i;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		enum precond_result got = precond_evaluate(r->method, r->if_match,
		                                           r->if_none_match, r->version);
		char name[200];
		snprintf(name, sizeof name, "row %zu: %s If-Match=[%s] If-None-Match=[%s] "
		         "v%lld -> %d (got %d)", i, method_name(r->method),
		         r->if_match ? r->if_match : "(absent)",
		         r->if_none_match ? r->if_none_match : "(absent)",
		         r->version, (int)r->want, (int)got);
		CHECK(got == r->want, name);
	}
}

static void test_valid(void)
{
	CHECK(precond_valid(NULL), "absent is valid");
	CHECK(precond_valid("*"), "*");
	CHECK(precond_valid("\"1\", W/\"2\""), "list");
	CHECK(precond_valid("\"\x80\xff\""), "obs-text in a tag");
	CHECK(!precond_valid("*junk"), "*junk");
	CHECK(!precond_valid("\"1\", *"), "tag and *");
	CHECK(!precond_valid(""), "empty value");
	CHECK(!precond_valid("abc"), "unquoted");
}

struct prow {
	const char *prefer;
	int minimal;
};

static const struct prow prows[] = {
	{ NULL, 0 },
	{ "", 0 },
	{ "return=minimal", 1 },
	{ "Return=Minimal", 1 },
	{ "RETURN=minimal", 1 },
	{ "return=\"minimal\"", 1 },
	{ "return = minimal", 1 },
	{ " \treturn=minimal\t ", 1 },
	{ "return=minimal; foo=bar", 1 },
	{ "return=minimal;foo", 1 },
	{ "return=minimal ; a=\"x,y\" ; b", 1 },
	{ "respond-async, return=minimal", 1 },
	{ "wait=10,return=minimal", 1 },
	{ "count=exact, tx=rollback, return=minimal", 1 },
	{ "foo=\"a, return=representation\", return=minimal", 1 },
	{ "return=minimalist", 0 },
	{ "xreturn=minimal", 0 },
	{ "return=representation", 0 },
	{ "return-minimal", 0 },
	{ "return", 0 },
	{ "return=", 0 },
	{ "return=minimal-ish", 0 },
	{ "return=\"minimal", 0 },                  /* unterminated quote */
	{ "return=minimal x", 0 },                  /* junk after the value */
	{ "foo=\"return=minimal\"", 0 },            /* inside a quoted value */
	{ "return=representation, return=minimal", 0 },   /* first one counts */
	{ "return=minimal, return=representation", 1 },
	{ "return=minimal x, return=minimal", 1 },  /* malformed first is skipped */
	{ "prefer-minimal; return=minimal", 0 },    /* a parameter, not a preference */
	{ "minimal", 0 },
};

static void test_prefer(void)
{
	size_t i;
	char v[16];
	for (i = 0; i < sizeof prows / sizeof prows[0]; i++) {
		char name[160];
		snprintf(name, sizeof name, "Prefer [%s] minimal=%d",
		         prows[i].prefer ? prows[i].prefer : "(absent)", prows[i].minimal);
		CHECK(prefer_return_minimal(prows[i].prefer) == prows[i].minimal, name);
	}
	CHECK(prefer_value("count=exact, max-affected=5", "max-affected", v, sizeof v) == 1 &&
	      strcmp(v, "5") == 0, "prefer_value max-affected");
	CHECK(prefer_value("tx=\"roll\\\"back\"", "tx", v, sizeof v) == 1 &&
	      strcmp(v, "roll\"back") == 0, "prefer_value unescapes a quoted-string");
	CHECK(prefer_value("respond-async", "respond-async", v, sizeof v) == 1 &&
	      v[0] == '\0', "prefer_value without a value");
	CHECK(prefer_value("count=exact", "tx", v, sizeof v) == 0, "prefer_value absent");
	CHECK(prefer_value("tx=rollbackrollbackrollback", "tx", v, sizeof v) == -1 && v[0] == '\0',
	      "prefer_value too long");
}

int main(void)
{
	test_evaluate();
	test_valid();
	test_prefer();
	return check_summary();
}
