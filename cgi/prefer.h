/*
 * prefer.h - the Prefer request header (RFC 7240), parsed without I/O.
 *
 * Syntax (RFC 7240 section 2, RFC 9110 section 5.6):
 *   Prefer     = #preference       (several header copies arrive joined ", ")
 *   preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
 *   parameter  = token [ BWS "=" BWS word ]
 *   word       = token / quoted-string
 * Preference names are compared case-insensitively; so are the values
 * docapi understands ("return=Minimal" is minimal). Parameters after ";"
 * are ignored. Only the first well-formed instance of a preference counts
 * (RFC 7240: "If any preference is specified more than once, only the first
 * instance is to be considered"). A malformed element (no name, junk after
 * the value, an unterminated quoted string) is skipped as if it were
 * absent; the others still count. Commas and semicolons inside a quoted
 * string do not separate anything.
 */
#ifndef DOCAPI_PREFER_H
#define DOCAPI_PREFER_H

#include <stddef.h>

/*
 * Finds the first well-formed preference called `name` in the Prefer value
 * (NULL: no header). Returns 1 and its value in out (unquoted, unescaped;
 * "" when it has none), 0 when absent, -1 when present but the value does
 * not fit in outlen bytes (out then holds "").
 */
int prefer_value(const char *prefer, const char *name, char *out, size_t outlen);

/* 1 only when the first "return" preference is return=minimal (quoted or
 * not, any case): not return=minimalist, xreturn=minimal, return=
 * representation. NULL -> 0. */
int prefer_return_minimal(const char *prefer);

#endif
