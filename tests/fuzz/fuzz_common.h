/*
 * fuzz_common.h - small helpers shared by the libFuzzer harnesses.
 *
 * The harnesses are built by tests/fuzz/run.sh with clang
 * -fsanitize=fuzzer,address,undefined straight from the cgi sources.
 * A harness that finds a broken invariant calls FUZZ_ASSERT, which aborts:
 * libFuzzer then saves the input as a crash-* file.
 */
#ifndef DOCAPI_FUZZ_COMMON_H
#define DOCAPI_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond, what)                                              \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", \
			        what, __FILE__, __LINE__);                   \
			abort();                                             \
		}                                                            \
	} while (0)

/*
 * Splits data (n bytes) on '\0' into at most max pieces; each piece is a
 * malloc'd NUL-terminated copy (lens[i] its length). The last piece takes
 * the rest of the input, NUL bytes included, when max is reached.
 * Returns the count; free with fuzz_free_pieces().
 */
static inline int fuzz_split(const uint8_t *data, size_t n, int max,
                             char **pieces, size_t *lens)
{
	int count = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n && count < max; i++) {
		if (i == n || (data[i] == '\0' && count < max - 1)) {
			size_t len = i - start;
			char *p = malloc(len + 1);
			if (!p)
				abort();
			memcpy(p, data + start, len);
			p[len] = '\0';
			pieces[count] = p;
			lens[count] = len;
			count++;
			start = i + 1;
		}
	}
	return count;
}

static inline void fuzz_free_pieces(char **pieces, int count)
{
	for (int i = 0; i < count; i++)
		free(pieces[i]);
}

/* A NUL-terminated malloc'd copy of n bytes (body_parse_json reads the
 * terminating NUL, as every caller's buffer has one). */
static inline char *fuzz_strndup(const void *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

#endif
