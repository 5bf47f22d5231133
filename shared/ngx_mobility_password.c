/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_mobility_codec.h"
#include "ngx_mobility_password.h"


#define NGX_MOBILITY_PW_PREFIX  "pbkdf2-sha256$"


static int
ngx_mobility_pw_derive(const u_char *pw, size_t len, uint32_t iterations,
    const u_char *salt, u_char *out)
{
    if (PKCS5_PBKDF2_HMAC((const char *) pw, (int) len, salt,
                          NGX_MOBILITY_PW_SALT_LEN, (int) iterations,
                          EVP_sha256(), NGX_MOBILITY_PW_HASH_LEN, out)
        != 1)
    {
        return -1;
    }

    return 0;
}


int
ngx_mobility_pw_hash(const u_char *pw, size_t len, uint32_t iterations,
    char *out)
{
    char                    *p;
    ngx_mobility_pw_hash_t   h;

    if (len > NGX_MOBILITY_PW_MAX_LEN
        || iterations < NGX_MOBILITY_PW_MIN_ITERATIONS
        || iterations > NGX_MOBILITY_PW_MAX_ITERATIONS)
    {
        return -1;
    }

    h.iterations = iterations;

    if (RAND_bytes(h.salt, sizeof(h.salt)) != 1
        || ngx_mobility_pw_derive(pw, len, iterations, h.salt, h.hash) != 0)
    {
        return -1;
    }

    p = out + snprintf(out, NGX_MOBILITY_PW_ENCODED_MAX, "%s%u$",
                       NGX_MOBILITY_PW_PREFIX, iterations);
    p += ngx_mobility_b64url_encode((u_char *) p, h.salt, sizeof(h.salt));
    *p++ = '$';
    p += ngx_mobility_b64url_encode((u_char *) p, h.hash, sizeof(h.hash));
    *p = '\0';

    OPENSSL_cleanse(&h, sizeof(h));

    return 0;
}


int
ngx_mobility_pw_parse(const u_char *enc, size_t len,
    ngx_mobility_pw_hash_t *h)
{
    char           num[16], *end;
    size_t         plen, n;
    unsigned long  iter;
    const u_char  *p, *last, *d;

    plen = sizeof(NGX_MOBILITY_PW_PREFIX) - 1;

    if (len <= plen || len >= NGX_MOBILITY_PW_ENCODED_MAX
        || memcmp(enc, NGX_MOBILITY_PW_PREFIX, plen) != 0)
    {
        return -1;
    }

    p = enc + plen;
    last = enc + len;

    d = memchr(p, '$', last - p);
    if (d == NULL || d == p || (size_t) (d - p) >= sizeof(num)) {
        return -1;
    }

    n = d - p;
    memcpy(num, p, n);
    num[n] = '\0';

    iter = strtoul(num, &end, 10);
    if (*end != '\0' || iter < NGX_MOBILITY_PW_MIN_ITERATIONS
        || iter > NGX_MOBILITY_PW_MAX_ITERATIONS)
    {
        return -1;
    }

    h->iterations = (uint32_t) iter;

    p = d + 1;
    d = memchr(p, '$', last - p);
    if (d == NULL
        || (size_t) (d - p) != ngx_mobility_b64url_len(NGX_MOBILITY_PW_SALT_LEN)
        || (size_t) (last - d - 1)
           != ngx_mobility_b64url_len(NGX_MOBILITY_PW_HASH_LEN))
    {
        return -1;
    }

    if (ngx_mobility_b64url_decode(h->salt, p, d - p)
        != NGX_MOBILITY_PW_SALT_LEN
        || ngx_mobility_b64url_decode(h->hash, d + 1, last - d - 1)
           != NGX_MOBILITY_PW_HASH_LEN)
    {
        return -1;
    }

    return 0;
}


int
ngx_mobility_pw_verify(const u_char *pw, size_t len,
    const ngx_mobility_pw_hash_t *h)
{
    int     ok;
    u_char  out[NGX_MOBILITY_PW_HASH_LEN];

    if (len > NGX_MOBILITY_PW_MAX_LEN
        || ngx_mobility_pw_derive(pw, len, h->iterations, h->salt, out) != 0)
    {
        return 0;
    }

    ok = CRYPTO_memcmp(out, h->hash, sizeof(out)) == 0;

    OPENSSL_cleanse(out, sizeof(out));

    return ok;
}
