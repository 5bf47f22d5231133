/*
 * Copyright (C) The nginx mobility authors
 */


#include <string.h>

#include "ngx_mobility_presence.h"
#include "ngx_mobility_directory.h"


/* user record tags; never reuse a number */
typedef enum {
    NGX_MOBILITY_P_CHOSEN = 1,
    NGX_MOBILITY_P_PUBLISHED,
    NGX_MOBILITY_P_PUBLISHED_AT,
    NGX_MOBILITY_P_LAST_ACTIVE,
    NGX_MOBILITY_P_DUE,
    NGX_MOBILITY_P_UPDATED,
    NGX_MOBILITY_P_NOTE_TYPE,
    NGX_MOBILITY_P_NOTE,
    NGX_MOBILITY_P_LOCATION
} ngx_mobility_presence_tag_e;


/* endpoint record tags */
typedef enum {
    NGX_MOBILITY_PE_SIGNED_IN = 1,
    NGX_MOBILITY_PE_LAST_ACTIVITY,
    NGX_MOBILITY_PE_INACTIVE,
    NGX_MOBILITY_PE_AWAY
} ngx_mobility_presence_ep_tag_e;


/* machine states of an endpoint, best first */
#define NGX_MOBILITY_MS_ACTIVE    0
#define NGX_MOBILITY_MS_INACTIVE  1
#define NGX_MOBILITY_MS_AWAY      2
#define NGX_MOBILITY_MS_NONE      3

static int ngx_mobility_presence_due_index(ngx_mobility_store_t *st,
    MDB_txn *txn, const u_char *sip, size_t len, uint64_t due, int add);


#define NGX_MOBILITY_EPKEY_MAX                                                \
    (NGX_MOBILITY_SIP_MAX + 1 + NGX_MOBILITY_PRESENCE_EP_MAX)


static size_t
ngx_mobility_presence_ep_key(u_char *buf, const u_char *sip, size_t len,
    const u_char *ep, size_t eplen)
{
    memcpy(buf, sip, len);
    buf[len] = '\0';
    memcpy(buf + len + 1, ep, eplen);

    return len + 1 + eplen;
}


static int
ngx_mobility_presence_check(ngx_mobility_store_t *st, size_t len,
    size_t eplen)
{
    if (len == 0 || len > NGX_MOBILITY_SIP_MAX
        || eplen > NGX_MOBILITY_PRESENCE_EP_MAX)
    {
        strcpy(st->err, "invalid presence key");
        return -1;
    }

    return 0;
}


int
ngx_mobility_presence_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_presence_t *p)
{
    int                   rc;
    MDB_val               k, v;
    ngx_mobility_bytes_t  b;

    memset(p, 0, offsetof(ngx_mobility_presence_t, note));
    p->location_len = 0;

    if (ngx_mobility_presence_check(st, len, 0) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    k.mv_data = (void *) sip;
    k.mv_size = len;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_OK;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading presence", rc);
    }

    if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                               NGX_MOBILITY_REC_PRESENCE)
        != 0)
    {
        strcpy(st->err, "presence record is corrupt");
        return NGX_MOBILITY_ERROR;
    }

    p->chosen = (unsigned) ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                                    NGX_MOBILITY_P_CHOSEN, 0);
    p->published = (unsigned) ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                                NGX_MOBILITY_P_PUBLISHED, 0);
    p->published_at = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                               NGX_MOBILITY_P_PUBLISHED_AT,
                                               0);
    p->last_active = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                              NGX_MOBILITY_P_LAST_ACTIVE, 0);
    p->due = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                      NGX_MOBILITY_P_DUE, 0);
    p->updated = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                          NGX_MOBILITY_P_UPDATED, 0);
    p->note_type = (unsigned) ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                                 NGX_MOBILITY_P_NOTE_TYPE, 0);

    if (p->chosen >= NGX_MOBILITY_AV_COUNT) {
        p->chosen = NGX_MOBILITY_AV_NONE;
    }

    if (p->published >= NGX_MOBILITY_AV_COUNT) {
        p->published = NGX_MOBILITY_AV_NONE;
    }

    ngx_mobility_rec_get(v.mv_data, v.mv_size, NGX_MOBILITY_P_NOTE, &b);
    p->note_len = b.len < NGX_MOBILITY_NOTE_MAX ? b.len : 0;
    memcpy(p->note, b.data, p->note_len);

    ngx_mobility_rec_get(v.mv_data, v.mv_size, NGX_MOBILITY_P_LOCATION, &b);
    p->location_len = b.len < NGX_MOBILITY_LOCATION_MAX ? b.len : 0;
    memcpy(p->location, b.data, p->location_len);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_presence_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_presence_t *p)
{
    int                        rc;
    u_char                     buf[NGX_MOBILITY_NOTE_MAX
                                   + NGX_MOBILITY_LOCATION_MAX + 256];
    MDB_val                    k, v;
    ngx_mobility_rec_writer_t  w;

    if (ngx_mobility_presence_check(st, len, 0) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_begin(&w, buf, sizeof(buf), NGX_MOBILITY_REC_PRESENCE);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_P_CHOSEN, p->chosen);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_P_PUBLISHED, p->published);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_P_PUBLISHED_AT,
                             p->published_at);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_P_LAST_ACTIVE, p->last_active);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_P_DUE, p->due);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_P_UPDATED, p->updated);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_P_NOTE_TYPE, p->note_type);

    if (p->note_len) {
        ngx_mobility_rec_put(&w, NGX_MOBILITY_P_NOTE, p->note, p->note_len);
    }

    if (p->location_len) {
        ngx_mobility_rec_put(&w, NGX_MOBILITY_P_LOCATION, p->location,
                             p->location_len);
    }

    if (w.overflow) {
        strcpy(st->err, "presence record is too large");
        return NGX_MOBILITY_ERROR;
    }

    k.mv_data = (void *) sip;
    k.mv_size = len;
    v.mv_data = buf;
    v.mv_size = w.len;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing presence", rc);
    }

    return NGX_MOBILITY_OK;
}


static void
ngx_mobility_presence_ep_decode(MDB_val *v, ngx_mobility_presence_ep_t *e)
{
    e->signed_in = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                            NGX_MOBILITY_PE_SIGNED_IN, 0);
    e->last_activity = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                                NGX_MOBILITY_PE_LAST_ACTIVITY,
                                                0);
    e->inactive = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                           NGX_MOBILITY_PE_INACTIVE,
                                           5 * 60 * 1000);
    e->away = ngx_mobility_rec_get_u64(v->mv_data, v->mv_size,
                                       NGX_MOBILITY_PE_AWAY, 5 * 60 * 1000);
}


int
ngx_mobility_presence_ep_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, const u_char *ep, size_t eplen,
    ngx_mobility_presence_ep_t *e)
{
    int      rc;
    u_char   kb[NGX_MOBILITY_EPKEY_MAX];
    MDB_val  k, v;

    memset(e, 0, sizeof(ngx_mobility_presence_ep_t));

    if (ngx_mobility_presence_check(st, len, eplen) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    k.mv_data = kb;
    k.mv_size = ngx_mobility_presence_ep_key(kb, sip, len, ep, eplen);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_EPS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a presence endpoint", rc);
    }

    if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                               NGX_MOBILITY_REC_PRESENCE_EP)
        != 0)
    {
        strcpy(st->err, "presence endpoint record is corrupt");
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_presence_ep_decode(&v, e);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_presence_ep_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, const u_char *ep, size_t eplen,
    ngx_mobility_presence_ep_t *e)
{
    int                        rc;
    u_char                     kb[NGX_MOBILITY_EPKEY_MAX], buf[128];
    MDB_val                    k, v;
    ngx_mobility_rec_writer_t  w;

    if (ngx_mobility_presence_check(st, len, eplen) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_begin(&w, buf, sizeof(buf),
                           NGX_MOBILITY_REC_PRESENCE_EP);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PE_SIGNED_IN, e->signed_in);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PE_LAST_ACTIVITY,
                             e->last_activity);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PE_INACTIVE, e->inactive);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PE_AWAY, e->away);

    k.mv_data = kb;
    k.mv_size = ngx_mobility_presence_ep_key(kb, sip, len, ep, eplen);
    v.mv_data = buf;
    v.mv_size = w.len;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_EPS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a presence endpoint", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_presence_ep_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, const u_char *ep, size_t eplen)
{
    int      rc;
    u_char   kb[NGX_MOBILITY_EPKEY_MAX];
    MDB_val  k;

    if (ngx_mobility_presence_check(st, len, eplen) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    k.mv_data = kb;
    k.mv_size = ngx_mobility_presence_ep_key(kb, sip, len, ep, eplen);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_EPS], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a presence endpoint",
                                       rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_presence_unschedule(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, uint64_t due)
{
    if (ngx_mobility_presence_check(st, len, 0) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    return ngx_mobility_presence_due_index(st, txn, sip, len, due, 0);
}


static int
ngx_mobility_presence_due_index(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, uint64_t due, int add)
{
    int      rc;
    u_char   kb[8 + NGX_MOBILITY_SIP_MAX];
    MDB_val  k, v;

    ngx_mobility_put_be64(kb, due);
    memcpy(kb + 8, sip, len);

    k.mv_data = kb;
    k.mv_size = 8 + len;

    if (add) {
        v.mv_data = (void *) "";
        v.mv_size = 0;

        rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_DUE], &k, &v, 0);

    } else {
        rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_DUE], &k, NULL);

        if (rc == MDB_NOTFOUND) {
            rc = 0;
        }
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "updating the presence schedule",
                                       rc);
    }

    return NGX_MOBILITY_OK;
}


/* the best machine state of the user's endpoints, and its next change */
static int
ngx_mobility_presence_machine(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, uint64_t now, unsigned *state,
    uint64_t *due, uint64_t *last_active)
{
    int                          rc;
    u_char                       kb[NGX_MOBILITY_SIP_MAX + 1];
    unsigned                     s;
    uint64_t                     next, idle;
    MDB_val                      k, v;
    MDB_cursor                  *cur;
    ngx_mobility_presence_ep_t   e;

    *state = NGX_MOBILITY_MS_NONE;
    *due = 0;
    *last_active = 0;

    memcpy(kb, sip, len);
    kb[len] = '\0';

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_EPS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening presence endpoints", rc);
    }

    k.mv_data = kb;
    k.mv_size = len + 1;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size <= len + 1 || memcmp(k.mv_data, kb, len + 1) != 0) {
            break;
        }

        if (ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                   NGX_MOBILITY_REC_PRESENCE_EP)
            != 0)
        {
            continue;
        }

        ngx_mobility_presence_ep_decode(&v, &e);

        idle = (now > e.last_activity) ? now - e.last_activity : 0;

        if (idle < e.inactive) {
            s = NGX_MOBILITY_MS_ACTIVE;
            next = e.last_activity + e.inactive;

        } else if (idle < e.inactive + e.away) {
            s = NGX_MOBILITY_MS_INACTIVE;
            next = e.last_activity + e.inactive + e.away;

        } else {
            s = NGX_MOBILITY_MS_AWAY;
            next = 0;
        }

        if (s < *state) {
            *state = s;
        }

        if (next && (*due == 0 || next < *due)) {
            *due = next;
        }

        if (e.last_activity > *last_active) {
            *last_active = e.last_activity;
        }
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading presence endpoints", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_presence_state(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_presence_t *p, uint64_t now,
    unsigned *avail, uint64_t *next, uint64_t *last_active)
{
    unsigned  machine, av;
    uint64_t  due, last;

    if (ngx_mobility_presence_check(st, len, 0) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    if (ngx_mobility_presence_machine(st, txn, sip, len, now, &machine, &due,
                                      &last)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (machine == NGX_MOBILITY_MS_NONE) {
        av = NGX_MOBILITY_AV_OFFLINE;
        due = 0;

    } else {
        switch (p->chosen) {

        case NGX_MOBILITY_AV_BUSY:
            av = (machine == NGX_MOBILITY_MS_ACTIVE) ? NGX_MOBILITY_AV_BUSY
                 : (machine == NGX_MOBILITY_MS_INACTIVE)
                   ? NGX_MOBILITY_AV_IDLE_BUSY : NGX_MOBILITY_AV_AWAY;
            break;

        case NGX_MOBILITY_AV_DND:
        case NGX_MOBILITY_AV_BRB:
        case NGX_MOBILITY_AV_AWAY:
        case NGX_MOBILITY_AV_OFFWORK:
            /* a chosen state does not decay */
            av = p->chosen;
            due = 0;
            break;

        default:
            av = (machine == NGX_MOBILITY_MS_ACTIVE) ? NGX_MOBILITY_AV_ONLINE
                 : (machine == NGX_MOBILITY_MS_INACTIVE)
                   ? NGX_MOBILITY_AV_IDLE_ONLINE : NGX_MOBILITY_AV_AWAY;
            break;
        }
    }

    *avail = av;
    *next = due;
    *last_active = last;

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_presence_publish(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_presence_t *p, uint64_t now)
{
    unsigned  av;
    uint64_t  due, last;

    if (ngx_mobility_presence_state(st, txn, sip, len, p, now, &av, &due,
                                    &last)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (due != p->due) {
        if (p->due
            && ngx_mobility_presence_due_index(st, txn, sip, len, p->due, 0)
               != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }

        if (due
            && ngx_mobility_presence_due_index(st, txn, sip, len, due, 1)
               != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }

        p->due = due;
    }

    if (last) {
        p->last_active = last;
    }

    if (av == p->published) {
        return (ngx_mobility_presence_put(st, txn, sip, len, p)
                == NGX_MOBILITY_OK) ? 0 : NGX_MOBILITY_ERROR;
    }

    p->published = av;
    p->published_at = now;

    if (ngx_mobility_presence_put(st, txn, sip, len, p) != NGX_MOBILITY_OK) {
        return NGX_MOBILITY_ERROR;
    }

    return 1;
}


int
ngx_mobility_presence_next_due(ngx_mobility_store_t *st, MDB_txn *txn,
    uint64_t now, u_char *sip, uint64_t *next)
{
    int          rc, n;
    uint64_t     due;
    MDB_val      k, v;
    MDB_cursor  *cur;

    *next = 0;

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_PRESENCE_DUE], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening the presence schedule",
                                       rc);
    }

    n = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size <= 8 || k.mv_size > 8 + NGX_MOBILITY_SIP_MAX) {
            /* not ours: drop it so it cannot block the schedule */
            (void) mdb_cursor_del(cur, 0);
            continue;
        }

        due = ngx_mobility_be64(k.mv_data);

        if (due > now) {
            *next = due;
            break;
        }

        n = (int) (k.mv_size - 8);
        memcpy(sip, (u_char *) k.mv_data + 8, n);
        sip[n] = '\0';
        *next = due;
        break;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "reading the presence schedule",
                                       rc);
    }

    return n;
}
