/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_mobility_kv.h"
#include "ngx_mobility_directory.h"


int
ngx_mobility_kv_rec_begin(ngx_mobility_store_t *st,
    ngx_mobility_rec_writer_t *w, size_t cap, uint16_t type)
{
    u_char  *buf;

    buf = malloc(cap);
    if (buf == NULL) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_begin(w, buf, cap, type);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_kv_rec_put(ngx_mobility_store_t *st, MDB_txn *txn,
    MDB_dbi dbi, const u_char *key, size_t klen,
    ngx_mobility_rec_writer_t *w, const char *overflow, const char *what)
{
    int       rc;
    MDB_val   k, v;

    if (w->overflow) {
        free(w->buf);
        snprintf(st->err, sizeof(st->err), "%s", overflow);
        return NGX_MOBILITY_ERROR;
    }

    k.mv_size = klen;
    k.mv_data = (void *) key;
    v.mv_size = w->len;
    v.mv_data = w->buf;

    rc = mdb_put(txn, dbi, &k, &v, 0);

    free(w->buf);

    if (rc != 0) {
        return ngx_mobility_store_fail(st, what, rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_kv_put(ngx_mobility_store_t *st, MDB_txn *txn, MDB_dbi dbi,
    const u_char *key, size_t klen, const u_char *data, size_t len,
    const char *what)
{
    int      rc;
    MDB_val  k, v;

    k.mv_size = klen;
    k.mv_data = (void *) key;
    v.mv_size = len;
    v.mv_data = (void *) data;

    rc = mdb_put(txn, dbi, &k, &v, 0);

    if (rc != 0) {
        return ngx_mobility_store_fail(st, what, rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_kv_del(ngx_mobility_store_t *st, MDB_txn *txn, MDB_dbi dbi,
    const u_char *key, size_t klen, const char *what)
{
    int      rc;
    MDB_val  k;

    k.mv_size = klen;
    k.mv_data = (void *) key;

    rc = mdb_del(txn, dbi, &k, NULL);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, what, rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_kv_del_prefix(ngx_mobility_store_t *st, MDB_txn *txn,
    MDB_dbi dbi, const u_char *prefix, size_t n, size_t tail,
    const char *what)
{
    int          rc;
    MDB_val      k, v;
    MDB_cursor  *cur;

    rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    for ( ;; ) {
        k.mv_size = n;
        k.mv_data = (void *) prefix;

        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

        if (rc != 0 || k.mv_size < n || memcmp(k.mv_data, prefix, n) != 0
            || (tail && k.mv_size != n + tail))
        {
            break;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, what, rc);
    }

    return NGX_MOBILITY_OK;
}
