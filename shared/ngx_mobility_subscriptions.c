/*
 * Copyright (C) The nginx mobility authors
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ngx_mobility_subscriptions.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_kv.h"


#define NGX_MOBILITY_PSUB_KEY_MAX                                             \
    (NGX_MOBILITY_PSUB_EP_MAX + NGX_MOBILITY_PSUB_ID_MAX                     \
     + NGX_MOBILITY_SIP_MAX + 3)


static int ngx_mobility_psub_due_remove(ngx_mobility_store_t *st,
    MDB_txn *txn, const u_char *ep, size_t eplen, const u_char *id,
    size_t idlen);


static MDB_val
ngx_mobility_psub_val(const void *data, size_t len)
{
    MDB_val  v;

    v.mv_data = (void *) data;
    v.mv_size = len;

    return v;
}


/* a NUL b [NUL c]: the length, 0 if a part is too long or empty */
static size_t
ngx_mobility_psub_key(u_char *buf, const u_char *a, size_t alen,
    const u_char *b, size_t blen, const u_char *c, size_t clen)
{
    u_char  *p;

    if (alen == 0 || alen > NGX_MOBILITY_SIP_MAX
        || blen > NGX_MOBILITY_SIP_MAX || clen > NGX_MOBILITY_SIP_MAX
        || memchr(a, '\0', alen) || (blen && memchr(b, '\0', blen))
        || (clen && memchr(c, '\0', clen)))
    {
        return 0;
    }

    p = buf;
    memcpy(p, a, alen);
    p += alen;
    *p++ = '\0';

    if (blen) {
        memcpy(p, b, blen);
        p += blen;
    }

    if (clen) {
        *p++ = '\0';
        memcpy(p, c, clen);
        p += clen;
    }

    return p - buf;
}


static void
ngx_mobility_psub_u64(u_char *p, uint64_t v)
{
    int  i;

    for (i = 0; i < 8; i++) {
        p[i] = (u_char) (v >> (8 * i));
    }
}


static uint64_t
ngx_mobility_psub_get_u64(const MDB_val *v)
{
    int             i;
    uint64_t        r;
    const u_char   *p;

    if (v->mv_size != 8) {
        return 0;
    }

    p = v->mv_data;
    r = 0;

    for (i = 7; i >= 0; i--) {
        r = (r << 8) | p[i];
    }

    return r;
}


static int
ngx_mobility_psub_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_db_e db, const u_char *key, size_t klen, uint64_t expires,
    unsigned flags)
{
    int      rc;
    u_char   buf[8];
    MDB_val  k, v;

    ngx_mobility_psub_u64(buf, expires);

    k = ngx_mobility_psub_val(key, klen);
    v = ngx_mobility_psub_val(buf, 8);

    rc = mdb_put(txn, st->dbi[db], &k, &v, flags);

    if (rc == MDB_KEYEXIST) {
        return NGX_MOBILITY_EXISTS;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a presence subscription",
                                       rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_psub_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t *expires)
{
    int      rc;
    u_char   key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t   klen;
    MDB_val  k, v;

    klen = ngx_mobility_psub_key(key, ep, eplen, id, idlen, NULL, 0);
    if (klen == 0 || idlen == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k = ngx_mobility_psub_val(key, klen);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a presence subscription",
                                       rc);
    }

    *expires = ngx_mobility_psub_get_u64(&v);

    return NGX_MOBILITY_OK;
}


/* walks the keys under prefix; cb gets each key and value */
typedef int (*ngx_mobility_psub_raw_pt)(void *ctx, MDB_val *k, MDB_val *v);

static int
ngx_mobility_psub_walk(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_db_e db, const u_char *prefix, size_t plen,
    ngx_mobility_psub_raw_pt cb, void *ctx)
{
    int          rc, stop;
    MDB_val      k, v;
    MDB_cursor  *cur;

    rc = mdb_cursor_open(txn, st->dbi[db], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "listing presence subscriptions",
                                       rc);
    }

    k = ngx_mobility_psub_val(prefix, plen);
    stop = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && !stop;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0) {
            break;
        }

        stop = cb(ctx, &k, &v);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "listing presence subscriptions",
                                       rc);
    }

    return NGX_MOBILITY_OK;
}


typedef struct {
    size_t                 skip;        /* prefix length */
    unsigned               n;
    unsigned               members;     /* 1: members, 0: subscriptions */
    unsigned               unvalued;    /* 1: the values are not expiries */
    ngx_mobility_psub_pt   cb;
    void                  *ctx;
} ngx_mobility_psub_walk_t;


static int
ngx_mobility_psub_split(void *ctx, MDB_val *k, MDB_val *v)
{
    ngx_mobility_psub_walk_t  *w = ctx;

    u_char  *p, *last, *nul;

    p = (u_char *) k->mv_data + w->skip;
    last = (u_char *) k->mv_data + k->mv_size;
    nul = memchr(p, '\0', last - p);

    if ((nul != NULL) != (w->members != 0)) {
        return 0;
    }

    w->n++;

    if (w->cb == NULL) {
        return 0;
    }

    if (nul) {
        return w->cb(w->ctx, p, nul - p, nul + 1, last - nul - 1,
                     w->unvalued ? 0 : ngx_mobility_psub_get_u64(v));
    }

    return w->cb(w->ctx, p, last - p, NULL, 0, ngx_mobility_psub_get_u64(v));
}


int
ngx_mobility_psub_list(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, ngx_mobility_psub_pt cb, void *ctx)
{
    u_char                    key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t                    klen;
    ngx_mobility_psub_walk_t  w;

    klen = ngx_mobility_psub_key(key, ep, eplen, NULL, 0, NULL, 0);
    if (klen == 0) {
        return NGX_MOBILITY_OK;
    }

    memset(&w, 0, sizeof(w));
    w.skip = klen;
    w.cb = cb;
    w.ctx = ctx;

    return ngx_mobility_psub_walk(st, txn, NGX_MOBILITY_DB_PRESENCE_SUBS,
                                  key, klen, ngx_mobility_psub_split, &w);
}


int
ngx_mobility_psub_members(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    ngx_mobility_psub_pt cb, void *ctx)
{
    u_char                    key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t                    klen;
    ngx_mobility_psub_walk_t  w;

    klen = ngx_mobility_psub_key(key, ep, eplen, id, idlen, NULL, 0);
    if (klen == 0) {
        return NGX_MOBILITY_OK;
    }

    memset(&w, 0, sizeof(w));
    w.members = 1;
    w.cb = cb;
    w.ctx = ctx;

    if (idlen) {
        key[klen++] = '\0';
    }

    w.skip = idlen ? eplen + 1 : klen;

    return ngx_mobility_psub_walk(st, txn, NGX_MOBILITY_DB_PRESENCE_SUBS,
                                  key, klen, ngx_mobility_psub_split, &w);
}


int
ngx_mobility_psub_create(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t expires)
{
    u_char                    key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t                    klen;
    ngx_mobility_psub_walk_t  w;

    if (idlen == 0 || idlen > NGX_MOBILITY_PSUB_ID_MAX
        || eplen > NGX_MOBILITY_PSUB_EP_MAX)
    {
        snprintf(st->err, sizeof(st->err), "invalid subscription key");
        return NGX_MOBILITY_ERROR;
    }

    klen = ngx_mobility_psub_key(key, ep, eplen, NULL, 0, NULL, 0);
    if (klen == 0) {
        snprintf(st->err, sizeof(st->err), "invalid subscription key");
        return NGX_MOBILITY_ERROR;
    }

    memset(&w, 0, sizeof(w));
    w.skip = klen;

    if (ngx_mobility_psub_walk(st, txn, NGX_MOBILITY_DB_PRESENCE_SUBS, key,
                               klen, ngx_mobility_psub_split, &w)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (w.n >= NGX_MOBILITY_PSUB_SUBS_MAX) {
        snprintf(st->err, sizeof(st->err), "limit");
        return NGX_MOBILITY_ERROR;
    }

    klen = ngx_mobility_psub_key(key, ep, eplen, id, idlen, NULL, 0);

    return ngx_mobility_psub_put(st, txn, NGX_MOBILITY_DB_PRESENCE_SUBS, key,
                                 klen, expires, MDB_NOOVERWRITE);
}


int
ngx_mobility_psub_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    const u_char *target, size_t tlen)
{
    int                       rc;
    u_char                    key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t                    klen;
    uint64_t                  expires;
    ngx_mobility_psub_walk_t  w;

    rc = ngx_mobility_psub_get(st, txn, ep, eplen, id, idlen, &expires);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (tlen == 0) {
        snprintf(st->err, sizeof(st->err), "invalid subscription target");
        return NGX_MOBILITY_ERROR;
    }

    memset(&w, 0, sizeof(w));

    klen = ngx_mobility_psub_key(key, ep, eplen, id, idlen, NULL, 0);
    key[klen++] = '\0';
    w.skip = klen;
    w.members = 0;

    if (ngx_mobility_psub_walk(st, txn, NGX_MOBILITY_DB_PRESENCE_SUBS, key,
                               klen, ngx_mobility_psub_split, &w)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (w.n >= NGX_MOBILITY_PSUB_TARGETS_MAX) {
        snprintf(st->err, sizeof(st->err), "limit");
        return NGX_MOBILITY_ERROR;
    }

    klen = ngx_mobility_psub_key(key, ep, eplen, id, idlen, target, tlen);
    if (klen == 0) {
        snprintf(st->err, sizeof(st->err), "invalid subscription target");
        return NGX_MOBILITY_ERROR;
    }

    rc = ngx_mobility_psub_put(st, txn, NGX_MOBILITY_DB_PRESENCE_SUBS, key,
                               klen, expires, MDB_NOOVERWRITE);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    klen = ngx_mobility_psub_key(key, target, tlen, ep, eplen, id, idlen);

    return ngx_mobility_psub_put(st, txn, NGX_MOBILITY_DB_PRESENCE_WATCHERS,
                                 key, klen, expires, 0);
}


int
ngx_mobility_psub_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    const u_char *target, size_t tlen)
{
    int      rc;
    u_char   key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t   klen;
    MDB_val  k;

    klen = ngx_mobility_psub_key(key, ep, eplen, id, idlen, target, tlen);
    if (klen == 0 || idlen == 0 || tlen == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k = ngx_mobility_psub_val(key, klen);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a subscription member",
                                       rc);
    }

    klen = ngx_mobility_psub_key(key, target, tlen, ep, eplen, id, idlen);
    k = ngx_mobility_psub_val(key, klen);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_WATCHERS], &k, NULL);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing a subscription member",
                                       rc);
    }

    return NGX_MOBILITY_OK;
}


typedef struct {
    ngx_mobility_store_t  *st;
    MDB_txn               *txn;
    const u_char          *ep;
    size_t                 eplen;
    uint64_t               expires;
    int                    failed;
} ngx_mobility_psub_op_t;


static int
ngx_mobility_psub_extend_one(void *ctx, const u_char *id, size_t idlen,
    const u_char *target, size_t tlen, uint64_t expires)
{
    ngx_mobility_psub_op_t  *op = ctx;

    u_char  key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t  klen;

    klen = ngx_mobility_psub_key(key, target, tlen, op->ep, op->eplen, id,
                                 idlen);

    if (ngx_mobility_psub_put(op->st, op->txn,
                              NGX_MOBILITY_DB_PRESENCE_WATCHERS, key, klen,
                              op->expires, 0)
        != NGX_MOBILITY_OK)
    {
        op->failed = 1;
        return 1;
    }

    return 0;
}


int
ngx_mobility_psub_extend(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t expires)
{
    int                     rc;
    u_char                  key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t                  klen;
    uint64_t                old;
    ngx_mobility_psub_op_t  op;

    rc = ngx_mobility_psub_get(st, txn, ep, eplen, id, idlen, &old);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    klen = ngx_mobility_psub_key(key, ep, eplen, id, idlen, NULL, 0);

    if (ngx_mobility_psub_put(st, txn, NGX_MOBILITY_DB_PRESENCE_SUBS, key,
                              klen, expires, 0)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    /*
     * The members keep their own copy for the fan-out; the member keys of
     * the subscription are not rewritten (the subscription's expiry
     * rules), only the watchers.
     */

    memset(&op, 0, sizeof(op));
    op.st = st;
    op.txn = txn;
    op.ep = ep;
    op.eplen = eplen;
    op.expires = expires;

    if (ngx_mobility_psub_members(st, txn, ep, eplen, id, idlen,
                                  ngx_mobility_psub_extend_one, &op)
        != NGX_MOBILITY_OK
        || op.failed)
    {
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_psub_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen)
{
    int          rc;
    u_char       key[NGX_MOBILITY_PSUB_KEY_MAX];
    u_char       wkey[NGX_MOBILITY_PSUB_KEY_MAX];
    u_char       sid[NGX_MOBILITY_PSUB_ID_MAX];
    u_char      *p, *last, *nul;
    size_t       klen, plen, wlen, slen;
    MDB_val      k, v, wk;
    MDB_cursor  *cur;

    klen = ngx_mobility_psub_key(key, ep, eplen, id, idlen, NULL, 0);
    if (klen == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (idlen == 0
        && ngx_mobility_cgsub_del(st, txn, ep, eplen) == NGX_MOBILITY_ERROR)
    {
        return NGX_MOBILITY_ERROR;
    }

    plen = klen;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a subscription", rc);
    }

    k = ngx_mobility_psub_val(key, klen);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE))
    {
        if (k.mv_size < plen || memcmp(k.mv_data, key, plen) != 0
            || (idlen && k.mv_size > plen
                && ((u_char *) k.mv_data)[plen] != '\0'))
        {
            break;
        }

        /* a member: endpoint NUL id NUL target -> drop the watcher */

        p = (u_char *) k.mv_data + eplen + 1;
        last = (u_char *) k.mv_data + k.mv_size;
        nul = memchr(p, '\0', last - p);

        if (nul) {
            wlen = ngx_mobility_psub_key(wkey, nul + 1, last - nul - 1, ep,
                                         eplen, p, nul - p);
            wk = ngx_mobility_psub_val(wkey, wlen);

            rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_WATCHERS],
                         &wk, NULL);
            if (rc != 0 && rc != MDB_NOTFOUND) {
                break;
            }
        }

        /* a subscription: endpoint NUL id -> its due index entry too */

        slen = 0;

        if (nul == NULL && last > p
            && (size_t) (last - p) <= NGX_MOBILITY_PSUB_ID_MAX)
        {
            slen = last - p;
            memcpy(sid, p, slen);
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }

        if (slen
            && ngx_mobility_psub_due_remove(st, txn, ep, eplen, sid, slen)
               == NGX_MOBILITY_ERROR)
        {
            mdb_cursor_close(cur);
            return NGX_MOBILITY_ERROR;
        }

        k = ngx_mobility_psub_val(key, plen);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing a subscription", rc);
    }

    return NGX_MOBILITY_OK;
}


typedef struct {
    size_t                 tlen;
    ngx_mobility_psub_pt   cb;
    void                  *ctx;
} ngx_mobility_psub_watch_t;


static int
ngx_mobility_psub_watch_one(void *ctx, MDB_val *k, MDB_val *v)
{
    ngx_mobility_psub_watch_t  *w = ctx;

    u_char  *p, *last, *nul;

    p = (u_char *) k->mv_data + w->tlen + 1;
    last = (u_char *) k->mv_data + k->mv_size;
    nul = memchr(p, '\0', last - p);

    if (nul == NULL) {
        return 0;
    }

    return w->cb(w->ctx, p, nul - p, nul + 1, last - nul - 1,
                 ngx_mobility_psub_get_u64(v));
}


int
ngx_mobility_psub_watchers(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *target, size_t tlen, ngx_mobility_psub_pt cb, void *ctx)
{
    u_char                     key[NGX_MOBILITY_PSUB_KEY_MAX];
    size_t                     klen;
    ngx_mobility_psub_watch_t  w;

    klen = ngx_mobility_psub_key(key, target, tlen, NULL, 0, NULL, 0);
    if (klen == 0) {
        return NGX_MOBILITY_OK;
    }

    w.tlen = tlen;
    w.cb = cb;
    w.ctx = ctx;

    return ngx_mobility_psub_walk(st, txn, NGX_MOBILITY_DB_PRESENCE_WATCHERS,
                                  key, klen, ngx_mobility_psub_watch_one, &w);
}


/*
 * Keys that start with NUL sort before every endpoint's keys and never
 * match an "endpoint NUL" prefix:
 *
 *   NUL 'd' due (u64 BE) endpoint NUL sub   -> empty: the due index
 *   NUL 'c' endpoint                        -> expiry: contacts and groups
 *   NUL 'g' owner NUL gid (u32 BE) endpoint NUL sub -> empty: group binding
 */

#define NGX_MOBILITY_PSUB_XKEY_MAX                                            \
    (2 + 8 + NGX_MOBILITY_PSUB_EP_MAX + NGX_MOBILITY_PSUB_ID_MAX             \
     + NGX_MOBILITY_SIP_MAX + 8)


static size_t
ngx_mobility_psub_xkey(u_char *buf, u_char kind, const u_char *head,
    size_t hlen, const u_char *ep, size_t eplen, const u_char *id,
    size_t idlen, unsigned sep)
{
    u_char  *p;

    if (eplen == 0 || eplen > NGX_MOBILITY_PSUB_EP_MAX
        || idlen > NGX_MOBILITY_PSUB_ID_MAX || hlen > NGX_MOBILITY_SIP_MAX + 9
        || memchr(ep, '\0', eplen) || (idlen && memchr(id, '\0', idlen)))
    {
        return 0;
    }

    p = buf;
    *p++ = '\0';
    *p++ = kind;

    if (hlen) {
        memcpy(p, head, hlen);
        p += hlen;
    }

    memcpy(p, ep, eplen);
    p += eplen;

    if (sep) {
        *p++ = '\0';

        if (idlen) {
            memcpy(p, id, idlen);
            p += idlen;
        }
    }

    return p - buf;
}


static void
ngx_mobility_psub_be64(u_char *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (u_char) v;
        v >>= 8;
    }
}


static int
ngx_mobility_psub_xput(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, const u_char *val, size_t vlen)
{
    int      rc;
    MDB_val  k, v;

    if (klen == 0) {
        return ngx_mobility_store_fail(st, "a subscription key", EINVAL);
    }

    k = ngx_mobility_psub_val(key, klen);
    v = ngx_mobility_psub_val(val, vlen);

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a subscription", rc);
    }

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_psub_xdel(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen)
{
    int      rc;
    MDB_val  k;

    if (klen == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k = ngx_mobility_psub_val(key, klen);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a subscription", rc);
    }

    return NGX_MOBILITY_OK;
}


/* NUL 'r' endpoint NUL sub -> due (u64 LE): where its index entry is */
static int
ngx_mobility_psub_due_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen)
{
    int       rc;
    u_char    be[8], key[NGX_MOBILITY_PSUB_XKEY_MAX];
    u_char    rkey[NGX_MOBILITY_PSUB_XKEY_MAX];
    size_t    rlen;
    MDB_val   k, v;
    uint64_t  due;

    rlen = ngx_mobility_psub_xkey(rkey, 'r', NULL, 0, ep, eplen, id, idlen,
                                  1);
    if (rlen == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k = ngx_mobility_psub_val(rkey, rlen);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a subscription", rc);
    }

    due = ngx_mobility_psub_get_u64(&v);

    ngx_mobility_psub_be64(be, due);

    if (ngx_mobility_psub_xdel(st, txn, key,
                               ngx_mobility_psub_xkey(key, 'd', be, 8, ep,
                                                      eplen, id, idlen, 1))
        == NGX_MOBILITY_ERROR)
    {
        return NGX_MOBILITY_ERROR;
    }

    return ngx_mobility_psub_xdel(st, txn, rkey, rlen);
}


int
ngx_mobility_psub_due_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t due)
{
    u_char  be[8], le[8], key[NGX_MOBILITY_PSUB_XKEY_MAX];

    if (ngx_mobility_psub_due_remove(st, txn, ep, eplen, id, idlen)
        == NGX_MOBILITY_ERROR)
    {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_psub_be64(be, due);
    ngx_mobility_psub_u64(le, due);

    if (ngx_mobility_psub_xput(st, txn, key,
                               ngx_mobility_psub_xkey(key, 'd', be, 8, ep,
                                                      eplen, id, idlen, 1),
                               NULL, 0)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    return ngx_mobility_psub_xput(st, txn, key,
                                  ngx_mobility_psub_xkey(key, 'r', NULL, 0,
                                                         ep, eplen, id,
                                                         idlen, 1),
                                  le, 8);
}


int
ngx_mobility_psub_due_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, const u_char *id, size_t idlen,
    uint64_t due)
{
    u_char  be[8], key[NGX_MOBILITY_PSUB_XKEY_MAX];

    if (ngx_mobility_psub_due_remove(st, txn, ep, eplen, id, idlen)
        == NGX_MOBILITY_ERROR)
    {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_psub_be64(be, due);

    return ngx_mobility_psub_xdel(st, txn, key,
                                  ngx_mobility_psub_xkey(key, 'd', be, 8, ep,
                                                         eplen, id, idlen,
                                                         1));
}


int
ngx_mobility_psub_due_scan(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, unsigned max, ngx_mobility_psub_pt cb, void *ctx)
{
    int          rc, n;
    u_char      *p, *last, *nul;
    uint64_t     due;
    unsigned     i;
    MDB_val      k, v;
    MDB_cursor  *cur;

    static const u_char  prefix[2] = { '\0', 'd' };

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "scanning subscriptions", rc);
    }

    k = ngx_mobility_psub_val(prefix, 2);
    n = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && (unsigned) n < max;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        p = k.mv_data;
        last = p + k.mv_size;

        if (k.mv_size < 12 || p[0] != '\0' || p[1] != 'd') {
            break;
        }

        due = 0;
        for (i = 0; i < 8; i++) {
            due = (due << 8) | p[2 + i];
        }

        if (due > now) {
            break;
        }

        p += 10;
        nul = memchr(p, '\0', last - p);
        if (nul == NULL) {
            continue;
        }

        n++;

        if (cb(ctx, p, nul - p, nul + 1, last - nul - 1, due)) {
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "scanning subscriptions", rc);
    }

    return n;
}


int
ngx_mobility_cgsub_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, uint64_t *expires)
{
    int      rc;
    u_char   key[NGX_MOBILITY_PSUB_XKEY_MAX];
    size_t   klen;
    MDB_val  k, v;

    klen = ngx_mobility_psub_xkey(key, 'c', NULL, 0, ep, eplen, NULL, 0, 0);
    if (klen == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k = ngx_mobility_psub_val(key, klen);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a subscription", rc);
    }

    *expires = ngx_mobility_psub_get_u64(&v);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_cgsub_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen, uint64_t expires)
{
    u_char  buf[8], key[NGX_MOBILITY_PSUB_XKEY_MAX];

    ngx_mobility_psub_u64(buf, expires);

    return ngx_mobility_psub_xput(st, txn, key,
                                  ngx_mobility_psub_xkey(key, 'c', NULL, 0,
                                                         ep, eplen, NULL, 0,
                                                         0),
                                  buf, 8);
}


int
ngx_mobility_cgsub_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *ep, size_t eplen)
{
    u_char  key[NGX_MOBILITY_PSUB_XKEY_MAX];

    if (ngx_mobility_psub_due_remove(st, txn, ep, eplen, NULL, 0)
        == NGX_MOBILITY_ERROR)
    {
        return NGX_MOBILITY_ERROR;
    }

    return ngx_mobility_psub_xdel(st, txn, key,
                                  ngx_mobility_psub_xkey(key, 'c', NULL, 0,
                                                         ep, eplen, NULL, 0,
                                                         0));
}


/* owner NUL gid (u32 BE): the head of a group binding key */
static size_t
ngx_mobility_psub_ghead(u_char *buf, const u_char *owner, size_t olen,
    uint32_t gid)
{
    if (olen == 0 || olen > NGX_MOBILITY_SIP_MAX
        || memchr(owner, '\0', olen))
    {
        return 0;
    }

    memcpy(buf, owner, olen);
    buf[olen] = '\0';
    buf[olen + 1] = (u_char) (gid >> 24);
    buf[olen + 2] = (u_char) (gid >> 16);
    buf[olen + 3] = (u_char) (gid >> 8);
    buf[olen + 4] = (u_char) gid;

    return olen + 5;
}


int
ngx_mobility_psub_group_bind(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *ep,
    size_t eplen, const u_char *id, size_t idlen)
{
    u_char  head[NGX_MOBILITY_SIP_MAX + 5], key[NGX_MOBILITY_PSUB_XKEY_MAX];
    size_t  hlen;

    hlen = ngx_mobility_psub_ghead(head, owner, olen, gid);
    if (hlen == 0 || idlen == 0) {
        return ngx_mobility_store_fail(st, "a group binding", EINVAL);
    }

    return ngx_mobility_psub_xput(st, txn, key,
                                  ngx_mobility_psub_xkey(key, 'g', head, hlen,
                                                         ep, eplen, id, idlen,
                                                         1),
                                  NULL, 0);
}


int
ngx_mobility_psub_group_unbind(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *ep,
    size_t eplen, const u_char *id, size_t idlen)
{
    u_char  head[NGX_MOBILITY_SIP_MAX + 5], key[NGX_MOBILITY_PSUB_XKEY_MAX];
    size_t  hlen;

    hlen = ngx_mobility_psub_ghead(head, owner, olen, gid);
    if (hlen == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    return ngx_mobility_psub_xdel(st, txn, key,
                                  ngx_mobility_psub_xkey(key, 'g', head, hlen,
                                                         ep, eplen, id, idlen,
                                                         1));
}


int
ngx_mobility_psub_group_subs(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, ngx_mobility_psub_pt cb,
    void *ctx)
{
    u_char                    key[NGX_MOBILITY_SIP_MAX + 7];
    size_t                    hlen;
    ngx_mobility_psub_walk_t  w;

    key[0] = '\0';
    key[1] = 'g';

    hlen = ngx_mobility_psub_ghead(key + 2, owner, olen, gid);
    if (hlen == 0) {
        return NGX_MOBILITY_OK;
    }

    memset(&w, 0, sizeof(w));
    w.skip = hlen + 2;
    w.members = 1;
    w.unvalued = 1;
    w.cb = cb;
    w.ctx = ctx;

    return ngx_mobility_psub_walk(st, txn, NGX_MOBILITY_DB_PRESENCE_SUBS,
                                  key, hlen + 2, ngx_mobility_psub_split, &w);
}


int
ngx_mobility_psub_group_forget(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid)
{
    u_char  key[NGX_MOBILITY_SIP_MAX + 7];
    size_t  plen;

    key[0] = '\0';
    key[1] = 'g';

    plen = ngx_mobility_psub_ghead(key + 2, owner, olen, gid);
    if (plen == 0) {
        return NGX_MOBILITY_OK;
    }

    return ngx_mobility_kv_del_prefix(st, txn,
                                      st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS],
                                      key, plen + 2, 0,
                                      "removing group bindings");
}


/*
 * The bindings of one subscription (idlen > 0) or of every subscription of
 * an endpoint (idlen 0) among owner's groups: a walk of owner's bindings
 * (NUL 'g' owner NUL ...), bounded by owner's groups and subscriptions.
 */
int
ngx_mobility_psub_group_unbind_ep(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, const u_char *ep, size_t eplen,
    const u_char *id, size_t idlen)
{
    int            rc;
    u_char         key[NGX_MOBILITY_SIP_MAX + 3];
    size_t         plen, rest;
    MDB_val        k, v;
    MDB_cursor    *cur;
    const u_char  *p;

    if (olen == 0 || olen > NGX_MOBILITY_SIP_MAX || memchr(owner, '\0', olen)
        || eplen == 0)
    {
        return NGX_MOBILITY_OK;
    }

    key[0] = '\0';
    key[1] = 'g';
    memcpy(key + 2, owner, olen);
    key[2 + olen] = '\0';
    plen = olen + 3;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_SUBS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing group bindings", rc);
    }

    k = ngx_mobility_psub_val(key, plen);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size < plen + 4 || memcmp(k.mv_data, key, plen) != 0) {
            break;
        }

        /* gid (4), then endpoint NUL sub */
        p = (const u_char *) k.mv_data + plen + 4;
        rest = k.mv_size - plen - 4;

        if (rest <= eplen || memcmp(p, ep, eplen) != 0 || p[eplen] != '\0') {
            continue;
        }

        if (idlen
            && (rest - eplen - 1 != idlen
                || memcmp(p + eplen + 1, id, idlen) != 0))
        {
            continue;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing group bindings", rc);
    }

    return NGX_MOBILITY_OK;
}
