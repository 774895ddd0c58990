/*
 * Unit tests of api/base45.c (RFC 9285) and api/ticket_compact.c (the
 * compact ticket's bytes and text; tickets.c signs and verifies them).
 */

#include <stdio.h>
#include <string.h>

#include "unit.h"

#include "../../api/base45.c"
#include "../../api/ticket_compact.c"

static void	test_base45(void);
static void	test_ticket_compact(void);

void
unit_base45(void)
{
	test_base45();
	test_ticket_compact();
}

/* base45.c: RFC 9285's examples (4.3, 4.4) and its must-fail cases. */
static void
test_base45(void)
{
	static const struct {
		const char	*bytes;
		const char	*text;
	} v[] = {
		{ "AB", "BB8" },
		{ "Hello!!", "%69 VD92EX0" },
		{ "base-45", "UJCLQE7W581" },
		{ "ietf!", "QED8WEX0" },
		{ "", "" },
	};
	u_int8_t	out[32];
	char		text[32];
	size_t		i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK(base45_encode((const u_int8_t *)v[i].bytes,
		    strlen(v[i].bytes), text, sizeof(text)));
		CHECK(!strcmp(text, v[i].text));
		CHECK(base45_decode(v[i].text, strlen(v[i].text), out,
		    sizeof(out), &n));
		CHECK(n == strlen(v[i].bytes) &&
		    !memcmp(out, v[i].bytes, n));
	}

	/* 0xff 0xff is "FGW", the largest group; one more does not exist. */
	CHECK(base45_encode((const u_int8_t *)"\xff\xff", 2, text,
	    sizeof(text)) && !strcmp(text, "FGW"));
	CHECK(!base45_decode("GGW", 3, out, sizeof(out), &n));
	CHECK(!base45_decode(":::", 3, out, sizeof(out), &n));
	/* A last pair over 255, a length of 1 mod 3, outside the set. */
	CHECK(base45_decode("U5", 2, out, sizeof(out), &n) && n == 1 &&
	    out[0] == 255);
	CHECK(!base45_decode("V5", 2, out, sizeof(out), &n));
	CHECK(!base45_decode("BB8B", 4, out, sizeof(out), &n));
	CHECK(!base45_decode("bb8", 3, out, sizeof(out), &n));
	CHECK(!base45_decode("B\0" "8", 3, out, sizeof(out), &n));
	/* Room: "Hello!!" is 7 bytes. */
	CHECK(!base45_decode("%69 VD92EX0", 11, out, 6, &n));
	CHECK(!base45_encode((const u_int8_t *)"AB", 2, text, 3));
	CHECK(base45_encode((const u_int8_t *)"AB", 2, text, 4));
}

/*
 * ticket_compact.c: openapi.yaml's test vector (signed with RFC 6979
 * A.2.5's P-256 key), read and written back, and every change refused
 * or read as another ticket (whose signature then fails).
 */
static void
test_ticket_compact(void)
{
	static const char	vector[] = "NG1:470XM5H%3ZY9ATHD.38$D0N9WC4"
	    "000000J10%200000000003H0000HD0WLF8*PTFK-54 OH*200D89YG5G1$8P:U"
	    "LZME Z0RD0JPIK7J%HARY79389V4N5A 72P08AHSB3O$EGV9JD+PW.CEW7%I8A"
	    "YIT0SUUTZ9I04";
	static const char	signed_hex[] = "013f2b8c1e7a4d4e8b9c1f2a6d5e4b"
	    "3c21e0000000000040008000000000000003000000025a7a78cca4a0f420";
	struct ticket_compact	t, u;
	char			text[TICKET_COMPACT_LEN + 1];
	char			bad[sizeof(vector)];
	u_int8_t		signed_part[TICKET_COMPACT_SIGNED];
	size_t			i;
	int			bit, same;

	CHECK(TICKET_COMPACT_LEN == 168 && strlen(vector) == 168);
	CHECK(ticket_compact_decode(vector, &t));
	CHECK(!strcmp(t.reg, "3f2b8c1e-7a4d-4e8b-9c1f-2a6d5e4b3c21"));
	CHECK(!strcmp(t.evt, "e0000000-0000-4000-8000-000000000003"));
	CHECK(t.version == 2);
	CHECK(!strcmp(t.kid, "5a7a78cca4a0f420"));
	CHECK(strlen(signed_hex) == sizeof(signed_part) * 2);
	for (i = 0; i < sizeof(signed_part); i++)
		CHECK(sscanf(signed_hex + i * 2, "%2hhx",
		    &signed_part[i]) == 1);
	CHECK(!memcmp(t.signed_part, signed_part, sizeof(signed_part)));
	CHECK(t.sig[0] == 0xae && t.sig[63] == 0xb4);

	/* The fields make the same signed bytes; with the signature, the
	 * same text. */
	memset(&u, 0, sizeof(u));
	memcpy(u.reg, t.reg, sizeof(u.reg));
	memcpy(u.evt, t.evt, sizeof(u.evt));
	memcpy(u.kid, t.kid, sizeof(u.kid));
	u.version = t.version;
	CHECK(ticket_compact_signed(&u));
	CHECK(!memcmp(u.signed_part, signed_part, sizeof(signed_part)));
	memcpy(u.sig, t.sig, sizeof(u.sig));
	CHECK(ticket_compact_encode(&u, text, sizeof(text)));
	CHECK(!strcmp(text, vector));
	CHECK(!ticket_compact_encode(&u, text, sizeof(text) - 1));

	/* Upper-case UUIDs read the same; what does not fit is refused. */
	memcpy(u.reg, "3F2B8C1E-7A4D-4E8B-9C1F-2A6D5E4B3C21", sizeof(u.reg));
	CHECK(ticket_compact_signed(&u) &&
	    !memcmp(u.signed_part, signed_part, sizeof(signed_part)));
	u.version = 0;
	CHECK(!ticket_compact_signed(&u));
	u.version = 1000000;
	CHECK(!ticket_compact_signed(&u));
	u.version = 2;
	memcpy(u.evt, "e0000000-0000-4000-8000+000000000003", sizeof(u.evt));
	CHECK(!ticket_compact_signed(&u));
	memcpy(u.evt, t.evt, sizeof(u.evt));
	memcpy(u.kid, "5a7a78cca4a0f42", 16);
	CHECK(!ticket_compact_signed(&u));
	memcpy(u.kid, "5a7a78cca4a0f42g", 17);
	CHECK(!ticket_compact_signed(&u));

	/*
	 * Every bit of every character flipped: refused, or another
	 * ticket (other signed bytes or another signature), never the
	 * same one read from other text.
	 */
	same = 0;
	for (i = 0; i < strlen(vector); i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(bad, vector, sizeof(bad));
			bad[i] ^= (char)(1 << bit);
			if (bad[i] == '\0')
				continue;
			if (ticket_compact_decode(bad, &u) &&
			    !memcmp(u.signed_part, t.signed_part,
			    sizeof(u.signed_part)) &&
			    !memcmp(u.sig, t.sig, sizeof(u.sig)))
				same++;
		}
	}
	CHECK(same == 0);

	/* Shapes: prefix, length, format byte, version 0. */
	CHECK(!ticket_compact_decode("NG1:", &u));
	CHECK(!ticket_compact_decode(vector + 4, &u));
	memcpy(bad, vector, sizeof(bad));
	bad[2] = '2';
	CHECK(!ticket_compact_decode(bad, &u));
	memcpy(bad, vector, sizeof(bad));
	bad[sizeof(bad) - 2] = '\0';
	CHECK(!ticket_compact_decode(bad, &u));
	memcpy(&u, &t, sizeof(u));
	u.signed_part[0] = 0x02;
	CHECK(ticket_compact_encode(&u, text, sizeof(text)));
	CHECK(!ticket_compact_decode(text, &u));
	memcpy(&u, &t, sizeof(u));
	memset(u.signed_part + 33, 0, 4);
	CHECK(ticket_compact_encode(&u, text, sizeof(text)));
	CHECK(!ticket_compact_decode(text, &u));
}
