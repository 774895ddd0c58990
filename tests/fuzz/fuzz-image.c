/*
 * Uploaded product images (api/images.c): what a file is, told by its
 * bytes, and the file rewritten without metadata or anything after its
 * end. Whatever is accepted has a known type and a size within what the
 * format can hold; nothing is read or written past the end (ASan
 * watches); the rewrite is never longer than the upload, reads as the
 * same image, and rewriting it again changes nothing.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	struct image_info	info, clean_info, again_info;
	u_int8_t		*copy, *out, *again;
	size_t			out_len, again_len;
	int			ret;

	/* Exact-size copies, so a read or write past the end is caught. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL ||
	    (out = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);

	memset(&info, 0, sizeof(info));
	ret = image_sniff(copy, size, &info);
	if (ret != IMAGE_OK && ret != IMAGE_UNKNOWN && ret != IMAGE_CORRUPT)
		abort();
	if (ret == IMAGE_OK) {
		if (info.type != IMAGE_PNG && info.type != IMAGE_JPEG &&
		    info.type != IMAGE_WEBP)
			abort();
		if (info.width == 0 || info.height == 0)
			abort();
		if (image_content_type(info.type) == NULL)
			abort();
	}

	ret = image_clean(copy, size, out, &out_len, &clean_info);
	if (ret != IMAGE_OK && ret != IMAGE_UNKNOWN && ret != IMAGE_CORRUPT)
		abort();
	if (ret == IMAGE_OK) {
		if (out_len == 0 || out_len > size)
			abort();
		if (clean_info.type != info.type ||
		    clean_info.width != info.width ||
		    clean_info.height != info.height)
			abort();
		if ((again = malloc(out_len)) == NULL)
			abort();
		if (image_clean(out, out_len, again, &again_len,
		    &again_info) != IMAGE_OK || again_len != out_len ||
		    memcmp(again, out, out_len) != 0 ||
		    again_info.type != info.type ||
		    again_info.width != info.width ||
		    again_info.height != info.height)
			abort();
		free(again);
	} else if (out_len != 0) {
		abort();
	}

	free(out);
	free(copy);
	return (0);
}
