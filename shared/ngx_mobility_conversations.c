/*
 * Copyright (C) The nginx mobility authors
 */

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "ngx_mobility_conversations.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_sip.h"
#include "ngx_mobility_kv.h"


#define NGX_MOBILITY_CONV_UKEY_MAX                                            \
    (NGX_MOBILITY_SIP_MAX + 2 + NGX_MOBILITY_CONV_ID_MAX)

#define conv_dbi(st)  (st)->dbi[NGX_MOBILITY_DB_CONVERSATIONS]


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
    NGX_MOBILITY_CONV_T_TYPING_TO,
    NGX_MOBILITY_CONV_T_CONFERENCE,
    NGX_MOBILITY_CONV_T_ORGANIZER,
    NGX_MOBILITY_CONV_T_MEETING,
    NGX_MOBILITY_CONV_T_NEXT_INV
};

enum {
    NGX_MOBILITY_PART_T_USER = 1,
    NGX_MOBILITY_PART_T_APP,
    NGX_MOBILITY_PART_T_NAME,
    NGX_MOBILITY_PART_T_INVITER,
    NGX_MOBILITY_PART_T_INVITER_APP,
    NGX_MOBILITY_PART_T_OPERATION,
    NGX_MOBILITY_PART_T_STATE,
    NGX_MOBILITY_PART_T_ROLE,
    NGX_MOBILITY_PART_T_FLAGS,
    NGX_MOBILITY_PART_T_JOINED,
    NGX_MOBILITY_PART_T_INV,
    NGX_MOBILITY_PART_T_DEADLINE,
    NGX_MOBILITY_PART_T_TYPING
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


/* tag, a, NUL, then b (none when blen is 0): the key's length */
static size_t
ngx_mobility_conv_tag_key(u_char *key, u_char tag, const u_char *a,
    size_t alen, const u_char *b, size_t blen)
{
    key[0] = tag;
    memcpy(key + 1, a, alen);
    key[alen + 1] = '\0';

    if (blen) {
        memcpy(key + alen + 2, b, blen);
    }

    return alen + 2 + blen;
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

    return ngx_mobility_conv_tag_key(key, 'u', user, ulen, id, len);
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

    if (c->conference) {
        /* the roster keeps the index of a conference */
        return NGX_MOBILITY_OK;
    }

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
    conv_field(NGX_MOBILITY_CONV_T_ORGANIZER, organizer);
    conv_field(NGX_MOBILITY_CONV_T_MEETING, meeting);

#undef conv_field

    c->conference = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                             NGX_MOBILITY_CONV_T_CONFERENCE,
                                             0);
    c->next_inv = ngx_mobility_rec_get_u64(rec, v.mv_size,
                                           NGX_MOBILITY_CONV_T_NEXT_INV, 1);

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
    u_char                      key[NGX_MOBILITY_CONV_ID_MAX + 9];
    size_t                      n, cap;
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
          + c->reason.len + c->organizer.len + c->meeting.len;

    if (ngx_mobility_kv_rec_begin(st, &w, cap, NGX_MOBILITY_REC_CONVERSATION)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

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

    if (c->conference) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_CONFERENCE,
                                 c->conference);
        ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_ORGANIZER,
                                   &c->organizer);
        ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_CONV_T_MEETING,
                                   &c->meeting);
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_CONV_T_NEXT_INV,
                                 c->next_inv);
    }

    n = ngx_mobility_conv_key(key, c->id.data, c->id.len);

    /* fields may have pointed into the old record: the caller re-reads */
    return ngx_mobility_kv_rec_put(st, txn, conv_dbi(st), key, n, &w,
                                   "a conversation record overflow",
                                   "writing a conversation");
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
    u_char                      key[NGX_MOBILITY_CONV_ID_MAX + 10];
    size_t                      n, cap;
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

    if (ngx_mobility_kv_rec_begin(st, &w, cap, NGX_MOBILITY_REC_MESSAGE)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MSG_T_SEQ, m->seq);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MSG_T_TIME, m->time);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MSG_T_FROM, &m->from);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_MSG_T_TEXT, &m->text);

    if (m->format != NGX_MOBILITY_CONV_MSG_PLAIN) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_MSG_T_FORMAT, m->format);
    }

    n = ngx_mobility_conv_msg_key(key, c->id.data, c->id.len, m->seq);

    return ngx_mobility_kv_rec_put(st, txn, conv_dbi(st), key, n, &w,
                                   "a message record overflow",
                                   "writing a message");
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
    size_t  n;
    u_char  key[NGX_MOBILITY_CONV_ID_MAX + 9];

    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX) {
        return NGX_MOBILITY_OK;
    }

    n = ngx_mobility_conv_due_key(key, id, len, due);

    return ngx_mobility_kv_del(st, txn, conv_dbi(st), key, n,
                               "removing a deadline");
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
    size_t  n;
    u_char  key[NGX_MOBILITY_CONV_ID_MAX + 10];

    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX) {
        return NGX_MOBILITY_OK;
    }

    n = ngx_mobility_conv_typing_key(key, id, len, side, due);

    return ngx_mobility_kv_del(st, txn, conv_dbi(st), key, n,
                               "removing a typing end");
}


int
ngx_mobility_conv_typing(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, int side, uint64_t until)
{
    size_t     n;
    u_char     key[NGX_MOBILITY_CONV_ID_MAX + 10];
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

    n = ngx_mobility_conv_typing_key(key, c->id.data, c->id.len, side, until);

    return ngx_mobility_kv_put(st, txn, conv_dbi(st), key, n, key, 0,
                               "writing a typing end");
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


static int ngx_mobility_conv_roster_clear(ngx_mobility_store_t *st,
    MDB_txn *txn, ngx_mobility_conv_t *c);


int
ngx_mobility_conv_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len)
{
    int                   rc;
    u_char                key[NGX_MOBILITY_CONV_ID_MAX + 10];
    size_t                n;
    ngx_mobility_conv_t   c;

    rc = ngx_mobility_conv_get(st, txn, id, len, &c);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    /* no index entries, no deadline, no typing: state as ended */
    c.state = NGX_MOBILITY_CONV_TERMINATED;

    if (c.conference
        && (ngx_mobility_conv_roster_clear(st, txn, &c) != NGX_MOBILITY_OK
            || ngx_mobility_conv_meeting_del(st, txn, &c) != NGX_MOBILITY_OK))
    {
        return NGX_MOBILITY_ERROR;
    }

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

    if (ngx_mobility_kv_del_prefix(st, txn, conv_dbi(st), key, n, 8,
                                   "removing messages")
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    n = ngx_mobility_conv_key(key, id, len);

    return ngx_mobility_kv_del(st, txn, conv_dbi(st), key, n,
                               "removing a conversation");
}


/* ------------------------------------------------------------------ */
/* the roster of a conference                                         */


/* "p" id NUL user: the length, 0 if too long */
static size_t
ngx_mobility_conv_part_key(u_char *key, const u_char *id, size_t len,
    const u_char *user, size_t ulen)
{
    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX
        || ulen > NGX_MOBILITY_SIP_MAX)
    {
        return 0;
    }

    return ngx_mobility_conv_tag_key(key, 'p', id, len, user, ulen);
}


/* "q" (or "z") due id NUL user */
static size_t
ngx_mobility_conv_part_kind_key(u_char *key, u_char kind, const u_char *id,
    size_t len, const u_char *user, size_t ulen, uint64_t due)
{
    key[0] = kind;
    ngx_mobility_put_be64(key + 1, due);
    memcpy(key + 9, id, len);
    key[len + 9] = '\0';
    memcpy(key + len + 10, user, ulen);

    return len + 10 + ulen;
}


static int
ngx_mobility_conv_part_decode(const u_char *rec, size_t len,
    ngx_mobility_conv_part_t *p)
{
    memset(p, 0, sizeof(ngx_mobility_conv_part_t));

    if (ngx_mobility_rec_check(rec, len, NGX_MOBILITY_REC_PARTICIPANT) != 0) {
        return NGX_MOBILITY_ERROR;
    }

#define part_field(tag, f)                                                    \
    (void) ngx_mobility_rec_get(rec, len, tag, &p->f)

    part_field(NGX_MOBILITY_PART_T_USER, user);
    part_field(NGX_MOBILITY_PART_T_APP, app);
    part_field(NGX_MOBILITY_PART_T_NAME, name);
    part_field(NGX_MOBILITY_PART_T_INVITER, inviter);
    part_field(NGX_MOBILITY_PART_T_INVITER_APP, inviter_app);
    part_field(NGX_MOBILITY_PART_T_OPERATION, operation_id);

#undef part_field

    p->state = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PART_T_STATE,
                                        0);
    p->role = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PART_T_ROLE,
                                       NGX_MOBILITY_PART_ATTENDEE);
    p->flags = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PART_T_FLAGS,
                                        0);
    p->joined = ngx_mobility_rec_get_u64(rec, len,
                                         NGX_MOBILITY_PART_T_JOINED, 0);
    p->inv = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PART_T_INV, 0);
    p->deadline = ngx_mobility_rec_get_u64(rec, len,
                                           NGX_MOBILITY_PART_T_DEADLINE, 0);
    p->typing = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_PART_T_TYPING,
                                         0);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_conv_part_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, const u_char *user, size_t ulen,
    ngx_mobility_conv_part_t *p)
{
    int       rc;
    u_char    key[NGX_MOBILITY_CONV_UKEY_MAX];
    MDB_val   k, v;

    memset(p, 0, sizeof(ngx_mobility_conv_part_t));

    k.mv_size = ngx_mobility_conv_part_key(key, id, len, user, ulen);
    k.mv_data = key;

    if (k.mv_size == 0 || ulen == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a participant", rc);
    }

    if (ngx_mobility_conv_part_decode(v.mv_data, v.mv_size, p)
        != NGX_MOBILITY_OK)
    {
        snprintf(st->err, sizeof(st->err), "a broken participant record");
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


/* the "u" key of a roster entry: present (on) or absent */
static int
ngx_mobility_conv_part_index(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, const u_char *user, size_t ulen, int on)
{
    int      rc;
    u_char   key[NGX_MOBILITY_CONV_UKEY_MAX];
    MDB_val  k, v;

    k.mv_size = ngx_mobility_conv_user_key(key, user, ulen, c->id.data,
                                           c->id.len);
    k.mv_data = key;

    if (k.mv_size == 0) {
        return NGX_MOBILITY_OK;
    }

    if (on) {
        v.mv_size = 0;
        v.mv_data = key;
        rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v,
                     MDB_NOOVERWRITE);
        rc = (rc == MDB_KEYEXIST) ? 0 : rc;

    } else {
        rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, NULL);
        rc = (rc == MDB_NOTFOUND) ? 0 : rc;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "indexing a participant", rc);
    }

    return NGX_MOBILITY_OK;
}


static int ngx_mobility_conv_part_key_del(ngx_mobility_store_t *st,
    MDB_txn *txn, u_char kind, const u_char *id, size_t len,
    const u_char *user, size_t ulen, uint64_t due);


int
ngx_mobility_conv_part_due_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, const u_char *user, size_t ulen,
    uint64_t due)
{
    return ngx_mobility_conv_part_key_del(st, txn, 'q', id, len, user, ulen,
                                          due);
}


int
ngx_mobility_conv_part_typing_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len, const u_char *user, size_t ulen,
    uint64_t due)
{
    return ngx_mobility_conv_part_key_del(st, txn, 'z', id, len, user, ulen,
                                          due);
}


static int
ngx_mobility_conv_part_key_del(ngx_mobility_store_t *st, MDB_txn *txn,
    u_char kind, const u_char *id, size_t len, const u_char *user,
    size_t ulen, uint64_t due)
{
    size_t  n;
    u_char  key[NGX_MOBILITY_CONV_UKEY_MAX + 9];

    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX
        || ulen > NGX_MOBILITY_SIP_MAX)
    {
        return NGX_MOBILITY_OK;
    }

    n = ngx_mobility_conv_part_kind_key(key, kind, id, len, user, ulen, due);

    return ngx_mobility_kv_del(st, txn, conv_dbi(st), key, n,
                               "removing a deadline");
}


int
ngx_mobility_conv_part_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, ngx_mobility_conv_part_t *p)
{
    int                         rc, found;
    u_char                      key[NGX_MOBILITY_CONV_UKEY_MAX + 9];
    size_t                      n, cap;
    ngx_mobility_conv_part_t    old;
    ngx_mobility_rec_writer_t   w;

    if (p->user.len == 0 || p->user.len > NGX_MOBILITY_SIP_MAX
        || c->id.len == 0 || c->id.len > NGX_MOBILITY_CONV_ID_MAX)
    {
        snprintf(st->err, sizeof(st->err), "a bad participant");
        return NGX_MOBILITY_ERROR;
    }

    /* a deadline that moved or ended */
    rc = ngx_mobility_conv_part_get(st, txn, c->id.data, c->id.len,
                                    p->user.data, p->user.len, &old);
    if (rc == NGX_MOBILITY_ERROR) {
        return rc;
    }

    found = (rc == NGX_MOBILITY_OK);

    if (found && old.deadline
        && (old.deadline != p->deadline
            || p->state == NGX_MOBILITY_PART_JOINED)
        && ngx_mobility_conv_part_due_del(st, txn, c->id.data, c->id.len,
                                          p->user.data, p->user.len,
                                          old.deadline)
           != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (p->state == NGX_MOBILITY_PART_JOINED) {
        p->deadline = 0;
    }

    if (p->deadline) {
        n = ngx_mobility_conv_part_kind_key(key, 'q', c->id.data, c->id.len,
                                            p->user.data, p->user.len,
                                            p->deadline);

        if (ngx_mobility_kv_put(st, txn, conv_dbi(st), key, n, key, 0,
                                "writing a deadline")
            != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }
    }

    /* the end of typing */
    if (found && old.typing && old.typing != p->typing
        && ngx_mobility_conv_part_typing_del(st, txn, c->id.data, c->id.len,
                                             p->user.data, p->user.len,
                                             old.typing)
           != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (p->typing) {
        n = ngx_mobility_conv_part_kind_key(key, 'z', c->id.data, c->id.len,
                                            p->user.data, p->user.len,
                                            p->typing);

        if (ngx_mobility_kv_put(st, txn, conv_dbi(st), key, n, key, 0,
                                "writing a typing end")
            != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }
    }

    if (ngx_mobility_conv_part_index(st, txn, c, p->user.data, p->user.len, 1)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    cap = 512 + p->user.len + p->app.len + p->name.len + p->inviter.len
          + p->inviter_app.len + p->operation_id.len;

    if (ngx_mobility_kv_rec_begin(st, &w, cap, NGX_MOBILITY_REC_PARTICIPANT)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PART_T_USER, &p->user);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PART_T_APP, &p->app);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PART_T_NAME, &p->name);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PART_T_INVITER, &p->inviter);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PART_T_INVITER_APP,
                               &p->inviter_app);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_PART_T_OPERATION,
                               &p->operation_id);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PART_T_STATE, p->state);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PART_T_ROLE, p->role);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PART_T_FLAGS, p->flags);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PART_T_JOINED, p->joined);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PART_T_INV, p->inv);

    if (p->deadline) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PART_T_DEADLINE,
                                 p->deadline);
    }

    if (p->typing) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PART_T_TYPING, p->typing);
    }

    n = ngx_mobility_conv_part_key(key, c->id.data, c->id.len, p->user.data,
                                   p->user.len);

    return ngx_mobility_kv_rec_put(st, txn, conv_dbi(st), key, n, &w,
                                   "a participant record overflow",
                                   "writing a participant");
}


int
ngx_mobility_conv_part_del(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c, const u_char *user, size_t ulen)
{
    int                        rc;
    u_char                     key[NGX_MOBILITY_CONV_UKEY_MAX];
    size_t                     n;
    ngx_mobility_conv_part_t   old;

    rc = ngx_mobility_conv_part_get(st, txn, c->id.data, c->id.len, user,
                                    ulen, &old);
    if (rc != NGX_MOBILITY_OK) {
        return (rc == NGX_MOBILITY_NOTFOUND) ? NGX_MOBILITY_OK : rc;
    }

    if ((old.deadline
         && ngx_mobility_conv_part_due_del(st, txn, c->id.data, c->id.len,
                                           user, ulen, old.deadline)
            != NGX_MOBILITY_OK)
        || (old.typing
            && ngx_mobility_conv_part_typing_del(st, txn, c->id.data,
                                                 c->id.len, user, ulen,
                                                 old.typing)
               != NGX_MOBILITY_OK)
        || ngx_mobility_conv_part_index(st, txn, c, user, ulen, 0)
           != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    n = ngx_mobility_conv_part_key(key, c->id.data, c->id.len, user, ulen);

    return ngx_mobility_kv_del(st, txn, conv_dbi(st), key, n,
                               "removing a participant");
}


int
ngx_mobility_conv_part_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *id, size_t len,
    int (*each)(void *ctx, ngx_mobility_conv_part_t *p), void *ctx)
{
    int                        rc, n;
    size_t                     plen;
    u_char                     key[NGX_MOBILITY_CONV_UKEY_MAX];
    MDB_val                    k, v;
    MDB_cursor                *cur;
    MDB_cursor_op              op;
    ngx_mobility_conv_part_t   p;

    plen = ngx_mobility_conv_part_key(key, id, len, NULL, 0);
    if (plen == 0) {
        return 0;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &cur);
    if (rc != 0) {
        (void) ngx_mobility_store_fail(st, "opening a cursor", rc);
        return -1;
    }

    k.mv_size = plen;
    k.mv_data = key;
    n = 0;

    for (op = MDB_SET_RANGE; /* void */ ; op = MDB_NEXT) {

        rc = mdb_cursor_get(cur, &k, &v, op);

        if (rc != 0 || k.mv_size <= plen
            || memcmp(k.mv_data, key, plen) != 0)
        {
            break;
        }

        if (ngx_mobility_conv_part_decode(v.mv_data, v.mv_size, &p)
            != NGX_MOBILITY_OK)
        {
            continue;
        }

        n++;

        if (each && each(ctx, &p) != 0) {
            rc = 0;
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        (void) ngx_mobility_store_fail(st, "reading a roster", rc);
        return -1;
    }

    return n;
}


static int
ngx_mobility_conv_first_user(void *ctx, ngx_mobility_conv_part_t *p)
{
    *(ngx_mobility_conv_part_t *) ctx = *p;

    return 1;
}


static int
ngx_mobility_conv_roster_clear(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c)
{
    int                        n;
    u_char                     user[NGX_MOBILITY_SIP_MAX + 1];
    size_t                     ulen;
    ngx_mobility_conv_part_t   p;

    for ( ;; ) {
        /* the first entry, then remove it (no cursor across deletes) */
        ulen = 0;

        n = ngx_mobility_conv_part_each(st, txn, c->id.data, c->id.len,
                                        ngx_mobility_conv_first_user, &p);
        if (n < 0) {
            return NGX_MOBILITY_ERROR;
        }

        if (n == 0) {
            return NGX_MOBILITY_OK;
        }

        ulen = p.user.len;
        memcpy(user, p.user.data, ulen);

        if (ngx_mobility_conv_part_del(st, txn, c, user, ulen)
            != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }
    }
}


static int ngx_mobility_conv_next_part(ngx_mobility_store_t *st,
    MDB_txn *txn, u_char kind, uint64_t now, u_char *id, u_char *user,
    size_t *ulen, uint64_t *due);


int
ngx_mobility_conv_next_part_due(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *id, u_char *user, size_t *ulen, uint64_t *due)
{
    return ngx_mobility_conv_next_part(st, txn, 'q', now, id, user, ulen,
                                       due);
}


int
ngx_mobility_conv_next_part_typing(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *id, u_char *user, size_t *ulen, uint64_t *due)
{
    return ngx_mobility_conv_next_part(st, txn, 'z', now, id, user, ulen,
                                       due);
}


static int
ngx_mobility_conv_next_part(ngx_mobility_store_t *st, MDB_txn *txn,
    u_char kind, uint64_t now, u_char *id, u_char *user, size_t *ulen,
    uint64_t *due)
{
    int          rc;
    u_char       start[1], *nul, *kd;
    size_t       len;
    MDB_val      k, v;
    MDB_cursor  *cur;

    *due = 0;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &cur);
    if (rc != 0) {
        (void) ngx_mobility_store_fail(st, "opening a cursor", rc);
        return -1;
    }

    start[0] = kind;
    k.mv_size = 1;
    k.mv_data = start;

    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

    mdb_cursor_close(cur);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    if (rc != 0) {
        (void) ngx_mobility_store_fail(st, "reading deadlines", rc);
        return -1;
    }

    kd = k.mv_data;

    if (k.mv_size < 12 || kd[0] != kind) {
        return 0;
    }

    nul = memchr(kd + 9, '\0', k.mv_size - 9);
    if (nul == NULL) {
        return 0;
    }

    len = nul - (kd + 9);
    *ulen = k.mv_size - 9 - len - 1;

    if (len == 0 || len > NGX_MOBILITY_CONV_ID_MAX || *ulen == 0
        || *ulen > NGX_MOBILITY_SIP_MAX)
    {
        return 0;
    }

    *due = ngx_mobility_be64(kd + 1);

    if (*due > now) {
        return 0;
    }

    memcpy(id, kd + 9, len);
    memcpy(user, nul + 1, *ulen);
    user[*ulen] = '\0';

    return (int) len;
}


/* ------------------------------------------------------------------ */
/* the live conversation of an online meeting                         */


static size_t
ngx_mobility_conv_meeting_key(u_char *key, const u_char *organizer,
    size_t olen, const u_char *meeting, size_t mlen)
{
    if (olen == 0 || olen > NGX_MOBILITY_SIP_MAX || mlen == 0
        || mlen > NGX_MOBILITY_CONV_MEETING_MAX)
    {
        return 0;
    }

    return ngx_mobility_conv_tag_key(key, 'k', organizer, olen, meeting,
                                     mlen);
}


int
ngx_mobility_conv_meeting_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *organizer, size_t olen, const u_char *meeting,
    size_t mlen, u_char *id)
{
    int      rc;
    u_char   key[NGX_MOBILITY_SIP_MAX + NGX_MOBILITY_CONV_MEETING_MAX + 2];
    MDB_val  k, v;

    k.mv_size = ngx_mobility_conv_meeting_key(key, organizer, olen, meeting,
                                              mlen);
    k.mv_data = key;

    if (k.mv_size == 0) {
        return 0;
    }

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    if (rc != 0) {
        (void) ngx_mobility_store_fail(st, "reading a meeting key", rc);
        return -1;
    }

    if (v.mv_size == 0 || v.mv_size > NGX_MOBILITY_CONV_ID_MAX) {
        return 0;
    }

    memcpy(id, v.mv_data, v.mv_size);

    return (int) v.mv_size;
}


int
ngx_mobility_conv_meeting_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c)
{
    size_t  n;
    u_char  key[NGX_MOBILITY_SIP_MAX + NGX_MOBILITY_CONV_MEETING_MAX + 2];

    n = ngx_mobility_conv_meeting_key(key, c->organizer.data, c->organizer.len,
                                      c->meeting.data, c->meeting.len);

    if (n == 0) {
        snprintf(st->err, sizeof(st->err), "a bad meeting key");
        return NGX_MOBILITY_ERROR;
    }

    return ngx_mobility_kv_put(st, txn, conv_dbi(st), key, n, c->id.data,
                               c->id.len, "writing a meeting key");
}


int
ngx_mobility_conv_meeting_del(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_conv_t *c)
{
    int      rc;
    u_char   key[NGX_MOBILITY_SIP_MAX + NGX_MOBILITY_CONV_MEETING_MAX + 2];
    MDB_val  k, v;

    k.mv_size = ngx_mobility_conv_meeting_key(key, c->organizer.data,
                                              c->organizer.len,
                                              c->meeting.data,
                                              c->meeting.len);
    k.mv_data = key;

    if (k.mv_size == 0) {
        return NGX_MOBILITY_OK;
    }

    /* only if it still names this conversation */
    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_OK;
    }

    if (rc == 0
        && (v.mv_size != c->id.len
            || memcmp(v.mv_data, c->id.data, c->id.len) != 0))
    {
        return NGX_MOBILITY_OK;
    }

    if (rc == 0) {
        rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONVERSATIONS], &k, NULL);
    }

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing a meeting key", rc);
    }

    return NGX_MOBILITY_OK;
}
