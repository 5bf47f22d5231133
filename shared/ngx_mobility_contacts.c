/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ngx_mobility_contacts.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_kv.h"


#define NGX_MOBILITY_CONTACT_KEY_MAX                                          \
    (NGX_MOBILITY_SIP_MAX + 1 + 4 + NGX_MOBILITY_SIP_MAX)

/* group record tags; never reuse a number */
#define NGX_MOBILITY_G_NAME     1
#define NGX_MOBILITY_G_KIND     2
#define NGX_MOBILITY_G_CREATED  3


static MDB_val
ngx_mobility_cval(const void *data, size_t len)
{
    MDB_val  v;

    v.mv_data = (void *) data;
    v.mv_size = len;

    return v;
}


/* owner NUL [gid (u32 BE) [sip]]; returns the length, 0 if too long */
static size_t
ngx_mobility_contact_key(u_char *buf, const u_char *owner, size_t olen,
    int with_gid, uint32_t gid, const u_char *sip, size_t len)
{
    u_char  *p;

    if (olen == 0 || olen > NGX_MOBILITY_SIP_MAX
        || len > NGX_MOBILITY_SIP_MAX)
    {
        return 0;
    }

    p = buf;
    memcpy(p, owner, olen);
    p += olen;
    *p++ = '\0';

    if (with_gid) {
        *p++ = (u_char) (gid >> 24);
        *p++ = (u_char) (gid >> 16);
        *p++ = (u_char) (gid >> 8);
        *p++ = (u_char) gid;

        if (len) {
            memcpy(p, sip, len);
            p += len;
        }
    }

    return p - buf;
}


static uint32_t
ngx_mobility_key_gid(const u_char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}


static void
ngx_mobility_group_system(uint32_t gid, ngx_mobility_group_t *g)
{
    const char  *name;

    name = (gid == NGX_MOBILITY_GROUP_DEFAULT) ? "Other Contacts"
                                               : "Favorites";

    memset(g, 0, offsetof(ngx_mobility_group_t, name));
    g->id = gid;
    g->kind = (gid == NGX_MOBILITY_GROUP_DEFAULT)
              ? NGX_MOBILITY_GROUP_KIND_DEFAULT
              : NGX_MOBILITY_GROUP_KIND_PINNED;
    g->name_len = strlen(name);
    memcpy(g->name, name, g->name_len);
    g->created = 0;
}


static int
ngx_mobility_group_decode(uint32_t gid, const u_char *rec, size_t len,
    ngx_mobility_group_t *g)
{
    ngx_mobility_bytes_t  b;

    if (ngx_mobility_rec_check(rec, len, NGX_MOBILITY_REC_CONTACT_GROUP)
        != 0)
    {
        return NGX_MOBILITY_ERROR;
    }

    g->id = gid;
    g->kind = (unsigned) ngx_mobility_rec_get_u64(rec, len,
                                                  NGX_MOBILITY_G_KIND, 0);
    g->created = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_G_CREATED,
                                          0);
    g->name_len = 0;

    if (ngx_mobility_rec_get(rec, len, NGX_MOBILITY_G_NAME, &b)
        && b.len <= NGX_MOBILITY_GROUP_NAME_MAX)
    {
        memcpy(g->name, b.data, b.len);
        g->name_len = b.len;
    }

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_group_write(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, ngx_mobility_group_t *g)
{
    int                        rc;
    u_char                     key[NGX_MOBILITY_CONTACT_KEY_MAX];
    u_char                     buf[NGX_MOBILITY_GROUP_NAME_MAX + 64];
    size_t                     klen;
    MDB_val                    k, v;
    ngx_mobility_bytes_t       b;
    ngx_mobility_rec_writer_t  w;

    klen = ngx_mobility_contact_key(key, owner, olen, 1, g->id, NULL, 0);
    if (klen == 0) {
        snprintf(st->err, sizeof(st->err), "invalid contact list key");
        return NGX_MOBILITY_ERROR;
    }

    b.data = g->name;
    b.len = g->name_len;

    ngx_mobility_rec_begin(&w, buf, sizeof(buf),
                           NGX_MOBILITY_REC_CONTACT_GROUP);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_G_NAME, &b);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_G_KIND, g->kind);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_G_CREATED, g->created);

    k = ngx_mobility_cval(key, klen);
    v = ngx_mobility_cval(buf, w.len);

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_GROUPS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a contact group", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_group_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, ngx_mobility_group_t *g)
{
    int      rc;
    u_char   key[NGX_MOBILITY_CONTACT_KEY_MAX];
    size_t   klen;
    MDB_val  k, v;

    klen = ngx_mobility_contact_key(key, owner, olen, 1, gid, NULL, 0);
    if (klen == 0 || gid == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k = ngx_mobility_cval(key, klen);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_GROUPS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        if (gid == NGX_MOBILITY_GROUP_DEFAULT
            || gid == NGX_MOBILITY_GROUP_PINNED)
        {
            ngx_mobility_group_system(gid, g);
            return NGX_MOBILITY_OK;
        }

        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a contact group", rc);
    }

    return ngx_mobility_group_decode(gid, v.mv_data, v.mv_size, g);
}


int
ngx_mobility_groups_walk(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, ngx_mobility_group_pt cb, void *ctx)
{
    int                   rc, stop;
    u_char                key[NGX_MOBILITY_CONTACT_KEY_MAX];
    size_t                klen;
    uint32_t              gid;
    MDB_val               k, v;
    MDB_cursor           *cur;
    ngx_mobility_group_t  g;

    for (gid = NGX_MOBILITY_GROUP_DEFAULT; gid < NGX_MOBILITY_GROUP_FIRST_USER;
         gid++)
    {
        rc = ngx_mobility_group_get(st, txn, owner, olen, gid, &g);
        if (rc != NGX_MOBILITY_OK) {
            return NGX_MOBILITY_ERROR;
        }

        if (cb(ctx, &g) != 0) {
            return NGX_MOBILITY_OK;
        }
    }

    klen = ngx_mobility_contact_key(key, owner, olen, 1,
                                    NGX_MOBILITY_GROUP_FIRST_USER, NULL, 0);
    if (klen == 0) {
        return NGX_MOBILITY_OK;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_GROUPS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "listing contact groups", rc);
    }

    k = ngx_mobility_cval(key, klen);
    stop = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && !stop;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size != olen + 5 || memcmp(k.mv_data, key, olen + 1) != 0) {
            break;
        }

        gid = ngx_mobility_key_gid((u_char *) k.mv_data + olen + 1);

        if (ngx_mobility_group_decode(gid, v.mv_data, v.mv_size, &g) != 0) {
            continue;
        }

        stop = cb(ctx, &g);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "listing contact groups", rc);
    }

    return NGX_MOBILITY_OK;
}


typedef struct {
    const u_char  *name;
    size_t         len;
    uint32_t       last;
    unsigned       n;
    unsigned       found;
} ngx_mobility_group_scan_t;


static int
ngx_mobility_group_scan(void *ctx, ngx_mobility_group_t *g)
{
    ngx_mobility_group_scan_t  *s = ctx;

    if (g->name_len == s->len
        && strncasecmp((const char *) g->name, (const char *) s->name,
                       s->len) == 0)
    {
        s->found = g->id;
    }

    if (g->id > s->last) {
        s->last = g->id;
    }

    s->n++;

    return 0;
}


int
ngx_mobility_group_create(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, ngx_mobility_group_t *g, uint64_t now)
{
    ngx_mobility_group_scan_t  s;

    memset(&s, 0, sizeof(s));
    s.name = g->name;
    s.len = g->name_len;

    if (ngx_mobility_groups_walk(st, txn, owner, olen,
                                 ngx_mobility_group_scan, &s)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (s.found) {
        g->id = s.found;
        return NGX_MOBILITY_EXISTS;
    }

    if (s.n >= NGX_MOBILITY_GROUPS_MAX) {
        snprintf(st->err, sizeof(st->err), "limit");
        return NGX_MOBILITY_ERROR;
    }

    g->id = s.last + 1;
    g->kind = NGX_MOBILITY_GROUP_USER;
    g->created = now;

    return ngx_mobility_group_write(st, txn, owner, olen, g);
}


int
ngx_mobility_group_rename(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *name,
    size_t len)
{
    int                        rc;
    ngx_mobility_group_t       g;
    ngx_mobility_group_scan_t  s;

    rc = ngx_mobility_group_get(st, txn, owner, olen, gid, &g);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (g.kind != NGX_MOBILITY_GROUP_USER || len == 0
        || len > NGX_MOBILITY_GROUP_NAME_MAX)
    {
        return NGX_MOBILITY_EXISTS;
    }

    memset(&s, 0, sizeof(s));
    s.name = name;
    s.len = len;

    if (ngx_mobility_groups_walk(st, txn, owner, olen,
                                 ngx_mobility_group_scan, &s)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (s.found && s.found != gid) {
        return NGX_MOBILITY_EXISTS;
    }

    memmove(g.name, name, len);
    g.name_len = len;

    return ngx_mobility_group_write(st, txn, owner, olen, &g);
}


int
ngx_mobility_members_walk(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid,
    ngx_mobility_member_pt cb, void *ctx)
{
    int          rc, stop;
    u_char       key[NGX_MOBILITY_CONTACT_KEY_MAX];
    size_t       klen, plen;
    MDB_val      k, v;
    MDB_cursor  *cur;

    klen = ngx_mobility_contact_key(key, owner, olen, gid != 0, gid, NULL, 0);
    if (klen == 0) {
        return NGX_MOBILITY_OK;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_MEMBERS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "listing contacts", rc);
    }

    k = ngx_mobility_cval(key, klen);
    plen = klen;
    stop = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && !stop;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size <= olen + 5 || memcmp(k.mv_data, key, plen) != 0) {
            break;
        }

        stop = cb(ctx, ngx_mobility_key_gid((u_char *) k.mv_data + olen + 1),
                  (u_char *) k.mv_data + olen + 5, k.mv_size - olen - 5);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "listing contacts", rc);
    }

    return NGX_MOBILITY_OK;
}


typedef struct {
    const u_char  *sip;
    size_t         len;
    unsigned       n;
    unsigned       found;
    uint32_t       gids[NGX_MOBILITY_GROUPS_MAX + 2];
    unsigned       ngids;
} ngx_mobility_member_scan_t;


static int
ngx_mobility_member_scan(void *ctx, uint32_t gid, const u_char *sip,
    size_t len)
{
    ngx_mobility_member_scan_t  *s = ctx;

    s->n++;

    if (len == s->len && memcmp(sip, s->sip, len) == 0) {
        s->found++;

        if (s->ngids < NGX_MOBILITY_GROUPS_MAX + 2) {
            s->gids[s->ngids++] = gid;
        }
    }

    return 0;
}


int
ngx_mobility_contact_known(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, const u_char *sip, size_t len)
{
    ngx_mobility_member_scan_t  s;

    memset(&s, 0, sizeof(s));
    s.sip = sip;
    s.len = len;

    if (ngx_mobility_members_walk(st, txn, owner, olen, 0,
                                  ngx_mobility_member_scan, &s)
        != NGX_MOBILITY_OK)
    {
        return -1;
    }

    return s.found ? 1 : 0;
}


int
ngx_mobility_member_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *sip,
    size_t len, uint64_t now)
{
    int                         rc;
    u_char                      key[NGX_MOBILITY_CONTACT_KEY_MAX];
    size_t                      klen;
    MDB_val                     k, v;
    ngx_mobility_group_t        g;
    ngx_mobility_member_scan_t  s;

    rc = ngx_mobility_group_get(st, txn, owner, olen, gid, &g);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    klen = ngx_mobility_contact_key(key, owner, olen, 1, gid, sip, len);
    if (klen == 0 || len == 0) {
        snprintf(st->err, sizeof(st->err), "invalid contact key");
        return NGX_MOBILITY_ERROR;
    }

    memset(&s, 0, sizeof(s));
    s.sip = sip;
    s.len = len;

    if (ngx_mobility_members_walk(st, txn, owner, olen, 0,
                                  ngx_mobility_member_scan, &s)
        != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    if (s.n >= NGX_MOBILITY_CONTACTS_MAX) {
        snprintf(st->err, sizeof(st->err), "limit");
        return NGX_MOBILITY_ERROR;
    }

    /* the system groups exist in the store once they have a member */

    if (g.kind != NGX_MOBILITY_GROUP_USER && g.created == 0) {
        g.created = now;

        if (ngx_mobility_group_write(st, txn, owner, olen, &g)
            != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }
    }

    k = ngx_mobility_cval(key, klen);
    v = ngx_mobility_cval("", 0);

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_MEMBERS], &k, &v,
                 MDB_NOOVERWRITE);

    if (rc == MDB_KEYEXIST) {
        return NGX_MOBILITY_EXISTS;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "adding a contact", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_member_exists(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *sip,
    size_t len)
{
    int      rc;
    u_char   key[NGX_MOBILITY_CONTACT_KEY_MAX];
    size_t   klen;
    MDB_val  k, v;

    klen = ngx_mobility_contact_key(key, owner, olen, 1, gid, sip, len);
    if (klen == 0 || len == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k = ngx_mobility_cval(key, klen);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_MEMBERS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a contact", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_member_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid, const u_char *sip,
    size_t len)
{
    int      rc;
    u_char   key[NGX_MOBILITY_CONTACT_KEY_MAX];
    size_t   klen;
    MDB_val  k;

    klen = ngx_mobility_contact_key(key, owner, olen, 1, gid, sip, len);
    if (klen == 0 || len == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    k = ngx_mobility_cval(key, klen);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_MEMBERS], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a contact", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_member_del_all(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, const u_char *sip, size_t len)
{
    unsigned                    i;
    ngx_mobility_member_scan_t  s;

    memset(&s, 0, sizeof(s));
    s.sip = sip;
    s.len = len;

    if (ngx_mobility_members_walk(st, txn, owner, olen, 0,
                                  ngx_mobility_member_scan, &s)
        != NGX_MOBILITY_OK)
    {
        return -1;
    }

    for (i = 0; i < s.ngids; i++) {
        if (ngx_mobility_member_del(st, txn, owner, olen, s.gids[i], sip, len)
            == NGX_MOBILITY_ERROR)
        {
            return -1;
        }
    }

    return (int) s.ngids;
}


int
ngx_mobility_group_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *owner, size_t olen, uint32_t gid)
{
    int                   rc;
    u_char                key[NGX_MOBILITY_CONTACT_KEY_MAX];
    size_t                klen;
    MDB_val               k, v;
    MDB_cursor           *cur;
    ngx_mobility_group_t  g;

    rc = ngx_mobility_group_get(st, txn, owner, olen, gid, &g);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (g.kind != NGX_MOBILITY_GROUP_USER) {
        return NGX_MOBILITY_EXISTS;
    }

    /* the memberships: owner NUL gid ... */

    klen = ngx_mobility_contact_key(key, owner, olen, 1, gid, NULL, 0);

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_MEMBERS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a contact group", rc);
    }

    k = ngx_mobility_cval(key, klen);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE))
    {
        if (k.mv_size <= klen || memcmp(k.mv_data, key, klen) != 0) {
            break;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }

        k = ngx_mobility_cval(key, klen);
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing a contact group", rc);
    }

    k = ngx_mobility_cval(key, klen);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_GROUPS], &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing a contact group", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_contacts_forget(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len)
{
    int            rc, removed;
    u_char         own[NGX_MOBILITY_SIP_MAX + 1];
    u_char        *p, *nul;
    MDB_val        k, v;
    MDB_cursor    *cur;
    MDB_cursor_op  op;

    if (len == 0 || len > NGX_MOBILITY_SIP_MAX) {
        return 0;
    }

    /* the memberships of sip in every list: owner NUL gid(u32 BE) sip */
    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_CONTACT_MEMBERS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "opening a cursor", rc);
    }

    removed = 0;

    for (op = MDB_FIRST; /* void */ ; op = MDB_NEXT) {

        rc = mdb_cursor_get(cur, &k, &v, op);
        if (rc != 0) {
            break;
        }

        p = k.mv_data;
        nul = memchr(p, '\0', k.mv_size);

        if (nul == NULL
            || (size_t) (p + k.mv_size - (nul + 5)) != len
            || memcmp(nul + 5, sip, len) != 0)
        {
            continue;
        }

        /* the user's own list goes below, as a whole */
        if ((size_t) (nul - p) == len && memcmp(p, sip, len) == 0) {
            continue;
        }

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }

        removed++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing memberships", rc);
    }

    /* the user's own groups and memberships: sip NUL ... */
    memcpy(own, sip, len);
    own[len] = '\0';

    if (ngx_mobility_kv_del_prefix(st, txn,
                                   st->dbi[NGX_MOBILITY_DB_CONTACT_MEMBERS],
                                   own, len + 1, 0, "removing a contact list")
        != NGX_MOBILITY_OK
        || ngx_mobility_kv_del_prefix(st, txn,
                                   st->dbi[NGX_MOBILITY_DB_CONTACT_GROUPS],
                                   own, len + 1, 0, "removing a contact list")
           != NGX_MOBILITY_OK)
    {
        return -1;
    }

    return removed;
}
