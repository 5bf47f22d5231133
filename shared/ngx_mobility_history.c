/*
 * Copyright (C) The nginx mobility authors
 */

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "ngx_mobility_history.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_sip.h"
#include "ngx_mobility_kv.h"


enum {
    NGX_MOBILITY_CLOG_T_ID = 1,
    NGX_MOBILITY_CLOG_T_PEER,
    NGX_MOBILITY_CLOG_T_SUBJECT,
    NGX_MOBILITY_CLOG_T_IMPORTANCE,
    NGX_MOBILITY_CLOG_T_THREAD,
    NGX_MOBILITY_CLOG_T_PREVIEW,
    NGX_MOBILITY_CLOG_T_STATUS,
    NGX_MOBILITY_CLOG_T_DIRECTION,
    NGX_MOBILITY_CLOG_T_CREATED,
    NGX_MOBILITY_CLOG_T_ENDED,
    NGX_MOBILITY_CLOG_T_MESSAGES
};

enum {
    NGX_MOBILITY_CLOG_M_SEQ = 1,
    NGX_MOBILITY_CLOG_M_TIME,
    NGX_MOBILITY_CLOG_M_FROM,
    NGX_MOBILITY_CLOG_M_TEXT,
    NGX_MOBILITY_CLOG_M_FORMAT
};


#define NGX_MOBILITY_CLOG_KEY_MAX                                             \
    (NGX_MOBILITY_SIP_MAX + 2 + 8 + NGX_MOBILITY_CONV_ID_MAX + 1 + 8)

#define clog_dbi(st)  (st)->dbi[NGX_MOBILITY_DB_CONVERSATION_LOGS]


/* user NUL kind: the length, or 0 if the user is bad */
static size_t
ngx_mobility_clog_prefix(u_char *key, const u_char *user, size_t n,
    u_char kind)
{
    if (n == 0 || n > NGX_MOBILITY_SIP_MAX || user[0] == '\0') {
        return 0;
    }

    memcpy(key, user, n);
    key[n] = '\0';
    key[n + 1] = kind;

    return n + 2;
}


static size_t
ngx_mobility_clog_retention_key(u_char *key, uint64_t time,
    const u_char *user, size_t ulen, const u_char *id, size_t len)
{
    key[0] = '\0';
    ngx_mobility_put_be64(key + 1, time);
    memcpy(key + 9, user, ulen);
    key[9 + ulen] = '\0';
    memcpy(key + 10 + ulen, id, len);

    return 10 + ulen + len;
}


static int
ngx_mobility_clog_ok_id(const u_char *user, size_t ulen, size_t len)
{
    return ulen && ulen <= NGX_MOBILITY_SIP_MAX && user[0] != '\0'
           && len && len <= NGX_MOBILITY_CONV_ID_MAX;
}


/* the time of the user's log id: OK, NOTFOUND or ERROR */
static int
ngx_mobility_clog_time(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    uint64_t *time)
{
    int       rc;
    size_t    n;
    u_char    key[NGX_MOBILITY_CLOG_KEY_MAX];
    MDB_val   k, v;

    n = ngx_mobility_clog_prefix(key, user, ulen, 'x');
    memcpy(key + n, id, len);

    k.mv_size = n + len;
    k.mv_data = key;

    rc = mdb_get(txn, clog_dbi(st), &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a conversation log", rc);
    }

    if (v.mv_size != 8) {
        snprintf(st->err, sizeof(st->err), "a broken conversation log index");
        return NGX_MOBILITY_ERROR;
    }

    *time = ngx_mobility_be64(v.mv_data);

    return NGX_MOBILITY_OK;
}


static size_t
ngx_mobility_clog_log_key(u_char *key, const u_char *user, size_t ulen,
    uint64_t time, const u_char *id, size_t len)
{
    size_t  n;

    n = ngx_mobility_clog_prefix(key, user, ulen, 'l');
    ngx_mobility_put_be64(key + n, time);
    memcpy(key + n + 8, id, len);

    return n + 8 + len;
}


static int
ngx_mobility_clog_del(ngx_mobility_store_t *st, MDB_txn *txn, u_char *key,
    size_t len)
{
    return ngx_mobility_kv_del(st, txn, clog_dbi(st), key, len,
                               "removing a conversation log");
}


/*
 * The user's log count (user NUL "n" -> u64 LE).  A store written before
 * the count existed has no such key: the "l" keys are counted then.
 */
static int
ngx_mobility_clog_count_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, uint64_t *count)
{
    int            rc;
    size_t         n;
    u_char         key[NGX_MOBILITY_CLOG_KEY_MAX];
    MDB_val        k, v;
    MDB_cursor    *cur;
    MDB_cursor_op  op;

    *count = 0;

    n = ngx_mobility_clog_prefix(key, user, ulen, 'n');
    if (n == 0) {
        return NGX_MOBILITY_OK;
    }

    k.mv_size = n;
    k.mv_data = key;

    rc = mdb_get(txn, clog_dbi(st), &k, &v);

    if (rc == 0 && v.mv_size == 8) {
        *count = ngx_mobility_le64(v.mv_data);
        return NGX_MOBILITY_OK;
    }

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading a log count", rc);
    }

    /* no count yet: the logs themselves */
    key[n - 1] = 'l';

    rc = mdb_cursor_open(txn, clog_dbi(st), &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    k.mv_size = n;
    k.mv_data = key;

    for (op = MDB_SET_RANGE; /* void */ ; op = MDB_NEXT) {
        rc = mdb_cursor_get(cur, &k, &v, op);

        if (rc != 0 || k.mv_size < n || memcmp(k.mv_data, key, n) != 0) {
            break;
        }

        (*count)++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "counting logs", rc);
    }

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_clog_count_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, uint64_t count)
{
    size_t  n;
    u_char  key[NGX_MOBILITY_CLOG_KEY_MAX];
    u_char  val[8];

    n = ngx_mobility_clog_prefix(key, user, ulen, 'n');
    ngx_mobility_put_le64(val, count);

    return ngx_mobility_kv_put(st, txn, clog_dbi(st), key, n, val, 8,
                               "writing a log count");
}


int
ngx_mobility_convlog_count(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, uint64_t *count)
{
    return ngx_mobility_clog_count_get(st, txn, user, ulen, count);
}


int
ngx_mobility_convlog_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, ngx_mobility_convlog_t *log)
{
    int                         rc;
    u_char                      key[NGX_MOBILITY_CLOG_KEY_MAX];
    u_char                      tb[8];
    size_t                      n, cap;
    uint64_t                    old, count;
    ngx_mobility_rec_writer_t   w;

    if (!ngx_mobility_clog_ok_id(user, ulen, log->id.len)) {
        snprintf(st->err, sizeof(st->err), "a bad conversation log");
        return NGX_MOBILITY_ERROR;
    }

    /* a log of the same id is replaced */
    rc = ngx_mobility_clog_time(st, txn, user, ulen, log->id.data,
                                log->id.len, &old);

    if (rc == NGX_MOBILITY_ERROR) {
        return rc;
    }

    if (rc == NGX_MOBILITY_NOTFOUND) {
        /* a new log: counted before its key exists */
        if (ngx_mobility_clog_count_get(st, txn, user, ulen, &count)
            != NGX_MOBILITY_OK
            || ngx_mobility_clog_count_put(st, txn, user, ulen, count + 1)
               != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }
    }

    if (rc == NGX_MOBILITY_OK) {
        n = ngx_mobility_clog_log_key(key, user, ulen, old, log->id.data,
                                      log->id.len);
        if (ngx_mobility_clog_del(st, txn, key, n) != NGX_MOBILITY_OK) {
            return NGX_MOBILITY_ERROR;
        }

        n = ngx_mobility_clog_retention_key(key, old, user, ulen,
                                            log->id.data, log->id.len);
        if (ngx_mobility_clog_del(st, txn, key, n) != NGX_MOBILITY_OK) {
            return NGX_MOBILITY_ERROR;
        }
    }

    if (log->preview.len > NGX_MOBILITY_HISTORY_PREVIEW_MAX) {
        log->preview.len = NGX_MOBILITY_HISTORY_PREVIEW_MAX;

        /* do not cut a UTF-8 sequence */
        while (log->preview.len
               && (log->preview.data[log->preview.len] & 0xc0) == 0x80)
        {
            log->preview.len--;
        }
    }

    cap = 512 + log->id.len + log->peer.len + log->subject.len
          + log->importance.len + log->thread_id.len + log->preview.len
          + log->status.len;

    if (ngx_mobility_kv_rec_begin(st, &w, cap, NGX_MOBILITY_REC_CONV_LOG)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_T_ID, &log->id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_T_PEER, &log->peer);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_T_SUBJECT,
                               &log->subject);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_T_IMPORTANCE,
                               &log->importance);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_T_THREAD,
                               &log->thread_id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_T_PREVIEW,
                               &log->preview);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_T_STATUS, &log->status);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CLOG_T_DIRECTION,
                             log->direction);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CLOG_T_CREATED, log->created);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CLOG_T_ENDED, log->ended);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CLOG_T_MESSAGES,
                             log->messages);

    n = ngx_mobility_clog_log_key(key, user, ulen, log->ended, log->id.data,
                                  log->id.len);

    if (ngx_mobility_kv_rec_put(st, txn, clog_dbi(st), key, n, &w,
                                "a conversation log overflow",
                                "writing a conversation log")
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    /* the index by id */
    n = ngx_mobility_clog_prefix(key, user, ulen, 'x');
    memcpy(key + n, log->id.data, log->id.len);
    ngx_mobility_put_be64(tb, log->ended);

    if (ngx_mobility_kv_put(st, txn, clog_dbi(st), key, n + log->id.len, tb,
                            8, "writing a conversation log")
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    /* the retention index */
    n = ngx_mobility_clog_retention_key(key, log->ended, user, ulen,
                                        log->id.data, log->id.len);

    return ngx_mobility_kv_put(st, txn, clog_dbi(st), key, n, key, 0,
                               "writing a conversation log");
}


int
ngx_mobility_convlog_msg_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    ngx_mobility_conv_msg_t *m)
{
    u_char                      key[NGX_MOBILITY_CLOG_KEY_MAX];
    size_t                      n, cap;
    ngx_mobility_rec_writer_t   w;

    if (!ngx_mobility_clog_ok_id(user, ulen, len)) {
        snprintf(st->err, sizeof(st->err), "a bad conversation log");
        return NGX_MOBILITY_ERROR;
    }

    n = ngx_mobility_clog_prefix(key, user, ulen, 't');
    memcpy(key + n, id, len);
    key[n + len] = '\0';
    ngx_mobility_put_be64(key + n + len + 1, m->seq);

    cap = 256 + m->from.len + m->text.len;

    if (ngx_mobility_kv_rec_begin(st, &w, cap, NGX_MOBILITY_REC_CONV_LOG_MSG)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CLOG_M_SEQ, m->seq);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CLOG_M_TIME, m->time);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_M_FROM, &m->from);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CLOG_M_TEXT, &m->text);

    if (m->format != NGX_MOBILITY_CONV_MSG_PLAIN) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CLOG_M_FORMAT, m->format);
    }

    return ngx_mobility_kv_rec_put(st, txn, clog_dbi(st), key, n + len + 9,
                                   &w, "a transcript record overflow",
                                   "writing a transcript");
}


static int
ngx_mobility_clog_decode(MDB_val *v, ngx_mobility_convlog_t *log)
{
    memset(log, 0, sizeof(ngx_mobility_convlog_t));

    if (ngx_mobility_rec_check(v->mv_data, v->mv_size,
                               NGX_MOBILITY_REC_CONV_LOG)
        != 0)
    {
        return NGX_MOBILITY_ERROR;
    }

#define clog_field(tag, f)                                                    \
    (void) ngx_mobility_rec_get(v->mv_data, v->mv_size, tag, &log->f)

    clog_field(NGX_MOBILITY_CLOG_T_ID, id);
    clog_field(NGX_MOBILITY_CLOG_T_PEER, peer);
    clog_field(NGX_MOBILITY_CLOG_T_SUBJECT, subject);
    clog_field(NGX_MOBILITY_CLOG_T_IMPORTANCE, importance);
    clog_field(NGX_MOBILITY_CLOG_T_THREAD, thread_id);
    clog_field(NGX_MOBILITY_CLOG_T_PREVIEW, preview);
    clog_field(NGX_MOBILITY_CLOG_T_STATUS, status);

#undef clog_field

#define clog_u64(tag, f)                                                      \
    log->f = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size, tag, 0)

    clog_u64(NGX_MOBILITY_CLOG_T_DIRECTION, direction);
    clog_u64(NGX_MOBILITY_CLOG_T_CREATED, created);
    clog_u64(NGX_MOBILITY_CLOG_T_ENDED, ended);
    clog_u64(NGX_MOBILITY_CLOG_T_MESSAGES, messages);

#undef clog_u64

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_convlog_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    ngx_mobility_convlog_t *log)
{
    int       rc;
    u_char    key[NGX_MOBILITY_CLOG_KEY_MAX];
    uint64_t  time;
    MDB_val   k, v;

    memset(log, 0, sizeof(ngx_mobility_convlog_t));

    if (!ngx_mobility_clog_ok_id(user, ulen, len)) {
        return NGX_MOBILITY_NOTFOUND;
    }

    rc = ngx_mobility_clog_time(st, txn, user, ulen, id, len, &time);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    k.mv_size = ngx_mobility_clog_log_key(key, user, ulen, time, id, len);
    k.mv_data = key;

    rc = mdb_get(txn, clog_dbi(st), &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a conversation log", rc);
    }

    if (ngx_mobility_clog_decode(&v, log) != NGX_MOBILITY_OK) {
        snprintf(st->err, sizeof(st->err), "a broken conversation log");
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_convlog_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, size_t limit,
    ngx_mobility_convlog_each_pt each, void *ctx)
{
    int                      rc;
    size_t                   n, count;
    u_char                   key[NGX_MOBILITY_CLOG_KEY_MAX];
    MDB_val                  k, v;
    MDB_cursor              *cur;
    ngx_mobility_convlog_t   log;

    /* "l" + 1: just past the user's logs, then backwards */
    n = ngx_mobility_clog_prefix(key, user, ulen, 'l' + 1);

    if (n == 0) {
        return NGX_MOBILITY_OK;
    }

    rc = mdb_cursor_open(txn, clog_dbi(st), &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    k.mv_size = n;
    k.mv_data = key;

    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

    if (rc == 0) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);

    } else if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    }

    key[n - 1] = 'l';

    for (count = 0; rc == 0; count++) {

        if (limit && count == limit) {
            break;
        }

        if (k.mv_size < n + 9 || memcmp(k.mv_data, key, n) != 0) {
            break;
        }

        if (ngx_mobility_clog_decode(&v, &log) != NGX_MOBILITY_OK) {
            mdb_cursor_close(cur);
            snprintf(st->err, sizeof(st->err), "a broken conversation log");
            return NGX_MOBILITY_ERROR;
        }

        if (each(ctx, &log) != 0) {
            break;
        }

        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading conversation logs", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_convlog_msg_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len,
    uint64_t from, ngx_mobility_convlog_msg_pt each, void *ctx)
{
    int                       rc;
    size_t                    n;
    u_char                    key[NGX_MOBILITY_CLOG_KEY_MAX];
    MDB_val                   k, v;
    MDB_cursor               *cur;
    MDB_cursor_op             op;
    ngx_mobility_conv_msg_t   m;

    if (!ngx_mobility_clog_ok_id(user, ulen, len)) {
        return NGX_MOBILITY_OK;
    }

    n = ngx_mobility_clog_prefix(key, user, ulen, 't');
    memcpy(key + n, id, len);
    key[n + len] = '\0';
    n += len + 1;
    ngx_mobility_put_be64(key + n, from);

    rc = mdb_cursor_open(txn, clog_dbi(st), &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    k.mv_size = n + 8;
    k.mv_data = key;

    for (op = MDB_SET_RANGE; /* void */ ; op = MDB_NEXT) {

        rc = mdb_cursor_get(cur, &k, &v, op);

        if (rc != 0 || k.mv_size != n + 8 || memcmp(k.mv_data, key, n) != 0)
        {
            break;
        }

        if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                   NGX_MOBILITY_REC_CONV_LOG_MSG)
            != 0)
        {
            mdb_cursor_close(cur);
            snprintf(st->err, sizeof(st->err), "a broken transcript");
            return NGX_MOBILITY_ERROR;
        }

        memset(&m, 0, sizeof(ngx_mobility_conv_msg_t));

        m.seq = ngx_mobility_be64((u_char *) k.mv_data + n);
        m.time = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                          NGX_MOBILITY_CLOG_M_TIME, 0);
        (void) ngx_mobility_rec_get(v.mv_data, v.mv_size,
                                    NGX_MOBILITY_CLOG_M_FROM, &m.from);
        (void) ngx_mobility_rec_get(v.mv_data, v.mv_size,
                                    NGX_MOBILITY_CLOG_M_TEXT, &m.text);
        m.format = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                            NGX_MOBILITY_CLOG_M_FORMAT,
                                            NGX_MOBILITY_CONV_MSG_PLAIN);

        if (each(ctx, &m) != 0) {
            rc = 0;
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading a transcript", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_convlog_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen, const u_char *id, size_t len)
{
    int           rc;
    size_t        n;
    u_char        key[NGX_MOBILITY_CLOG_KEY_MAX];
    uint64_t      time, count;

    if (!ngx_mobility_clog_ok_id(user, ulen, len)) {
        return NGX_MOBILITY_NOTFOUND;
    }

    rc = ngx_mobility_clog_time(st, txn, user, ulen, id, len, &time);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    /* counted while its key still exists */
    if (ngx_mobility_clog_count_get(st, txn, user, ulen, &count)
        != NGX_MOBILITY_OK
        || ngx_mobility_clog_count_put(st, txn, user, ulen,
                                       count ? count - 1 : 0)
           != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    n = ngx_mobility_clog_log_key(key, user, ulen, time, id, len);
    if (ngx_mobility_clog_del(st, txn, key, n) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    n = ngx_mobility_clog_retention_key(key, time, user, ulen, id, len);
    if (ngx_mobility_clog_del(st, txn, key, n) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    n = ngx_mobility_clog_prefix(key, user, ulen, 'x');
    memcpy(key + n, id, len);
    if (ngx_mobility_clog_del(st, txn, key, n + len) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    /* the transcript */
    n = ngx_mobility_clog_prefix(key, user, ulen, 't');
    memcpy(key + n, id, len);
    key[n + len] = '\0';
    n += len + 1;

    return ngx_mobility_kv_del_prefix(st, txn, clog_dbi(st), key, n, 8,
                                      "removing a transcript");
}


int
ngx_mobility_convlog_expired(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t before, size_t max,
    void (*found)(void *ctx, const u_char *user, size_t ulen,
                  const u_char *id, size_t len),
    void *ctx)
{
    int             rc, count;
    u_char          start[1];
    u_char         *p, *nul;
    size_t          rest;
    MDB_val         k, v;
    MDB_cursor     *cur;
    MDB_cursor_op   op;

    rc = mdb_cursor_open(txn, clog_dbi(st), &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    start[0] = '\0';
    k.mv_size = 1;
    k.mv_data = start;
    count = 0;

    for (op = MDB_SET_RANGE; (size_t) count < max; op = MDB_NEXT) {

        rc = mdb_cursor_get(cur, &k, &v, op);

        if (rc != 0) {
            break;
        }

        p = k.mv_data;

        if (k.mv_size < 12 || p[0] != '\0'
            || ngx_mobility_be64(p + 1) >= before)
        {
            break;
        }

        rest = k.mv_size - 9;
        nul = memchr(p + 9, '\0', rest);

        if (nul == NULL || nul == p + 9 || nul == p + k.mv_size - 1) {
            continue;
        }

        found(ctx, p + 9, nul - (p + 9), nul + 1,
              p + k.mv_size - (nul + 1));
        count++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading conversation logs", rc);
    }

    return count;
}
