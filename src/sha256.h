/*
 * SHA-256 (FIPS 180-4), for exec's on_unchanged: a program's output is
 * remembered as its digest, never as its bytes.  Incremental: init, any
 * number of updates, final.
 */
#ifndef FM_SHA256_H
#define FM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define FM_SHA256_SIZE 32
/* Hexadecimal text of a digest, with its NUL. */
#define FM_SHA256_HEX (2 * FM_SHA256_SIZE + 1)

struct fm_sha256 {
	uint32_t h[8];
	uint64_t bytes;     /* hashed so far */
	unsigned char block[64];
	size_t used;        /* bytes waiting in block */
};

void fm_sha256_init(struct fm_sha256 *c);
void fm_sha256_update(struct fm_sha256 *c, const void *data, size_t len);
/* Pads, writes the digest to out, and leaves c to be initialised again. */
void fm_sha256_final(struct fm_sha256 *c, unsigned char out[FM_SHA256_SIZE]);
/* The digest of len bytes at data, in one call. */
void fm_sha256(const void *data, size_t len,
	unsigned char out[FM_SHA256_SIZE]);
/* Lower-case hexadecimal. */
void fm_sha256_hex(const unsigned char d[FM_SHA256_SIZE],
	char out[FM_SHA256_HEX]);

#endif
