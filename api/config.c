/*
 * Every environment variable the server reads, in one table, read once
 * in the parent before the workers fork (they inherit the values, and a
 * worker restarted later reads nothing again). One behaviour for every
 * variable: unset or empty means its default, a required one missing or
 * any bad value stops the server with a message naming the variable and
 * what it takes (never the value of a secret). Secrets may come from
 * NAME_FILE instead (env_secret()). The README's table lists them all;
 * make lint checks that nothing else calls getenv(3).
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ngan.h"

#define CONFIG_TEXT_MAX		4096
/* A secret file is a key, a password or a URL: a few bytes. */
#define SECRET_FILE_MAX		8192

enum config_kind {
	CONFIG_KIND_INT,
	CONFIG_KIND_TEXT,
};

struct config_var {
	const char		*name;
	enum config_kind	 kind;
	int			 required;
	int			 secret;	/* or NAME_FILE; never shown */
	long			 min;
	long			 max;
	long			 def;
	const char		*text_def;
	const char		*takes;
};

static const struct config_var vars[CONFIG_COUNT] = {
	[CONFIG_DATABASE_URL] = {
		.name = "DATABASE_URL", .kind = CONFIG_KIND_TEXT,
		.required = 1, .secret = 1,
		.takes = "a libpq connection URL or key=value string",
	},
	[CONFIG_READ_DATABASE_URL] = {
		.name = "NGAN_READ_DATABASE_URL", .kind = CONFIG_KIND_TEXT,
		.secret = 1, .text_def = "",
		.takes = "a libpq URL or key=value string of a streaming "
		    "replica for partner reads",
	},
	[CONFIG_PGPASSWORD] = {
		.name = "PGPASSWORD", .kind = CONFIG_KIND_TEXT, .secret = 1,
		.text_def = "",
		.takes = "the database password, for a URL without one",
	},
	[CONFIG_PGAPPNAME] = {
		.name = "PGAPPNAME", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "the application name the database sees (ngan)",
	},
	[CONFIG_JWT_KEY] = {
		.name = "NGAN_JWT_KEY", .kind = CONFIG_KIND_TEXT,
		.required = 1,
		.takes = "the path of the ES256 (P-256) private key, PEM",
	},
	[CONFIG_JWT_PREVIOUS_KEYS] = {
		.name = "NGAN_JWT_PREVIOUS_KEYS", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "paths of earlier keys, by colons",
	},
	[CONFIG_ACCESS_TTL] = {
		.name = "NGAN_ACCESS_TTL", .kind = CONFIG_KIND_INT,
		.min = 30, .max = 86400, .def = 900,
		.takes = "seconds an access token lasts, 30 to 86400",
	},
	[CONFIG_REFRESH_TTL] = {
		.name = "NGAN_REFRESH_TTL", .kind = CONFIG_KIND_INT,
		.min = 60, .max = 366 * 86400, .def = 30 * 86400,
		.takes = "seconds a refresh token lasts, 60 to 31622400",
	},
	[CONFIG_PII_KEY] = {
		.name = "NGAN_PII_KEY", .kind = CONFIG_KIND_TEXT,
		.required = 1, .secret = 1,
		.takes = "64 hex digits (32 bytes: openssl rand -hex 32)",
	},
	[CONFIG_METRICS_TOKEN] = {
		.name = "NGAN_METRICS_TOKEN", .kind = CONFIG_KIND_TEXT,
		.secret = 1, .text_def = "",
		.takes = "at least 32 characters (openssl rand -hex 32)",
	},
	[CONFIG_TRUSTED_PROXIES] = {
		.name = "NGAN_TRUSTED_PROXIES", .kind = CONFIG_KIND_TEXT,
		.text_def = "127.0.0.0/8,::1",
		.takes = "addresses or CIDR ranges by commas, or none",
	},
	[CONFIG_CONN_PER_ADDR] = {
		.name = "NGAN_CONN_PER_ADDR", .kind = CONFIG_KIND_INT,
		.min = 0, .max = 65535, .def = 32,
		.takes = "connections per address, 0 (no cap) to 65535",
	},
	[CONFIG_BODY_MIN_RATE] = {
		.name = "NGAN_BODY_MIN_RATE", .kind = CONFIG_KIND_INT,
		.min = 0, .max = 1L << 30, .def = 1024,
		.takes = "bytes a second, 0 (no minimum) to 1073741824",
	},
	[CONFIG_CORS_ORIGINS] = {
		.name = "NGAN_CORS_ORIGINS", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "http(s) origins by commas, no *",
	},
	[CONFIG_PARTNER_RATE] = {
		.name = "NGAN_PARTNER_RATE", .kind = CONFIG_KIND_INT,
		.min = 0, .max = 1000000, .def = 120,
		.takes = "partner requests a minute, 0 (no limit) to 1000000",
	},
	[CONFIG_STATS_TTL] = {
		.name = "NGAN_STATS_TTL", .kind = CONFIG_KIND_INT,
		.min = 0, .max = 86400, .def = 60,
		.takes = "seconds, 0 to 86400",
	},
	[CONFIG_FEED_RETENTION_DAYS] = {
		.name = "NGAN_FEED_RETENTION_DAYS", .kind = CONFIG_KIND_INT,
		.min = 1, .max = 3650, .def = 30,
		.takes = "days, 1 to 3650",
	},
	[CONFIG_RETENTION_YEARS] = {
		.name = "NGAN_RETENTION_YEARS", .kind = CONFIG_KIND_INT,
		.min = 1, .max = 100, .def = 5,
		.takes = "years, 1 to 100",
	},
	[CONFIG_CHECKIN_MARGIN] = {
		.name = "NGAN_CHECKIN_MARGIN_MINUTES", .kind = CONFIG_KIND_INT,
		.min = 0, .max = 7 * 24 * 60, .def = 120,
		.takes = "minutes, 0 to 10080",
	},
	[CONFIG_TICKET_LINK_DAYS] = {
		.name = "NGAN_TICKET_LINK_DAYS", .kind = CONFIG_KIND_INT,
		.min = 0, .max = 3650, .def = 30,
		.takes = "days after the event, 0 to 3650",
	},
	[CONFIG_WORKER_PRIORITY] = {
		.name = "NGAN_WORKER_PRIORITY", .kind = CONFIG_KIND_INT,
		.min = -20, .max = 19, .def = -10,
		.takes = "a nice value, -20 to 19",
	},
	[CONFIG_ACCESS_LOG] = {
		.name = "NGAN_ACCESS_LOG", .kind = CONFIG_KIND_INT,
		.min = 0, .max = 1, .def = 1,
		.takes = "1 (a line a request) or 0",
	},
	[CONFIG_OPENAPI] = {
		.name = "NGAN_OPENAPI", .kind = CONFIG_KIND_TEXT,
		.text_def = "openapi.yaml",
		.takes = "the path of openapi.yaml",
	},
	[CONFIG_ASSETS] = {
		.name = "NGAN_ASSETS", .kind = CONFIG_KIND_TEXT,
		.text_def = "assets",
		.takes = "the folder of the /docs page's files",
	},
	[CONFIG_PUBLIC_URL] = {
		.name = "NGAN_PUBLIC_URL", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "the origin clients reach the server at "
		    "(api/oauth.c checks it)",
	},
	[CONFIG_MESSAGES] = {
		.name = "NGAN_MESSAGES", .kind = CONFIG_KIND_TEXT,
		.text_def = "off",
		.takes = "where ngan-outbox sends text messages: off (they "
		    "wait in the outbox), log (development: its log) or sms "
		    "(the provider at NGAN_SMS_URL)",
	},
	[CONFIG_OUTBOX_MAX_ATTEMPTS] = {
		.name = "NGAN_OUTBOX_MAX_ATTEMPTS", .kind = CONFIG_KIND_INT,
		.min = 1, .max = 100, .def = 12,
		.takes = "attempts before a message is a dead letter, 1 to 100",
	},
	[CONFIG_OUTBOX_BACKOFF_MS] = {
		.name = "NGAN_OUTBOX_BACKOFF_MS", .kind = CONFIG_KIND_INT,
		.min = 10, .max = 3600000, .def = 5000,
		.takes = "milliseconds before the first retry (doubling after, "
		    "with jitter, to an hour at most), 10 to 3600000",
	},
	[CONFIG_OUTBOX_LEASE] = {
		.name = "NGAN_OUTBOX_LEASE_SECONDS", .kind = CONFIG_KIND_INT,
		.min = 4, .max = 3600, .def = 60,
		.takes = "seconds a delivery process holds a message it took "
		    "(a send gets half of it), 4 to 3600",
	},
	[CONFIG_WEBHOOK_ALLOW_LOOPBACK] = {
		.name = "NGAN_WEBHOOK_ALLOW_LOOPBACK", .kind = CONFIG_KIND_INT,
		.min = 0, .max = 1, .def = 0,
		.takes = "1 lets webhook endpoints be on loopback, http:// "
		    "too (development and tests only), or 0",
	},
	[CONFIG_SMTP_URL] = {
		.name = "NGAN_SMTP_URL", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "the SMTP server ngan-outbox sends email through, "
		    "smtp://host:587 (STARTTLS required) or smtps://host:465; "
		    "unset: no email",
	},
	[CONFIG_SMTP_FROM] = {
		.name = "NGAN_SMTP_FROM", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "the sender address of email (required with "
		    "NGAN_SMTP_URL)",
	},
	[CONFIG_SMTP_USER] = {
		.name = "NGAN_SMTP_USER", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "the SMTP login, if the server asks for one",
	},
	[CONFIG_SMTP_PASSWORD] = {
		.name = "NGAN_SMTP_PASSWORD", .kind = CONFIG_KIND_TEXT,
		.secret = 1, .text_def = "",
		.takes = "the SMTP password",
	},
	[CONFIG_SMTP_CA_FILE] = {
		.name = "NGAN_SMTP_CA_FILE", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "a PEM file of the CAs to trust for the SMTP server "
		    "(unset: the system's)",
	},
	[CONFIG_LINE_URL] = {
		.name = "NGAN_LINE_URL", .kind = CONFIG_KIND_TEXT,
		.text_def = "https://api.line.me/v2/bot/message/push",
		.takes = "the LINE Messaging API's push endpoint (http:// only "
		    "to loopback, for tests)",
	},
	[CONFIG_LINE_TOKEN] = {
		.name = "NGAN_LINE_TOKEN", .kind = CONFIG_KIND_TEXT,
		.secret = 1, .text_def = "",
		.takes = "the LINE official account's channel access token; "
		    "unset: no LINE messages",
	},
	[CONFIG_SMS_URL] = {
		.name = "NGAN_SMS_URL", .kind = CONFIG_KIND_TEXT,
		.text_def = "",
		.takes = "the SMS provider's HTTPS endpoint (http:// only to "
		    "loopback, for tests)",
	},
	[CONFIG_SMS_TOKEN] = {
		.name = "NGAN_SMS_TOKEN", .kind = CONFIG_KIND_TEXT,
		.secret = 1, .text_def = "",
		.takes = "the SMS provider's API token (Bearer)",
	},
	[CONFIG_SMS_SENDER] = {
		.name = "NGAN_SMS_SENDER", .kind = CONFIG_KIND_TEXT,
		.text_def = "ngan",
		.takes = "the sender name the SMS provider shows",
	},
	[CONFIG_CERT_ZIP_DIR] = {
		.name = "NGAN_CERT_ZIP_DIR", .kind = CONFIG_KIND_TEXT,
		.text_def = "var/certificate-zips",
		.takes = "the folder ngan-certzip writes certificate ZIPs into "
		    "and the server sends them from (made if missing)",
	},
	[CONFIG_CERT_ZIP_KEEP_HOURS] = {
		.name = "NGAN_CERT_ZIP_KEEP_HOURS", .kind = CONFIG_KIND_INT,
		.min = 1, .max = 8760, .def = 168,
		.takes = "hours a certificate ZIP is kept after it is built, "
		    "1 to 8760",
	},
};

static long		config_ints[CONFIG_COUNT];
static char		*config_texts[CONFIG_COUNT];

static int	env_secret(const char *, char *, size_t);
static int	config_read(const struct config_var *, long *, char **,
		    char *, size_t);

/*
 * Reads every variable; on the first bad one writes a message into err
 * and returns KORE_RESULT_ERROR (the caller stops the server).
 */
int
config_load(char *err, size_t errlen)
{
	int		i;

	for (i = 0; i < CONFIG_COUNT; i++) {
		if (!config_load_one(i, err, errlen))
			return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

/*
 * Reads variable id alone, as config_load() does: for a tool that needs
 * a few (tools/ngan-outbox.c) and not the server's required ones.
 */
int
config_load_one(enum config_id id, char *err, size_t errlen)
{
	if (vars[id].secret && !env_secret(vars[id].name, err, errlen))
		return (KORE_RESULT_ERROR);

	return (config_read(&vars[id], &config_ints[id], &config_texts[id],
	    err, errlen));
}

static int
config_read(const struct config_var *var, long *n, char **text, char *err,
    size_t errlen)
{
	const char	*v;
	char		*end;

	if ((v = getenv(var->name)) == NULL || *v == '\0') {
		if (var->required) {
			(void)snprintf(err, errlen, "%s is not set: %s",
			    var->name, var->takes);
			return (KORE_RESULT_ERROR);
		}
		*n = var->def;
		*text = strdup(var->text_def != NULL ? var->text_def : "");
		return (*text != NULL);
	}

	if (strlen(v) > CONFIG_TEXT_MAX) {
		(void)snprintf(err, errlen, "%s is longer than %d bytes",
		    var->name, CONFIG_TEXT_MAX);
		return (KORE_RESULT_ERROR);
	}
	if (var->kind == CONFIG_KIND_INT) {
		/* strtol(3) would skip blanks and take a plus sign. */
		errno = 0;
		*n = strtol(v, &end, 10);
		if ((*v != '-' && !isdigit((unsigned char)*v)) || errno != 0 ||
		    end == v || *end != '\0' || *n < var->min ||
		    *n > var->max) {
			(void)snprintf(err, errlen, "%s: \"%s\" is not %s",
			    var->name, v, var->takes);
			return (KORE_RESULT_ERROR);
		}
	}
	*text = strdup(v);

	return (*text != NULL);
}

int
config_int(enum config_id id)
{
	return ((int)config_ints[id]);
}

/* Never NULL once config_load() succeeded: "" or the default if unset. */
const char *
config_text(enum config_id id)
{
	return (config_texts[id] != NULL ? config_texts[id] : "");
}

/* The variable's name, for a module's own message about its value. */
const char *
config_name(enum config_id id)
{
	return (vars[id].name);
}

/* What the variable takes, for the same messages. */
const char *
config_takes(enum config_id id)
{
	return (vars[id].takes);
}

/*
 * Secret NAME from the file NAME_FILE names, when it is set: the file's
 * content, trailing newlines (LF or CRLF) stripped, becomes NAME in this
 * process's environment and NAME_FILE goes, so whatever reads NAME later
 * (libpq, the workers forked after this) reads the value. Unset or empty
 * NAME_FILE leaves NAME alone. Both set, a file that cannot be read, is
 * not a regular file, is empty, too long or holds a NUL byte: an error
 * written into err (which never holds the value).
 */
static int
env_secret(const char *name, char *err, size_t errlen)
{
	struct stat	st;
	char		fname[128], buf[SECRET_FILE_MAX + 1];
	const char	*path, *v;
	size_t		len;
	ssize_t		n;
	int		fd, ret;

	ret = KORE_RESULT_ERROR;
	fd = -1;
	len = 0;
	(void)snprintf(fname, sizeof(fname), "%s_FILE", name);
	if ((path = getenv(fname)) == NULL || *path == '\0')
		return (KORE_RESULT_OK);
	if ((v = getenv(name)) != NULL && *v != '\0') {
		(void)snprintf(err, errlen, "%s and %s are both set: set one",
		    name, fname);
		return (KORE_RESULT_ERROR);
	}

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		(void)snprintf(err, errlen, "%s: cannot read %s: %s", fname,
		    path, errno_s);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: %s is not a regular file",
		    fname, path);
		goto out;
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			(void)snprintf(err, errlen, "%s: cannot read %s: %s",
			    fname, path, errno_s);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > SECRET_FILE_MAX) {
		(void)snprintf(err, errlen, "%s: %s is longer than %d bytes",
		    fname, path, SECRET_FILE_MAX);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		(void)snprintf(err, errlen, "%s: %s holds a NUL byte", fname,
		    path);
		goto out;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0) {
		(void)snprintf(err, errlen, "%s: %s is empty", fname, path);
		goto out;
	}
	buf[len] = '\0';
	if (setenv(name, buf, 1) == -1) {
		(void)snprintf(err, errlen, "%s: %s", name, errno_s);
		goto out;
	}
	(void)unsetenv(fname);
	ret = KORE_RESULT_OK;

out:
	if (fd != -1)
		(void)close(fd);
	sodium_memzero(buf, sizeof(buf));
	return (ret);
}
