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
 * the next accept returns < 0; an idle worker exits at once. With
 * --threads N, one thread takes the signals (see signal_main).
 */
#include "build_config.h"
#include "app.h"
#include "http.h"
#include "log.h"
#include "util.h"

#include <fcgiapp.h>
#include <json-c/json.h>
#include <pthread.h>
#include <sys/socket.h>
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
	      "[--threads N] [--backlog N] [--check-config] [--version]\n", f);
}

/* Shared by the worker threads of a standalone server. */
static pthread_mutex_t accept_mutex = PTHREAD_MUTEX_INITIALIZER;
static int listen_fd;

struct worker {
	pthread_t thread;
	const struct config *cfg;
	unsigned long served;
};

/*
 * One worker: its own struct app (database connection, buffers) and its
 * own FCGX_Request. accept() is serialised, as libfcgi's own threaded
 * example does; FCGX_Accept_r returns < 0 once a shutdown is pending.
 */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct app app;
	FCGX_Request req;

	app_init(&app, w->cfg);
	FCGX_InitRequest(&req, listen_fd, 0);
	for (;;) {
		pthread_mutex_lock(&accept_mutex);
		int rc = FCGX_Accept_r(&req);
		pthread_mutex_unlock(&accept_mutex);
		if (rc < 0)
			break;
		struct http_io io = { fcgi_read, fcgi_write, req.envp, &req };
		app_serve(&app, &io);
		FCGX_Finish_r(&req);
		w->served++;
	}
	FCGX_Free(&req, 1);
	app_free(&app);
	return NULL;
}

/*
 * With threads, signals go to one sigwait() thread: it marks the shutdown
 * and shuts the listening socket down, which wakes the thread blocked in
 * accept(). Requests in flight finish; then every worker's accept fails.
 */
static void *signal_main(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;
	sigwait(set, &sig);
	log_info(NULL, "signal %d: finishing requests in flight, then exiting", sig);
	FCGX_ShutdownPending();
	shutdown(listen_fd, SHUT_RDWR);
	return NULL;
}

static int serve_threads(const struct config *cfg, int nthreads)
{
	struct worker *workers = xcalloc((size_t)nthreads, sizeof *workers);
	sigset_t set;
	pthread_t sig_thread;
	unsigned long served = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread */
	pthread_create(&sig_thread, NULL, signal_main, &set);
	pthread_detach(sig_thread);
	for (int i = 0; i < nthreads; i++) {
		workers[i].cfg = cfg;
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	}
	log_info(NULL, "serving with %d threads", nthreads);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(workers[i].thread, NULL);
		served += workers[i].served;
	}
	log_info(NULL, "exiting after %lu requests", served);
	free(workers);
	return 0;
}

/* Command-line options. */
struct options {
	const char *conf_path, *listen_addr;
	int check_only, backlog, nthreads;
};

/* Parses argv into o. Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	o->conf_path = o->listen_addr = NULL;
	o->check_only = 0;
	o->backlog = 128;
	o->nthreads = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			o->conf_path = argv[++i];
		} else if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
			o->listen_addr = argv[++i];
		} else if (!strcmp(argv[i], "--backlog") && i + 1 < argc) {
			o->backlog = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
			o->nthreads = atoi(argv[++i]);
			if (o->nthreads < 1 || o->nthreads > 1024) {
				fputs("docapi: --threads takes 1..1024\n", stderr);
				return 2;
			}
		} else if (!strcmp(argv[i], "--check-config")) {
			o->check_only = 1;
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
	return -1;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct options o;
	char err[512];
	int rc = parse_args(argc, argv, &o);
	const char *conf_path = o.conf_path, *listen_addr = o.listen_addr;
	int check_only = o.check_only, backlog = o.backlog, nthreads = o.nthreads;

	if (rc >= 0)
		return rc;
	rc = 1;
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
	/* json-c seeds its hash function lazily; do it before any thread. */
	json_object_put(json_object_new_object());
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
		log_info(NULL, "listening on %s", listen_addr);
	} else if (FCGX_IsCGI()) {
		/* Plain CGI: one request from the environment and stdio. */
		struct app app;
		struct http_io io = { cgi_read, cgi_write, environ, NULL };
		app_init(&app, &cfg);
		app_serve(&app, &io);
		app_free(&app);
		/* A CGI server that is still writing the body (we refused it
		 * early, e.g. 413) would get EPIPE and drop our response: read
		 * what is left, up to a bound, before exiting. */
		char sink[16384];
		for (long left = 64L << 20; left > 0 && !feof(stdin) && !ferror(stdin);)
			left -= (long)fread(sink, 1, sizeof sink, stdin);
		rc = 0;
		goto out;
	}
	if (nthreads > 1) {
		rc = serve_threads(&cfg, nthreads);
	} else {
		/* One worker in this thread; libfcgi's own SIGTERM/SIGUSR1
		 * handlers (no SA_RESTART) make the next accept fail. */
		struct worker w = { .cfg = &cfg };
		worker_main(&w);
		log_info(NULL, "worker exiting after %lu requests", w.served);
		rc = 0;
	}
out:
	config_free(&cfg);
	return rc;
}
