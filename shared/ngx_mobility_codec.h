/*
 * Copyright (C) The nginx mobility authors
 *
 * base64url without padding (RFC 4648 section 5), as used by tokens and,
 * later, JWTs and Web Push keys.  Plain C.
 */

#ifndef _NGX_MOBILITY_CODEC_H_INCLUDED_
#define _NGX_MOBILITY_CODEC_H_INCLUDED_


#include <stddef.h>
#include <sys/types.h>


#define ngx_mobility_b64url_len(n)   (((n) * 4 + 2) / 3)

size_t ngx_mobility_b64url_encode(u_char *dst, const u_char *src,
    size_t len);
/* decoded length, or -1 on a character outside the alphabet */
ssize_t ngx_mobility_b64url_decode(u_char *dst, const u_char *src,
    size_t len);


#endif /* _NGX_MOBILITY_CODEC_H_INCLUDED_ */
