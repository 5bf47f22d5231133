/*
 * Copyright (C) The nginx mobility authors
 *
 * OAuth "cwt" access tokens: self-contained and unforgeable.
 *
 *     token   = "cwt=" base64url(payload || HMAC-SHA256(key, payload))
 *     payload = version(1) key-id(4) issued(8) expires(8) auth-gen(8)
 *               flags(1) nonce(8) sip-length(1) sip
 *
 * Keys are random 256-bit secrets in the store's "keys" database, so all
 * workers, all nodes sharing the store and the CLI agree on them.  The
 * newest key signs; older keys still verify until every token they
 * signed has expired, so rotation never invalidates a live token.
 * "auth-gen" is the user's generation: a password change or a disable
 * bumps it and revokes every token issued before.  Plain C.
 */

#ifndef _NGX_MOBILITY_TOKEN_H_INCLUDED_
#define _NGX_MOBILITY_TOKEN_H_INCLUDED_


#include "ngx_mobility_store.h"
#include "ngx_mobility_sip.h"


#define NGX_MOBILITY_TOKEN_VERSION     1
#define NGX_MOBILITY_TOKEN_KEY_LEN     32
#define NGX_MOBILITY_TOKEN_MAC_LEN     32
#define NGX_MOBILITY_TOKEN_FIXED       39   /* payload without the sip */
#define NGX_MOBILITY_TOKEN_RAW_MAX                                            \
    (NGX_MOBILITY_TOKEN_FIXED + NGX_MOBILITY_SIP_MAX                          \
     + NGX_MOBILITY_TOKEN_MAC_LEN)
#define NGX_MOBILITY_TOKEN_MAX                                                \
    (4 + (NGX_MOBILITY_TOKEN_RAW_MAX * 4 + 2) / 3)

#define NGX_MOBILITY_TOKEN_ANONYMOUS   0x01

#define NGX_MOBILITY_REC_KEY           3


typedef struct {
    u_char     sip[NGX_MOBILITY_SIP_MAX + 1];
    size_t     sip_len;
    uint64_t   issued;
    uint64_t   expires;
    uint64_t   auth_gen;
    unsigned   flags;
} ngx_mobility_token_t;


/*
 * Mints a token for t into out (NGX_MOBILITY_TOKEN_MAX + 1 bytes, NUL
 * terminated), rotating the signing key when the newest one is older than
 * "rotate" seconds and dropping keys older than rotate + max_lifetime.
 * Returns the length or -1 (st->err).
 */
int ngx_mobility_token_mint(ngx_mobility_store_t *st,
    ngx_mobility_token_t *t, uint64_t now, uint64_t rotate,
    uint64_t max_lifetime, u_char *out);

/*
 * Checks signature and expiry of "cwt=..." (the prefix is optional).
 * Returns NGX_MOBILITY_OK with *t filled, NGX_MOBILITY_NOTFOUND when the
 * token is malformed, forged, signed by an unknown key or expired, and
 * NGX_MOBILITY_ERROR on a store failure.  The caller checks the user.
 */
int ngx_mobility_token_verify(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *token, size_t len, uint64_t now, ngx_mobility_token_t *t);
/* the same; enter 0: the verified-token table is read, never written */
int ngx_mobility_token_verify_seen(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *token, size_t len, uint64_t now, ngx_mobility_token_t *t,
    int enter);

/* frees the per-process MAC contexts (at process exit) */
void ngx_mobility_token_release(void);


#endif /* _NGX_MOBILITY_TOKEN_H_INCLUDED_ */
