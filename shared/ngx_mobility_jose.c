/*
 * Copyright (C) The nginx mobility authors
 *
 * JWS compact signing (ES256, RS256) and the keys it needs, over the
 * OpenSSL 3 EVP interfaces.  Plain C: the nginx modules and the CLI link
 * it.  Error messages name the file and the problem, never key bytes.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ngx_mobility_codec.h"
#include "ngx_mobility_jose.h"


/* a PEM key file is a few KiB at most; refuse anything absurd */
#define NGX_MOBILITY_JOSE_PEM_MAX   (64 * 1024)

#define NGX_MOBILITY_JOSE_RSA_MIN   2048
#define NGX_MOBILITY_JOSE_EC_COORD  32


static void ngx_mobility_jose_err(char *err, size_t errlen, const char *fmt,
    ...) __attribute__ ((format (printf, 3, 4)));
static int ngx_mobility_jose_no_passphrase(char *buf, int size, int rwflag,
    void *u);
static int ngx_mobility_jose_is_p256(EVP_PKEY *key);


static void
ngx_mobility_jose_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


/* encrypted keys are refused instead of prompting on a terminal */

static int
ngx_mobility_jose_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}


static int
ngx_mobility_jose_is_p256(EVP_PKEY *key)
{
    char    group[64];
    size_t  len;

    if (!EVP_PKEY_is_a(key, "EC")) {
        return 0;
    }

    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
                                       group, sizeof(group), &len)
        != 1)
    {
        return 0;
    }

    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}


EVP_PKEY *
ngx_mobility_pkey_read_pem(const char *pem, size_t len, char *err,
    size_t errlen)
{
    int        bits;
    BIO       *bio;
    EVP_PKEY  *key;

    if (len == 0 || len > NGX_MOBILITY_JOSE_PEM_MAX) {
        ngx_mobility_jose_err(err, errlen, "no private key: the PEM data is "
                              "%s", len ? "too large" : "empty");
        return NULL;
    }

    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        ngx_mobility_jose_err(err, errlen, "out of memory");
        return NULL;
    }

    key = PEM_read_bio_PrivateKey(bio, NULL, ngx_mobility_jose_no_passphrase,
                                  NULL);
    BIO_free(bio);

    /* OpenSSL's queue would otherwise surface in an unrelated nginx log */
    ERR_clear_error();

    if (key == NULL) {
        ngx_mobility_jose_err(err, errlen, "no usable private key in the PEM "
                              "data (expected an unencrypted \"PRIVATE KEY\", "
                              "\"EC PRIVATE KEY\" or \"RSA PRIVATE KEY\")");
        return NULL;
    }

    if (EVP_PKEY_is_a(key, "EC")) {
        if (!ngx_mobility_jose_is_p256(key)) {
            EVP_PKEY_free(key);
            ngx_mobility_jose_err(err, errlen, "unsupported EC curve (only "
                                  "P-256, for ES256)");
            return NULL;
        }

        return key;
    }

    if (EVP_PKEY_is_a(key, "RSA")) {
        bits = EVP_PKEY_get_bits(key);

        if (bits < NGX_MOBILITY_JOSE_RSA_MIN) {
            EVP_PKEY_free(key);
            ngx_mobility_jose_err(err, errlen, "RSA key of %d bits is too "
                                  "small (at least %d)", bits,
                                  NGX_MOBILITY_JOSE_RSA_MIN);
            return NULL;
        }

        return key;
    }

    ngx_mobility_jose_err(err, errlen, "unsupported key type %s (only P-256 "
                          "EC and RSA)", EVP_PKEY_get0_type_name(key)
                                         ? EVP_PKEY_get0_type_name(key)
                                         : "(unknown)");
    EVP_PKEY_free(key);

    return NULL;
}


EVP_PKEY *
ngx_mobility_pkey_read_file(const char *path, char *err, size_t errlen)
{
    int           fd;
    char         *buf, msg[NGX_MOBILITY_JOSE_ERR_MAX];
    size_t        len;
    ssize_t       n;
    EVP_PKEY     *key;
    struct stat   sb;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        ngx_mobility_jose_err(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }

    if (fstat(fd, &sb) == -1) {
        ngx_mobility_jose_err(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }

    if (!S_ISREG(sb.st_mode) || sb.st_size > NGX_MOBILITY_JOSE_PEM_MAX) {
        ngx_mobility_jose_err(err, errlen, "%s: not a PEM key file (%s)",
                              path, S_ISREG(sb.st_mode) ? "too large"
                                                        : "not a file");
        close(fd);
        return NULL;
    }

    buf = malloc(NGX_MOBILITY_JOSE_PEM_MAX);
    if (buf == NULL) {
        ngx_mobility_jose_err(err, errlen, "%s: out of memory", path);
        close(fd);
        return NULL;
    }

    len = 0;

    for ( ;; ) {
        n = read(fd, buf + len, NGX_MOBILITY_JOSE_PEM_MAX - len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            ngx_mobility_jose_err(err, errlen, "%s: %s", path,
                                  strerror(errno));
            OPENSSL_cleanse(buf, len);
            free(buf);
            close(fd);
            return NULL;
        }

        if (n == 0 || len + n == NGX_MOBILITY_JOSE_PEM_MAX) {
            len += n;
            break;
        }

        len += n;
    }

    close(fd);

    key = ngx_mobility_pkey_read_pem(buf, len, msg, sizeof(msg));

    OPENSSL_cleanse(buf, len);
    free(buf);

    if (key == NULL) {
        ngx_mobility_jose_err(err, errlen, "%s: %s", path, msg);
    }

    return key;
}


const char *
ngx_mobility_jws_alg(EVP_PKEY *key)
{
    if (key == NULL) {
        return NULL;
    }

    if (ngx_mobility_jose_is_p256(key)) {
        return "ES256";
    }

    if (EVP_PKEY_is_a(key, "RSA")) {
        return "RS256";
    }

    return NULL;
}


/*
 * ECDSA signatures come DER encoded (SEQUENCE { r INTEGER, s INTEGER });
 * JWS wants r and s as two 32-byte big-endian numbers (RFC 7518 3.4).
 */

static int
ngx_mobility_jose_der_to_raw(const unsigned char *der, size_t len,
    unsigned char raw[2 * NGX_MOBILITY_JOSE_EC_COORD])
{
    int                   rc;
    ECDSA_SIG            *sig;
    const BIGNUM         *r, *s;
    const unsigned char  *p;

    p = der;

    sig = d2i_ECDSA_SIG(NULL, &p, (long) len);
    if (sig == NULL) {
        return 0;
    }

    ECDSA_SIG_get0(sig, &r, &s);

    rc = BN_bn2binpad(r, raw, NGX_MOBILITY_JOSE_EC_COORD)
             == NGX_MOBILITY_JOSE_EC_COORD
         && BN_bn2binpad(s, raw + NGX_MOBILITY_JOSE_EC_COORD,
                         NGX_MOBILITY_JOSE_EC_COORD)
             == NGX_MOBILITY_JOSE_EC_COORD;

    ECDSA_SIG_free(sig);

    return rc;
}


size_t
ngx_mobility_jws_sign(EVP_PKEY *key, const char *header, size_t hlen,
    const char *claims, size_t clen, char *out, size_t size)
{
    int             ec;
    size_t          input, siglen, rawlen, total;
    unsigned char  *sig, raw[2 * NGX_MOBILITY_JOSE_EC_COORD];
    EVP_MD_CTX     *md;
    const char     *alg;

    alg = ngx_mobility_jws_alg(key);
    if (alg == NULL || hlen == 0 || clen == 0) {
        return 0;
    }

    ec = (alg[0] == 'E');

    if (ec) {
        rawlen = 2 * NGX_MOBILITY_JOSE_EC_COORD;

    } else {
        if (EVP_PKEY_get_size(key) <= 0) {
            return 0;
        }

        rawlen = (size_t) EVP_PKEY_get_size(key);
    }

    if (hlen > size || clen > size) {
        return 0;
    }

    input = ngx_mobility_b64url_len(hlen) + 1 + ngx_mobility_b64url_len(clen);
    total = input + 1 + ngx_mobility_b64url_len(rawlen);

    if (total > size) {
        return 0;
    }

    (void) ngx_mobility_b64url_encode((u_char *) out, (const u_char *) header,
                                      hlen);
    out[ngx_mobility_b64url_len(hlen)] = '.';
    (void) ngx_mobility_b64url_encode(
                          (u_char *) out + ngx_mobility_b64url_len(hlen) + 1,
                          (const u_char *) claims, clen);

    siglen = (size_t) EVP_PKEY_get_size(key);

    sig = malloc(siglen);
    if (sig == NULL) {
        return 0;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        free(sig);
        return 0;
    }

    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1
        || EVP_DigestSign(md, sig, &siglen, (const unsigned char *) out,
                          input)
           != 1)
    {
        EVP_MD_CTX_free(md);
        free(sig);
        ERR_clear_error();
        return 0;
    }

    EVP_MD_CTX_free(md);

    if (ec) {
        if (!ngx_mobility_jose_der_to_raw(sig, siglen, raw)) {
            free(sig);
            return 0;
        }

        memcpy(sig, raw, rawlen);
        siglen = rawlen;

    } else if (siglen != rawlen) {
        free(sig);
        return 0;
    }

    out[input] = '.';
    (void) ngx_mobility_b64url_encode((u_char *) out + input + 1, sig,
                                      siglen);
    free(sig);

    return total;
}


int
ngx_mobility_ec_public_raw(EVP_PKEY *key, unsigned char out[65])
{
    int      rc;
    BIGNUM  *x, *y;

    if (key == NULL || !ngx_mobility_jose_is_p256(key)) {
        return 0;
    }

    x = NULL;
    y = NULL;

    rc = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1
         && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1
         && BN_bn2binpad(x, out + 1, NGX_MOBILITY_JOSE_EC_COORD)
            == NGX_MOBILITY_JOSE_EC_COORD
         && BN_bn2binpad(y, out + 1 + NGX_MOBILITY_JOSE_EC_COORD,
                         NGX_MOBILITY_JOSE_EC_COORD)
            == NGX_MOBILITY_JOSE_EC_COORD;

    BN_free(x);
    BN_free(y);

    if (!rc) {
        ERR_clear_error();
        return 0;
    }

    out[0] = 0x04;

    return 1;
}


EVP_PKEY *
ngx_mobility_ec_generate(void)
{
    EVP_PKEY  *key;

    key = EVP_EC_gen("P-256");

    if (key == NULL) {
        ERR_clear_error();
    }

    return key;
}
