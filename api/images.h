/*
 * Uploaded images: what a file is by its bytes, and the file cleaned.
 * Pure: no Kore, libpq nor libjwt, so tools and fuzzers link it alone.
 */

#ifndef NGAN_IMAGES_H
#define NGAN_IMAGES_H

#include <sys/types.h>

#include <stddef.h>

/*
 * images.c: pure, what an uploaded file is by its bytes, and the file
 * rewritten with nothing after its end and no metadata.
 */
#define IMAGE_OK		0
#define IMAGE_UNKNOWN		1	/* not JPEG, PNG nor WebP: 415 */
#define IMAGE_CORRUPT		2	/* starts like one, no size: 422 */
#define IMAGE_PNG		1
#define IMAGE_JPEG		2
#define IMAGE_WEBP		3
#define IMAGE_BYTES_MAX		(5 * 1024 * 1024)

struct image_info {
	int		type;		/* IMAGE_PNG... */
	u_int32_t	width;
	u_int32_t	height;
};

int	image_sniff(const u_int8_t *, size_t, struct image_info *);
int	image_clean(const u_int8_t *, size_t, u_int8_t *, size_t *,
	    struct image_info *);
const char *image_content_type(int);

#endif /* !NGAN_IMAGES_H */
