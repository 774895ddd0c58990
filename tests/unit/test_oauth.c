/*
 * Unit tests of api/oauth.c: form-encoded parameters, Basic
 * credentials, the public URL (NGAN_PUBLIC_URL).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/oauth.c"

static void	test_oauth_form(void);
static void	test_oauth_basic(void);
static void	test_oauth_url(void);

/* oauth.c: form-encoded parameters (RFC 6749 appendix B, 3.2). */
static void
test_oauth_form(void)
{
	const char	*why, *body;
	json_t		*o;
	char		big[5000];

	body = "grant_type=client_credentials&scope=stats%3Aread+feed%3Aread"
	    "&username=%E0%B8%87%E0%B8%B2%E0%B8%99&empty=&&novalue";
	CHECK(oauth_form_parse(body, strlen(body), &o, &why));
	CHECK(o != NULL && json_object_size(o) == 3);
	CHECK(!strcmp(json_string_value(json_object_get(o, "scope")),
	    "stats:read feed:read"));
	CHECK(!strcmp(json_string_value(json_object_get(o, "username")),
	    "งาน"));
	CHECK(json_object_get(o, "empty") == NULL);
	CHECK(json_object_get(o, "novalue") == NULL);
	json_decref(o);

	/* Counted, not NUL-terminated: the length is what is read. */
	CHECK(oauth_form_parse("a=1&b=2", 3, &o, &why));
	CHECK(json_object_size(o) == 1);
	json_decref(o);

	CHECK(!oauth_form_parse("a=1&a=2", 7, &o, &why) && o == NULL &&
	    why != NULL);
	/* An empty one is omitted, so no repeat. */
	CHECK(oauth_form_parse("a=&a=2", 6, &o, &why));
	json_decref(o);
	CHECK(!oauth_form_parse("a=%zz", 5, &o, &why));
	CHECK(!oauth_form_parse("a=%00", 5, &o, &why));
	CHECK(!oauth_form_parse("a=\0b", 4, &o, &why));
	CHECK(!oauth_form_parse("a=%ff", 5, &o, &why));
	CHECK(!oauth_form_parse("a=%0a", 5, &o, &why));
	CHECK(!oauth_form_parse("%zz=1", 5, &o, &why));
	memset(big, 'x', sizeof(big));
	memcpy(big, "a=", 2);
	CHECK(!oauth_form_parse(big, sizeof(big), &o, &why));
	CHECK(oauth_form_parse(big, 4098, &o, &why));
	json_decref(o);
	CHECK(oauth_form_parse("", 0, &o, &why) && json_object_size(o) == 0);
	json_decref(o);

	o = json_pack("{s:s, s:s}", "grant_type", "password", "scope", "");
	CHECK(oauth_params_check(o, &why) && json_object_size(o) == 1);
	json_decref(o);
	/* An empty name is no parameter (fuzz-oauth). */
	o = json_pack("{s:s, s:s}", "", "abc", "gra", "abc");
	CHECK(oauth_params_check(o, &why) && json_object_size(o) == 1 &&
	    json_object_get(o, "") == NULL);
	json_decref(o);
	o = json_pack("{s:i}", "grant_type", 7);
	CHECK(!oauth_params_check(o, &why));
	json_decref(o);
	o = json_pack("[s]", "x");
	CHECK(!oauth_params_check(o, &why));
	json_decref(o);

	CHECK(oauth_scope_valid("stats:read", 8));
	CHECK(oauth_scope_valid("stats:read feed:read", 8));
	CHECK(!oauth_scope_valid("stats:read  feed:read", 8));
	CHECK(!oauth_scope_valid(" stats:read", 8));
	CHECK(!oauth_scope_valid("stats:read ", 8));
	CHECK(!oauth_scope_valid("a\"b", 8));
	CHECK(!oauth_scope_valid("a\\b", 8));
	CHECK(!oauth_scope_valid("ขอ", 8));
	CHECK(!oauth_scope_valid("a b c", 2));
	CHECK(!oauth_scope_valid("", 8));
}

/* oauth.c: HTTP Basic with form-encoded parts (RFC 6749 2.3.1). */
static void
test_oauth_basic(void)
{
	char		id[65], secret[201];

	/* pc_1:s3cret */
	CHECK(oauth_basic_parse("Basic cGNfMTpzM2NyZXQ=", id, sizeof(id),
	    secret, sizeof(secret)));
	CHECK(!strcmp(id, "pc_1") && !strcmp(secret, "s3cret"));
	/* a%3Ab:c+d%26 is "a:b" and "c d&" */
	CHECK(oauth_basic_parse("basic YSUzQWI6YytkJTI2", id, sizeof(id),
	    secret, sizeof(secret)));
	CHECK(!strcmp(id, "a:b") && !strcmp(secret, "c d&"));
	/* The secret may hold ':' after the first. "i:x:y" */
	CHECK(oauth_basic_parse("Basic aTp4Onk=", id, sizeof(id), secret,
	    sizeof(secret)) && !strcmp(secret, "x:y"));
	/* Empty secret is a secret (wrong, later); empty id is not. */
	CHECK(oauth_basic_parse("Basic aTo=", id, sizeof(id), secret,
	    sizeof(secret)) && secret[0] == '\0');
	CHECK(!oauth_basic_parse("Basic OnM=", id, sizeof(id), secret,
	    sizeof(secret)));
	CHECK(!oauth_basic_parse("Basic aXM=", id, sizeof(id), secret,
	    sizeof(secret)));		/* no colon */
	CHECK(!oauth_basic_parse("Basic !!!", id, sizeof(id), secret,
	    sizeof(secret)));
	CHECK(!oauth_basic_parse("Bearer cGNfMTpzM2NyZXQ=", id, sizeof(id),
	    secret, sizeof(secret)));
	CHECK(!oauth_basic_parse("Basic ", id, sizeof(id), secret,
	    sizeof(secret)));
	CHECK(!oauth_basic_parse("Basic aSUwMDpz", id, sizeof(id), secret,
	    sizeof(secret)));		/* i%00:s */
	/* Longer than the buffer: refused, not cut. "abcdef:s" */
	CHECK(!oauth_basic_parse("Basic YWJjZGVmOnM=", id, 4, secret,
	    sizeof(secret)));
}

/* oauth.c: NGAN_PUBLIC_URL. */
static void
test_oauth_url(void)
{
	const char	*why;
	char		out[64];

	CHECK(oauth_public_url_check("https://ngan.example.org", out,
	    sizeof(out), &why) && !strcmp(out, "https://ngan.example.org"));
	CHECK(oauth_public_url_check("https://ngan.example.org:8443/", out,
	    sizeof(out), &why) &&
	    !strcmp(out, "https://ngan.example.org:8443"));
	CHECK(oauth_public_url_check("http://127.0.0.1:8080", out,
	    sizeof(out), &why));
	CHECK(oauth_public_url_check("http://localhost:1", out, sizeof(out),
	    &why));
	CHECK(oauth_public_url_check("http://[::1]:8080", out, sizeof(out),
	    &why));
	CHECK(oauth_public_url_check("https://[2001:db8::1]", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("http://ngan.example.org", out,
	    sizeof(out), &why) && strstr(why, "https") != NULL);
	CHECK(!oauth_public_url_check("http://127.0.0.1.evil.org", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://ngan.example.org/v1", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://ngan.example.org//", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://ngan.example.org?a", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://ngan.example.org#a", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://u@ngan.example.org", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://ngan.example.org:0", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://ngan.example.org:65536", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://", out, sizeof(out), &why));
	CHECK(!oauth_public_url_check("HTTPS://ngan.example.org", out,
	    sizeof(out), &why));
	CHECK(!oauth_public_url_check("ngan.example.org", out, sizeof(out),
	    &why));
	CHECK(!oauth_public_url_check("https://[]", out, sizeof(out), &why));
	CHECK(!oauth_public_url_check("https://a-host-name-that-does-not-"
	    "fit.example.org", out, 24, &why));
}

void
unit_oauth(void)
{
	test_oauth_form();
	test_oauth_basic();
	test_oauth_url();
}
