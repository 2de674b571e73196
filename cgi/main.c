/*
 * main.c - docapi.fcgi: the accept loop, signals and process model.
 *
 * Spawned by a web server (fd 0 is the FastCGI listening socket), or run
 * with --listen ADDR (host:port or a unix socket path) to serve on a socket
 * of its own. Started with no FastCGI socket at all, it serves exactly one
 * request as plain CGI from the environment, stdin and stdout.
 *
 * Signals: libfcgi installs SIGTERM/SIGUSR1 handlers (without SA_RESTART)
 * that mark a shutdown as pending, so a request in flight is finished and
 * the next accept returns < 0; an idle worker exits at once.
 */
#include "build_config.h"
#include "app.h"
#include "http.h"
#include "log.h"

#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int fcgi_read(void *ctx, char *buf, int n)
{
	return FCGX_GetStr(buf, n, ((FCGX_Request *)ctx)->in);
}

static int fcgi_write(void *ctx, const char *buf, int n)
{
	return FCGX_PutStr(buf, n, ((FCGX_Request *)ctx)->out) == n ? n : -1;
}

static int cgi_read(void *ctx, char *buf, int n)
{
	(void)ctx;
	size_t got = fread(buf, 1, (size_t)n, stdin);
	return got > 0 ? (int)got : (ferror(stdin) ? -1 : 0);
}

static int cgi_write(void *ctx, const char *buf, int n)
{
	(void)ctx;
	if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) != 0)
		return -1;
	return n;
}

static void usage(FILE *f)
{
	fputs("usage: docapi.fcgi [--config FILE] [--listen HOST:PORT|PATH] "
	      "[--backlog N] [--check-config] [--version]\n", f);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct app app;
	char err[512];
	const char *conf_path = NULL, *listen_addr = NULL;
	int check_only = 0, backlog = 64, listen_fd = 0, rc = 1;
	unsigned long served = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			conf_path = argv[++i];
		} else if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
			listen_addr = argv[++i];
		} else if (!strcmp(argv[i], "--backlog") && i + 1 < argc) {
			backlog = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--check-config")) {
			check_only = 1;
		} else if (!strcmp(argv[i], "--version")) {
			puts(PACKAGE_STRING);
			return 0;
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (config_load(&cfg, conf_path, err, sizeof err) != 0) {
		fprintf(stderr, "docapi: %s\n", err);
		return 1;
	}
	log_set_level((enum log_level)cfg.log_level);
	http_set_retry_after(cfg.retry_after);
	if (check_only) {
		puts("configuration ok");
		config_free(&cfg);
		return 0;
	}
	if (FCGX_Init() != 0) {
		log_error(NULL, "FCGX_Init failed");
		goto out;
	}
	if (listen_addr) {
		/* A bare ":port" would bind every interface; require a host. */
		if (listen_addr[0] == ':') {
			log_error(NULL, "--listen needs a host (e.g. 127.0.0.1%s): refusing "
			          "to expose the FastCGI socket on all interfaces", listen_addr);
			goto out;
		}
		listen_fd = FCGX_OpenSocket(listen_addr, backlog);
		if (listen_fd < 0) {
			log_error(NULL, "cannot listen on %s", listen_addr);
			goto out;
		}
	}

	app_init(&app, &cfg);
	if (!listen_addr && FCGX_IsCGI()) {
		/* Plain CGI: one request from the environment and stdio. */
		struct http_io io = { cgi_read, cgi_write, environ, NULL };
		app_serve(&app, &io);
		rc = 0;
	} else {
		FCGX_Request req;
		FCGX_InitRequest(&req, listen_fd, 0);
		log_info(NULL, "worker ready");
		while (FCGX_Accept_r(&req) >= 0) {
			struct http_io io = { fcgi_read, fcgi_write, req.envp, &req };
			app_serve(&app, &io);
			FCGX_Finish_r(&req);
			served++;
		}
		log_info(NULL, "worker exiting after %lu requests", served);
		FCGX_Free(&req, 1);
		rc = 0;
	}
	app_free(&app);
out:
	config_free(&cfg);
	return rc;
}
