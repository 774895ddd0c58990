/*
 * Kore, as far as the fuzz targets need it: memory and strings for real
 * (auth.c loads keys with them), logging silent, and everything that only
 * a live request or worker reaches aborts, so a fuzzer that gets there is
 * told. Deliberately without Kore's headers: these are link-time stand-ins
 * and must not see Kore's prototypes. A new Kore call in api/ that the
 * fuzz link misses is one STUB() line here.
 */

#include <stdlib.h>
#include <string.h>

void	*kore_malloc(size_t);
void	*kore_calloc(size_t, size_t);
void	 kore_free(void *);
char	*kore_strdup(const char *);
size_t	 kore_strlcpy(char *, const char *, size_t);
void	 kore_log(int, const char *, ...);
void	 fatal(const char *, ...);

void *
kore_malloc(size_t len)
{
	void	*p;

	if ((p = malloc(len)) == NULL)
		abort();
	return (p);
}

void *
kore_calloc(size_t n, size_t len)
{
	void	*p;

	if ((p = calloc(n, len)) == NULL)
		abort();
	return (p);
}

void
kore_free(void *p)
{
	free(p);
}

char *
kore_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		abort();
	return (p);
}

size_t
kore_strlcpy(char *dst, const char *src, size_t len)
{
	size_t	n;

	n = strlen(src);
	if (len > 0) {
		memcpy(dst, src, n < len ? n : len - 1);
		dst[n < len ? n : len - 1] = '\0';
	}
	return (n);
}

void
kore_log(int prio, const char *fmt, ...)
{
	(void)prio;
	(void)fmt;
}

void
fatal(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

#define STUB(f)	void f(void); void f(void) { abort(); }
STUB(http_body_read)
STUB(http_file_lookup)
STUB(http_file_read)
STUB(http_populate_multipart_form)
STUB(http_request_header)
STUB(http_request_sleep)
STUB(http_request_wakeup)
STUB(http_response)
STUB(http_response_header)
STUB(http_state_get)
STUB(http_state_create)
STUB(kore_pool_put)
STUB(http_status_text)
STUB(http_method_text)
STUB(kore_buf_alloc)
STUB(kore_buf_append)
STUB(kore_buf_appendf)
STUB(kore_buf_free)
STUB(kore_realloc)
STUB(kore_pgsql_bind_callback)
STUB(kore_pgsql_bind_request)
STUB(kore_pgsql_cleanup)
STUB(kore_pgsql_continue)
STUB(kore_pgsql_init)
STUB(kore_pgsql_query_params)
STUB(kore_pgsql_register)
STUB(kore_pgsql_setup)
STUB(kore_pgsql_handle)
STUB(kore_pgsql_ntuples)
STUB(kore_pgsql_getvalue)
STUB(kore_platform_schedule_read)
STUB(kore_platform_event_level_read)
STUB(kore_timer_add)
STUB(kore_seccomp_filter)
STUB(kore_time_ms)
STUB(kore_platform_event_wait)
STUB(kore_timer_run)
STUB(kore_connection_prune)
STUB(http_process)
STUB(http_header_recv)
STUB(net_read)
STUB(net_recv_queue)
STUB(net_send_queue)
STUB(net_send_flush)
STUB(kore_connection_disconnect)
STUB(kore_server_lookup)
STUB(kore_fileref_get)
STUB(kore_fileref_create)
STUB(http_response_fileref)
STUB(http_media_type)
STUB(kore_buf_init)
STUB(kore_buf_cleanup)

/* Kore's globals that api/ reads. */
void	*worker;
struct { char opaque[256]; }	http_header_pool;
unsigned int	http_request_count;
unsigned short	pgsql_conn_max = 2;
unsigned short	http_header_max;
unsigned short	http_keepalive_time;
unsigned char	worker_count;
struct { void *first, **last; }	connections;
