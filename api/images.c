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
 *
 * What is stored and served is the file rewritten by image_clean(), never
 * the upload itself: one file can be an image and something else at once
 * (HTML after a PNG's IEND or a JPEG's EOI, a script in a comment or a
 * text chunk), and a phone's photo says where it was taken (EXIF GPS). It
 * keeps what a browser needs to draw the picture right, and no more:
 * PNG: IHDR, PLTE, IDAT, IEND and the colour chunks tRNS, gAMA, cHRM,
 *   sRGB, iCCP and cICP; text, eXIf, tIME, animation and unknown chunks
 *   go, and so does anything after IEND (written empty, as it should be).
 * JPEG: frames, tables and scans up to EOI, with APP0 JFIF (without its
 *   thumbnail), APP2 ICC profiles and APP14 Adobe (colour); EXIF and XMP
 *   (APP1), every other APPn and comments go. Of EXIF only the orientation
 *   stays, written alone, so that a phone's portrait photo stands upright.
 * WebP: the chunks within the RIFF size, without EXIF, XMP or unknown
 *   chunks, the VP8X flags and the RIFF size made to match.
 */

#include <string.h>

#include "images.h"

static int	sniff_png(const u_int8_t *, size_t, struct image_info *);
static int	sniff_jpeg(const u_int8_t *, size_t, struct image_info *);
static int	sniff_webp(const u_int8_t *, size_t, struct image_info *);
static int	clean_png(const u_int8_t *, size_t, u_int8_t *, size_t *);
static int	clean_jpeg(const u_int8_t *, size_t, u_int8_t *, size_t *);
static int	clean_webp(const u_int8_t *, size_t, u_int8_t *, size_t *);
static int	exif_orientation(const u_int8_t *, size_t);
static int	png_chunk(const u_int8_t *, size_t, size_t, u_int32_t *);
static int	jpeg_marker(const u_int8_t *, size_t, size_t *, u_int8_t *);
static u_int32_t be32(const u_int8_t *);
static u_int32_t le32(const u_int8_t *);
static u_int32_t tiff32(const u_int8_t *, int);
static u_int16_t tiff16(const u_int8_t *, int);

/* PNG chunks kept: the critical ones and those that set the colours. */
static const char *const png_keep[] = {
	"IHDR", "PLTE", "IDAT", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP",
	"cICP", NULL
};

static const u_int8_t	png_iend[12] = {
	0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82
};

/* EXIF with one IFD entry, Orientation (0x0112, SHORT); [29] is its value. */
static const u_int8_t	exif_alone[36] = {
	0xff, 0xe1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
	'M', 'M', 0x00, 0x2a, 0, 0, 0, 8,
	0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0,
	0, 0, 0, 0
};

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

/* TIFF (inside EXIF) says its byte order: "MM" big-endian, "II" little. */
static u_int32_t
tiff32(const u_int8_t *p, int big)
{
	return (big ? be32(p) : le32(p));
}

static u_int16_t
tiff16(const u_int8_t *p, int big)
{
	return (big ? (u_int16_t)(p[0] << 8 | p[1]) :
	    (u_int16_t)(p[1] << 8 | p[0]));
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

/*
 * The PNG chunk at off (its length, type, data and CRC): its data length
 * in *n; 0 when the chunk does not fit in the len bytes.
 */
static int
png_chunk(const u_int8_t *p, size_t len, size_t off, u_int32_t *n)
{
	if (len - off < 12)
		return (0);
	*n = be32(p + off);

	return (*n <= 0x7fffffff && *n <= len - off - 12);
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
		if (!png_chunk(p, len, off, &n))
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

/*
 * The JPEG marker at *off: its code in *m and *off past it, fill bytes
 * (0xff) before it skipped (and dropped by who copies from *off). 0 when
 * no marker is there.
 */
static int
jpeg_marker(const u_int8_t *p, size_t len, size_t *off, u_int8_t *m)
{
	if (*off >= len || p[*off] != 0xff)
		return (0);
	while (*off < len && p[*off] == 0xff)
		(*off)++;
	if (*off >= len)
		return (0);
	*m = p[(*off)++];

	return (1);
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
		if (!jpeg_marker(p, len, &off, &m))
			return (IMAGE_CORRUPT);
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

	/* Each kind's size check below keeps its reads within the chunk. */
	riff = le32(p + 4);
	if (riff < 4 + 8 || riff > len - 8)
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

/*
 * The file at p rewritten into out, which has room for len bytes (the
 * result is never longer); *outlen its length. IMAGE_OK with info filled
 * as image_sniff() does, else IMAGE_UNKNOWN or IMAGE_CORRUPT (a file that
 * does not end as its format says, or a JPEG without a frame and a scan).
 */
int
image_clean(const u_int8_t *p, size_t len, u_int8_t *out, size_t *outlen,
    struct image_info *info)
{
	struct image_info	again;
	int			ret;

	*outlen = 0;
	if ((ret = image_sniff(p, len, info)) != IMAGE_OK)
		return (ret);

	switch (info->type) {
	case IMAGE_PNG:
		ret = clean_png(p, len, out, outlen);
		break;
	case IMAGE_JPEG:
		ret = clean_jpeg(p, len, out, outlen);
		break;
	default:
		ret = clean_webp(p, len, out, outlen);
		break;
	}
	/* What is stored must read as the same image when served. */
	if (ret == IMAGE_OK && (image_sniff(out, *outlen, &again) != IMAGE_OK ||
	    again.type != info->type || again.width != info->width ||
	    again.height != info->height))
		ret = IMAGE_CORRUPT;
	if (ret != IMAGE_OK) {
		memset(info, 0, sizeof(*info));
		*outlen = 0;
	}

	return (ret);
}

/* The signature, the chunks in png_keep up to IEND, an empty IEND. */
static int
clean_png(const u_int8_t *p, size_t len, u_int8_t *out, size_t *outlen)
{
	size_t		off, o, k;
	u_int32_t	n;
	int		idat;

	memcpy(out, p, sizeof(png_magic));
	off = o = sizeof(png_magic);
	idat = 0;
	for (;;) {
		if (!png_chunk(p, len, off, &n))
			return (IMAGE_CORRUPT);
		if (!memcmp(p + off + 4, "IEND", 4))
			break;
		if (!memcmp(p + off + 4, "IDAT", 4))
			idat = 1;
		for (k = 0; png_keep[k] != NULL; k++) {
			if (!memcmp(p + off + 4, png_keep[k], 4))
				break;
		}
		if (png_keep[k] != NULL) {
			memcpy(out + o, p + off, 12 + (size_t)n);
			o += 12 + (size_t)n;
		}
		off += 12 + (size_t)n;
	}
	if (!idat)
		return (IMAGE_CORRUPT);

	memcpy(out + o, png_iend, sizeof(png_iend));
	*outlen = o + sizeof(png_iend);
	return (IMAGE_OK);
}

/*
 * The Orientation (1-8) in IFD0 of a TIFF structure (EXIF after its
 * "Exif\0\0"), or 0. An answer means the IFD was whole, so the EXIF it
 * came from is at least as long as exif_alone.
 */
static int
exif_orientation(const u_int8_t *t, size_t n)
{
	const u_int8_t	*e;
	u_int32_t	ifd;
	size_t		count, i;
	int		big, v;

	if (n < 8)
		return (0);
	if (!memcmp(t, "MM\0*", 4))
		big = 1;
	else if (!memcmp(t, "II*\0", 4))
		big = 0;
	else
		return (0);
	ifd = tiff32(t + 4, big);
	if (ifd < 8 || ifd > n || n - ifd < 2 + 4)
		return (0);
	count = tiff16(t + ifd, big);
	if (count > (n - ifd - 2 - 4) / 12)
		return (0);
	for (i = 0; i < count; i++) {
		e = t + ifd + 2 + i * 12;
		if (tiff16(e, big) != 0x0112)
			continue;
		if (tiff16(e + 2, big) != 3 || tiff32(e + 4, big) != 1)
			return (0);
		v = tiff16(e + 8, big);
		return (v >= 1 && v <= 8 ? v : 0);
	}

	return (0);
}

/*
 * SOI, then segments: kept (frames, tables, scans with their entropy-coded
 * data), rewritten (JFIF, EXIF orientation) or left out, up to EOI.
 */
static int
clean_jpeg(const u_int8_t *p, size_t len, u_int8_t *out, size_t *outlen)
{
	const u_int8_t	*seg;
	size_t		off, o, n, i, seglen;
	u_int8_t	m;
	int		frame, scan, jfif, exif, keep, v;

	out[0] = 0xff;
	out[1] = 0xd8;
	off = o = 2;
	frame = scan = jfif = exif = 0;
	for (;;) {
		if (!jpeg_marker(p, len, &off, &m))
			return (IMAGE_CORRUPT);
		if (m == 0xd9) {
			if (!frame || !scan)
				return (IMAGE_CORRUPT);
			out[o++] = 0xff;
			out[o++] = 0xd9;
			*outlen = o;
			return (IMAGE_OK);
		}
		if (m == 0x00 || m == 0xd8 || (m >= 0x02 && m <= 0xbf))
			return (IMAGE_CORRUPT);
		if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			/* No length: TEM, a restart between scans. */
			out[o++] = 0xff;
			out[o++] = m;
			continue;
		}
		if (len - off < 2)
			return (IMAGE_CORRUPT);
		n = (size_t)p[off] << 8 | p[off + 1];
		if (n < 2 || n > len - off)
			return (IMAGE_CORRUPT);
		seg = p + off + 2;
		seglen = n - 2;
		off += n;

		keep = 1;
		if (m == 0xe0) {
			/* JFIF: its 14 bytes, with a 0x0 thumbnail. */
			keep = 0;
			if (!jfif && seglen >= 14 && !memcmp(seg, "JFIF", 5)) {
				jfif = 1;
				out[o++] = 0xff;
				out[o++] = 0xe0;
				out[o++] = 0;
				out[o++] = 16;
				memcpy(out + o, seg, 12);
				out[o + 12] = 0;
				out[o + 13] = 0;
				o += 14;
			}
		} else if (m == 0xe1) {
			keep = 0;
			if (!exif && seglen >= 6 && !memcmp(seg, "Exif\0", 6)) {
				exif = 1;
				v = exif_orientation(seg + 6, seglen - 6);
				if (v > 1) {
					memcpy(out + o, exif_alone,
					    sizeof(exif_alone));
					out[o + 29] = (u_int8_t)v;
					o += sizeof(exif_alone);
				}
			}
		} else if (m == 0xe2) {
			keep = seglen >= 12 && !memcmp(seg, "ICC_PROFILE", 12);
		} else if (m == 0xee) {
			keep = seglen >= 5 && !memcmp(seg, "Adobe", 5);
		} else if ((m >= 0xe3 && m <= 0xef) || m == 0xfe || m == 0xc8 ||
		    m >= 0xf0) {
			/* Other APPn, COM, JPG and JPGn extensions. */
			keep = 0;
		} else if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xcc) {
			frame = 1;
		} else if (m == 0xda && !frame) {
			return (IMAGE_CORRUPT);
		}
		if (keep) {
			out[o++] = 0xff;
			out[o++] = m;
			memcpy(out + o, seg - 2, n);
			o += n;
		}
		if (m != 0xda)
			continue;

		/*
		 * The scan's data runs to the next marker; FF 00 is a data
		 * byte and RST0-7 belong to the scan.
		 */
		for (i = off; ; i++) {
			if (len - i < 2)
				return (IMAGE_CORRUPT);
			if (p[i] == 0xff && p[i + 1] != 0x00 &&
			    (p[i + 1] < 0xd0 || p[i + 1] > 0xd7))
				break;
		}
		memcpy(out + o, p + off, i - off);
		o += i - off;
		off = i;
		scan = 1;
	}
}

/*
 * RIFF, then the chunks within its size: a simple file keeps its one
 * VP8 or VP8L chunk, an extended one (VP8X first) the chunks that draw
 * the picture. The VP8X flags lose EXIF and XMP; the RIFF size is new.
 */
static int
clean_webp(const u_int8_t *p, size_t len, u_int8_t *out, size_t *outlen)
{
	static const char *const keep[] = {
		"ICCP", "ANIM", "ANMF", "ALPH", "VP8 ", "VP8L", NULL
	};
	size_t		end, off, o, n, pad, k;
	u_int32_t	riff;
	int		ext, image, vp8x;

	/* image_sniff() checked the RIFF size against len. */
	end = 8 + (size_t)le32(p + 4);
	if (end > len)
		return (IMAGE_CORRUPT);
	memcpy(out, p, 12);
	off = o = 12;
	ext = !memcmp(p + 12, "VP8X", 4);
	image = vp8x = 0;
	while (off < end) {
		if (end - off < 8)
			return (IMAGE_CORRUPT);
		n = le32(p + off + 4);
		if (n > end - off - 8)
			return (IMAGE_CORRUPT);
		pad = n & 1;
		if (pad > end - off - 8 - n)
			return (IMAGE_CORRUPT);
		for (k = 0; keep[k] != NULL; k++) {
			if (!memcmp(p + off, keep[k], 4))
				break;
		}
		if (!memcmp(p + off, "VP8X", 4) && !vp8x && ext) {
			vp8x = 1;
			memcpy(out + o, p + off, 8 + n);
			/* Flags: ICC 0x20, alpha 0x10, EXIF 0x08, XMP 0x04. */
			if (n > 0)
				out[o + 8] &= (u_int8_t)~0x0c;
			o += 8 + n;
			if (pad)
				out[o++] = 0;
		} else if (keep[k] != NULL && (ext || k >= 4)) {
			memcpy(out + o, p + off, 8 + n);
			o += 8 + n;
			if (pad)
				out[o++] = 0;
			/* ANMF, VP8, VP8L: a picture (ALPH: its alpha). */
			if (k == 2 || k >= 4)
				image = 1;
		}
		off += 8 + n + pad;
		if (!ext && image)
			break;
	}
	if (!image || (ext && !vp8x))
		return (IMAGE_CORRUPT);

	riff = (u_int32_t)(o - 8);
	out[4] = (u_int8_t)(riff & 0xff);
	out[5] = (u_int8_t)(riff >> 8 & 0xff);
	out[6] = (u_int8_t)(riff >> 16 & 0xff);
	out[7] = (u_int8_t)(riff >> 24 & 0xff);
	*outlen = o;
	return (IMAGE_OK);
}
