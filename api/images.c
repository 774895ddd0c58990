/*
 * Product images: what a file is, told by its bytes alone (never by a
 * Content-Type header or a file name), and its width and height. Pure:
 * no Kore, no database; the unit tests include it and a fuzzer may.
 *
 * PNG: the signature, then chunks up to IEND; the size is in IHDR.
 * JPEG: SOI, then marker segments up to the first SOF, which has the size.
 * WebP: a RIFF "WEBP" file with a VP8, VP8L or VP8X chunk.
 * A file that starts like one of them but cannot be read that far is
 * IMAGE_CORRUPT; anything else is IMAGE_UNKNOWN.
 */

#include <string.h>

#include "ngan.h"

static int	sniff_png(const u_int8_t *, size_t, struct image_info *);
static int	sniff_jpeg(const u_int8_t *, size_t, struct image_info *);
static int	sniff_webp(const u_int8_t *, size_t, struct image_info *);
static u_int32_t be32(const u_int8_t *);
static u_int32_t le32(const u_int8_t *);

static const u_int8_t	png_magic[8] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
};

static u_int32_t
be32(const u_int8_t *p)
{
	return ((u_int32_t)p[0] << 24 | (u_int32_t)p[1] << 16 |
	    (u_int32_t)p[2] << 8 | (u_int32_t)p[3]);
}

static u_int32_t
le32(const u_int8_t *p)
{
	return ((u_int32_t)p[3] << 24 | (u_int32_t)p[2] << 16 |
	    (u_int32_t)p[1] << 8 | (u_int32_t)p[0]);
}

int
image_sniff(const u_int8_t *p, size_t len, struct image_info *info)
{
	memset(info, 0, sizeof(*info));

	if (p == NULL)
		return (IMAGE_UNKNOWN);
	if (len >= sizeof(png_magic) &&
	    !memcmp(p, png_magic, sizeof(png_magic)))
		return (sniff_png(p, len, info));
	if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return (sniff_jpeg(p, len, info));
	if (len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
		return (sniff_webp(p, len, info));

	return (IMAGE_UNKNOWN);
}

const char *
image_content_type(int type)
{
	switch (type) {
	case IMAGE_PNG:
		return ("image/png");
	case IMAGE_JPEG:
		return ("image/jpeg");
	case IMAGE_WEBP:
		return ("image/webp");
	default:
		return (NULL);
	}
}

/* IHDR first, then every chunk must fit, up to IEND. */
static int
sniff_png(const u_int8_t *p, size_t len, struct image_info *info)
{
	size_t		off;
	u_int32_t	n, w, h;

	off = sizeof(png_magic);
	if (len < off + 8 + 13 + 4 || be32(p + off) != 13 ||
	    memcmp(p + off + 4, "IHDR", 4) != 0)
		return (IMAGE_CORRUPT);
	w = be32(p + off + 8);
	h = be32(p + off + 12);
	if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff)
		return (IMAGE_CORRUPT);

	for (;;) {
		if (len - off < 12)
			return (IMAGE_CORRUPT);
		n = be32(p + off);
		if (n > 0x7fffffff || n > len - off - 12)
			return (IMAGE_CORRUPT);
		if (!memcmp(p + off + 4, "IEND", 4))
			break;
		off += 12 + (size_t)n;
	}

	info->type = IMAGE_PNG;
	info->width = w;
	info->height = h;
	return (IMAGE_OK);
}

/* Segments from SOI to the first start of frame (SOF0-15 but 4, 8, 12). */
static int
sniff_jpeg(const u_int8_t *p, size_t len, struct image_info *info)
{
	size_t		off, n;
	u_int8_t	m;
	u_int32_t	w, h;

	off = 2;
	for (;;) {
		if (off >= len || p[off] != 0xff)
			return (IMAGE_CORRUPT);
		while (off < len && p[off] == 0xff)
			off++;
		if (off >= len)
			return (IMAGE_CORRUPT);
		m = p[off++];
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd8))
			continue;
		if (m == 0xd9 || m == 0xda || m == 0x00)
			return (IMAGE_CORRUPT);
		if (len - off < 2)
			return (IMAGE_CORRUPT);
		n = (size_t)p[off] << 8 | p[off + 1];
		if (n < 2 || n > len - off)
			return (IMAGE_CORRUPT);
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc) {
			if (n < 8)
				return (IMAGE_CORRUPT);
			h = (u_int32_t)p[off + 3] << 8 | p[off + 4];
			w = (u_int32_t)p[off + 5] << 8 | p[off + 6];
			if (w == 0 || h == 0)
				return (IMAGE_CORRUPT);
			info->type = IMAGE_JPEG;
			info->width = w;
			info->height = h;
			return (IMAGE_OK);
		}
		off += n;
	}
}

/* The first chunk says the kind of WebP and holds the size. */
static int
sniff_webp(const u_int8_t *p, size_t len, struct image_info *info)
{
	u_int32_t	riff, n, w, h, bits;

	riff = le32(p + 4);
	if (riff < 4 + 8 || riff > len - 8 || len < 30)
		return (IMAGE_CORRUPT);
	n = le32(p + 16);
	if (n > riff - 4 - 8)
		return (IMAGE_CORRUPT);

	if (!memcmp(p + 12, "VP8 ", 4)) {
		if (n < 10 || p[23] != 0x9d || p[24] != 0x01 || p[25] != 0x2a)
			return (IMAGE_CORRUPT);
		w = ((u_int32_t)p[27] << 8 | p[26]) & 0x3fff;
		h = ((u_int32_t)p[29] << 8 | p[28]) & 0x3fff;
	} else if (!memcmp(p + 12, "VP8L", 4)) {
		if (n < 5 || p[20] != 0x2f)
			return (IMAGE_CORRUPT);
		bits = le32(p + 21);
		w = (bits & 0x3fff) + 1;
		h = ((bits >> 14) & 0x3fff) + 1;
	} else if (!memcmp(p + 12, "VP8X", 4)) {
		if (n < 10)
			return (IMAGE_CORRUPT);
		w = ((u_int32_t)p[24] | (u_int32_t)p[25] << 8 |
		    (u_int32_t)p[26] << 16) + 1;
		h = ((u_int32_t)p[27] | (u_int32_t)p[28] << 8 |
		    (u_int32_t)p[29] << 16) + 1;
	} else {
		return (IMAGE_CORRUPT);
	}
	if (w == 0 || h == 0)
		return (IMAGE_CORRUPT);

	info->type = IMAGE_WEBP;
	info->width = w;
	info->height = h;
	return (IMAGE_OK);
}
