// Helpers of the image tests (42, 81): PNGs drawn here, a real JPEG (16x8,
// baseline, made with libjpeg) whose frame can be given another size,
// and EXIF segments.

import { deflateSync, crc32 } from 'node:zlib';

export function chunk(type, data) {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body) >>> 0);
	return Buffer.concat([len, body, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// An RGB PNG of w x h pixels; extra: chunks put before IDAT.
export function png(w, h, seed = 1, extra = []) {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr.set([8, 2, 0, 0, 0], 8);
	const raw = Buffer.alloc((w * 3 + 1) * h, seed);
	for (let y = 0; y < h; y++)
		raw[y * (w * 3 + 1)] = 0;
	return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), ...extra,
	    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// The chunk types of a PNG, in order.
export function pngChunks(buf) {
	const types = [];
	for (let off = 8; off + 8 <= buf.length;) {
		const n = buf.readUInt32BE(off);
		types.push(buf.toString('latin1', off + 4, off + 8));
		off += 12 + n;
	}
	return types;
}

const JPEG_16x8 = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAIABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDn7ex6cVp29j04ooroq1JHRl9Weh//2Q==', 'base64');

// The real JPEG, its SOF0 saying w x h when given (the server reads the
// size from there; the scan stays 16x8).
export function jpeg(w = 16, h = 8) {
	const b = Buffer.from(JPEG_16x8);
	const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
	b.writeUInt16BE(h, sof + 5);
	b.writeUInt16BE(w, sof + 7);
	return b;
}

// Inserts segments (Buffers, each a whole marker segment) after SOI and
// the JFIF APP0.
export function jpegWith(segments, base = jpeg()) {
	const app0 = 2 + 2 + base.readUInt16BE(4);
	return Buffer.concat([base.subarray(0, app0), ...segments, base.subarray(app0)]);
}

export function segment(marker, data) {
	const head = Buffer.from([0xff, marker, 0, 0]);
	head.writeUInt16BE(data.length + 2, 2);
	return Buffer.concat([head, data]);
}

// An APP1 EXIF segment (big-endian TIFF): IFD0 with Make, Orientation and
// a GPS IFD holding a latitude and longitude (Lampang city hall).
export function exifWithGps(orientation = 6) {
	const make = Buffer.from('PhoneMaker\0', 'latin1');
	// Offsets from the TIFF header: IFD0 at 8 (3 entries: 2 + 36 + 4 = 42
	// bytes), Make at 50, GPS IFD at 62 (3 entries: 42 bytes), the
	// rationals at 104.
	const t = Buffer.alloc(104 + 48);
	t.write('MM', 0, 'latin1');
	t.writeUInt16BE(42, 2);
	t.writeUInt32BE(8, 4);
	t.writeUInt16BE(3, 8);
	const entry = (at, tag, type, count, value) => {
		t.writeUInt16BE(tag, at);
		t.writeUInt16BE(type, at + 2);
		t.writeUInt32BE(count, at + 4);
		if (type === 3)
			t.writeUInt16BE(value, at + 8);
		else
			t.writeUInt32BE(value, at + 8);
	};
	entry(10, 0x010f, 2, make.length, 50);		// Make
	entry(22, 0x0112, 3, 1, orientation);		// Orientation
	entry(34, 0x8825, 4, 1, 62);			// GPS IFD
	t.writeUInt32BE(0, 46);
	make.copy(t, 50);
	t.writeUInt16BE(3, 62);
	t.writeUInt16BE(0x0001, 64);			// GPSLatitudeRef "N"
	t.writeUInt16BE(2, 66);
	t.writeUInt32BE(2, 68);
	t.write('N\0', 72, 'latin1');
	entry(76, 0x0002, 5, 3, 104);			// GPSLatitude
	entry(88, 0x0004, 5, 3, 128);			// GPSLongitude
	t.writeUInt32BE(0, 100);
	[18, 1, 17, 1, 5424, 100, 99, 1, 29, 1, 4596, 100].forEach((v, i) => t.writeUInt32BE(v, 104 + i * 4));
	return segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t]));
}
