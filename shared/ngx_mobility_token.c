/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_mobility_codec.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_record.h"
#include "ngx_mobility_token.h"


/* key record tags */
#define NGX_MOBILITY_K_SECRET    1
#define NGX_MOBILITY_K_CREATED   2


typedef struct {
    uint32_t   id;
    uint64_t   created;
    u_char     secret[NGX_MOBILITY_TOKEN_KEY_LEN];
} ngx_mobility_key_t;


/*
 * Per-process HMAC contexts, one per recently used key.  OpenSSL 3's
 * one-shot HMAC() fetches the MAC and digest algorithms on every call,
 * which costs more than the MAC itself; here "HMAC" is fetched once and
 * every key keeps a keyed context that is re-initialised (the key's
 * padded blocks are kept) for each token.  A slot matches on key id and
 * secret, so a store re-created under a running process cannot reuse a
 * stale key.  Not thread-safe: tokens are minted and verified on the
 * event loop (and in the single-threaded CLI).
 */
#define NGX_MOBILITY_TOKEN_MAC_SLOTS  8

typedef struct {
    EVP_MAC_CTX  *ctx;
    uint32_t      id;
    u_char        secret[NGX_MOBILITY_TOKEN_KEY_LEN];
} ngx_mobility_token_mac_slot_t;


/*
 * Tokens whose signature was checked: a per-process, direct-mapped cache
 * of their decoded bytes (indexed by the MAC), so that a token seen again
 * costs a compare instead of an HMAC.  A hit is exact: the same bytes
 * signed by the same key (its id and creation time must still match the
 * key in the store).  Expiry and the user's auth_gen are checked on
 * every request as before.  Only successful verifications are entered.
 * 16 384 entries of 128 bytes (2 MB, allocated at the first verify);
 * tokens of users with sip addresses over 47 bytes are not cached.
 * ngx_mobility_token_verify_seen() with enter 0 looks a token up but
 * neither enters it nor allocates the cache: a P-GET's token is checked
 * once per park, and 1 000 users' entries spread over the 2 MB would
 * make ~1.75 MB of it resident per worker (W4, bench/RESULTS.md).
 */
#define NGX_MOBILITY_TOKEN_SEEN         16384
#define NGX_MOBILITY_TOKEN_SEEN_RAW     118

typedef struct {
    uint64_t                           key_created;
    uint16_t                           len;       /* 0: empty */
    u_char                             raw[NGX_MOBILITY_TOKEN_SEEN_RAW];
} ngx_mobility_token_seen_t;

static ngx_mobility_token_seen_t      *ngx_mobility_token_seen;
static unsigned                        ngx_mobility_token_seen_failed;

static EVP_MAC                        *ngx_mobility_token_hmac;
static ngx_mobility_token_mac_slot_t
    ngx_mobility_token_mac_slots[NGX_MOBILITY_TOKEN_MAC_SLOTS];
static unsigned                        ngx_mobility_token_mac_next;


static int
ngx_mobility_key_decode(MDB_val *k, MDB_val *v, ngx_mobility_key_t *key)
{
    u_char                idb[4];
    ngx_mobility_bytes_t  s;

    if (k->mv_size != 4
        || ngx_mobility_rec_check(v->mv_data, v->mv_size,
                                  NGX_MOBILITY_REC_KEY) != 0
        || !ngx_mobility_rec_get(v->mv_data, v->mv_size,
                                 NGX_MOBILITY_K_SECRET, &s)
        || s.len != NGX_MOBILITY_TOKEN_KEY_LEN)
    {
        return -1;
    }

    memcpy(idb, k->mv_data, 4);
    key->id = ((uint32_t) idb[0] << 24) | ((uint32_t) idb[1] << 16)
              | ((uint32_t) idb[2] << 8) | idb[3];
    key->created = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                            NGX_MOBILITY_K_CREATED, 0);
    memcpy(key->secret, s.data, s.len);

    return 0;
}


static void
ngx_mobility_key_id(u_char *p, uint32_t id)
{
    p[0] = (u_char) (id >> 24);
    p[1] = (u_char) (id >> 16);
    p[2] = (u_char) (id >> 8);
    p[3] = (u_char) id;
}


/* the newest key: 1 found, 0 none, -1 error */
static int
ngx_mobility_key_newest(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_key_t *key)
{
    int          rc;
    MDB_val      k, v;
    MDB_cursor  *cur;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_KEYS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading token keys", rc);
    }

    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);

    if (rc == 0) {
        rc = (ngx_mobility_key_decode(&k, &v, key) == 0) ? 1 : 0;

    } else if (rc == MDB_NOTFOUND) {
        rc = 0;

    } else {
        rc = ngx_mobility_store_fail(st, "reading token keys", rc);
    }

    mdb_cursor_close(cur);

    return rc;
}


static int
ngx_mobility_key_rotate(ngx_mobility_store_t *st, uint64_t now,
    uint64_t rotate, uint64_t max_lifetime, ngx_mobility_key_t *key)
{
    int                        rc;
    u_char                     idb[4], buf[64];
    MDB_val                    k, v;
    MDB_txn                   *txn;
    MDB_cursor                *cur;
    ngx_mobility_key_t         old;
    ngx_mobility_rec_writer_t  w;

    if (ngx_mobility_store_begin(st, &txn, 1) != 0) {
        return -1;
    }

    /* another process may have rotated since we looked */
    rc = ngx_mobility_key_newest(st, txn, key);
    if (rc < 0) {
        goto failed;
    }

    if (rc == 1 && key->created + rotate > now) {
        mdb_txn_abort(txn);
        return 0;
    }

    key->id = (rc == 1) ? key->id + 1 : 1;
    key->created = now;

    if (RAND_bytes(key->secret, sizeof(key->secret)) != 1) {
        snprintf(st->err, sizeof(st->err), "RAND_bytes() failed");
        goto failed;
    }

    ngx_mobility_rec_begin(&w, buf, sizeof(buf), NGX_MOBILITY_REC_KEY);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_K_SECRET, key->secret,
                         sizeof(key->secret));
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_K_CREATED, now);

    ngx_mobility_key_id(idb, key->id);
    k.mv_data = idb;
    k.mv_size = 4;
    v.mv_data = buf;
    v.mv_size = w.len;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_KEYS], &k, &v, 0);
    OPENSSL_cleanse(buf, sizeof(buf));

    if (rc != 0) {
        ngx_mobility_store_fail(st, "writing a token key", rc);
        goto failed;
    }

    /* keys that can no longer have live tokens */

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_KEYS], &cur);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "pruning token keys", rc);
        goto failed;
    }

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (ngx_mobility_key_decode(&k, &v, &old) != 0
            || old.id == key->id
            || old.created + rotate + max_lifetime > now)
        {
            continue;
        }

        if (mdb_cursor_del(cur, 0) != 0) {
            break;
        }
    }

    mdb_cursor_close(cur);
    OPENSSL_cleanse(&old, sizeof(old));

    /* a new key, maybe old ones gone: the workers' token caches see it */
    if (ngx_mobility_store_dir_gen_bump(st, txn) != 0) {
        goto failed;
    }

    return ngx_mobility_store_commit(st, txn);

failed:

    mdb_txn_abort(txn);
    return -1;
}


static EVP_MAC_CTX *
ngx_mobility_token_mac_ctx(const ngx_mobility_key_t *key)
{
    unsigned                        i;
    EVP_MAC_CTX                    *ctx;
    OSSL_PARAM                      params[2];
    ngx_mobility_token_mac_slot_t  *slot;

    for (i = 0; i < NGX_MOBILITY_TOKEN_MAC_SLOTS; i++) {
        slot = &ngx_mobility_token_mac_slots[i];

        if (slot->ctx && slot->id == key->id
            && CRYPTO_memcmp(slot->secret, key->secret, sizeof(key->secret))
               == 0)
        {
            /* a NULL key restarts the MAC with the key already set */
            return EVP_MAC_init(slot->ctx, NULL, 0, NULL) == 1
                   ? slot->ctx : NULL;
        }
    }

    if (ngx_mobility_token_hmac == NULL) {
        ngx_mobility_token_hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC,
                                                NULL);
        if (ngx_mobility_token_hmac == NULL) {
            return NULL;
        }
    }

    ctx = EVP_MAC_CTX_new(ngx_mobility_token_hmac);
    if (ctx == NULL) {
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(ctx, key->secret, sizeof(key->secret), params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }

    slot = &ngx_mobility_token_mac_slots[ngx_mobility_token_mac_next];
    ngx_mobility_token_mac_next = (ngx_mobility_token_mac_next + 1)
                                  % NGX_MOBILITY_TOKEN_MAC_SLOTS;

    EVP_MAC_CTX_free(slot->ctx);
    OPENSSL_cleanse(slot->secret, sizeof(slot->secret));

    slot->ctx = ctx;
    slot->id = key->id;
    memcpy(slot->secret, key->secret, sizeof(key->secret));

    return ctx;
}


void
ngx_mobility_token_release(void)
{
    unsigned                        i;
    ngx_mobility_token_mac_slot_t  *slot;

    for (i = 0; i < NGX_MOBILITY_TOKEN_MAC_SLOTS; i++) {
        slot = &ngx_mobility_token_mac_slots[i];

        EVP_MAC_CTX_free(slot->ctx);
        slot->ctx = NULL;
        OPENSSL_cleanse(slot->secret, sizeof(slot->secret));
    }

    EVP_MAC_free(ngx_mobility_token_hmac);
    ngx_mobility_token_hmac = NULL;

    free(ngx_mobility_token_seen);
    ngx_mobility_token_seen = NULL;
}


static int
ngx_mobility_token_mac(const ngx_mobility_key_t *key, const u_char *p,
    size_t len, u_char *mac)
{
    size_t        maclen;
    EVP_MAC_CTX  *ctx;

    ctx = ngx_mobility_token_mac_ctx(key);

    if (ctx == NULL
        || EVP_MAC_update(ctx, p, len) != 1
        || EVP_MAC_final(ctx, mac, &maclen, NGX_MOBILITY_TOKEN_MAC_LEN) != 1
        || maclen != NGX_MOBILITY_TOKEN_MAC_LEN)
    {
        return -1;
    }

    return 0;
}


int
ngx_mobility_token_mint(ngx_mobility_store_t *st, ngx_mobility_token_t *t,
    uint64_t now, uint64_t rotate, uint64_t max_lifetime, u_char *out)
{
    int                 rc;
    size_t              n;
    u_char              raw[NGX_MOBILITY_TOKEN_RAW_MAX], *p;
    MDB_txn            *txn;
    ngx_mobility_key_t  key;

    if (t->sip_len > NGX_MOBILITY_SIP_MAX) {
        snprintf(st->err, sizeof(st->err), "SIP address too long");
        return -1;
    }

    if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
        return -1;
    }

    rc = ngx_mobility_key_newest(st, txn, &key);
    mdb_txn_abort(txn);

    if (rc < 0) {
        return -1;
    }

    if (rc == 0 || key.created + rotate <= now) {
        if (ngx_mobility_key_rotate(st, now, rotate, max_lifetime, &key)
            != 0)
        {
            return -1;
        }
    }

    p = raw;
    *p++ = NGX_MOBILITY_TOKEN_VERSION;
    ngx_mobility_key_id(p, key.id);
    p += 4;
    ngx_mobility_put_be64(p, t->issued);
    p += 8;
    ngx_mobility_put_be64(p, t->expires);
    p += 8;
    ngx_mobility_put_be64(p, t->auth_gen);
    p += 8;
    *p++ = (u_char) t->flags;

    if (RAND_bytes(p, 8) != 1) {
        snprintf(st->err, sizeof(st->err), "RAND_bytes() failed");
        return -1;
    }

    p += 8;
    *p++ = (u_char) t->sip_len;
    memcpy(p, t->sip, t->sip_len);
    p += t->sip_len;

    if (ngx_mobility_token_mac(&key, raw, p - raw, p) != 0) {
        snprintf(st->err, sizeof(st->err), "HMAC() failed");
        return -1;
    }

    p += NGX_MOBILITY_TOKEN_MAC_LEN;

    OPENSSL_cleanse(&key, sizeof(key));

    memcpy(out, "cwt=", 4);
    n = 4 + ngx_mobility_b64url_encode(out + 4, raw, p - raw);
    out[n] = '\0';

    return (int) n;
}


int
ngx_mobility_token_verify(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *token, size_t len, uint64_t now, ngx_mobility_token_t *t)
{
    return ngx_mobility_token_verify_seen(st, txn, token, len, now, t, 1);
}


int
ngx_mobility_token_verify_seen(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *token, size_t len, uint64_t now, ngx_mobility_token_t *t,
    int enter)
{
    int                         rc, ok;
    size_t                      siplen, body;
    ssize_t                     n;
    u_char                      raw[NGX_MOBILITY_TOKEN_RAW_MAX + 3];
    u_char                      mac[NGX_MOBILITY_TOKEN_MAC_LEN];
    u_char                      idb[4];
    MDB_val                     k, v;
    ngx_mobility_key_t          key;
    ngx_mobility_token_seen_t  *seen;

    if (len > 4 && memcmp(token, "cwt=", 4) == 0) {
        token += 4;
        len -= 4;
    }

    if (len > NGX_MOBILITY_TOKEN_MAX) {
        return NGX_MOBILITY_NOTFOUND;
    }

    n = ngx_mobility_b64url_decode(raw, token, len);

    if (n < NGX_MOBILITY_TOKEN_FIXED + 1 + NGX_MOBILITY_TOKEN_MAC_LEN
        || raw[0] != NGX_MOBILITY_TOKEN_VERSION)
    {
        return NGX_MOBILITY_NOTFOUND;
    }

    siplen = raw[NGX_MOBILITY_TOKEN_FIXED - 1];
    body = NGX_MOBILITY_TOKEN_FIXED + siplen;

    if (siplen == 0 || (size_t) n != body + NGX_MOBILITY_TOKEN_MAC_LEN) {
        return NGX_MOBILITY_NOTFOUND;
    }

    memcpy(idb, raw + 1, 4);
    k.mv_data = idb;
    k.mv_size = 4;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_KEYS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a token key", rc);
    }

    if (ngx_mobility_key_decode(&k, &v, &key) != 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    seen = NULL;

    if (n <= NGX_MOBILITY_TOKEN_SEEN_RAW) {
        if (ngx_mobility_token_seen == NULL
            && enter
            && !ngx_mobility_token_seen_failed)
        {
            ngx_mobility_token_seen = calloc(NGX_MOBILITY_TOKEN_SEEN,
                                             sizeof(ngx_mobility_token_seen_t));
            ngx_mobility_token_seen_failed = (ngx_mobility_token_seen == NULL);
        }

        if (ngx_mobility_token_seen) {
            seen = &ngx_mobility_token_seen[ngx_mobility_le32(raw + body)
                                            & (NGX_MOBILITY_TOKEN_SEEN - 1)];
        }
    }

    if (seen
        && seen->len == (size_t) n
        && seen->key_created == key.created
        && memcmp(seen->raw, raw, n) == 0)
    {
        /* these very bytes were verified with this very key */
        ok = 1;

    } else {
        ok = ngx_mobility_token_mac(&key, raw, body, mac) == 0
             && CRYPTO_memcmp(mac, raw + body, NGX_MOBILITY_TOKEN_MAC_LEN)
                == 0;

        if (ok && seen && enter) {
            seen->len = (uint16_t) n;
            seen->key_created = key.created;
            memcpy(seen->raw, raw, n);
        }
    }

    OPENSSL_cleanse(&key, sizeof(key));

    if (!ok) {
        return NGX_MOBILITY_NOTFOUND;
    }

    t->issued = ngx_mobility_be64(raw + 5);
    t->expires = ngx_mobility_be64(raw + 13);
    t->auth_gen = ngx_mobility_be64(raw + 21);
    t->flags = raw[29];

    if (t->expires <= now) {
        return NGX_MOBILITY_NOTFOUND;
    }

    memcpy(t->sip, raw + NGX_MOBILITY_TOKEN_FIXED, siplen);
    t->sip[siplen] = '\0';
    t->sip_len = siplen;

    return NGX_MOBILITY_OK;
}
