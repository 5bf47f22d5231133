/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdint.h>

#include "ngx_mobility_codec.h"


static const char  ngx_mobility_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


size_t
ngx_mobility_b64url_encode(u_char *dst, const u_char *src, size_t len)
{
    u_char  *d;

    d = dst;

    while (len > 2) {
        *d++ = ngx_mobility_b64url[(src[0] >> 2) & 0x3f];
        *d++ = ngx_mobility_b64url[((src[0] & 3) << 4) | (src[1] >> 4)];
        *d++ = ngx_mobility_b64url[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = ngx_mobility_b64url[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len) {
        *d++ = ngx_mobility_b64url[(src[0] >> 2) & 0x3f];

        if (len == 1) {
            *d++ = ngx_mobility_b64url[(src[0] & 3) << 4];

        } else {
            *d++ = ngx_mobility_b64url[((src[0] & 3) << 4) | (src[1] >> 4)];
            *d++ = ngx_mobility_b64url[(src[1] & 0x0f) << 2];
        }
    }

    return d - dst;
}


/* the value of a base64url character, 0xff for anything else */
static const u_char  ngx_mobility_b64url_values[256] = {
#define X 0xff
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X
#undef X
};


/* tokens are decoded on every request: four characters at a step */
ssize_t
ngx_mobility_b64url_decode(u_char *dst, const u_char *src, size_t len)
{
    u_char          *d;
    uint32_t         v;
    const u_char    *t;

    while (len && src[len - 1] == '=') {
        len--;
    }

    if (len % 4 == 1) {
        return -1;
    }

    t = ngx_mobility_b64url_values;
    d = dst;

    while (len >= 4) {
        if ((t[src[0]] | t[src[1]] | t[src[2]] | t[src[3]]) & 0xc0) {
            return -1;
        }

        v = ((uint32_t) t[src[0]] << 18) | ((uint32_t) t[src[1]] << 12)
            | ((uint32_t) t[src[2]] << 6) | t[src[3]];

        *d++ = (u_char) (v >> 16);
        *d++ = (u_char) (v >> 8);
        *d++ = (u_char) v;

        src += 4;
        len -= 4;
    }

    if (len) {
        /* 2 or 3 characters: 1 or 2 bytes */

        if ((t[src[0]] | t[src[1]] | (len == 3 ? t[src[2]] : 0)) & 0xc0) {
            return -1;
        }

        v = ((uint32_t) t[src[0]] << 18) | ((uint32_t) t[src[1]] << 12);

        if (len == 3) {
            v |= (uint32_t) t[src[2]] << 6;
        }

        *d++ = (u_char) (v >> 16);

        if (len == 3) {
            *d++ = (u_char) (v >> 8);
        }
    }

    return d - dst;
}
