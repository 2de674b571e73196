/*
 * test_log.c - unit tests for cgi/log.c: log_quote() as a table (what a
 * value from a request or a stored document becomes in a log line), and
 * that a record stays one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

struct quote_case {
	const char *in;
	size_t n;             /* out buffer size */
	const char *want;
};

static const struct quote_case quote_cases[] = {
	{ "media-bucket", 64, "\"media-bucket\"" },
	{ "", 64, "\"\"" },
	{ NULL, 64, "-" },
	{ "Bad\" rid=forged level=error", 64, "\"Bad\\\" rid=forged level=error\"" },
	{ "a\\b", 64, "\"a\\\\b\"" },
	{ "a\nrid=x\r", 64, "\"a\\x0arid=x\\x0d\"" },
	{ "\x1b[31mred", 64, "\"\\x1b[31mred\"" },
	{ "del\x7f", 64, "\"del\\x7f\"" },
	{ "caf\xc3\xa9", 64, "\"caf\\xc3\\xa9\"" },
	{ "\t", 64, "\"\\x09\"" },
	/* cut where it does not fit, never inside an escape, "..." after */
	{ "abcdefghij", 8, "\"ab\"..." },
	{ "abcdefghij", 12, "\"abcdef\"..." },
	{ "abcdef", 12, "\"abcdef\"" },
	{ "\"\"\"\"\"\"", 12, "\"\\\"\\\"\\\"\"..." },
	{ "\n\n\n", 12, "\"\\x0a\"..." },
	{ "x", 4, "" },       /* too small: empty */
};

static void test_quote_table(void)
{
	for (size_t i = 0; i < sizeof quote_cases / sizeof quote_cases[0]; i++) {
		const struct quote_case *c = &quote_cases[i];
		char out[64];
		memset(out, 'Z', sizeof out);
		const char *got = log_quote(c->in, out, c->n);
		CHECK(got == out, "returns out");
		CHECK_STR(got, c->want, c->in ? c->in : "(null)");
		CHECK(strlen(out) < c->n || c->n == 0, "fits the buffer");
	}
	/* a long value: bounded by the buffer, whatever its length */
	{
		char big[5000], out[LOG_QUOTE_SIZE];
		memset(big, '"', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		log_quote(big, out, sizeof out);
		CHECK(strlen(out) < sizeof out, "long value bounded");
		CHECK(strcmp(out + strlen(out) - 4, "\"...") == 0, "long value marked cut");
	}
}

/* Reads what log_write() writes to stderr while fn runs. */
static char *capture(void (*fn)(void))
{
	static char got[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(got, 1, sizeof got - 1, tmp);
	got[n] = '\0';
	fclose(tmp);
	return got;
}

static void write_forged(void)
{
	char q[LOG_QUOTE_SIZE];
	log_warn("rid1", "bucket %s refused", log_quote("x\" rid=forged\nlevel=error", q, sizeof q));
	log_warn("rid1", "raw text\nwith\x1b[2J a newline");
}

static void test_lines(void)
{
	const char *out = capture(write_forged);
	int lines = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	CHECK(lines == 2, "one line per record");
	CHECK(strstr(out, " rid=rid1 bucket \"x\\\" rid=forged\\x0alevel=error\" refused\n") != NULL,
	      "quoted value in the line");
	CHECK(strstr(out, "raw text with [2J a newline\n") != NULL, "controls become spaces");
}

int main(void)
{
	log_set_level(LOG_DEBUG);
	test_quote_table();
	test_lines();
	return check_summary();
}
