/*
 * Copyright (C) The nginx mobility authors
 *
 * Web Push message encryption (RFC 8291, "aes128gcm" of RFC 8188) and
 * VAPID authorization (RFC 8292).  Plain C over OpenSSL.
 */

#ifndef _NGX_MOBILITY_WEBPUSH_H_INCLUDED_
#define _NGX_MOBILITY_WEBPUSH_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>


#define NGX_MOBILITY_WEBPUSH_P256DH_LEN   65
#define NGX_MOBILITY_WEBPUSH_AUTH_LEN     16

/* salt 16, record size 4, idlen 1, key id 65; then the tag 16 and the
 * padding delimiter 1 around the plaintext */
#define NGX_MOBILITY_WEBPUSH_OVERHEAD     (16 + 4 + 1 + 65 + 16 + 1)

/* the largest body push services accept */
#define NGX_MOBILITY_WEBPUSH_MAX_BODY     4096


/*
 * Decodes and checks a subscription's keys (base64url, padding
 * tolerated): p256dh must be an uncompressed point on P-256, auth 16
 * bytes.  Returns 1, or 0 with a message for the client in err.
 */
int ngx_mobility_webpush_keys(const char *p256dh, size_t plen,
    const char *auth, size_t alen,
    unsigned char ua_public[NGX_MOBILITY_WEBPUSH_P256DH_LEN],
    unsigned char auth_secret[NGX_MOBILITY_WEBPUSH_AUTH_LEN],
    char *err, size_t errlen);

/*
 * Encrypts plaintext for the subscription as one aes128gcm record with a
 * fresh ephemeral key and salt.  out receives the whole request body
 * (header, ciphertext, tag); returns its length, or 0 on error or when
 * the body would exceed size.
 */
size_t ngx_mobility_webpush_encrypt(
    const unsigned char ua_public[NGX_MOBILITY_WEBPUSH_P256DH_LEN],
    const unsigned char auth_secret[NGX_MOBILITY_WEBPUSH_AUTH_LEN],
    const unsigned char *plaintext, size_t len, unsigned char *out,
    size_t size);

/*
 * The Authorization header value "vapid t=<JWT>, k=<public key>" for a
 * push service origin ("https://host[:port]"), with the claims aud,
 * exp (seconds since the epoch) and sub ("mailto:..." or "https://...").
 * Returns the length written, or 0.
 */
size_t ngx_mobility_vapid_authorization(EVP_PKEY *key, const char *aud,
    size_t audlen, uint64_t exp, const char *sub, size_t sublen, char *out,
    size_t size);


#endif /* _NGX_MOBILITY_WEBPUSH_H_INCLUDED_ */
