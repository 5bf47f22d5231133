/*
 * Copyright (C) The nginx mobility authors
 */

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "ngx_mobility_missed.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_conversations.h"
#include "ngx_mobility_sip.h"
#include "ngx_mobility_kv.h"


enum {
    NGX_MOBILITY_MISSED_T_ID = 1,
    NGX_MOBILITY_MISSED_T_FROM,
    NGX_MOBILITY_MISSED_T_SUBJECT,
    NGX_MOBILITY_MISSED_T_IMPORTANCE,
    NGX_MOBILITY_MISSED_T_THREAD,
    NGX_MOBILITY_MISSED_T_PREVIEW,
    NGX_MOBILITY_MISSED_T_TIME,
    NGX_MOBILITY_MISSED_T_READ
};

enum {
    NGX_MOBILITY_MISSED_C_MISSED = 1,
    NGX_MOBILITY_MISSED_C_UNREAD
};


#define NGX_MOBILITY_MISSED_KEY_MAX                                           \
    (NGX_MOBILITY_SIP_MAX + 2 + 8 + NGX_MOBILITY_CONV_ID_MAX)


/* user NUL kind: the length, or 0 if the user is too long */
static size_t
ngx_mobility_missed_prefix(u_char *key, const u_char *user, size_t n,
    u_char kind)
{
    if (n == 0 || n > NGX_MOBILITY_SIP_MAX) {
        return 0;
    }

    memcpy(key, user, n);
    key[n] = '\0';
    key[n + 1] = kind;

    return n + 2;
}


static int
ngx_mobility_missed_counts_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, uint64_t missed, uint64_t unread)
{
    int                         rc;
    u_char                      key[NGX_MOBILITY_MISSED_KEY_MAX];
    u_char                      buf[128];
    MDB_val                     k, v;
    ngx_mobility_rec_writer_t   w;

    k.mv_size = ngx_mobility_missed_prefix(key, user, ulen, 'n');
    k.mv_data = key;

    if (k.mv_size == 0) {
        snprintf(st->err, sizeof(st->err), "a bad user name");
        return NGX_MOBILITY_ERROR;
    }

    if (missed == 0) {
        rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_MISSED_ITEMS], &k, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            return ngx_mobility_store_fail(st, "writing missed counts", rc);
        }

        return NGX_MOBILITY_OK;
    }

    ngx_mobility_rec_begin(&w, buf, sizeof(buf),
                           NGX_MOBILITY_REC_MISSED_COUNTS);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MISSED_C_MISSED, missed);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MISSED_C_UNREAD, unread);

    v.mv_size = w.len;
    v.mv_data = buf;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_MISSED_ITEMS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing missed counts", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_missed_count(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, uint64_t *missed, uint64_t *unread)
{
    int       rc;
    u_char    key[NGX_MOBILITY_MISSED_KEY_MAX];
    MDB_val   k, v;

    *missed = 0;
    *unread = 0;

    k.mv_size = ngx_mobility_missed_prefix(key, user, ulen, 'n');
    k.mv_data = key;

    if (k.mv_size == 0) {
        return NGX_MOBILITY_OK;
    }

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_MISSED_ITEMS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_OK;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading missed counts", rc);
    }

    if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                               NGX_MOBILITY_REC_MISSED_COUNTS)
        != 0)
    {
        snprintf(st->err, sizeof(st->err), "a broken missed counts record");
        return NGX_MOBILITY_ERROR;
    }

    *missed = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                       NGX_MOBILITY_MISSED_C_MISSED, 0);
    *unread = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                       NGX_MOBILITY_MISSED_C_UNREAD, 0);

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_missed_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, ngx_mobility_missed_t *m)
{
    u_char                      key[NGX_MOBILITY_MISSED_KEY_MAX];
    size_t                      n, cap;
    ngx_mobility_rec_writer_t   w;

    n = ngx_mobility_missed_prefix(key, user, ulen, 'i');

    if (n == 0 || m->id.len == 0 || m->id.len > NGX_MOBILITY_CONV_ID_MAX) {
        snprintf(st->err, sizeof(st->err), "a bad missed conversation");
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_put_be64(key + n, m->time);
    memcpy(key + n + 8, m->id.data, m->id.len);

    cap = 256 + m->id.len + m->from.len + m->subject.len
          + m->importance.len + m->thread_id.len + m->preview.len;

    if (ngx_mobility_kv_rec_begin(st, &w, cap, NGX_MOBILITY_REC_MISSED)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MISSED_T_ID, &m->id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MISSED_T_FROM, &m->from);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MISSED_T_SUBJECT,
                               &m->subject);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MISSED_T_IMPORTANCE,
                               &m->importance);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MISSED_T_THREAD,
                               &m->thread_id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MISSED_T_PREVIEW,
                               &m->preview);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MISSED_T_TIME, m->time);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MISSED_T_READ, m->read);

    return ngx_mobility_kv_rec_put(st, txn,
                                   st->dbi[NGX_MOBILITY_DB_MISSED_ITEMS],
                                   key, n + 8 + m->id.len, &w,
                                   "a missed record overflow",
                                   "writing a missed conversation");
}


int
ngx_mobility_missed_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, ngx_mobility_missed_t *m)
{
    uint64_t  missed, unread;

    if (m->preview.len > NGX_MOBILITY_MISSED_PREVIEW_MAX) {
        m->preview.len = NGX_MOBILITY_MISSED_PREVIEW_MAX;

        /* do not cut a UTF-8 sequence */
        while (m->preview.len
               && (m->preview.data[m->preview.len] & 0xc0) == 0x80)
        {
            m->preview.len--;
        }
    }

    m->read = 0;

    if (ngx_mobility_missed_count(st, txn, user, ulen, &missed, &unread)
        != NGX_MOBILITY_OK
        || ngx_mobility_missed_put(st, txn, user, ulen, m) != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    return ngx_mobility_missed_counts_put(st, txn, user, ulen, missed + 1,
                                          unread + 1);
}


/* positions cur on the user's item of conversation id; OK or NOTFOUND */
static int
ngx_mobility_missed_find(ngx_mobility_store_t *st, MDB_cursor *cur,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    MDB_val *k, MDB_val *v)
{
    int       rc;
    size_t    n;
    u_char    key[NGX_MOBILITY_MISSED_KEY_MAX];
    MDB_cursor_op  op;

    n = ngx_mobility_missed_prefix(key, user, ulen, 'i');

    if (n == 0 || len == 0 || len > NGX_MOBILITY_CONV_ID_MAX) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k->mv_size = n;
    k->mv_data = key;

    for (op = MDB_SET_RANGE; /* void */ ; op = MDB_NEXT) {

        rc = mdb_cursor_get(cur, k, v, op);

        if (rc == MDB_NOTFOUND) {
            return NGX_MOBILITY_NOTFOUND;
        }

        if (rc != 0) {
            return ngx_mobility_store_fail(st, "reading missed items", rc);
        }

        if (k->mv_size < n + 8 || memcmp(k->mv_data, key, n) != 0) {
            return NGX_MOBILITY_NOTFOUND;
        }

        if (k->mv_size == n + 8 + len
            && memcmp((u_char *) k->mv_data + n + 8, id, len) == 0)
        {
            return NGX_MOBILITY_OK;
        }
    }
}


static void
ngx_mobility_missed_decode(MDB_val *v, ngx_mobility_missed_t *m)
{
    memset(m, 0, sizeof(ngx_mobility_missed_t));

#define missed_field(tag, f)                                                  \
    (void) ngx_mobility_rec_get(v->mv_data, v->mv_size, tag, &m->f)

    missed_field(NGX_MOBILITY_MISSED_T_ID, id);
    missed_field(NGX_MOBILITY_MISSED_T_FROM, from);
    missed_field(NGX_MOBILITY_MISSED_T_SUBJECT, subject);
    missed_field(NGX_MOBILITY_MISSED_T_IMPORTANCE, importance);
    missed_field(NGX_MOBILITY_MISSED_T_THREAD, thread_id);
    missed_field(NGX_MOBILITY_MISSED_T_PREVIEW, preview);

#undef missed_field

    m->time = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                       NGX_MOBILITY_MISSED_T_TIME, 0);
    m->read = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                       NGX_MOBILITY_MISSED_T_READ, 0);
}


int
ngx_mobility_missed_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    ngx_mobility_missed_t *m)
{
    int           rc;
    MDB_val       k, v;
    MDB_cursor   *cur;

    memset(m, 0, sizeof(ngx_mobility_missed_t));

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_MISSED_ITEMS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    rc = ngx_mobility_missed_find(st, cur, user, ulen, id, len, &k, &v);

    if (rc == NGX_MOBILITY_OK) {
        if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                   NGX_MOBILITY_REC_MISSED)
            != 0)
        {
            snprintf(st->err, sizeof(st->err), "a broken missed record");
            rc = NGX_MOBILITY_ERROR;

        } else {
            ngx_mobility_missed_decode(&v, m);
        }
    }

    mdb_cursor_close(cur);

    return rc;
}


int
ngx_mobility_missed_mark_read(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    int *changed)
{
    int                     rc;
    uint64_t                missed, unread;
    ngx_mobility_missed_t   m;

    *changed = 0;

    rc = ngx_mobility_missed_get(st, txn, user, ulen, id, len, &m);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (m.read) {
        return NGX_MOBILITY_OK;
    }

    if (ngx_mobility_missed_count(st, txn, user, ulen, &missed, &unread)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    m.read = 1;

    /* the fields point into the store: the put copies them first */
    rc = ngx_mobility_missed_put(st, txn, user, ulen, &m);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    *changed = 1;

    return ngx_mobility_missed_counts_put(st, txn, user, ulen, missed,
                                          unread ? unread - 1 : 0);
}


int
ngx_mobility_missed_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len)
{
    int           rc;
    uint64_t      missed, unread, was_read;
    MDB_val       k, v;
    MDB_cursor   *cur;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_MISSED_ITEMS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    rc = ngx_mobility_missed_find(st, cur, user, ulen, id, len, &k, &v);

    if (rc != NGX_MOBILITY_OK) {
        mdb_cursor_close(cur);
        return rc;
    }

    was_read = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                        NGX_MOBILITY_MISSED_T_READ, 0);

    rc = mdb_cursor_del(cur, 0);
    mdb_cursor_close(cur);

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a missed conversation",
                                       rc);
    }

    if (ngx_mobility_missed_count(st, txn, user, ulen, &missed, &unread)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    return ngx_mobility_missed_counts_put(st, txn, user, ulen,
                                          missed ? missed - 1 : 0,
                                          (!was_read && unread) ? unread - 1
                                                                : unread);
}
