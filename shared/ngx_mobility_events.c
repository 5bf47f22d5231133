/*
 * Copyright (C) The nginx mobility authors
 */


#include <string.h>

#include "ngx_mobility_events.h"
#include "ngx_mobility_directory.h"


/* channel record tags; never reuse a number */
typedef enum {
    NGX_MOBILITY_EC_CREATED = 1,
    NGX_MOBILITY_EC_NEXT_SEQ,
    NGX_MOBILITY_EC_PKG_NO,
    NGX_MOBILITY_EC_PKG_FIRST,
    NGX_MOBILITY_EC_PKG_END,
    NGX_MOBILITY_EC_PENDING,
    NGX_MOBILITY_EC_FLAGS,
    NGX_MOBILITY_EC_LAST_RELEASE,
    NGX_MOBILITY_EC_PARK_TOKEN,
    NGX_MOBILITY_EC_PARK_UNTIL,
    NGX_MOBILITY_EC_PARK_PRIORITY,
    NGX_MOBILITY_EC_TIMEOUT,
    NGX_MOBILITY_EC_HOLD_LOW,
    NGX_MOBILITY_EC_HOLD_MEDIUM,
    NGX_MOBILITY_EC_RECOVERED_END,    /* absent in older records: 0 */
    NGX_MOBILITY_EC_TAGS              /* one past the last tag */
} ngx_mobility_evchan_tag_e;


/* event record tags */
typedef enum {
    NGX_MOBILITY_EV_TIME = 1,
    NGX_MOBILITY_EV_URGENCY,
    NGX_MOBILITY_EV_MERGE,
    NGX_MOBILITY_EV_PAYLOAD
} ngx_mobility_event_tag_e;


#define NGX_MOBILITY_EV_DBKEY_MAX  (1 + NGX_MOBILITY_EV_KEY_MAX + 8)


typedef struct {
    uint16_t   tag;
    size_t     offset;
} ngx_mobility_evchan_field_t;


#define ngx_mobility_evchan_off(f)  offsetof(ngx_mobility_evchan_t, f)

static const ngx_mobility_evchan_field_t  ngx_mobility_evchan_fields[] = {
    { NGX_MOBILITY_EC_CREATED, ngx_mobility_evchan_off(created) },
    { NGX_MOBILITY_EC_NEXT_SEQ, ngx_mobility_evchan_off(next_seq) },
    { NGX_MOBILITY_EC_PKG_NO, ngx_mobility_evchan_off(pkg_no) },
    { NGX_MOBILITY_EC_PKG_FIRST, ngx_mobility_evchan_off(pkg_first) },
    { NGX_MOBILITY_EC_PKG_END, ngx_mobility_evchan_off(pkg_end) },
    { NGX_MOBILITY_EC_PENDING, ngx_mobility_evchan_off(pending) },
    { NGX_MOBILITY_EC_FLAGS, ngx_mobility_evchan_off(flags) },
    { NGX_MOBILITY_EC_LAST_RELEASE, ngx_mobility_evchan_off(last_release) },
    { NGX_MOBILITY_EC_PARK_TOKEN, ngx_mobility_evchan_off(park_token) },
    { NGX_MOBILITY_EC_PARK_UNTIL, ngx_mobility_evchan_off(park_until) },
    { NGX_MOBILITY_EC_PARK_PRIORITY,
      ngx_mobility_evchan_off(park_priority) },
    { NGX_MOBILITY_EC_TIMEOUT, ngx_mobility_evchan_off(timeout) },
    { NGX_MOBILITY_EC_HOLD_LOW, ngx_mobility_evchan_off(hold_low) },
    { NGX_MOBILITY_EC_HOLD_MEDIUM, ngx_mobility_evchan_off(hold_medium) },
    { NGX_MOBILITY_EC_RECOVERED_END,
      ngx_mobility_evchan_off(recovered_end) },
    { 0, 0 }
};


static int
ngx_mobility_events_check_key(ngx_mobility_store_t *st, size_t klen)
{
    if (klen == 0 || klen > NGX_MOBILITY_EV_KEY_MAX) {
        strcpy(st->err, "invalid event channel key");
        return -1;
    }

    return 0;
}


static size_t
ngx_mobility_event_dbkey(u_char *buf, const u_char *key, size_t klen,
    uint64_t seq)
{
    buf[0] = (u_char) klen;
    memcpy(buf + 1, key, klen);
    ngx_mobility_put_be64(buf + 1 + klen, seq);

    return 1 + klen + 8;
}


int
ngx_mobility_evchan_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch)
{
    int                                 rc;
    MDB_val                             k, v;
    ngx_mobility_bytes_t                b[NGX_MOBILITY_EC_TAGS];
    const ngx_mobility_evchan_field_t  *f;

    memset(ch, 0, sizeof(ngx_mobility_evchan_t));

    if (ngx_mobility_events_check_key(st, klen) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    k.mv_data = (void *) key;
    k.mv_size = klen;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_EVCHANS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading an event channel", rc);
    }

    if (ngx_mobility_rec_fields(v.mv_data, v.mv_size, NGX_MOBILITY_REC_EVCHAN,
                                b, NGX_MOBILITY_EC_TAGS)
        != 0)
    {
        strcpy(st->err, "event channel record is corrupt");
        return NGX_MOBILITY_ERROR;
    }

    for (f = ngx_mobility_evchan_fields; f->tag; f++) {
        *(uint64_t *) ((u_char *) ch + f->offset) =
            ngx_mobility_bytes_u64(&b[f->tag], 0);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_evchan_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch)
{
    int                                 rc;
    u_char                              buf[256];
    MDB_val                             k, v;
    ngx_mobility_rec_writer_t           w;
    const ngx_mobility_evchan_field_t  *f;

    if (ngx_mobility_events_check_key(st, klen) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_begin(&w, buf, sizeof(buf), NGX_MOBILITY_REC_EVCHAN);

    for (f = ngx_mobility_evchan_fields; f->tag; f++) {
        ngx_mobility_rec_put_u64(&w, f->tag,
                                 *(uint64_t *) ((u_char *) ch + f->offset));
    }

    k.mv_data = (void *) key;
    k.mv_size = klen;
    v.mv_data = buf;
    v.mv_size = w.len;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_EVCHANS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing an event channel", rc);
    }

    return NGX_MOBILITY_OK;
}


/* deletes the events [from, to) of a channel; returns the count or -1 */
static int64_t
ngx_mobility_events_drop(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, uint64_t from, uint64_t to)
{
    int          rc;
    u_char       kb[NGX_MOBILITY_EV_DBKEY_MAX];
    int64_t      n;
    MDB_val      k, v;
    MDB_cursor  *cur;

    if (from >= to) {
        return 0;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_EVENTS], &cur);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "opening the events", rc);
        return -1;
    }

    k.mv_data = kb;
    k.mv_size = ngx_mobility_event_dbkey(kb, key, klen, from);

    n = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size != 1 + klen + 8
            || memcmp(k.mv_data, kb, 1 + klen) != 0
            || ngx_mobility_be64((u_char *) k.mv_data + 1 + klen) >= to)
        {
            break;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }

        n++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        ngx_mobility_store_fail(st, "dropping events", rc);
        return -1;
    }

    return n;
}


int
ngx_mobility_evchan_create(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, uint64_t now, ngx_mobility_evchan_t *ch)
{
    if (ngx_mobility_evchan_delete(st, txn, key, klen) == NGX_MOBILITY_ERROR) {
        return NGX_MOBILITY_ERROR;
    }

    memset(ch, 0, sizeof(ngx_mobility_evchan_t));

    ch->created = now;
    ch->next_seq = 1;
    ch->pkg_first = 1;
    ch->pkg_end = 1;
    ch->flags = NGX_MOBILITY_EVCHAN_ACKED;
    ch->last_release = now;

    return ngx_mobility_evchan_put(st, txn, key, klen, ch);
}


int
ngx_mobility_evchan_delete(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen)
{
    int      rc;
    MDB_val  k;

    if (ngx_mobility_events_check_key(st, klen) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    if (ngx_mobility_events_drop(st, txn, key, klen, 0, UINT64_MAX) < 0) {
        return NGX_MOBILITY_ERROR;
    }

    k.mv_data = (void *) key;
    k.mv_size = klen;

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_EVCHANS], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing an event channel", rc);
    }

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_event_decode(const u_char *kd, size_t klen, MDB_val *v,
    ngx_mobility_event_t *ev)
{
    if (ngx_mobility_rec_check(v->mv_data, v->mv_size, NGX_MOBILITY_REC_EVENT)
        != 0)
    {
        return -1;
    }

    ev->seq = ngx_mobility_be64(kd + 1 + klen);
    ev->time = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                        NGX_MOBILITY_EV_TIME, 0);
    ev->urgency = (unsigned) ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                                 NGX_MOBILITY_EV_URGENCY,
                                                 NGX_MOBILITY_EV_HIGH);
    ngx_mobility_rec_get(v->mv_data, v->mv_size, NGX_MOBILITY_EV_MERGE,
                         &ev->merge);
    ngx_mobility_rec_get(v->mv_data, v->mv_size, NGX_MOBILITY_EV_PAYLOAD,
                         &ev->payload);

    return 0;
}


/* drops the pending event superseded by one with the given merge key */
static int
ngx_mobility_event_merge(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch,
    ngx_mobility_bytes_t *merge)
{
    int                    rc, found;
    u_char                 kb[NGX_MOBILITY_EV_DBKEY_MAX];
    MDB_val                k, v;
    MDB_cursor            *cur;
    ngx_mobility_event_t   ev;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_EVENTS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening the events", rc);
    }

    k.mv_data = kb;
    k.mv_size = ngx_mobility_event_dbkey(kb, key, klen, ch->pkg_end);

    found = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size != 1 + klen + 8
            || memcmp(k.mv_data, kb, 1 + klen) != 0)
        {
            break;
        }

        if (ngx_mobility_event_decode(k.mv_data, klen, &v, &ev) != 0) {
            continue;
        }

        if (ev.merge.len == merge->len
            && memcmp(ev.merge.data, merge->data, merge->len) == 0)
        {
            rc = mdb_cursor_del(cur, 0);
            found = 1;
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "merging events", rc);
    }

    if (found && ch->pending) {
        ch->pending--;
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_event_append(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_event_t *ev, uint64_t now,
    uint64_t max_pending)
{
    int                        rc;
    u_char                    *p;
    size_t                     len;
    u_char                     kb[NGX_MOBILITY_EV_DBKEY_MAX];
    int64_t                    n;
    MDB_val                    k, v;
    ngx_mobility_evchan_t      ch;
    ngx_mobility_rec_writer_t  w;

    rc = ngx_mobility_evchan_get(st, txn, key, klen, &ch);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (ev->merge.len) {
        if (ngx_mobility_event_merge(st, txn, key, klen, &ch, &ev->merge)
            != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }
    }

    if (max_pending && ch.pending >= max_pending) {

        /* the client is not keeping up: it will rebuild its state */

        n = ngx_mobility_events_drop(st, txn, key, klen, ch.pkg_end,
                                     ch.next_seq);
        if (n < 0) {
            return NGX_MOBILITY_ERROR;
        }

        ch.pending = 0;
        ch.pkg_end = ch.next_seq;
        ch.flags |= NGX_MOBILITY_EVCHAN_RESUME;
        ch.flags &= ~NGX_MOBILITY_EVCHAN_RECOVERED_RESUME;

        rc = ngx_mobility_evchan_put(st, txn, key, klen, &ch);

        return (rc == NGX_MOBILITY_OK) ? NGX_MOBILITY_EXISTS : rc;
    }

    ev->seq = ch.next_seq++;
    ev->time = now;

    len = NGX_MOBILITY_REC_HEADER + 2 * (6 + 8) + 6 + ev->merge.len
          + 6 + ev->payload.len;

    k.mv_data = kb;
    k.mv_size = ngx_mobility_event_dbkey(kb, key, klen, ev->seq);
    v.mv_data = NULL;
    v.mv_size = len;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_EVENTS], &k, &v, MDB_RESERVE);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing an event", rc);
    }

    p = v.mv_data;

    ngx_mobility_rec_begin(&w, p, len, NGX_MOBILITY_REC_EVENT);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_EV_TIME, ev->time);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_EV_URGENCY, ev->urgency);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_EV_MERGE, ev->merge.data,
                         ev->merge.len);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_EV_PAYLOAD, ev->payload.data,
                         ev->payload.len);

    if (w.overflow || w.len != len) {
        strcpy(st->err, "event record size mismatch");
        return NGX_MOBILITY_ERROR;
    }

    ch.pending++;

    return ngx_mobility_evchan_put(st, txn, key, klen, &ch);
}


int
ngx_mobility_event_each(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, uint64_t from, uint64_t to,
    ngx_mobility_event_pt handler, void *data)
{
    int                    rc, res;
    u_char                 kb[NGX_MOBILITY_EV_DBKEY_MAX];
    MDB_val                k, v;
    MDB_cursor            *cur;
    ngx_mobility_event_t   ev;

    if (from >= to) {
        return NGX_MOBILITY_OK;
    }

    if (ngx_mobility_events_check_key(st, klen) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_EVENTS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening the events", rc);
    }

    k.mv_data = kb;
    k.mv_size = ngx_mobility_event_dbkey(kb, key, klen, from);

    res = NGX_MOBILITY_OK;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size != 1 + klen + 8
            || memcmp(k.mv_data, kb, 1 + klen) != 0
            || ngx_mobility_be64((u_char *) k.mv_data + 1 + klen) >= to)
        {
            break;
        }

        if (ngx_mobility_event_decode(k.mv_data, klen, &v, &ev) != 0) {
            continue;
        }

        res = handler(data, &ev);
        if (res != 0) {
            break;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading events", rc);
    }

    return res;
}


int
ngx_mobility_evchan_ack(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch)
{
    if (ch->pkg_no == 0 || (ch->flags & NGX_MOBILITY_EVCHAN_ACKED)) {
        return NGX_MOBILITY_OK;
    }

    if (ngx_mobility_events_drop(st, txn, key, klen, ch->pkg_first,
                                 ch->pkg_end)
        < 0)
    {
        return NGX_MOBILITY_ERROR;
    }

    ch->pkg_first = ch->pkg_end;
    ch->flags |= NGX_MOBILITY_EVCHAN_ACKED;

    return NGX_MOBILITY_OK;
}


void
ngx_mobility_evchan_package(ngx_mobility_evchan_t *ch, uint64_t no)
{
    ch->pkg_no = no;
    ch->pkg_first = ch->pkg_end;
    ch->pkg_end = ch->next_seq;
    ch->pending = 0;

    ch->flags &= ~(NGX_MOBILITY_EVCHAN_ACKED|NGX_MOBILITY_EVCHAN_PKG_RESUME);

    if (ch->flags & NGX_MOBILITY_EVCHAN_RESUME) {
        ch->flags &= ~NGX_MOBILITY_EVCHAN_RESUME;
        ch->flags |= NGX_MOBILITY_EVCHAN_PKG_RESUME;
    }
}


int64_t
ngx_mobility_evchan_recover_all(ngx_mobility_store_t *st, MDB_txn *txn)
{
    int                    rc;
    size_t                 klen;
    int64_t                n;
    MDB_val                k, v;
    MDB_cursor            *cur;
    ngx_mobility_evchan_t  ch;
    u_char                 key[NGX_MOBILITY_EV_KEY_MAX];

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_EVCHANS], &cur);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "opening the event channels", rc);
        return -1;
    }

    n = 0;

    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

    while (rc == 0) {

        if (k.mv_size == 0 || k.mv_size > NGX_MOBILITY_EV_KEY_MAX) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }

        /*
         * the key is copied and the cursor put back on it after the
         * put, which may grow the record and split its page
         */
        klen = k.mv_size;
        memcpy(key, k.mv_data, klen);

        if (ngx_mobility_evchan_get(st, txn, key, klen, &ch)
            != NGX_MOBILITY_OK)
        {
            mdb_cursor_close(cur);
            return -1;
        }

        /*
         * a resume due at the recovery went out with the lost package;
         * an overflow after the recovery clears RECOVERED_RESUME (that
         * resume is still to be sent)
         */

        ch.flags |= NGX_MOBILITY_EVCHAN_RECOVERED;
        ch.flags &= ~NGX_MOBILITY_EVCHAN_RECOVERED_RESUME;

        if (ch.flags & NGX_MOBILITY_EVCHAN_RESUME) {
            ch.flags |= NGX_MOBILITY_EVCHAN_RECOVERED_RESUME;
        }

        ch.recovered_end = ch.next_seq;

        if (ngx_mobility_evchan_put(st, txn, key, klen, &ch)
            != NGX_MOBILITY_OK)
        {
            mdb_cursor_close(cur);
            return -1;
        }

        n++;

        k.mv_data = key;
        k.mv_size = klen;

        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);

        if (rc == 0) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND) {
        ngx_mobility_store_fail(st, "recovering the event channels", rc);
        return -1;
    }

    return n;
}


static int
ngx_mobility_evchan_count_handler(void *data, ngx_mobility_event_t *ev)
{
    (*(uint64_t *) data)++;

    return 0;
}


int
ngx_mobility_evchan_catch_up(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch, uint64_t ack)
{
    int       rc;
    uint64_t  end, n;

    /* package pkg_no, seen: its events go */

    if (ngx_mobility_evchan_ack(st, txn, key, klen, ch) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    /*
     * The lost package pkg_no + 1: the events pending at the recovery
     * (merges since may have dropped some of them; nothing at or after
     * recovered_end is touched)
     */

    end = ch->recovered_end;

    if (end < ch->pkg_end) {
        end = ch->pkg_end;
    }

    if (end > ch->next_seq) {
        end = ch->next_seq;
    }

    if (ngx_mobility_events_drop(st, txn, key, klen, ch->pkg_end, end) < 0) {
        return NGX_MOBILITY_ERROR;
    }

    n = 0;

    rc = ngx_mobility_event_each(st, txn, key, klen, end, ch->next_seq,
                                 ngx_mobility_evchan_count_handler, &n);
    if (rc != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    /* the client received the resume the lost package carried */

    if (ch->flags & NGX_MOBILITY_EVCHAN_RECOVERED_RESUME) {
        ch->flags &= ~NGX_MOBILITY_EVCHAN_RESUME;
    }

    ch->pkg_no = ack - 1;
    ch->pkg_first = end;
    ch->pkg_end = end;
    ch->pending = n;
    ch->flags |= NGX_MOBILITY_EVCHAN_ACKED;
    ch->flags &= ~(NGX_MOBILITY_EVCHAN_PKG_RESUME
                   |NGX_MOBILITY_EVCHAN_RECOVERED
                   |NGX_MOBILITY_EVCHAN_RECOVERED_RESUME);
    ch->recovered_end = 0;

    return NGX_MOBILITY_OK;
}


typedef struct {
    uint64_t  hold_medium;
    uint64_t  hold_low;
    uint64_t  due;
} ngx_mobility_evchan_due_t;


static int
ngx_mobility_evchan_due_handler(void *data, ngx_mobility_event_t *ev)
{
    ngx_mobility_evchan_due_t  *d = data;

    uint64_t  t;

    switch (ev->urgency) {

    case NGX_MOBILITY_EV_MEDIUM:
        t = ev->time + d->hold_medium;
        break;

    case NGX_MOBILITY_EV_LOW:
        t = ev->time + d->hold_low;
        break;

    default:
        /* real-time and high: now, and nothing can come earlier */
        d->due = 0;
        return 1;
    }

    if (t < d->due) {
        d->due = t;
    }

    return 0;
}


int
ngx_mobility_evchan_due(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *key, size_t klen, ngx_mobility_evchan_t *ch,
    uint64_t hold_medium, uint64_t hold_low, uint64_t *due)
{
    int                        rc;
    ngx_mobility_evchan_due_t  d;

    if (ch->flags & NGX_MOBILITY_EVCHAN_RESUME) {
        *due = 0;
        return NGX_MOBILITY_OK;
    }

    d.hold_medium = hold_medium;
    d.hold_low = hold_low;
    d.due = NGX_MOBILITY_EV_NEVER;

    if (ch->pending) {
        rc = ngx_mobility_event_each(st, txn, key, klen, ch->pkg_end,
                                     ch->next_seq,
                                     ngx_mobility_evchan_due_handler, &d);
        if (rc < 0) {
            return rc;
        }
    }

    *due = d.due;

    return NGX_MOBILITY_OK;
}
