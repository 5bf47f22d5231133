/*
 * Copyright (C) The nginx mobility authors
 */


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


static int
ngx_mobility_b64url_value(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return -1;
}


ssize_t
ngx_mobility_b64url_decode(u_char *dst, const u_char *src, size_t len)
{
    int      v;
    size_t   i;
    u_char  *d;
    unsigned acc, bits;

    while (len && src[len - 1] == '=') {
        len--;
    }

    if (len % 4 == 1) {
        return -1;
    }

    d = dst;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        v = ngx_mobility_b64url_value(src[i]);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (unsigned) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            *d++ = (u_char) (acc >> bits);
        }
    }

    return d - dst;
}
