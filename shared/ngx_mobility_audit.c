/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ngx_mobility_audit.h"
#include "ngx_mobility_record.h"


/* audit record tags; never reuse a number */
#define NGX_MOBILITY_A_TIME      1
#define NGX_MOBILITY_A_WHO       2
#define NGX_MOBILITY_A_VIA       3
#define NGX_MOBILITY_A_CLIENT    4
#define NGX_MOBILITY_A_ACTION    5
#define NGX_MOBILITY_A_TARGET    6
#define NGX_MOBILITY_A_BEFORE    7       /* compact JSON; absent: none */
#define NGX_MOBILITY_A_AFTER     8


static void
ngx_mobility_audit_put_str(ngx_mobility_rec_writer_t *w, uint16_t tag,
    const char *s)
{
    if (s && *s) {
        ngx_mobility_rec_put(w, tag, s, strlen(s));
    }
}


static void
ngx_mobility_audit_id(const u_char *key, char *id)
{
    snprintf(id, NGX_MOBILITY_AUDIT_ID_MAX, "%llu-%u",
             (unsigned long long) ngx_mobility_be64(key),
             ((unsigned) key[8] << 24) | ((unsigned) key[9] << 16)
             | ((unsigned) key[10] << 8) | key[11]);
}


int
ngx_mobility_audit_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_audit_entry_t *e, char *id)
{
    int                        rc;
    char                      *before, *after;
    u_char                     key[NGX_MOBILITY_AUDIT_KEY_LEN], *buf;
    size_t                     cap;
    MDB_val                    k, v;
    uint32_t                   seq;
    uint64_t                   ms, last;
    MDB_cursor                *cur;
    ngx_mobility_rec_writer_t  w;

    /* the next key: time, and a sequence within the millisecond */

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_AUDIT], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading the audit log", rc);
    }

    ms = e->time_ms;
    seq = 0;

    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);

    if (rc == 0 && k.mv_size == NGX_MOBILITY_AUDIT_KEY_LEN) {
        last = ngx_mobility_be64(k.mv_data);

        /* never before the last entry, even if the clock went back */
        if (last >= ms) {
            ms = last;
            seq = (((uint32_t) ((u_char *) k.mv_data)[8] << 24)
                   | ((uint32_t) ((u_char *) k.mv_data)[9] << 16)
                   | ((uint32_t) ((u_char *) k.mv_data)[10] << 8)
                   | ((u_char *) k.mv_data)[11]) + 1;
        }

    } else if (rc != 0 && rc != MDB_NOTFOUND) {
        mdb_cursor_close(cur);
        return ngx_mobility_store_fail(st, "reading the audit log", rc);
    }

    mdb_cursor_close(cur);

    ngx_mobility_put_be64(key, ms);
    key[8] = (u_char) (seq >> 24);
    key[9] = (u_char) (seq >> 16);
    key[10] = (u_char) (seq >> 8);
    key[11] = (u_char) seq;

    before = e->before ? json_dumps(e->before, JSON_COMPACT) : NULL;
    after = e->after ? json_dumps(e->after, JSON_COMPACT) : NULL;

    if ((e->before && before == NULL) || (e->after && after == NULL)) {
        free(before);
        free(after);
        snprintf(st->err, sizeof(st->err), "writing the audit log: out of "
                 "memory");
        return -1;
    }

    cap = 1024 + (before ? strlen(before) : 0) + (after ? strlen(after) : 0)
          + (e->who ? strlen(e->who) : 0) + (e->client ? strlen(e->client) : 0)
          + (e->action ? strlen(e->action) : 0)
          + (e->target ? strlen(e->target) : 0);

    buf = malloc(cap);
    if (buf == NULL) {
        free(before);
        free(after);
        snprintf(st->err, sizeof(st->err), "writing the audit log: out of "
                 "memory");
        return -1;
    }

    ngx_mobility_rec_begin(&w, buf, cap, NGX_MOBILITY_REC_AUDIT);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_A_TIME, e->time_ms);
    ngx_mobility_audit_put_str(&w, NGX_MOBILITY_A_WHO, e->who);
    ngx_mobility_audit_put_str(&w, NGX_MOBILITY_A_VIA, e->via);
    ngx_mobility_audit_put_str(&w, NGX_MOBILITY_A_CLIENT, e->client);
    ngx_mobility_audit_put_str(&w, NGX_MOBILITY_A_ACTION, e->action);
    ngx_mobility_audit_put_str(&w, NGX_MOBILITY_A_TARGET, e->target);
    ngx_mobility_audit_put_str(&w, NGX_MOBILITY_A_BEFORE, before);
    ngx_mobility_audit_put_str(&w, NGX_MOBILITY_A_AFTER, after);

    free(before);
    free(after);

    k.mv_data = key;
    k.mv_size = sizeof(key);
    v.mv_data = buf;
    v.mv_size = w.len;

    rc = w.overflow ? MDB_BAD_VALSIZE
                    : mdb_put(txn, st->dbi[NGX_MOBILITY_DB_AUDIT], &k, &v,
                              MDB_NOOVERWRITE);

    free(buf);

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing the audit log", rc);
    }

    if (id) {
        ngx_mobility_audit_id(key, id);
    }

    return 0;
}


static json_t *
ngx_mobility_audit_str(const u_char *rec, size_t len, uint16_t tag)
{
    json_t                *s;
    ngx_mobility_bytes_t   b;

    if (!ngx_mobility_rec_get(rec, len, tag, &b)) {
        return json_null();
    }

    s = json_stringn((const char *) b.data, b.len);

    /* not UTF-8: the entry is still listed */
    return s ? s : json_string("?");
}


static json_t *
ngx_mobility_audit_obj(const u_char *rec, size_t len, uint16_t tag)
{
    json_t                *j;
    ngx_mobility_bytes_t   b;

    if (!ngx_mobility_rec_get(rec, len, tag, &b)) {
        return json_null();
    }

    j = json_loadb((const char *) b.data, b.len, 0, NULL);

    return j ? j : json_stringn((const char *) b.data, b.len);
}


static json_t *
ngx_mobility_audit_json(const u_char *key, const u_char *rec, size_t len)
{
    char       id[NGX_MOBILITY_AUDIT_ID_MAX], t[40];
    json_t    *j, *s;
    time_t     tt;
    uint64_t   ms;
    struct tm  tm;

    ngx_mobility_audit_id(key, id);

    ms = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_A_TIME,
                                  ngx_mobility_be64(key));
    tt = (time_t) (ms / 1000);

    if (gmtime_r(&tt, &tm) == NULL
        || strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
    {
        t[0] = '\0';
    }

    j = json_object();
    if (j == NULL) {
        return NULL;
    }

    s = json_sprintf("%s.%03uZ", t, (unsigned) (ms % 1000));

    if (json_object_set_new(j, "Id", json_string(id)) != 0
        || json_object_set_new(j, "Time", s) != 0
        || json_object_set_new(j, "TimeMs", json_integer((json_int_t) ms))
           != 0
        || json_object_set_new(j, "Who",
               ngx_mobility_audit_str(rec, len, NGX_MOBILITY_A_WHO)) != 0
        || json_object_set_new(j, "Via",
               ngx_mobility_audit_str(rec, len, NGX_MOBILITY_A_VIA)) != 0
        || json_object_set_new(j, "Client",
               ngx_mobility_audit_str(rec, len, NGX_MOBILITY_A_CLIENT)) != 0
        || json_object_set_new(j, "Action",
               ngx_mobility_audit_str(rec, len, NGX_MOBILITY_A_ACTION)) != 0
        || json_object_set_new(j, "Target",
               ngx_mobility_audit_str(rec, len, NGX_MOBILITY_A_TARGET)) != 0
        || json_object_set_new(j, "Before",
               ngx_mobility_audit_obj(rec, len, NGX_MOBILITY_A_BEFORE)) != 0
        || json_object_set_new(j, "After",
               ngx_mobility_audit_obj(rec, len, NGX_MOBILITY_A_AFTER)) != 0)
    {
        json_decref(j);
        return NULL;
    }

    return j;
}


/* "<ms>-<seq>" into a key; -1 if malformed */
static int
ngx_mobility_audit_parse_id(const char *id, u_char *key)
{
    char                *end;
    unsigned long        seq;
    unsigned long long   ms;

    if (*id < '0' || *id > '9') {
        return -1;
    }

    ms = strtoull(id, &end, 10);

    if (*end != '-' || end[1] < '0' || end[1] > '9') {
        return -1;
    }

    seq = strtoul(end + 1, &end, 10);

    if (*end != '\0' || seq > 0xffffffffUL) {
        return -1;
    }

    ngx_mobility_put_be64(key, ms);
    key[8] = (u_char) (seq >> 24);
    key[9] = (u_char) (seq >> 16);
    key[10] = (u_char) (seq >> 8);
    key[11] = (u_char) seq;

    return 0;
}


json_t *
ngx_mobility_audit_list(ngx_mobility_store_t *st, MDB_txn *txn,
    size_t limit, const char *before, const char *target, int *rc)
{
    int                    r;
    u_char                 from[NGX_MOBILITY_AUDIT_KEY_LEN];
    json_t                *list, *j;
    size_t                 n;
    MDB_val                k, v;
    MDB_cursor            *cur;
    MDB_cursor_op          op;
    ngx_mobility_bytes_t   t;

    *rc = 0;

    if (limit == 0 || limit > NGX_MOBILITY_AUDIT_LIST_MAX) {
        limit = NGX_MOBILITY_AUDIT_LIST_MAX;
    }

    list = json_array();
    if (list == NULL) {
        goto nomem;
    }

    r = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_AUDIT], &cur);
    if (r != 0) {
        json_decref(list);
        *rc = ngx_mobility_store_fail(st, "reading the audit log", r);
        return NULL;
    }

    if (before && *before) {
        if (ngx_mobility_audit_parse_id(before, from) != 0) {
            /* not an id we issued: nothing comes before it */
            mdb_cursor_close(cur);
            return list;
        }

        k.mv_data = from;
        k.mv_size = sizeof(from);

        r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

        if (r == 0) {
            op = MDB_PREV;
            r = mdb_cursor_get(cur, &k, &v, MDB_PREV);

        } else {
            op = MDB_PREV;
            r = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        }

    } else {
        op = MDB_PREV;
        r = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    }

    for (n = 0; r == 0 && n < limit; r = mdb_cursor_get(cur, &k, &v, op)) {

        if (k.mv_size != NGX_MOBILITY_AUDIT_KEY_LEN
            || ngx_mobility_rec_check(v.mv_data, v.mv_size,
                                      NGX_MOBILITY_REC_AUDIT) != 0)
        {
            continue;
        }

        if (target && *target) {
            ngx_mobility_rec_get(v.mv_data, v.mv_size, NGX_MOBILITY_A_TARGET,
                                 &t);

            if (t.len != strlen(target)
                || strncasecmp((const char *) t.data, target, t.len) != 0)
            {
                continue;
            }
        }

        j = ngx_mobility_audit_json(k.mv_data, v.mv_data, v.mv_size);

        if (j == NULL || json_array_append_new(list, j) != 0) {
            mdb_cursor_close(cur);
            json_decref(list);
            goto nomem;
        }

        n++;
    }

    mdb_cursor_close(cur);

    if (r != 0 && r != MDB_NOTFOUND) {
        json_decref(list);
        *rc = ngx_mobility_store_fail(st, "reading the audit log", r);
        return NULL;
    }

    return list;

nomem:

    snprintf(st->err, sizeof(st->err), "reading the audit log: out of "
             "memory");
    *rc = -1;

    return NULL;
}
