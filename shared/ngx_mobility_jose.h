/*
 * Copyright (C) The nginx mobility authors
 *
 * JSON Web Signatures for the push providers (plain C, OpenSSL): the
 * APNs provider token and VAPID (ES256, raw r||s signature) and the FCM
 * service-account assertion (RS256).  Keys are read from PEM files once,
 * at configuration time; nothing here logs key material.
 */

#ifndef _NGX_MOBILITY_JOSE_H_INCLUDED_
#define _NGX_MOBILITY_JOSE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>


#define NGX_MOBILITY_JOSE_ERR_MAX  256


/*
 * A private key from a PEM file or buffer: PKCS#8 ("BEGIN PRIVATE KEY",
 * Apple's .p8), SEC1 EC ("BEGIN EC PRIVATE KEY") or PKCS#1 RSA.  Only
 * P-256 EC keys and RSA keys of at least 2048 bits are accepted.  NULL
 * with a message in err on failure.  Free with EVP_PKEY_free().
 */
EVP_PKEY *ngx_mobility_pkey_read_file(const char *path, char *err,
    size_t errlen);
EVP_PKEY *ngx_mobility_pkey_read_pem(const char *pem, size_t len, char *err,
    size_t errlen);

/* "ES256" for a P-256 key, "RS256" for an RSA key, NULL otherwise */
const char *ngx_mobility_jws_alg(EVP_PKEY *key);

/*
 * A compact JWS: base64url(header) "." base64url(claims) "."
 * base64url(signature), the algorithm given by the key (the header JSON
 * must name the same).  Returns the length written (no NUL), or 0 when
 * out is too small or signing fails.
 */
size_t ngx_mobility_jws_sign(EVP_PKEY *key, const char *header, size_t hlen,
    const char *claims, size_t clen, char *out, size_t size);

/* the uncompressed public point (65 bytes) of a P-256 key; 0 on error */
int ngx_mobility_ec_public_raw(EVP_PKEY *key, unsigned char out[65]);

/* a new P-256 key (for `mobilityctl vapid generate`); NULL on error */
EVP_PKEY *ngx_mobility_ec_generate(void);


#endif /* _NGX_MOBILITY_JOSE_H_INCLUDED_ */
