/*
 * presign_glue.h - connects the document view to the S3 presigner: decides
 * whether presigning is available and signs one s3:// URL with the worker's
 * credentials and signing-key cache.
 */
#ifndef DOCAPI_PRESIGN_GLUE_H
#define DOCAPI_PRESIGN_GLUE_H

#include "app.h"

/* 1 when return_url=true can be honoured right now. */
int presign_glue_ready(struct app *a);

/* docview_sign_fn: ctx is the struct app. Returns a malloc'd URL or NULL. */
char *presign_glue_sign(void *ctx, const char *url);

#endif
