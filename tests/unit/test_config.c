/* test_config.c - config parsing: good files, and bad ones named by file:line. */
#include "check.h"
#include "config.h"

#include <stdlib.h>

int main(void)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	CHECK(cfg.body_limit == 1048576, "default body limit 1 MiB");
	CHECK(cfg.max_depth == 64, "default depth 64");
	CHECK(cfg.presign_expires == 3600, "default presign lifetime");
	CHECK(config_parse_text(&cfg, "t.conf",
	      "# comment\n\ndatabase_url = host=/tmp dbname=x  # trailing\n"
	      "body_limit=2048\nlog_level = debug\ns3_addressing = path\n",
	      err, sizeof err) == 0, "good file");
	CHECK_STR(cfg.database_url, "host=/tmp dbname=x", "value with spaces and =");
	CHECK(cfg.body_limit == 2048, "number");
	CHECK(cfg.log_level == 3, "level");
	config_free(&cfg);

	static const struct { const char *text; const char *msg; } bad[] = {
		{ "body_limit = 12\nbogus = 1\n", "t.conf:2: unknown key \"bogus\"" },
		{ "body_limit = lots\n", "t.conf:1: bad value for body_limit (not a whole number)" },
		{ "\n\nbody_limit = -5\n", "t.conf:3: bad value for body_limit (not a whole number)" },
		{ "presign_expires = 604801\n", "t.conf:1: bad value for presign_expires (out of range)" },
		{ "log_level = loud\n", "t.conf:1: bad value for log_level (error|warn|info|debug)" },
		{ "s3_addressing = sideways\n", "t.conf:1: bad value for s3_addressing (auto|virtual|path)" },
		{ "just words\n", "t.conf:1: expected \"key = value\"" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		config_defaults(&cfg);
		err[0] = '\0';
		CHECK(config_parse_text(&cfg, "t.conf", bad[i].text, err, sizeof err) != 0, bad[i].msg);
		CHECK_STR(err, bad[i].msg, "message names file and line");
		config_free(&cfg);
	}

	/* Environment overrides the file; a missing explicit file is an error. */
	setenv("DOCAPI_BODY_LIMIT", "4096", 1);
	setenv("DOCAPI_MOUNT_PREFIX", "/api/", 1);
	CHECK(config_load(&cfg, "/dev/null", err, sizeof err) == 0, "load /dev/null");
	CHECK(cfg.body_limit == 4096, "env override");
	CHECK_STR(cfg.mount_prefix, "/api", "prefix trailing slash dropped");
	config_free(&cfg);
	setenv("DOCAPI_BODY_LIMIT", "x", 1);
	CHECK(config_load(&cfg, "/dev/null", err, sizeof err) != 0, "bad env value");
	CHECK_STR(err, "environment DOCAPI_BODY_LIMIT: bad value (not a whole number)", "env message");
	config_free(&cfg);
	unsetenv("DOCAPI_BODY_LIMIT");
	CHECK(config_load(&cfg, "/nonexistent/docapi.conf", err, sizeof err) != 0, "missing file");
	config_free(&cfg);
	return check_summary();
}
