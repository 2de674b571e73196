/*
 * trivial.c - the L_web baseline of the benchmark: a FastCGI responder that
 * reads the whole request body and answers 200 with a fixed 200-byte JSON
 * body. Spawned by the same lighttpd configuration as docapi.fcgi (fd 0 is
 * the FastCGI socket). Build: gcc -O2 -o trivial trivial.c -lfcgi
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	static char body[201];
	FCGX_Request req;
	char buf[8192];

	/* 200 bytes of JSON: {"ok":true,"pad":"xxx...x"} */
	memset(body, 'x', 200);
	memcpy(body, "{\"ok\":true,\"pad\":\"", 18);
	memcpy(body + 198, "\"}", 2);
	body[200] = '\0';

	if (FCGX_Init() != 0)
		return 1;
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		while (FCGX_GetStr(buf, sizeof buf, req.in) > 0)
			;
		FCGX_FPrintF(req.out,
		             "Status: 200 OK\r\n"
		             "Content-Type: application/json\r\n"
		             "Content-Length: 200\r\n"
		             "ETag: \"1\"\r\n\r\n");
		FCGX_PutStr(body, 200, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
