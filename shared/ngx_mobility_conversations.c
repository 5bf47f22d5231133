/*
 * Copyright (C) The nginx mobility authors
 */

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "ngx_mobility_conversations.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_sip.h"


#define NGX_MOBILITY_CONV_UKEY_MAX                                            \
    (NGX_MOBILITY_SIP_MAX + 2 + NGX_MOBILITY_CONV_ID_MAX)


enum {
    NGX_MOBILITY_CONV_T_ID = 1,
    NGX_MOBILITY_CONV_T_FROM,
    NGX_MOBILITY_CONV_T_TO,
    NGX_MOBILITY_CONV_T_FROM_APP,
    NGX_MOBILITY_CONV_T_TO_APP,
    NGX_MOBILITY_CONV_T_SUBJECT,
    NGX_MOBILITY_CONV_T_IMPORTANCE,
    NGX_MOBILITY_CONV_T_THREAD,
    NGX_MOBILITY_CONV_T_OPERATION,
    NGX_MOBILITY_CONV_T_MESSAGE,
    NGX_MOBILITY_CONV_T_REASON,
    NGX_MOBILITY_CONV_T_STATE,
    NGX_MOBILITY_CONV_T_CREATED,
    NGX_MOBILITY_CONV_T_NEXT_MSG,
    NGX_MOBILITY_CONV_T_DEADLINE,
    NGX_MOBILITY_CONV_T_ENDED,
    NGX_MOBILITY_CONV_T_TYPING_FROM,
    NGX_MOBILITY_CONV_T_TYPING_TO
};

enum {
    NGX_MOBILITY_MSG_T_SEQ = 1,
    NGX_MOBILITY_MSG_T_TIME,
    NGX_MOBILITY_MSG_T_FROM,
    NGX_MOBILITY_MSG_T_TEXT,
    NGX_MOBILITY_MSG_T_FORMAT
};


static size_t
ngx_mobility_conv_key(u_char *key, const u_char *id, size_t len)
{
    key[0] = 'c';
    memcpy(key + 1, id, len);

    return len + 1;
}


static size_t
ngx_mobility_conv_due_key(u_char *key, const u_char *id, size_t len,
    uint64_t due)
{
    key[0] = 'd';
    ngx_mobility_put_be64(key + 1, due);
    memcpy(key + 9, id, len);

    return len + 9;
}


static size_t
ngx_mobility_conv_msg_key(u_char *key, const u_char *id, size_t len,
    uint64_t seq)
{
    key[0] = 'm';
    memcpy(key + 1, id, len);
    key[len + 1] = '\0';
    ngx_mobility_put_be64(key + len + 2, seq);

    return len + 10;
}


/* "u" user NUL id: the length, or 0 if the user is too long */
static size_t
ngx_mobility_conv_user_key(u_char *key, const u_char *user, size_t ulen,
    const u_char *id, size_t len)
{
    if (ulen == 0 || ulen > NGX_MOBILITY_SIP_MAX
        || len > NGX_MOBILITY_CONV_ID_MAX)
    {
        return 0;
    }

    key[0] = 'u';
    memcpy(key + 1, user, ulen);
    key[ulen + 1] = '\0';
    memcpy(key + ulen + 2, id, len);

    return ulen + 2 + len;
}


/*
 * Keeps the per-user index of conversations in progress: both
 * participants have "u" user NUL id while the state is Connecting or
 * Connected, none afterwards.
 */
static int
ngx_mobility_conv_index(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c)
{
    int                    rc, i;
    u_char                 key[NGX_MOBILITY_CONV_UKEY_MAX];
    MDB_val                k, v;
    ngx_mobility_bytes_t  *u;

    for (i = 0; i < 2; i++) {
        u = (i == 0) ? &c->from : &c->to;

        k.mv_size = ngx_mobility_conv_user_key(key, u->data, u->len,
                                               c->id.data, c->id.len);
        k.mv_data = key;

        if (k.mv_size == 0) {
            continue;
        }

        if (c->state <= NGX_MOBILITY_CONV_CONNECTED) {
            v.mv_size = 0;
            v.mv_data = key;
            rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v,
                         MDB_NOOVERWRITE);
            rc = (rc == MDB_KEYEXIST) ? 0 : rc;

        } else {
            rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k,
                         NULL);
            rc = (rc == MDB_NOTFOUND) ? 0 : rc;
        }

        if (rc != 0) {
            return ngx_mobility_store_fail(st, "indexing a conversation", rc);
        }
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, ngx_mobility_conv_t *c)
{
    int       rc;
    u_char    key[NGX_MOBILITY_CONV_ID_MAX + 1];
    MDB_val   k, v;
    const u_char  *rec;

    memset(c, 0, sizeof(ngx_mobility_conv_t));

    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k.mv_size = ngx_mobility_conv_key(key, id, len);
    k.mv_data = key;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a conversation", rc);
    }

    rec = v.mv_data;

    if (ngx_mobility_rec_check(rec, v.mv_size, NGX_MOBILITY_REC_CONVERSATION)
        != 0)
    {
        snprintf(st->err, sizeof(st->err), "a broken conversation record");
        return NGX_MOBILITY_ERROR;
    }

#define conv_field(tag, f)                                                    \
    (void) ngx_mobility_rec_get(rec, v.mv_size, tag, &c->f)

    conv_field(NGX_MOBILITY_CONV_T_ID, id);
    conv_field(NGX_MOBILITY_CONV_T_FROM, from);
    conv_field(NGX_MOBILITY_CONV_T_TO, to);
    conv_field(NGX_MOBILITY_CONV_T_FROM_APP, from_app);
    conv_field(NGX_MOBILITY_CONV_T_TO_APP, to_app);
    conv_field(NGX_MOBILITY_CONV_T_SUBJECT, subject);
    conv_field(NGX_MOBILITY_CONV_T_IMPORTANCE, importance);
    conv_field(NGX_MOBILITY_CONV_T_THREAD, thread_id);
    conv_field(NGX_MOBILITY_CONV_T_OPERATION, operation_id);
    conv_field(NGX_MOBILITY_CONV_T_MESSAGE, message);
    conv_field(NGX_MOBILITY_CONV_T_REASON, reason);

#undef conv_field

    c->state = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                        NGX_MOBILITY_CONV_T_STATE, 0);
    c->created = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                          NGX_MOBILITY_CONV_T_CREATED, 0);
    c->next_msg = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                           NGX_MOBILITY_CONV_T_NEXT_MSG, 1);
    c->deadline = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                           NGX_MOBILITY_CONV_T_DEADLINE, 0);
    c->ended = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                        NGX_MOBILITY_CONV_T_ENDED, 0);
    c->typing_from = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                         NGX_MOBILITY_CONV_T_TYPING_FROM, 0);
    c->typing_to = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                            NGX_MOBILITY_CONV_T_TYPING_TO, 0);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c)
{
    int                         rc;
    u_char                     *buf;
    u_char                      key[NGX_MOBILITY_CONV_ID_MAX + 9];
    size_t                      cap;
    MDB_val                     k, v;
    ngx_mobility_rec_writer_t   w;

    if (c->id.len == 0 || c->id.len > NGX_MOBILITY_CONV_ID_MAX) {
        snprintf(st->err, sizeof(st->err), "a bad conversation id");
        return NGX_MOBILITY_ERROR;
    }

    if (c->deadline) {
        k.mv_size = ngx_mobility_conv_due_key(key, c->id.data, c->id.len,
                                              c->deadline);
        k.mv_data = key;

        if (c->state == NGX_MOBILITY_CONV_CONNECTING) {
            v.mv_size = 0;
            v.mv_data = key;
            rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v,
                         0);

        } else {
            rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k,
                         NULL);
            rc = (rc == MDB_NOTFOUND) ? 0 : rc;
            c->deadline = 0;
        }

        if (rc != 0) {
            return ngx_mobility_store_fail(st, "writing a deadline", rc);
        }
    }

    if (ngx_mobility_conv_index(st, txn, c) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    cap = 1024 + c->id.len + c->from.len + c->to.len + c->from_app.len
          + c->to_app.len + c->subject.len + c->importance.len
          + c->thread_id.len + c->operation_id.len + c->message.len
          + c->reason.len;

    buf = malloc(cap);
    if (buf == NULL) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_begin(&w, buf, cap, NGX_MOBILITY_REC_CONVERSATION);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_ID, &c->id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_FROM, &c->from);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_TO, &c->to);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_FROM_APP,
                               &c->from_app);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_TO_APP, &c->to_app);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_SUBJECT, &c->subject);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_IMPORTANCE,
                               &c->importance);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_THREAD,
                               &c->thread_id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_OPERATION,
                               &c->operation_id);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_MESSAGE, &c->message);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_REASON, &c->reason);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_STATE, c->state);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_CREATED, c->created);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_NEXT_MSG, c->next_msg);

    if (c->deadline) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_DEADLINE,
                                 c->deadline);
    }

    if (c->ended) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_ENDED, c->ended);
    }

    if (c->typing_from) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_TYPING_FROM,
                                 c->typing_from);
    }

    if (c->typing_to) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_TYPING_TO,
                                 c->typing_to);
    }

    if (w.overflow) {
        free(buf);
        snprintf(st->err, sizeof(st->err), "a conversation record overflow");
        return NGX_MOBILITY_ERROR;
    }

    k.mv_size = ngx_mobility_conv_key(key, c->id.data, c->id.len);
    k.mv_data = key;
    v.mv_size = w.len;
    v.mv_data = buf;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v, 0);

    free(buf);

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a conversation", rc);
    }

    /* fields may have pointed into the old record: the caller re-reads */
    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_member(ngx_mobility_conv_t *c, const u_char *sip,
    size_t len)
{
    return (c->from.len == len && memcmp(c->from.data, sip, len) == 0)
           || (c->to.len == len && memcmp(c->to.data, sip, len) == 0);
}


int
ngx_mobility_conv_msg_add(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, ngx_mobility_conv_msg_t *m)
{
    int                         rc;
    u_char                     *buf;
    u_char                      key[NGX_MOBILITY_CONV_ID_MAX + 10];
    size_t                      cap;
    MDB_val                     k, v;
    ngx_mobility_rec_writer_t   w;

    if (c->id.len == 0 || c->id.len > NGX_MOBILITY_CONV_ID_MAX
        || m->text.len > NGX_MOBILITY_CONV_TEXT_MAX)
    {
        snprintf(st->err, sizeof(st->err), "a bad message");
        return NGX_MOBILITY_ERROR;
    }

    m->seq = c->next_msg ? c->next_msg : 1;
    c->next_msg = m->seq + 1;

    cap = 256 + m->from.len + m->text.len;

    buf = malloc(cap);
    if (buf == NULL) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_begin(&w, buf, cap, NGX_MOBILITY_REC_MESSAGE);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MSG_T_SEQ, m->seq);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MSG_T_TIME, m->time);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MSG_T_FROM, &m->from);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MSG_T_TEXT, &m->text);

    if (m->format != NGX_MOBILITY_CONV_MSG_PLAIN) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MSG_T_FORMAT, m->format);
    }

    if (w.overflow) {
        free(buf);
        snprintf(st->err, sizeof(st->err), "a message record overflow");
        return NGX_MOBILITY_ERROR;
    }

    k.mv_size = ngx_mobility_conv_msg_key(key, c->id.data, c->id.len, m->seq);
    k.mv_data = key;
    v.mv_size = w.len;
    v.mv_data = buf;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v, 0);

    free(buf);

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a message", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_msg_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, uint64_t seq, ngx_mobility_conv_msg_t *m)
{
    int       rc;
    u_char    key[NGX_MOBILITY_CONV_ID_MAX + 10];
    MDB_val   k, v;

    memset(m, 0, sizeof(ngx_mobility_conv_msg_t));

    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k.mv_size = ngx_mobility_conv_msg_key(key, id, len, seq);
    k.mv_data = key;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a message", rc);
    }

    if (ngx_mobility_rec_check(v.mv_data, v.mv_size, NGX_MOBILITY_REC_MESSAGE)
        != 0)
    {
        snprintf(st->err, sizeof(st->err), "a broken message record");
        return NGX_MOBILITY_ERROR;
    }

    m->seq = seq;
    m->time = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                       NGX_MOBILITY_MSG_T_TIME, 0);
    (void) ngx_mobility_rec_get(v.mv_data, v.mv_size, NGX_MOBILITY_MSG_T_FROM,
                                &m->from);
    (void) ngx_mobility_rec_get(v.mv_data, v.mv_size, NGX_MOBILITY_MSG_T_TEXT,
                                &m->text);
    m->format = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                         NGX_MOBILITY_MSG_T_FORMAT,
                                         NGX_MOBILITY_CONV_MSG_PLAIN);

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_conv_next(ngx_mobility_store_t *st, MDB_txn *txn, u_char kind,
    size_t tail, uint64_t now, u_char *id, uint64_t *due)
{
    int           rc;
    size_t        len;
    u_char        start[1];
    MDB_val       k, v;
    MDB_cursor   *cur;

    *due = 0;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    start[0] = kind;
    k.mv_size = 1;
    k.mv_data = start;

    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

    if (rc == MDB_NOTFOUND) {
        mdb_cursor_close(cur);
        return 0;
    }

    if (rc != 0) {
        mdb_cursor_close(cur);
        return ngx_mobility_store_fail(st, "reading deadlines", rc);
    }

    if (k.mv_size < 10 + tail || ((u_char *) k.mv_data)[0] != kind
        || k.mv_size - 9 > NGX_MOBILITY_CONV_ID_MAX + tail)
    {
        mdb_cursor_close(cur);
        return 0;
    }

    *due = ngx_mobility_be64((u_char *) k.mv_data + 1);
    len = k.mv_size - 9;
    memcpy(id, (u_char *) k.mv_data + 9, len);

    mdb_cursor_close(cur);

    return (*due <= now) ? (int) len : 0;
}


int
ngx_mobility_conv_due_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, uint64_t due)
{
    int       rc;
    u_char    key[NGX_MOBILITY_CONV_ID_MAX + 9];
    MDB_val   k;

    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX) {
        return NGX_MOBILITY_OK;
    }

    k.mv_size = ngx_mobility_conv_due_key(key, id, len, due);
    k.mv_data = key;

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, NULL);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing a deadline", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_next_due(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *id, uint64_t *due)
{
    return ngx_mobility_conv_next(st, txn, 'd', 0, now, id, due);
}


int
ngx_mobility_conv_next_typing(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *id, int *side, uint64_t *due)
{
    int     n;
    u_char  buf[NGX_MOBILITY_CONV_ID_MAX + 1];

    n = ngx_mobility_conv_next(st, txn, 'y', 1, now, buf, due);

    if (n <= 1) {
        return (n < 0) ? -1 : 0;
    }

    *side = buf[n - 1];
    memcpy(id, buf, n - 1);

    return n - 1;
}


static size_t
ngx_mobility_conv_typing_key(u_char *key, const u_char *id, size_t len,
    int side, uint64_t due)
{
    key[0] = 'y';
    ngx_mobility_put_be64(key + 1, due);
    memcpy(key + 9, id, len);
    key[9 + len] = (u_char) side;

    return len + 10;
}


int
ngx_mobility_conv_typing_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, int side, uint64_t due)
{
    int       rc;
    u_char    key[NGX_MOBILITY_CONV_ID_MAX + 10];
    MDB_val   k;

    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX) {
        return NGX_MOBILITY_OK;
    }

    k.mv_size = ngx_mobility_conv_typing_key(key, id, len, side, due);
    k.mv_data = key;

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, NULL);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing a typing end", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_typing(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, int side, uint64_t until)
{
    int        rc;
    u_char     key[NGX_MOBILITY_CONV_ID_MAX + 10];
    MDB_val    k, v;
    uint64_t  *cur;

    if (c->id.len == 0 || c->id.len > NGX_MOBILITY_CONV_ID_MAX
        || (side != 'f' && side != 't'))
    {
        snprintf(st->err, sizeof(st->err), "a bad typing side");
        return NGX_MOBILITY_ERROR;
    }

    cur = (side == 'f') ? &c->typing_from : &c->typing_to;

    if (*cur
        && ngx_mobility_conv_typing_del(st, txn, c->id.data, c->id.len, side,
                                        *cur)
           != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    *cur = until;

    if (until == 0) {
        return NGX_MOBILITY_OK;
    }

    k.mv_size = ngx_mobility_conv_typing_key(key, c->id.data, c->id.len,
                                             side, until);
    k.mv_data = key;
    v.mv_size = 0;
    v.mv_data = key;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a typing end", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_active_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *user, size_t ulen,
    int (*each)(void *ctx, const u_char *id, size_t len), void *ctx)
{
    int             rc;
    size_t          n;
    u_char          key[NGX_MOBILITY_CONV_UKEY_MAX];
    MDB_val         k, v;
    MDB_cursor     *cur;
    MDB_cursor_op   op;

    n = ngx_mobility_conv_user_key(key, user, ulen, NULL, 0);

    if (n == 0) {
        return NGX_MOBILITY_OK;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    k.mv_size = n;
    k.mv_data = key;

    for (op = MDB_SET_RANGE; /* void */ ; op = MDB_NEXT) {

        rc = mdb_cursor_get(cur, &k, &v, op);

        if (rc != 0 || k.mv_size <= n || memcmp(k.mv_data, key, n) != 0) {
            break;
        }

        if (each(ctx, (u_char *) k.mv_data + n, k.mv_size - n) != 0) {
            rc = 0;
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading conversations", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_ended_scan(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t before, u_char *resume, size_t *resume_len, size_t max,
    void (*found)(void *ctx, const u_char *id, size_t len), void *ctx)
{
    int             rc;
    size_t          scanned;
    u_char          start[NGX_MOBILITY_CONV_ID_MAX + 1];
    uint64_t        ended, state;
    MDB_val         k, v;
    MDB_cursor     *cur;
    MDB_cursor_op   op;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    if (*resume_len > 0 && *resume_len <= NGX_MOBILITY_CONV_ID_MAX + 1) {
        memcpy(start, resume, *resume_len);
        k.mv_size = *resume_len;

    } else {
        start[0] = 'c';
        k.mv_size = 1;
    }

    k.mv_data = start;
    scanned = 0;
    *resume_len = 0;

    for (op = MDB_SET_RANGE; scanned < max; op = MDB_NEXT) {

        rc = mdb_cursor_get(cur, &k, &v, op);

        if (rc != 0 || k.mv_size < 2 || ((u_char *) k.mv_data)[0] != 'c'
            || k.mv_size > NGX_MOBILITY_CONV_ID_MAX + 1)
        {
            /* the end of the conversations: start over next time */
            break;
        }

        scanned++;

        /* where the next scan starts: just after this key */
        memcpy(resume, k.mv_data, k.mv_size);
        resume[k.mv_size] = '\0';
        *resume_len = k.mv_size + 1;

        if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                   NGX_MOBILITY_REC_CONVERSATION)
            != 0)
        {
            continue;
        }

        state = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                         NGX_MOBILITY_CONV_T_STATE, 0);
        ended = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                         NGX_MOBILITY_CONV_T_ENDED, 0);

        if (state > NGX_MOBILITY_CONV_CONNECTED && ended && ended < before) {
            found(ctx, (u_char *) k.mv_data + 1, k.mv_size - 1);
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading conversations", rc);
    }

    return (int) scanned;
}


int
ngx_mobility_conv_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len)
{
    int                   rc;
    u_char                key[NGX_MOBILITY_CONV_ID_MAX + 10];
    size_t                n;
    MDB_val               k, v;
    MDB_cursor           *cur;
    ngx_mobility_conv_t   c;

    rc = ngx_mobility_conv_get(st, txn, id, len, &c);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    /* no index entries, no deadline, no typing: state as ended */
    c.state = NGX_MOBILITY_CONV_TERMINATED;

    if (ngx_mobility_conv_index(st, txn, &c) != NGX_MOBILITY_OK
        || (c.deadline
            && ngx_mobility_conv_due_del(st, txn, id, len, c.deadline)
               != NGX_MOBILITY_OK)
        || (c.typing_from
            && ngx_mobility_conv_typing_del(st, txn, id, len, 'f',
                                            c.typing_from)
               != NGX_MOBILITY_OK)
        || (c.typing_to
            && ngx_mobility_conv_typing_del(st, txn, id, len, 't',
                                            c.typing_to)
               != NGX_MOBILITY_OK))
    {
        return NGX_MOBILITY_ERROR;
    }

    /* the messages */
    n = ngx_mobility_conv_msg_key(key, id, len, 0) - 8;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    for ( ;; ) {
        k.mv_size = n;
        k.mv_data = key;

        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

        if (rc != 0 || k.mv_size != n + 8 || memcmp(k.mv_data, key, n) != 0)
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
        return ngx_mobility_store_fail(st, "removing messages", rc);
    }

    k.mv_size = ngx_mobility_conv_key(key, id, len);
    k.mv_data = key;

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, NULL);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing a conversation", rc);
    }

    return NGX_MOBILITY_OK;
}
