/*
 * Copyright (C) The nginx mobility authors
 *
 * Web Push: the subscription keys, RFC 8291 message encryption (one
 * RFC 8188 aes128gcm record) and the RFC 8292 VAPID header.  Plain C over
 * the OpenSSL 3 EVP interfaces.
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "ngx_mobility_codec.h"
#include "ngx_mobility_jose.h"
#include "ngx_mobility_webpush.h"


#define NGX_MOBILITY_WEBPUSH_SALT_LEN   16
#define NGX_MOBILITY_WEBPUSH_RS         4096
#define NGX_MOBILITY_WEBPUSH_TAG_LEN    16
#define NGX_MOBILITY_WEBPUSH_CEK_LEN    16
#define NGX_MOBILITY_WEBPUSH_NONCE_LEN  12
#define NGX_MOBILITY_WEBPUSH_HEADER_LEN                                       \
    (NGX_MOBILITY_WEBPUSH_SALT_LEN + 4 + 1 + NGX_MOBILITY_WEBPUSH_P256DH_LEN)

/* base64url of a key, padded, with room to spare: longer is refused */
#define NGX_MOBILITY_WEBPUSH_B64_MAX    128

#define NGX_MOBILITY_WEBPUSH_JWT_HEADER  "{\"typ\":\"JWT\",\"alg\":\"ES256\"}"

/* aud and sub are short: an origin and a contact */
#define NGX_MOBILITY_WEBPUSH_CLAIM_MAX  512
#define NGX_MOBILITY_WEBPUSH_CLAIMS_MAX                                       \
    (2 * 2 * NGX_MOBILITY_WEBPUSH_CLAIM_MAX + 64)


static void ngx_mobility_webpush_err(char *err, size_t errlen,
    const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));


static void
ngx_mobility_webpush_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    if (err == NULL || errlen == 0) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


/* a P-256 public key from an uncompressed point; NULL if not on the curve */

static EVP_PKEY *
ngx_mobility_webpush_public_key(
    const unsigned char point[NGX_MOBILITY_WEBPUSH_P256DH_LEN])
{
    EVP_PKEY        *key;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *ctx, *check;
    OSSL_PARAM_BLD  *bld;

    key = NULL;
    params = NULL;
    ctx = NULL;

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        return NULL;
    }

    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        "prime256v1", 0)
        != 1
        || OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            point,
                                            NGX_MOBILITY_WEBPUSH_P256DH_LEN)
           != 1)
    {
        goto done;
    }

    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL) {
        goto done;
    }

    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL) {
        goto done;
    }

    if (EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        key = NULL;
        goto done;
    }

    /* fromdata decodes the point; the check proves it is on the curve */

    check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);

    if (check == NULL || EVP_PKEY_public_check(check) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }

    EVP_PKEY_CTX_free(check);

done:

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);

    if (key == NULL) {
        ERR_clear_error();
    }

    return key;
}


static ssize_t
ngx_mobility_webpush_b64(const char *in, size_t len, unsigned char *out)
{
    if (len > NGX_MOBILITY_WEBPUSH_B64_MAX) {
        return -1;
    }

    return ngx_mobility_b64url_decode(out, (const u_char *) in, len);
}


int
ngx_mobility_webpush_keys(const char *p256dh, size_t plen,
    const char *auth, size_t alen,
    unsigned char ua_public[NGX_MOBILITY_WEBPUSH_P256DH_LEN],
    unsigned char auth_secret[NGX_MOBILITY_WEBPUSH_AUTH_LEN],
    char *err, size_t errlen)
{
    ssize_t         n;
    EVP_PKEY       *key;
    unsigned char   buf[NGX_MOBILITY_WEBPUSH_B64_MAX];

    if (p256dh == NULL || plen == 0) {
        ngx_mobility_webpush_err(err, errlen, "the p256dh key is missing");
        return 0;
    }

    if (auth == NULL || alen == 0) {
        ngx_mobility_webpush_err(err, errlen, "the auth secret is missing");
        return 0;
    }

    n = ngx_mobility_webpush_b64(p256dh, plen, buf);

    if (n < 0) {
        ngx_mobility_webpush_err(err, errlen, "the p256dh key is not valid "
                                 "base64url%s",
                                 plen > NGX_MOBILITY_WEBPUSH_B64_MAX
                                 ? " (too long)" : "");
        return 0;
    }

    if (n != NGX_MOBILITY_WEBPUSH_P256DH_LEN) {
        ngx_mobility_webpush_err(err, errlen, "the p256dh key must be %d "
                                 "bytes (an uncompressed P-256 point), not "
                                 "%d", NGX_MOBILITY_WEBPUSH_P256DH_LEN,
                                 (int) n);
        return 0;
    }

    if (buf[0] != 0x04) {
        ngx_mobility_webpush_err(err, errlen, "the p256dh key is not an "
                                 "uncompressed point (first byte 0x%02x, "
                                 "expected 0x04)", buf[0]);
        return 0;
    }

    key = ngx_mobility_webpush_public_key(buf);

    if (key == NULL) {
        ngx_mobility_webpush_err(err, errlen, "the p256dh key is not a "
                                 "point on the P-256 curve");
        return 0;
    }

    EVP_PKEY_free(key);
    memcpy(ua_public, buf, NGX_MOBILITY_WEBPUSH_P256DH_LEN);

    n = ngx_mobility_webpush_b64(auth, alen, buf);

    if (n < 0) {
        ngx_mobility_webpush_err(err, errlen, "the auth secret is not valid "
                                 "base64url%s",
                                 alen > NGX_MOBILITY_WEBPUSH_B64_MAX
                                 ? " (too long)" : "");
        return 0;
    }

    if (n != NGX_MOBILITY_WEBPUSH_AUTH_LEN) {
        ngx_mobility_webpush_err(err, errlen, "the auth secret must be %d "
                                 "bytes, not %d",
                                 NGX_MOBILITY_WEBPUSH_AUTH_LEN, (int) n);
        return 0;
    }

    memcpy(auth_secret, buf, NGX_MOBILITY_WEBPUSH_AUTH_LEN);
    OPENSSL_cleanse(buf, sizeof(buf));

    return 1;
}


static int
ngx_mobility_webpush_hmac(const unsigned char *key, size_t klen,
    const unsigned char *data, size_t len, unsigned char out[32])
{
    unsigned int  olen;

    olen = 32;

    if (HMAC(EVP_sha256(), key, (int) klen, data, len, out, &olen) == NULL
        || olen != 32)
    {
        return 0;
    }

    return 1;
}


/*
 * HKDF-Expand (RFC 5869) for at most one block: T(1) = HMAC(PRK, info ||
 * 0x01), of which the first len bytes.  Every length here is <= 32.
 */

static int
ngx_mobility_webpush_expand(const unsigned char prk[32],
    const unsigned char *info, size_t ilen, unsigned char *out, size_t len)
{
    unsigned char  buf[160], t[32];

    if (ilen + 1 > sizeof(buf) || len > 32) {
        return 0;
    }

    memcpy(buf, info, ilen);
    buf[ilen] = 0x01;

    if (!ngx_mobility_webpush_hmac(prk, 32, buf, ilen + 1, t)) {
        return 0;
    }

    memcpy(out, t, len);
    OPENSSL_cleanse(t, sizeof(t));

    return 1;
}


size_t
ngx_mobility_webpush_encrypt(
    const unsigned char ua_public[NGX_MOBILITY_WEBPUSH_P256DH_LEN],
    const unsigned char auth_secret[NGX_MOBILITY_WEBPUSH_AUTH_LEN],
    const unsigned char *plaintext, size_t len, unsigned char *out,
    size_t size)
{
    int              n, ok;
    size_t           total, secret_len;
    unsigned char   *p, *salt, *as_public, pad;
    unsigned char    secret[32], prk_key[32], ikm[32], prk[32];
    unsigned char    cek[NGX_MOBILITY_WEBPUSH_CEK_LEN];
    unsigned char    nonce[NGX_MOBILITY_WEBPUSH_NONCE_LEN];
    unsigned char    info[14 + 2 * NGX_MOBILITY_WEBPUSH_P256DH_LEN];
    EVP_PKEY        *ephemeral, *peer;
    EVP_PKEY_CTX    *dctx;
    EVP_CIPHER_CTX  *cctx;

    static const unsigned char  key_info[] = "WebPush: info";     /* + \0 */
    static const unsigned char  cek_info[] = "Content-Encoding: aes128gcm";
    static const unsigned char  nonce_info[] = "Content-Encoding: nonce";

    if (len > NGX_MOBILITY_WEBPUSH_MAX_BODY) {
        return 0;
    }

    total = NGX_MOBILITY_WEBPUSH_OVERHEAD + len;

    if (total > NGX_MOBILITY_WEBPUSH_MAX_BODY || total > size) {
        return 0;
    }

    ok = 0;
    ephemeral = NULL;
    peer = NULL;
    dctx = NULL;
    cctx = NULL;

    peer = ngx_mobility_webpush_public_key(ua_public);
    if (peer == NULL) {
        goto done;
    }

    ephemeral = ngx_mobility_ec_generate();
    if (ephemeral == NULL) {
        goto done;
    }

    /* the header: salt || rs || idlen || the application server's key */

    salt = out;
    p = out + NGX_MOBILITY_WEBPUSH_SALT_LEN;

    if (RAND_bytes(salt, NGX_MOBILITY_WEBPUSH_SALT_LEN) != 1) {
        goto done;
    }

    *p++ = (unsigned char) (NGX_MOBILITY_WEBPUSH_RS >> 24);
    *p++ = (unsigned char) (NGX_MOBILITY_WEBPUSH_RS >> 16);
    *p++ = (unsigned char) (NGX_MOBILITY_WEBPUSH_RS >> 8);
    *p++ = (unsigned char) NGX_MOBILITY_WEBPUSH_RS;
    *p++ = NGX_MOBILITY_WEBPUSH_P256DH_LEN;

    as_public = p;

    if (!ngx_mobility_ec_public_raw(ephemeral, as_public)) {
        goto done;
    }

    p += NGX_MOBILITY_WEBPUSH_P256DH_LEN;

    /* ecdh_secret = ECDH(as_private, ua_public) */

    dctx = EVP_PKEY_CTX_new_from_pkey(NULL, ephemeral, NULL);
    secret_len = sizeof(secret);

    if (dctx == NULL
        || EVP_PKEY_derive_init(dctx) != 1
        || EVP_PKEY_derive_set_peer(dctx, peer) != 1
        || EVP_PKEY_derive(dctx, secret, &secret_len) != 1
        || secret_len != sizeof(secret))
    {
        goto done;
    }

    /* PRK_key = HMAC-SHA-256(auth_secret, ecdh_secret) */

    if (!ngx_mobility_webpush_hmac(auth_secret, NGX_MOBILITY_WEBPUSH_AUTH_LEN,
                                   secret, sizeof(secret), prk_key))
    {
        goto done;
    }

    /* IKM = HKDF-Expand(PRK_key, "WebPush: info" 0x00 ua_public as_public) */

    memcpy(info, key_info, sizeof(key_info));
    memcpy(info + sizeof(key_info), ua_public,
           NGX_MOBILITY_WEBPUSH_P256DH_LEN);
    memcpy(info + sizeof(key_info) + NGX_MOBILITY_WEBPUSH_P256DH_LEN,
           as_public, NGX_MOBILITY_WEBPUSH_P256DH_LEN);

    if (!ngx_mobility_webpush_expand(prk_key, info, sizeof(info), ikm,
                                     sizeof(ikm)))
    {
        goto done;
    }

    /* PRK = HMAC-SHA-256(salt, IKM); CEK and NONCE from it (RFC 8188) */

    if (!ngx_mobility_webpush_hmac(salt, NGX_MOBILITY_WEBPUSH_SALT_LEN,
                                   ikm, sizeof(ikm), prk)
        || !ngx_mobility_webpush_expand(prk, cek_info, sizeof(cek_info),
                                        cek, sizeof(cek))
        || !ngx_mobility_webpush_expand(prk, nonce_info, sizeof(nonce_info),
                                        nonce, sizeof(nonce)))
    {
        goto done;
    }

    /* one record: AES-128-GCM(plaintext || 0x02), then the tag */

    cctx = EVP_CIPHER_CTX_new();
    if (cctx == NULL) {
        goto done;
    }

    pad = 0x02;

    if (EVP_EncryptInit_ex(cctx, EVP_aes_128_gcm(), NULL, cek, nonce) != 1) {
        goto done;
    }

    if (len) {
        if (EVP_EncryptUpdate(cctx, p, &n, plaintext, (int) len) != 1
            || (size_t) n != len)
        {
            goto done;
        }

        p += n;
    }

    if (EVP_EncryptUpdate(cctx, p, &n, &pad, 1) != 1 || n != 1) {
        goto done;
    }

    p += n;

    if (EVP_EncryptFinal_ex(cctx, p, &n) != 1 || n != 0
        || EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG,
                               NGX_MOBILITY_WEBPUSH_TAG_LEN, p)
           != 1)
    {
        goto done;
    }

    p += NGX_MOBILITY_WEBPUSH_TAG_LEN;

    ok = ((size_t) (p - out) == total);

done:

    EVP_CIPHER_CTX_free(cctx);
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_free(ephemeral);
    EVP_PKEY_free(peer);

    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(prk_key, sizeof(prk_key));
    OPENSSL_cleanse(ikm, sizeof(ikm));
    OPENSSL_cleanse(prk, sizeof(prk));
    OPENSSL_cleanse(cek, sizeof(cek));
    OPENSSL_cleanse(nonce, sizeof(nonce));

    if (!ok) {
        ERR_clear_error();
        return 0;
    }

    return total;
}


/*
 * A JSON string body: '"' and '\' escaped; control characters and
 * non-ASCII bytes are refused (origins and contacts are ASCII).  Returns
 * the length written, or 0.
 */

static size_t
ngx_mobility_webpush_json_str(const char *s, size_t len, char *out)
{
    char    *p;
    size_t   i;

    p = out;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e) {
            return 0;
        }

        if (s[i] == '"' || s[i] == '\\') {
            *p++ = '\\';
        }

        *p++ = s[i];
    }

    return p - out;
}


size_t
ngx_mobility_vapid_authorization(EVP_PKEY *key, const char *aud,
    size_t audlen, uint64_t exp, const char *sub, size_t sublen, char *out,
    size_t size)
{
    char           *p, claims[NGX_MOBILITY_WEBPUSH_CLAIMS_MAX];
    size_t          n, jws, klen;
    unsigned char   pub[NGX_MOBILITY_WEBPUSH_P256DH_LEN];

    static const char  prefix[] = "vapid t=";
    static const char  kpart[] = ", k=";

    if (key == NULL || !ngx_mobility_ec_public_raw(key, pub)) {
        return 0;
    }

    if (audlen == 0 || audlen > NGX_MOBILITY_WEBPUSH_CLAIM_MAX
        || sublen > NGX_MOBILITY_WEBPUSH_CLAIM_MAX
        || exp == 0 || exp > 253402300799ULL)   /* 9999-12-31 */
    {
        return 0;
    }

    if (!((audlen > 8 && strncmp(aud, "https://", 8) == 0)
          || (audlen > 7 && strncmp(aud, "http://", 7) == 0)))
    {
        return 0;
    }

    if (sublen
        && !((sublen > 7 && strncmp(sub, "mailto:", 7) == 0)
             || (sublen > 6 && strncmp(sub, "https:", 6) == 0)))
    {
        return 0;
    }

    /* {"aud":"...","exp":N,"sub":"..."} */

    p = claims;
    p += sprintf(p, "{\"aud\":\"");

    n = ngx_mobility_webpush_json_str(aud, audlen, p);
    if (n == 0) {
        return 0;
    }

    p += n;
    p += sprintf(p, "\",\"exp\":%llu", (unsigned long long) exp);

    if (sublen) {
        p += sprintf(p, ",\"sub\":\"");

        n = ngx_mobility_webpush_json_str(sub, sublen, p);
        if (n == 0) {
            return 0;
        }

        p += n;
        *p++ = '"';
    }

    *p++ = '}';

    klen = ngx_mobility_b64url_len(NGX_MOBILITY_WEBPUSH_P256DH_LEN);

    if (size < sizeof(prefix) - 1 + sizeof(kpart) - 1 + klen) {
        return 0;
    }

    memcpy(out, prefix, sizeof(prefix) - 1);

    jws = ngx_mobility_jws_sign(key, NGX_MOBILITY_WEBPUSH_JWT_HEADER,
                                sizeof(NGX_MOBILITY_WEBPUSH_JWT_HEADER) - 1,
                                claims, p - claims, out + sizeof(prefix) - 1,
                                size - (sizeof(prefix) - 1)
                                     - (sizeof(kpart) - 1) - klen);
    if (jws == 0) {
        return 0;
    }

    p = out + sizeof(prefix) - 1 + jws;
    memcpy(p, kpart, sizeof(kpart) - 1);
    p += sizeof(kpart) - 1;
    p += ngx_mobility_b64url_encode((u_char *) p, pub, sizeof(pub));

    return p - out;
}
