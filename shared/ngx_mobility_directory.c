/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ngx_mobility_directory.h"


#define ngx_mobility_user_off(f)  offsetof(ngx_mobility_user_t, f)


const ngx_mobility_user_field_t  ngx_mobility_user_fields[] = {
    { "name", NGX_MOBILITY_U_NAME, ngx_mobility_user_off(name) },
    { "email", NGX_MOBILITY_U_EMAIL, ngx_mobility_user_off(email) },
    { "title", NGX_MOBILITY_U_TITLE, ngx_mobility_user_off(title) },
    { "department", NGX_MOBILITY_U_DEPARTMENT,
      ngx_mobility_user_off(department) },
    { "company", NGX_MOBILITY_U_COMPANY, ngx_mobility_user_off(company) },
    { "office", NGX_MOBILITY_U_OFFICE, ngx_mobility_user_off(office) },
    { "work_phone", NGX_MOBILITY_U_PHONE_WORK,
      ngx_mobility_user_off(phone_work) },
    { "mobile_phone", NGX_MOBILITY_U_PHONE_MOBILE,
      ngx_mobility_user_off(phone_mobile) },
    { "home_phone", NGX_MOBILITY_U_PHONE_HOME,
      ngx_mobility_user_off(phone_home) },
    { "other_phone", NGX_MOBILITY_U_PHONE_OTHER,
      ngx_mobility_user_off(phone_other) },
    { "site", NGX_MOBILITY_U_SITE, ngx_mobility_user_off(site) },
    { "pool", NGX_MOBILITY_U_POOL, ngx_mobility_user_off(pool) },
    { "policy", NGX_MOBILITY_U_POLICY, ngx_mobility_user_off(policy) },
    { NULL, 0, 0 }
};


static MDB_val
ngx_mobility_val(const void *data, size_t len)
{
    MDB_val  v;

    v.mv_data = (void *) data;
    v.mv_size = len;

    return v;
}


int
ngx_mobility_user_decode(const u_char *rec, size_t len,
    ngx_mobility_user_t *u)
{
    const ngx_mobility_user_field_t  *f;

    memset(u, 0, sizeof(ngx_mobility_user_t));

    if (ngx_mobility_rec_check(rec, len, NGX_MOBILITY_REC_USER) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_U_SIP, &u->sip);

    for (f = ngx_mobility_user_fields; f->name; f++) {
        ngx_mobility_rec_get(rec, len, f->tag,
                             ngx_mobility_user_field(u, f));
    }

    ngx_mobility_rec_get(rec, len, NGX_MOBILITY_U_PASSWORD, &u->password);

    u->enabled = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_U_ENABLED, 1)
                 ? 1 : 0;
    u->auth_gen = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_U_AUTH_GEN,
                                           0);
    u->created = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_U_CREATED, 0);
    u->updated = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_U_UPDATED, 0);

    /* absent in records written before the flag existed: not an admin */
    u->admin = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_U_ADMIN, 0)
               ? 1 : 0;

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_user_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_user_t *u)
{
    int      rc;
    MDB_val  k, v;

    k = ngx_mobility_val(sip, len);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_USERS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a user", rc);
    }

    if (ngx_mobility_user_decode(v.mv_data, v.mv_size, u) != 0) {
        snprintf(st->err, sizeof(st->err), "user record \"%.*s\" is corrupt",
                 (int) len, sip);
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_email_key(const ngx_mobility_bytes_t *email, u_char *out)
{
    size_t  i;

    if (email->len == 0 || email->len > NGX_MOBILITY_FIELD_MAX) {
        return 0;
    }

    for (i = 0; i < email->len; i++) {
        out[i] = (email->data[i] >= 'A' && email->data[i] <= 'Z')
                 ? (u_char) (email->data[i] | 0x20) : email->data[i];
    }

    return (int) email->len;
}


int
ngx_mobility_user_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_user_t *u, int create)
{
    int                               rc, n, oldkey_len;
    u_char                            buf[NGX_MOBILITY_USER_REC_MAX];
    u_char                            ekey[NGX_MOBILITY_FIELD_MAX];
    u_char                            oldkey[NGX_MOBILITY_FIELD_MAX];
    u_char                            sip[NGX_MOBILITY_SIP_MAX];
    size_t                            sip_len;
    MDB_val                           k, v;
    ngx_mobility_user_t               old;
    ngx_mobility_rec_writer_t         w;
    const ngx_mobility_user_field_t  *f;

    /*
     * u's fields may point into the map, into a page this transaction
     * already changed: copy what is written before anything is written,
     * as LMDB may move that page's contents under a key it is given.
     */

    if (u->sip.len == 0 || u->sip.len > sizeof(sip)) {
        snprintf(st->err, sizeof(st->err), "invalid user key");
        return NGX_MOBILITY_ERROR;
    }

    sip_len = u->sip.len;
    memcpy(sip, u->sip.data, sip_len);

    ngx_mobility_rec_begin(&w, buf, sizeof(buf), NGX_MOBILITY_REC_USER);
    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_U_SIP, &u->sip);

    for (f = ngx_mobility_user_fields; f->name; f++) {
        ngx_mobility_rec_put_bytes(&w, f->tag, ngx_mobility_user_field(u, f));
    }

    ngx_mobility_rec_put_bytes(&w, NGX_MOBILITY_U_PASSWORD, &u->password);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_U_ENABLED, u->enabled);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_U_AUTH_GEN, u->auth_gen);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_U_CREATED, u->created);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_U_UPDATED, u->updated);

    if (u->admin) {
        ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_U_ADMIN, 1);
    }

    if (w.overflow) {
        snprintf(st->err, sizeof(st->err), "user \"%.*s\" is too large",
                 (int) u->sip.len, u->sip.data);
        return NGX_MOBILITY_ERROR;
    }

    n = ngx_mobility_email_key(&u->email, ekey);

    /* drop the e-mail index entry of the previous version */

    rc = ngx_mobility_user_get(st, txn, sip, sip_len, &old);

    if (rc == NGX_MOBILITY_ERROR) {
        return rc;
    }

    if (rc == NGX_MOBILITY_OK) {
        if (create) {
            return NGX_MOBILITY_EXISTS;
        }

        oldkey_len = ngx_mobility_email_key(&old.email, oldkey);

        if (oldkey_len) {
            k = ngx_mobility_val(oldkey, oldkey_len);
            rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_USER_EMAIL], &k, NULL);
            if (rc != 0 && rc != MDB_NOTFOUND) {
                return ngx_mobility_store_fail(st, "updating e-mail index",
                                               rc);
            }
        }
    }

    k = ngx_mobility_val(sip, sip_len);
    v = ngx_mobility_val(buf, w.len);

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_USERS], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a user", rc);
    }

    if (n) {
        k = ngx_mobility_val(ekey, n);
        v = ngx_mobility_val(sip, sip_len);

        rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_USER_EMAIL], &k, &v, 0);
        if (rc != 0) {
            return ngx_mobility_store_fail(st, "writing e-mail index", rc);
        }
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_user_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len)
{
    int                  rc, n;
    u_char               ekey[NGX_MOBILITY_FIELD_MAX];
    MDB_val              k;
    ngx_mobility_user_t  old;

    rc = ngx_mobility_user_get(st, txn, sip, len, &old);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    n = ngx_mobility_email_key(&old.email, ekey);

    if (n) {
        k = ngx_mobility_val(ekey, n);
        rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_USER_EMAIL], &k, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            return ngx_mobility_store_fail(st, "updating e-mail index", rc);
        }
    }

    k = ngx_mobility_val(sip, len);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_USERS], &k, NULL);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a user", rc);
    }

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_user_exists(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len)
{
    int      rc;
    MDB_val  k, v;

    k = ngx_mobility_val(sip, len);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_USERS], &k, &v);

    if (rc == 0) {
        return 1;
    }

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    return ngx_mobility_store_fail(st, "reading a user", rc);
}


/* "CONTOSO\alice": a domain whose first label is "contoso" */
static int
ngx_mobility_user_resolve_netbios(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *nb, size_t nblen, const u_char *user, size_t ulen,
    u_char *out)
{
    int          rc, n, found;
    MDB_val      k, v;
    MDB_cursor  *cur;

    if (ulen == 0 || ulen > NGX_MOBILITY_FIELD_MAX) {
        return 0;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_DOMAINS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "listing domains", rc);
    }

    found = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size <= nblen
            || ((u_char *) k.mv_data)[nblen] != '.'
            || strncasecmp(k.mv_data, (const char *) nb, nblen) != 0
            || ulen + 1 + k.mv_size > NGX_MOBILITY_SIP_MAX)
        {
            continue;
        }

        memcpy(out, user, ulen);
        out[ulen] = '@';
        memcpy(out + ulen + 1, k.mv_data, k.mv_size);
        n = (int) (ulen + 1 + k.mv_size);
        out[n] = '\0';

        if (ngx_mobility_sip_canon(out, n, out, NULL) < 0) {
            continue;
        }

        rc = ngx_mobility_user_exists(st, txn, out, n);
        if (rc != 0) {
            found = (rc > 0) ? n : -1;
            break;
        }
    }

    mdb_cursor_close(cur);

    return found;
}


int
ngx_mobility_user_resolve_login(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *login, size_t len, u_char *out)
{
    int            rc, n;
    u_char         ekey[NGX_MOBILITY_FIELD_MAX];
    MDB_val        k, v;
    const u_char  *bs;

    bs = memchr(login, '\\', len);

    if (bs) {
        return ngx_mobility_user_resolve_netbios(st, txn, login, bs - login,
                                                 bs + 1,
                                                 len - (bs - login) - 1, out);
    }

    n = ngx_mobility_sip_canon(login, len, out, NULL);

    if (n > 0) {
        rc = ngx_mobility_user_exists(st, txn, out, n);
        if (rc != 0) {
            return (rc > 0) ? n : -1;
        }
    }

    /* a UPN or e-mail address that differs from the SIP address */

    if (len == 0 || len > NGX_MOBILITY_FIELD_MAX) {
        return 0;
    }

    {
        ngx_mobility_bytes_t  e;

        e.data = login;
        e.len = len;
        n = ngx_mobility_email_key(&e, ekey);
    }

    k = ngx_mobility_val(ekey, n);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_USER_EMAIL], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading e-mail index", rc);
    }

    if (v.mv_size > NGX_MOBILITY_SIP_MAX) {
        return 0;
    }

    memcpy(out, v.mv_data, v.mv_size);
    out[v.mv_size] = '\0';

    return (int) v.mv_size;
}


int
ngx_mobility_user_find_email(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *email, size_t len, u_char *out)
{
    int                   rc, n;
    u_char                ekey[NGX_MOBILITY_FIELD_MAX];
    MDB_val               k, v;
    ngx_mobility_bytes_t  e;

    e.data = email;
    e.len = len;

    n = ngx_mobility_email_key(&e, ekey);
    if (n == 0) {
        return 0;
    }

    k = ngx_mobility_val(ekey, n);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_USER_EMAIL], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return 0;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading e-mail index", rc);
    }

    if (v.mv_size == 0 || v.mv_size > NGX_MOBILITY_SIP_MAX) {
        return 0;
    }

    memcpy(out, v.mv_data, v.mv_size);
    out[v.mv_size] = '\0';

    return (int) v.mv_size;
}


int
ngx_mobility_domain_exists(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *domain, size_t len)
{
    int      rc;
    MDB_val  k, v;

    k = ngx_mobility_val(domain, len);

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_DOMAINS], &k, &v);

    if (rc == 0) {
        return NGX_MOBILITY_OK;
    }

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    return ngx_mobility_store_fail(st, "reading a domain", rc);
}


int
ngx_mobility_domain_add(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *domain, size_t len, uint64_t now)
{
    int                        rc;
    u_char                     buf[64];
    MDB_val                    k, v;
    ngx_mobility_rec_writer_t  w;

    ngx_mobility_rec_begin(&w, buf, sizeof(buf), NGX_MOBILITY_REC_DOMAIN);
    ngx_mobility_rec_put_u64(&w, 1, now);

    k = ngx_mobility_val(domain, len);
    v = ngx_mobility_val(buf, w.len);

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_DOMAINS], &k, &v,
                 MDB_NOOVERWRITE);

    if (rc == MDB_KEYEXIST) {
        return NGX_MOBILITY_EXISTS;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a domain", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_domain_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *domain, size_t len)
{
    int      rc;
    MDB_val  k;

    k = ngx_mobility_val(domain, len);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_DOMAINS], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a domain", rc);
    }

    return NGX_MOBILITY_OK;
}
