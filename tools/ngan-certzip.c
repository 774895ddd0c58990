/*
 * ngan-certzip: builds the ZIPs of certificates organisers ask for
 * (POST /v1/events/{id}/certificates/zip; sql/api/jobs.sql).
 *
 *   DATABASE_URL=... NGAN_CERT_ZIP_DIR=var/certificate-zips ngan-certzip
 *
 * A process of its own, not a Kore task: drawing 2,000 PDFs takes
 * minutes of CPU, and a worker busy on them (or a task thread sharing its
 * memory) is every request on it stalled and its resident memory grown
 * (/work/shared/kore-notes.md); a task would also share the worker's
 * sandbox and database pool. Here one blocking libpq connection, one PDF
 * in memory at a time, and a process that can be restarted or killed
 * alone.
 *
 * The loop: claim the oldest open job (api.job_claim: an advisory lock on
 * this connection marks it ours; a builder that dies loses it with its
 * connection, and the next claim starts the job again, failing it after 3
 * starts), read its certificates 50 at a time, draw each (api/
 * certificate_pdf.c, as GET .../certificate.pdf draws it: the same
 * bytes), write it into the ZIP, report progress after each batch, and
 * finish: the ZIP renamed into place, its size and SHA-256 recorded.
 * When no job is open, remove the ZIPs built more than
 * NGAN_CERT_ZIP_KEEP_HOURS ago (they hold names), then wait for NOTIFY
 * ngan_jobs or 5 seconds. SIGTERM and
 * SIGINT end it after the certificate in hand; the job it leaves is
 * started again by the next builder.
 *
 * The ZIP is written with libarchive as a stream (one entry at a time,
 * nothing kept), each entry stored (the PDFs are compressed already),
 * dated by its certificate's issue time, owned by 0:0, mode 0644, in the
 * job's order: the same certificates give the same bytes.
 *
 * It logs job ids and counts; never a name.
 */

#include <sys/select.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "ngan.h"
#include "certificates.h"

#define BATCH		50	/* certificates read at a time */
#define ERRORS_KEPT	20	/* as the job's check allows */
#define WAIT_SECONDS	5

/* A logo or signature, kept while certificates print the same one. */
struct image_slot {
	char		sha[65];
	u_int8_t	*data;
	struct cert_image img;
};

/* The ZIP being written: its file and the hash of what went in. */
struct zip_out {
	int				fd;
	off_t				bytes;
	crypto_hash_sha256_state	hash;
};

/* A job in hand. */
struct job {
	char		id[NGAN_UUID_LEN + 1];
	char		verify_url[600];
	int		total;
	int		done;
	int		error_count;
	json_t		*errors;
	struct image_slot logo;
	struct image_slot signature;
};

static volatile sig_atomic_t	stop;
static const char		*zip_dir;

static void	on_signal(int);
static void	logx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	config_or_exit(void);
static PGconn	*db_connect(void);
static int	claim(PGconn *, struct job *);
static int	build(PGconn *, struct job *);
static int	batch_write(PGconn *, struct job *, struct archive *, int);
static int	entry_write(PGconn *, struct job *, struct archive *,
		    json_t *);
static int	image_get(PGconn *, struct image_slot *, const char *,
		    struct cert_image *);
static void	job_error(struct job *, const char *, const char *);
static int	progress(PGconn *, struct job *);
static int	finish(PGconn *, struct job *, off_t, const u_int8_t *,
		    const char *);
static la_ssize_t	zip_write(struct archive *, void *, const void *,
			    size_t);
static int	sweep(PGconn *);
static int	wait_for_work(PGconn *);
static PGresult	*query(PGconn *, const char *, int, const char *const *);

int
main(void)
{
	struct sigaction	sa;
	struct job		job;
	PGconn			*db;
	int			got;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* ZIP entries carry local (DOS) times: the same in every place. */
	(void)setenv("TZ", "UTC", 1);
	tzset();
	if (sodium_init() < 0) {
		logx("libsodium failed to start");
		return (1);
	}
	if (!config_or_exit())
		return (1);
	if (!cert_pdf_init()) {
		logx("fontconfig or the Laksaman font is missing "
		    "(fonts-tlwg-laksaman)");
		return (1);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);

	logx("building certificate ZIPs into %s", zip_dir);
	db = NULL;
	while (!stop) {
		if (db == NULL && (db = db_connect()) == NULL) {
			(void)sleep(1);
			continue;
		}
		if ((got = claim(db, &job)) == 1)
			got = build(db, &job) ? 1 : -1;
		else if (got == 0 && !sweep(db))
			got = -1;
		if (got == -1 || (got == 0 && !wait_for_work(db))) {
			/* Our lock goes with the connection. */
			logx("database connection lost or job abandoned");
			PQfinish(db);
			db = NULL;
		}
	}
	if (db != NULL)
		PQfinish(db);
	logx("stopped");

	return (0);
}

static void
on_signal(int sig)
{
	stop = 1;
}

static void
logx(const char *fmt, ...)
{
	va_list		ap;

	printf("ngan-certzip[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	(void)fflush(stdout);
}

/* The variables this process reads (api/config.c), checked once. */
static int
config_or_exit(void)
{
	static const enum config_id	ids[] = {
		CONFIG_DATABASE_URL, CONFIG_PGPASSWORD, CONFIG_PGAPPNAME,
		CONFIG_CERT_ZIP_DIR, CONFIG_CERT_ZIP_KEEP_HOURS
	};
	char				err[512];
	size_t				i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (!config_load_one(ids[i], err, sizeof(err))) {
			logx("%s", err);
			return (0);
		}
	}
	zip_dir = config_text(CONFIG_CERT_ZIP_DIR);
	if (mkdir(zip_dir, 0700) == -1 && errno != EEXIST) {
		logx("NGAN_CERT_ZIP_DIR: cannot make %s: %s", zip_dir,
		    strerror(errno));
		return (0);
	}

	return (1);
}

static PGconn *
db_connect(void)
{
	PGconn		*db;
	PGresult	*res;

	db = PQconnectdb(config_text(CONFIG_DATABASE_URL));
	if (PQstatus(db) != CONNECTION_OK) {
		logx("cannot reach the database: %s", PQerrorMessage(db));
		PQfinish(db);
		return (NULL);
	}
	res = PQexec(db, "LISTEN ngan_jobs");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		logx("LISTEN failed: %s", PQerrorMessage(db));
		PQclear(res);
		PQfinish(db);
		return (NULL);
	}
	PQclear(res);

	return (db);
}

/* A parameterised query; caller must PQclear. NULL when it failed. */
static PGresult *
query(PGconn *db, const char *sql, int n, const char *const *values)
{
	PGresult	*res;

	res = PQexecParams(db, sql, n, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK) {
		logx("query failed: %s", PQerrorMessage(db));
		PQclear(res);
		return (NULL);
	}

	return (res);
}

/* 1: a job is ours (in job), 0: none is open, -1: the database failed. */
static int
claim(PGconn *db, struct job *job)
{
	PGresult	*res;
	json_t		*j;
	const char	*id, *url;
	int		ret;

	if ((res = query(db, "SELECT api.job_claim()", 0, NULL)) == NULL)
		return (-1);
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return (0);
	}
	j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);

	memset(job, 0, sizeof(*job));
	id = json_string_value(json_object_get(j, "id"));
	url = json_string_value(json_object_get(j, "verify_url"));
	job->total = (int)json_integer_value(json_object_get(j, "total"));
	ret = -1;
	if (id != NULL && url != NULL && strlen(id) == NGAN_UUID_LEN) {
		(void)snprintf(job->id, sizeof(job->id), "%s", id);
		(void)snprintf(job->verify_url, sizeof(job->verify_url), "%s",
		    url);
		logx("job %s: %d certificates, start %d", job->id, job->total,
		    (int)json_integer_value(json_object_get(j, "attempts")));
		ret = 1;
	}
	json_decref(j);

	return (ret);
}

/*
 * Builds job into <dir>/<id>.zip.part, renamed to <id>.zip when whole.
 * 1: finished (done or failed, as recorded), 0: abandoned (the database
 * went away or we are stopping; the job is started again later).
 */
static int
build(PGconn *db, struct job *job)
{
	struct archive	*a;
	struct zip_out	out;
	u_int8_t	sha[crypto_hash_sha256_BYTES];
	char		part[1024], path[1024];
	const char	*failure;
	int		from, ok;

	job->errors = json_array();
	(void)snprintf(part, sizeof(part), "%s/%s.zip.part", zip_dir, job->id);
	(void)snprintf(path, sizeof(path), "%s/%s.zip", zip_dir, job->id);

	memset(&out, 0, sizeof(out));
	memset(sha, 0, sizeof(sha));
	crypto_hash_sha256_init(&out.hash);
	failure = NULL;
	ok = 1;
	a = NULL;
	if ((out.fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		logx("job %s: %s: %s", job->id, part, strerror(errno));
		failure = "write_failed";
		goto out;
	}
	a = archive_write_new();
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:compression=store") !=
	    ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, &out, NULL, zip_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		logx("job %s: libarchive: %s", job->id,
		    archive_error_string(a));
		failure = "write_failed";
		goto out;
	}

	for (from = 0; from < job->total; from += BATCH) {
		if (stop || (ok = batch_write(db, job, a, from)) != 1)
			break;
		if (!progress(db, job)) {
			ok = 0;
			break;
		}
	}
	if (stop || ok == 0) {
		ok = 0;
		goto out;
	}
	if (ok == -1) {
		ok = 1;
		failure = "write_failed";
		goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		logx("job %s: libarchive: %s", job->id,
		    archive_error_string(a));
		failure = "write_failed";
		goto out;
	}
	if (fsync(out.fd) == -1 || close(out.fd) == -1) {
		out.fd = -1;
		failure = "write_failed";
		goto out;
	}
	out.fd = -1;
	if (rename(part, path) == -1) {
		logx("job %s: rename: %s", job->id, strerror(errno));
		failure = "write_failed";
		goto out;
	}
	crypto_hash_sha256_final(&out.hash, sha);

out:
	if (a != NULL)
		archive_write_free(a);
	if (out.fd != -1)
		(void)close(out.fd);
	if (failure != NULL || ok == 0)
		(void)unlink(part);
	if (ok == 1 && !finish(db, job, out.bytes, sha, failure))
		ok = 0;
	if (ok == 1)
		logx("job %s: %s, %d of %d drawn, %d errors", job->id,
		    failure != NULL ? failure : "done", job->done, job->total,
		    job->error_count);
	else
		logx("job %s: abandoned at %d of %d", job->id, job->done,
		    job->total);
	json_decref(job->errors);
	free(job->logo.data);
	free(job->signature.data);

	return (ok);
}

/* libarchive's output: into the file, and into the hash. */
static la_ssize_t
zip_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct zip_out	*out;
	const u_int8_t	*p;
	size_t		off;
	ssize_t		n;

	out = arg;
	p = buf;
	for (off = 0; off < len; off += (size_t)n) {
		if ((n = write(out->fd, p + off, len - off)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			archive_set_error(a, errno, "write: %s",
			    strerror(errno));
			return (-1);
		}
	}
	crypto_hash_sha256_update(&out->hash, p, len);
	out->bytes += (off_t)len;

	return ((la_ssize_t)len);
}

/* Certificates from .. from + BATCH - 1: 1 written, 0 db, -1 the file. */
static int
batch_write(PGconn *db, struct job *job, struct archive *a, int from)
{
	PGresult	*res;
	json_t		*list, *c;
	const char	*values[3];
	char		f[16], n[16];
	size_t		i;
	int		ret;

	(void)snprintf(f, sizeof(f), "%d", from);
	(void)snprintf(n, sizeof(n), "%d", BATCH);
	values[0] = job->id;
	values[1] = f;
	values[2] = n;
	if ((res = query(db, "SELECT api.job_certificates($1, $2, $3)", 3,
	    values)) == NULL)
		return (0);
	list = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0,
	    NULL) : NULL;
	PQclear(res);
	if (!json_is_array(list)) {
		json_decref(list);
		return (0);
	}

	ret = 1;
	json_array_foreach(list, i, c) {
		if (stop)
			break;
		if ((ret = entry_write(db, job, a, c)) != 1)
			break;
	}
	/* A certificate gone since the job was made is counted too. */
	if (ret == 1 && !stop)
		job->done = from + BATCH < job->total ? from + BATCH :
		    job->total;
	json_decref(list);

	return (ret);
}

/* One certificate drawn into the ZIP: 1, or 0 db, -1 the file. */
static int
entry_write(PGconn *db, struct job *job, struct archive *a, json_t *c)
{
	struct archive_entry	*e;
	struct cert_doc		doc;
	struct cert_texts	texts;
	u_int8_t		*pdf;
	size_t			len;
	const char		*code;
	char			name[64];
	int			ret;

	cert_doc_fill(&doc, c, job->verify_url, &texts);
	code = doc.short_code != NULL ? doc.short_code : "";
	if (json_is_true(json_object_get(c, "revoked"))) {
		job_error(job, code, "revoked");
		return (1);
	}
	if (!image_get(db, &job->logo, json_string_value(json_object_get(c,
	    "logo_sha256")), &doc.logo) || !image_get(db, &job->signature,
	    json_string_value(json_object_get(c, "signature_sha256")),
	    &doc.signature))
		return (0);
	if (cert_pdf_render(&doc, &pdf, &len) != CERT_OK) {
		job_error(job, code, "render_failed");
		return (1);
	}

	(void)snprintf(name, sizeof(name), "certificate-%s.pdf", code);
	e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, (time_t)json_integer_value(
	    json_object_get(c, "issued_epoch")), 0);
	ret = 1;
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, pdf, len) != (la_ssize_t)len ||
	    archive_write_finish_entry(a) != ARCHIVE_OK) {
		logx("job %s: libarchive: %s", job->id,
		    archive_error_string(a));
		ret = -1;
	}
	archive_entry_free(e);
	free(pdf);

	return (ret);
}

/*
 * The image of SHA-256 sha (hex; NULL: none) into img, from slot when it
 * holds it, else from the database: 1, or 0 when the database failed.
 */
static int
image_get(PGconn *db, struct image_slot *slot, const char *sha,
    struct cert_image *img)
{
	PGresult	*res;
	json_t		*o;
	const char	*hex, *type;
	size_t		n, got;

	memset(img, 0, sizeof(*img));
	if (sha == NULL || *sha == '\0')
		return (1);
	if (strcmp(slot->sha, sha) != 0) {
		free(slot->data);
		memset(slot, 0, sizeof(*slot));
		if ((res = query(db, "SELECT api.certificate_image_for($1)", 1,
		    &sha)) == NULL)
			return (0);
		o = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0,
		    NULL) : NULL;
		PQclear(res);
		hex = json_string_value(json_object_get(o, "hex"));
		type = json_string_value(json_object_get(o, "content_type"));
		n = hex != NULL ? strlen(hex) / 2 : 0;
		if (n > 0 && type != NULL && (slot->data = malloc(n)) != NULL &&
		    sodium_hex2bin(slot->data, n, hex, n * 2, NULL, &got,
		    NULL) == 0 && got == n) {
			slot->img.data = slot->data;
			slot->img.len = n;
			slot->img.type = !strcmp(type, "image/png") ?
			    CERT_IMAGE_PNG : CERT_IMAGE_JPEG;
			slot->img.width = (int)json_integer_value(
			    json_object_get(o, "width"));
			slot->img.height = (int)json_integer_value(
			    json_object_get(o, "height"));
		}
		json_decref(o);
		(void)snprintf(slot->sha, sizeof(slot->sha), "%s", sha);
	}
	*img = slot->img;

	return (1);
}

/* A certificate left out of the ZIP, and why. */
static void
job_error(struct job *job, const char *code, const char *reason)
{
	job->error_count++;
	if (json_array_size(job->errors) < ERRORS_KEPT)
		json_array_append_new(job->errors, json_pack("{s:s, s:s}",
		    "short_code", code, "reason", reason));
}

static int
progress(PGconn *db, struct job *job)
{
	PGresult	*res;
	const char	*values[4];
	char		done[16], count[16], *errors;

	(void)snprintf(done, sizeof(done), "%d", job->done);
	(void)snprintf(count, sizeof(count), "%d", job->error_count);
	if ((errors = json_dumps(job->errors, JSON_COMPACT)) == NULL)
		return (0);
	values[0] = job->id;
	values[1] = done;
	values[2] = errors;
	values[3] = count;
	res = query(db, "SELECT api.job_progress($1, $2, $3, $4)", 4, values);
	free(errors);
	if (res == NULL)
		return (0);
	PQclear(res);

	return (1);
}

/* Recorded done (failure NULL) or failed; our lock let go. */
static int
finish(PGconn *db, struct job *job, off_t bytes, const u_int8_t *sha,
    const char *failure)
{
	PGresult	*res;
	const char	*values[4];
	char		size[32], hex[crypto_hash_sha256_BYTES * 2 + 1];

	(void)snprintf(size, sizeof(size), "%lld", (long long)bytes);
	(void)sodium_bin2hex(hex, sizeof(hex), sha,
	    crypto_hash_sha256_BYTES);
	values[0] = job->id;
	values[1] = failure == NULL ? size : NULL;
	values[2] = failure == NULL ? hex : NULL;
	values[3] = failure;
	if ((res = query(db, "SELECT api.job_finish($1, $2, $3, $4)", 4,
	    values)) == NULL)
		return (0);
	PQclear(res);

	return (1);
}

/* Removes the ZIPs kept long enough; 0 when the database failed. */
static int
sweep(PGconn *db)
{
	PGresult	*res, *done;
	const char	*id, *values[1];
	char		hours[16], path[1024];
	int		i;

	(void)snprintf(hours, sizeof(hours), "%d",
	    config_int(CONFIG_CERT_ZIP_KEEP_HOURS));
	values[0] = hours;
	if ((res = query(db, "SELECT api.jobs_expired($1)", 1, values)) ==
	    NULL)
		return (0);
	for (i = 0; i < PQntuples(res); i++) {
		id = PQgetvalue(res, i, 0);
		if (strlen(id) != NGAN_UUID_LEN)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s.zip", zip_dir, id);
		if (unlink(path) == -1 && errno != ENOENT) {
			logx("job %s: cannot remove its ZIP: %s", id,
			    strerror(errno));
			continue;
		}
		if ((done = query(db, "SELECT api.job_removed($1)", 1,
		    &id)) == NULL) {
			PQclear(res);
			return (0);
		}
		PQclear(done);
		logx("job %s: its ZIP removed (kept %s hours)", id, hours);
	}
	PQclear(res);

	return (1);
}

/* A NOTIFY ngan_jobs or WAIT_SECONDS; 0 when the connection is gone. */
static int
wait_for_work(PGconn *db)
{
	struct timeval	tv;
	PGnotify	*n;
	fd_set		fds;
	int		fd;

	if ((fd = PQsocket(db)) < 0)
		return (0);
	FD_ZERO(&fds);
	FD_SET(fd, &fds);
	tv.tv_sec = WAIT_SECONDS;
	tv.tv_usec = 0;
	if (select(fd + 1, &fds, NULL, NULL, &tv) == -1 && errno != EINTR)
		return (0);
	if (!PQconsumeInput(db))
		return (0);
	while ((n = PQnotifies(db)) != NULL)
		PQfreemem(n);

	return (PQstatus(db) == CONNECTION_OK);
}
