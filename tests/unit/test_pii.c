/*
 * Unit tests of api/pii.c: national ids and phones, their sealing and
 * hashing, ?reveal= and ?purpose=.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/pii.c"

static void	test_pii_numbers(void);
static void	test_pii_crypto(void);
static void	test_pii_reveal(void);

static void
test_pii_numbers(void)
{
	char		nid[PII_NID_LEN + 1], phone[PII_PHONE_MAX + 1];

	/* 1-1017-00207-03-0: sum 189, (11 - 189 % 11) % 10 = 0. */
	CHECK(pii_national_id("1101700207030", nid) == PII_OK);
	CHECK(!strcmp(nid, "1101700207030"));
	CHECK(pii_national_id("1-1017-00207-03-0", nid) == PII_OK);
	CHECK(!strcmp(nid, "1101700207030"));
	CHECK(pii_national_id(" 1 1017 00207 03 0 ", nid) == PII_OK);
	/* 11 - sum % 11 is 10 or 11 here: the check digit wraps to 0, 1. */
	CHECK(pii_national_id("1100000000130", nid) == PII_OK);
	CHECK(pii_national_id("1100000000041", nid) == PII_OK);
	CHECK(pii_national_id("1100000000040", nid) == PII_CHECKSUM);
	CHECK(pii_national_id("1101700207031", nid) == PII_CHECKSUM);
	CHECK(nid[0] == '\0');
	CHECK(pii_national_id("110170020703", nid) == PII_FORMAT);
	CHECK(pii_national_id("11017002070300", nid) == PII_FORMAT);
	CHECK(pii_national_id("1101700207O30", nid) == PII_FORMAT);
	CHECK(pii_national_id("", nid) == PII_FORMAT);
	CHECK(pii_national_id("๑๑๐๑๗๐๐๒๐๗๐๓๐", nid) == PII_FORMAT);

	CHECK(pii_phone("081-234-5678", phone) == PII_OK);
	CHECK(!strcmp(phone, "0812345678"));
	CHECK(pii_phone("02 123 4567", phone) == PII_OK);
	CHECK(!strcmp(phone, "021234567"));
	CHECK(pii_phone("812345678", phone) == PII_FORMAT);
	CHECK(pii_phone("08123456", phone) == PII_FORMAT);
	CHECK(pii_phone("081234567890", phone) == PII_FORMAT);
	CHECK(pii_phone("+66812345678", phone) == PII_FORMAT);
}

static void
test_pii_crypto(void)
{
	struct pii_keys		k1, k2;
	struct pii_sealed	s1, s2;
	char			hex[PII_SEAL_HEX_LEN(PII_PLAIN_MAX)];
	char			out[PII_PLAIN_MAX + 1], mac[65], mac2[65];
	const char		*key1 = "000102030405060708090a0b0c0d0e0f"
				    "101112131415161718191a1b1c1d1e1f";
	const char		*key2 = "ff0102030405060708090a0b0c0d0e0f"
				    "101112131415161718191a1b1c1d1e1f";

	CHECK(sodium_init() >= 0);
	CHECK(pii_keys_from_hex(key1, &k1));
	CHECK(pii_keys_from_hex(key2, &k2));
	CHECK(!pii_keys_from_hex("0001", &k2));
	CHECK(!pii_keys_from_hex("zz0102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", &k2));
	CHECK(memcmp(k1.hmac, k1.enc, sizeof(k1.hmac)) != 0);

	/* The hash finds a person again: same key, same number, same mac. */
	pii_hmac_hex(&k1, "1101700207030", mac);
	pii_hmac_hex(&k1, "1101700207030", mac2);
	CHECK(strlen(mac) == 64 && !strcmp(mac, mac2));
	pii_hmac_hex(&k2, "1101700207030", mac2);
	CHECK(strcmp(mac, mac2) != 0);

	/* Sealing is randomised, opens only with its key and its ad. */
	CHECK(pii_seal(&k1, "1101700207030", "0812345678", &s1));
	CHECK(pii_seal(&k1, "1101700207030", NULL, &s2));
	CHECK(!strcmp(s1.nid_hmac, mac));
	CHECK(!strcmp(s1.nid_last3, "030"));
	CHECK(!strcmp(s1.phone_last4, "5678"));
	CHECK(strlen(s1.nid_enc) == (PII_SEAL_OVERHEAD + 13) * 2);
	CHECK(strcmp(s1.nid_enc, s2.nid_enc) != 0);
	CHECK(s2.phone_enc[0] == '\0' && s2.phone_last4[0] == '\0');
	CHECK(strstr(s1.nid_enc, "1101700207030") == NULL);
	CHECK(pii_decrypt_hex(&k1, s1.nid_enc, PII_AD_NID, out, sizeof(out)));
	CHECK(!strcmp(out, "1101700207030"));
	CHECK(pii_decrypt_hex(&k1, s1.phone_enc, PII_AD_PHONE, out,
	    sizeof(out)));
	CHECK(!strcmp(out, "0812345678"));
	CHECK(!pii_decrypt_hex(&k2, s1.nid_enc, PII_AD_NID, out, sizeof(out)));
	CHECK(out[0] == '\0');
	CHECK(!pii_decrypt_hex(&k1, s1.nid_enc, PII_AD_PHONE, out,
	    sizeof(out)));
	CHECK(!pii_decrypt_hex(&k1, "00", PII_AD_NID, out, sizeof(out)));
	CHECK(!pii_decrypt_hex(&k1, "not hex", PII_AD_NID, out, sizeof(out)));
	CHECK(!pii_decrypt_hex(&k1, s1.nid_enc, PII_AD_NID, out, 13));
	/* One flipped bit in the ciphertext: refused. */
	snprintf(hex, sizeof(hex), "%s", s1.nid_enc);
	hex[60] = hex[60] == '0' ? '1' : '0';
	CHECK(!pii_decrypt_hex(&k1, hex, PII_AD_NID, out, sizeof(out)));
	/* Longer than the longest (an email address) is refused. */
	memset(out, 'a', PII_PLAIN_MAX);
	out[PII_PLAIN_MAX] = '\0';
	CHECK(pii_encrypt_hex(&k1, out, PII_AD_EMAIL, hex, sizeof(hex)));
	{
		char	toolong[PII_PLAIN_MAX + 2];

		memset(toolong, 'a', sizeof(toolong) - 1);
		toolong[sizeof(toolong) - 1] = '\0';
		CHECK(!pii_encrypt_hex(&k1, toolong, PII_AD_EMAIL, hex,
		    sizeof(hex)));
	}
	CHECK(!pii_encrypt_hex(&k1, "1", PII_AD_NID, hex, 10));

	CHECK(!pii_init(NULL));
	CHECK(!pii_init("abc"));
	CHECK(pii_init(key1));
	CHECK(pii_worker_keys() != NULL &&
	    !memcmp(pii_worker_keys()->enc, k1.enc, sizeof(k1.enc)));
}

/* ?reveal= and ?purpose= of a reveal of national ids and phones. */
static void
test_pii_reveal(void)
{
	const char	*code;
	int		bits;

	CHECK(pii_reveal_fields("national_id,phone", &bits) == NULL &&
	    bits == (PII_REVEAL_NID | PII_REVEAL_PHONE));
	CHECK(pii_reveal_fields("phone,national_id", &bits) == NULL &&
	    bits == (PII_REVEAL_NID | PII_REVEAL_PHONE));
	CHECK(pii_reveal_fields("phone", &bits) == NULL &&
	    bits == PII_REVEAL_PHONE);
	CHECK(pii_reveal_fields("national_id", &bits) == NULL &&
	    bits == PII_REVEAL_NID);
	code = pii_reveal_fields("phone,phone", &bits);
	CHECK(code != NULL && !strcmp(code, "duplicate") && bits == 0);
	code = pii_reveal_fields("", &bits);
	CHECK(code != NULL && !strcmp(code, "enum") && bits == 0);
	CHECK(pii_reveal_fields("national_id,", &bits) != NULL && bits == 0);
	CHECK(pii_reveal_fields(",phone", &bits) != NULL);
	CHECK(pii_reveal_fields("national_ids", &bits) != NULL);
	CHECK(pii_reveal_fields("nation", &bits) != NULL);
	CHECK(pii_reveal_fields("phone ", &bits) != NULL);
	CHECK(pii_reveal_fields("email", &bits) != NULL);

	CHECK(pii_purpose_check("travel allowance payment") == NULL);
	CHECK(pii_purpose_check("จ่ายค่าพาหนะ") == NULL);
	CHECK(pii_purpose_check("รายงาน ปีงบประมาณ 2567 ไตรมาส 1") == NULL);
	CHECK(pii_purpose_check("12345") == NULL);
	CHECK(pii_purpose_check("FY 2567-2568") == NULL);
	CHECK(pii_purpose_check("call 053-223-344") != NULL);
	code = pii_purpose_check("ดูๆ");
	CHECK(code != NULL && !strcmp(code, "length"));
	CHECK(pii_purpose_check("") != NULL);
	CHECK(pii_purpose_check("abcd") != NULL);
	CHECK(pii_purpose_check("abcde") == NULL);
	code = pii_purpose_check("call 081-234-5678 now");
	CHECK(code != NULL && !strcmp(code, "personal_data"));
	CHECK(pii_purpose_check("id 1101700207030") != NULL);
	CHECK(pii_purpose_check("id 1 1017 00207 03 0") != NULL);
	/* Thai digits count too. */
	CHECK(pii_purpose_check("เลข ๑๑๐๑๗๐๐๒๐๗๐๓๐") != NULL);
	code = pii_purpose_check("ok\tpurpose");
	CHECK(code != NULL && !strcmp(code, "format"));
	CHECK(pii_purpose_check("ok\x7fpurpose") != NULL);
	CHECK(pii_purpose_check("ok\xc2\x85purpose") != NULL);
}

void
unit_pii(void)
{
	test_pii_numbers();
	test_pii_crypto();
	test_pii_reveal();
}
