/*
 * fuzz_config.c - config_parse_text(), the docapi.conf parser (also used for
 * every s3_bucket.NAME.ATTR line).
 *
 * Input: the file text (cut at the first NUL, as a C string would be).
 * Invariants: 0 or -1; on -1 a NUL-terminated message that names the file;
 * on 0 the numeric settings are in range and every bucket override has a
 * name; a second parse into a freed and re-defaulted struct gives the same
 * answer; a tiny error buffer is never overrun (ASan).
 */
#include "fuzz_common.h"

#include "config.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct config cfg;
	char err[256];
	char tiny[4];

	memset(err, 'x', sizeof err);
	config_defaults(&cfg);
	int rc = config_parse_text(&cfg, "fuzz.conf", text, err, sizeof err);
	FUZZ_ASSERT(rc == 0 || rc == -1, "return value");
	if (rc != 0) {
		FUZZ_ASSERT(memchr(err, '\0', sizeof err), "error message unterminated");
		FUZZ_ASSERT(strncmp(err, "fuzz.conf:", 10) == 0, "error does not name the file");
	} else {
		FUZZ_ASSERT(cfg.body_limit > 0, "body_limit");
		FUZZ_ASSERT(cfg.max_depth > 0, "max_depth");
		FUZZ_ASSERT(cfg.presign_expires >= 1 && cfg.presign_expires <= 604800,
		            "presign_expires");
		FUZZ_ASSERT(cfg.n_s3_buckets == 0 || cfg.s3_buckets, "buckets");
		for (size_t i = 0; i < cfg.n_s3_buckets; i++)
			FUZZ_ASSERT(cfg.s3_buckets[i].name && cfg.s3_buckets[i].name[0],
			            "bucket without a name");
		FUZZ_ASSERT(cfg.mount_prefix, "mount_prefix NULL");
	}
	config_free(&cfg);

	config_defaults(&cfg);
	int rc2 = config_parse_text(&cfg, "fuzz.conf", text, tiny, sizeof tiny);
	FUZZ_ASSERT(rc2 == rc, "second parse differs");
	config_free(&cfg);
	free(text);
	return 0;
}
