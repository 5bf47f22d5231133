/*
 * Copyright (C) The nginx mobility authors
 *
 * Password hashes: PBKDF2-HMAC-SHA256 with a 16-byte random salt, stored
 * as "pbkdf2-sha256$<iterations>$<salt>$<hash>" (base64url).  The cost is
 * a store setting (meta "password_iterations"); each hash keeps its own
 * so that raising the cost does not invalidate existing passwords.
 * Plain C; the derivation is slow by design and runs in nginx's thread
 * pool, never on the event loop.
 */

#ifndef _NGX_MOBILITY_PASSWORD_H_INCLUDED_
#define _NGX_MOBILITY_PASSWORD_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


#define NGX_MOBILITY_PW_DEFAULT_ITERATIONS  600000
#define NGX_MOBILITY_PW_MIN_ITERATIONS      1000
#define NGX_MOBILITY_PW_MAX_ITERATIONS      100000000
#define NGX_MOBILITY_PW_SALT_LEN            16
#define NGX_MOBILITY_PW_HASH_LEN            32
#define NGX_MOBILITY_PW_MAX_LEN             1024
#define NGX_MOBILITY_PW_ENCODED_MAX         128


typedef struct {
    uint32_t  iterations;
    u_char    salt[NGX_MOBILITY_PW_SALT_LEN];
    u_char    hash[NGX_MOBILITY_PW_HASH_LEN];
} ngx_mobility_pw_hash_t;


/* new hash of password into out (NGX_MOBILITY_PW_ENCODED_MAX); 0 or -1 */
int ngx_mobility_pw_hash(const u_char *pw, size_t len, uint32_t iterations,
    char *out);

/* parses an encoded hash; 0 or -1 */
int ngx_mobility_pw_parse(const u_char *enc, size_t len,
    ngx_mobility_pw_hash_t *h);

/* slow: 1 when the password matches (constant-time compare), 0 if not */
int ngx_mobility_pw_verify(const u_char *pw, size_t len,
    const ngx_mobility_pw_hash_t *h);


#endif /* _NGX_MOBILITY_PASSWORD_H_INCLUDED_ */
