/*
 * check.h - a minimal table-friendly unit test helper.
 *
 * Each test program includes this once, calls CHECK()/CHECK_STR() as often as
 * it likes and ends main() with `return check_summary();`, which prints the
 * closing line "N passed, M failed" and returns non-zero when anything failed,
 * so automake's TESTS harness marks the program as failed.
 */
#ifndef DOCAPI_CHECK_H
#define DOCAPI_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed;
static int check_failed;

#define CHECK(cond, name)                                                   \
	do {                                                                    \
		if (cond) {                                                         \
			check_passed++;                                                 \
		} else {                                                            \
			check_failed++;                                                 \
			fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__,    \
			        (name), #cond);                                         \
		}                                                                   \
	} while (0)

#define CHECK_STR(got, want, name)                                          \
	do {                                                                    \
		const char *check_g_ = (got), *check_w_ = (want);                   \
		if (check_g_ && check_w_ && strcmp(check_g_, check_w_) == 0) {      \
			check_passed++;                                                 \
		} else {                                                            \
			check_failed++;                                                 \
			fprintf(stderr, "FAIL %s:%d: %s\n  got:  %s\n  want: %s\n",     \
			        __FILE__, __LINE__, (name),                             \
			        check_g_ ? check_g_ : "(null)",                         \
			        check_w_ ? check_w_ : "(null)");                        \
		}                                                                   \
	} while (0)

static int check_summary(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
