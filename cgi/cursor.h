/*
 * cursor.h - opaque keyset cursors (contract section 10): a position the
 * server wrote, that a client hands back and cannot forge or move to
 * another query.
 *
 * A cursor is base64url(position) "." base64url(HMAC-SHA256(secret,
 * binding NUL position)): position is JSON text of the keyset values,
 * binding names what the cursor was issued for (route, collection,
 * filters, order), in a form the caller builds the same way each time.
 *
 * Pure: no I/O.
 */
#ifndef DOCAPI_CURSOR_H
#define DOCAPI_CURSOR_H

#include <stddef.h>

#include "util.h"

/* Longest cursor accepted (a position of a few values fits many times). */
#define CURSOR_MAX 2048

/* Appends the cursor of position (JSON text) for binding to out. */
void cursor_make(struct buf *out, const void *secret, size_t slen,
                 const char *binding, const char *position);

/* The position (JSON text, malloc'd: caller frees) of cursor when docapi
 * made it for this binding with this secret, else NULL. The comparison
 * takes the same time however much of the signature matches. */
char *cursor_open(const char *cursor, const void *secret, size_t slen,
                  const char *binding);

#endif
