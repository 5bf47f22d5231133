/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ngx_mobility_directory.h"
#include "ngx_mobility_kv.h"


#define ngx_mobility_user_off(f)  offsetof(ngx_mobility_user_t, f)

#define NGX_MOBILITY_SEARCH_TOKENS  48


typedef struct {
    size_t   n;
    size_t   len[NGX_MOBILITY_SEARCH_TOKENS];
    u_char   data[NGX_MOBILITY_SEARCH_TOKENS][NGX_MOBILITY_SEARCH_TOKEN_MAX];
} ngx_mobility_tokens_t;


static void ngx_mobility_user_tokens(ngx_mobility_user_t *u,
    ngx_mobility_tokens_t *t);
static int ngx_mobility_search_index(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_tokens_t *t, const u_char *sip, size_t len, int add);


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
    ngx_mobility_bytes_t              b[NGX_MOBILITY_U_ADMIN + 1];
    const ngx_mobility_user_field_t  *f;

    memset(u, 0, sizeof(ngx_mobility_user_t));

    /* one pass over the record: it is read on every request */

    if (ngx_mobility_rec_fields(rec, len, NGX_MOBILITY_REC_USER, b,
                                NGX_MOBILITY_U_ADMIN + 1)
        != 0)
    {
        return NGX_MOBILITY_ERROR;
    }

    u->sip = b[NGX_MOBILITY_U_SIP];

    for (f = ngx_mobility_user_fields; f->name; f++) {
        *ngx_mobility_user_field(u, f) = b[f->tag];
    }

    u->password = b[NGX_MOBILITY_U_PASSWORD];

    u->enabled = ngx_mobility_bytes_u64(&b[NGX_MOBILITY_U_ENABLED], 1) ? 1 : 0;
    u->auth_gen = ngx_mobility_bytes_u64(&b[NGX_MOBILITY_U_AUTH_GEN], 0);
    u->created = ngx_mobility_bytes_u64(&b[NGX_MOBILITY_U_CREATED], 0);
    u->updated = ngx_mobility_bytes_u64(&b[NGX_MOBILITY_U_UPDATED], 0);

    /* absent in records written before the flag existed: not an admin */
    u->admin = ngx_mobility_bytes_u64(&b[NGX_MOBILITY_U_ADMIN], 0) ? 1 : 0;

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_user_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_user_t *u)
{
    MDB_val  v;

    return ngx_mobility_user_get_raw(st, txn, sip, len, u, &v);
}


/* ngx_mobility_user_get(), and the record's bytes in the map into *raw */
int
ngx_mobility_user_get_raw(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_user_t *u, MDB_val *raw)
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

    *raw = v;

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
    ngx_mobility_user_t               old;
    ngx_mobility_tokens_t             tnew, told;
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
    ngx_mobility_user_tokens(u, &tnew);

    /* drop the index entries of the previous version */

    rc = ngx_mobility_user_get(st, txn, sip, sip_len, &old);

    if (rc == NGX_MOBILITY_ERROR) {
        return rc;
    }

    if (rc == NGX_MOBILITY_OK) {
        if (create) {
            return NGX_MOBILITY_EXISTS;
        }

        oldkey_len = ngx_mobility_email_key(&old.email, oldkey);
        ngx_mobility_user_tokens(&old, &told);

        rc = ngx_mobility_search_index(st, txn, &told, sip, sip_len, 0);
        if (rc != NGX_MOBILITY_OK) {
            return rc;
        }

        if (oldkey_len
            && ngx_mobility_kv_del(st, txn,
                                   st->dbi[NGX_MOBILITY_DB_USER_EMAIL],
                                   oldkey, oldkey_len,
                                   "updating e-mail index")
               != NGX_MOBILITY_OK)
        {
            return NGX_MOBILITY_ERROR;
        }
    }

    if (ngx_mobility_kv_put(st, txn, st->dbi[NGX_MOBILITY_DB_USERS], sip,
                            sip_len, buf, w.len, "writing a user")
        != NGX_MOBILITY_OK
        || (n
            && ngx_mobility_kv_put(st, txn,
                                   st->dbi[NGX_MOBILITY_DB_USER_EMAIL], ekey,
                                   n, sip, sip_len, "writing e-mail index")
               != NGX_MOBILITY_OK))
    {
        return NGX_MOBILITY_ERROR;
    }

    rc = ngx_mobility_search_index(st, txn, &tnew, sip, sip_len, 1);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    /* the workers' caches of verified tokens see the change */
    if (ngx_mobility_store_dir_gen_bump(st, txn) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_user_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len)
{
    int                    rc, n;
    u_char                 ekey[NGX_MOBILITY_FIELD_MAX];
    MDB_val                k;
    ngx_mobility_user_t    old;
    ngx_mobility_tokens_t  t;

    rc = ngx_mobility_user_get(st, txn, sip, len, &old);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    n = ngx_mobility_email_key(&old.email, ekey);
    ngx_mobility_user_tokens(&old, &t);

    rc = ngx_mobility_search_index(st, txn, &t, sip, len, 0);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    if (n
        && ngx_mobility_kv_del(st, txn, st->dbi[NGX_MOBILITY_DB_USER_EMAIL],
                               ekey, n, "updating e-mail index")
           != NGX_MOBILITY_OK)
    {
        return NGX_MOBILITY_ERROR;
    }

    k = ngx_mobility_val(sip, len);

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_USERS], &k, NULL);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a user", rc);
    }

    if (ngx_mobility_store_dir_gen_bump(st, txn) != 0) {
        return NGX_MOBILITY_ERROR;
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


/* ------------------------------------------------------------------ */
/* the people-search index                                            */


static void
ngx_mobility_token_add(ngx_mobility_tokens_t *t, const u_char *p, size_t len)
{
    size_t   i;
    u_char  *d;

    if (len == 0 || t->n == NGX_MOBILITY_SEARCH_TOKENS) {
        return;
    }

    if (len > NGX_MOBILITY_SEARCH_TOKEN_MAX) {
        len = NGX_MOBILITY_SEARCH_TOKEN_MAX;
    }

    d = t->data[t->n];

    for (i = 0; i < len; i++) {
        d[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (u_char) (p[i] | 0x20) : p[i];
    }

    for (i = 0; i < t->n; i++) {
        if (t->len[i] == len && memcmp(t->data[i], d, len) == 0) {
            return;
        }
    }

    t->len[t->n++] = len;
}


static int
ngx_mobility_word_char(u_char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c >= 0x80;
}


static void
ngx_mobility_tokens_words(ngx_mobility_tokens_t *t, const u_char *p,
    size_t len)
{
    size_t  i, start;

    start = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && ngx_mobility_word_char(p[i])) {
            continue;
        }

        if (i > start) {
            ngx_mobility_token_add(t, p + start, i - start);
        }

        start = i + 1;
    }
}


static void
ngx_mobility_tokens_address(ngx_mobility_tokens_t *t, const u_char *p,
    size_t len)
{
    const u_char  *at;

    if (len == 0) {
        return;
    }

    ngx_mobility_token_add(t, p, len);

    at = memchr(p, '@', len);

    if (at) {
        ngx_mobility_token_add(t, p, at - p);
        ngx_mobility_tokens_words(t, p, at - p);
    }
}


/* the digits of a phone number ("+1 (425) 555-0100" -> "14255550100") */
static size_t
ngx_mobility_phone_digits(const u_char *p, size_t len, u_char *out)
{
    size_t  i, n;

    if (len > 4 && strncasecmp((const char *) p, "tel:", 4) == 0) {
        p += 4;
        len -= 4;
    }

    n = 0;

    for (i = 0; i < len && n < NGX_MOBILITY_SEARCH_TOKEN_MAX; i++) {
        if (p[i] == ';') {
            break;
        }

        if (p[i] >= '0' && p[i] <= '9') {
            out[n++] = p[i];
        }
    }

    return n;
}


static void
ngx_mobility_user_tokens(ngx_mobility_user_t *u, ngx_mobility_tokens_t *t)
{
    size_t                 i, n;
    u_char                 digits[NGX_MOBILITY_SEARCH_TOKEN_MAX];
    ngx_mobility_bytes_t  *ph[4];

    t->n = 0;

    ngx_mobility_tokens_words(t, u->name.data, u->name.len);
    ngx_mobility_tokens_address(t, u->email.data, u->email.len);
    ngx_mobility_tokens_address(t, u->sip.data, u->sip.len);

    ph[0] = &u->phone_work;
    ph[1] = &u->phone_mobile;
    ph[2] = &u->phone_home;
    ph[3] = &u->phone_other;

    for (i = 0; i < 4; i++) {
        n = ngx_mobility_phone_digits(ph[i]->data, ph[i]->len, digits);
        ngx_mobility_token_add(t, digits, n);
    }
}


static int
ngx_mobility_search_index(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_tokens_t *t, const u_char *sip, size_t len, int add)
{
    int      rc;
    size_t   i;
    MDB_val  k, v;

    for (i = 0; i < t->n; i++) {
        k = ngx_mobility_val(t->data[i], t->len[i]);
        v = ngx_mobility_val(sip, len);

        if (add) {
            rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_USER_SEARCH], &k, &v,
                         MDB_NODUPDATA);
            if (rc == MDB_KEYEXIST) {
                rc = 0;
            }

        } else {
            rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_USER_SEARCH], &k, &v);
            if (rc == MDB_NOTFOUND) {
                rc = 0;
            }
        }

        if (rc != 0) {
            return ngx_mobility_store_fail(st, "updating the search index",
                                           rc);
        }
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_user_search_reindex(ngx_mobility_store_t *st, MDB_txn *txn)
{
    int                    rc, n;
    u_char                 sip[NGX_MOBILITY_SIP_MAX];
    MDB_val                k, v;
    MDB_cursor            *cur;
    ngx_mobility_user_t    u;
    ngx_mobility_tokens_t  t;

    rc = mdb_drop(txn, st->dbi[NGX_MOBILITY_DB_USER_SEARCH], 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "clearing the search index", rc);
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_USERS], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "listing users", rc);
    }

    n = 0;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (ngx_mobility_user_decode(v.mv_data, v.mv_size, &u) != 0) {
            continue;
        }

        if (u.sip.len == 0 || u.sip.len > NGX_MOBILITY_SIP_MAX) {
            continue;
        }

        memcpy(sip, u.sip.data, u.sip.len);
        ngx_mobility_user_tokens(&u, &t);

        if (ngx_mobility_search_index(st, txn, &t, sip, u.sip.len, 1)
            != NGX_MOBILITY_OK)
        {
            mdb_cursor_close(cur);
            return NGX_MOBILITY_ERROR;
        }

        n++;
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "listing users", rc);
    }

    if (ngx_mobility_store_set_meta_u32(st, txn,
                                        NGX_MOBILITY_META_SEARCH_INDEX,
                                        NGX_MOBILITY_SEARCH_INDEX_VERSION)
        != 0)
    {
        return NGX_MOBILITY_ERROR;
    }

    return n;
}


int
ngx_mobility_user_search_upgrade(ngx_mobility_store_t *st)
{
    MDB_txn   *txn;
    uint32_t   version;

    if (ngx_mobility_store_begin(st, &txn, 0) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    version = ngx_mobility_store_meta_u32(st, txn,
                                          NGX_MOBILITY_META_SEARCH_INDEX, 0);
    mdb_txn_abort(txn);

    if (version >= NGX_MOBILITY_SEARCH_INDEX_VERSION) {
        return NGX_MOBILITY_OK;
    }

    if (ngx_mobility_store_begin(st, &txn, 1) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    if (ngx_mobility_user_search_reindex(st, txn) < 0) {
        mdb_txn_abort(txn);
        return NGX_MOBILITY_ERROR;
    }

    if (ngx_mobility_store_commit(st, txn) != 0) {
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_search_verify(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_tokens_t *q)
{
    int                    rc;
    size_t                 i, j;
    ngx_mobility_user_t    u;
    ngx_mobility_tokens_t  t;

    rc = ngx_mobility_user_get(st, txn, sip, len, &u);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        return 0;
    }

    if (rc != NGX_MOBILITY_OK) {
        return -1;
    }

    if (!u.enabled) {
        return 0;
    }

    if (q->n == 1) {
        return 1;
    }

    ngx_mobility_user_tokens(&u, &t);

    for (i = 0; i < q->n; i++) {
        for (j = 0; j < t.n; j++) {
            if (t.len[j] >= q->len[i]
                && memcmp(t.data[j], q->data[i], q->len[i]) == 0)
            {
                break;
            }
        }

        if (j == t.n) {
            return 0;
        }
    }

    return 1;
}


static void
ngx_mobility_search_query(const u_char *p, size_t len,
    ngx_mobility_tokens_t *q)
{
    size_t  i, n;
    u_char  digits[NGX_MOBILITY_SEARCH_TOKEN_MAX];

    q->n = 0;

    while (len && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }

    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
        len--;
    }

    if (len > 4 && (strncasecmp((const char *) p, "sip:", 4) == 0
                    || strncasecmp((const char *) p, "tel:", 4) == 0))
    {
        p += 4;
        len -= 4;
    }

    if (len == 0) {
        return;
    }

    if (memchr(p, '@', len)) {
        ngx_mobility_token_add(q, p, len);
        return;
    }

    for (i = 0; i < len; i++) {
        if (strchr("0123456789+-(). ", p[i]) == NULL) {
            break;
        }
    }

    if (i == len) {
        n = ngx_mobility_phone_digits(p, len, digits);

        if (n) {
            ngx_mobility_token_add(q, digits, n);
            return;
        }
    }

    ngx_mobility_tokens_words(q, p, len);

    if (q->n > NGX_MOBILITY_SEARCH_WORDS) {
        q->n = NGX_MOBILITY_SEARCH_WORDS;
    }
}


int
ngx_mobility_user_search(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *query, size_t len, ngx_mobility_sip_buf_t *out,
    size_t limit, int *more)
{
    int                    rc, ok;
    size_t                 i, n, best, scanned, count, best_count, dups;
    u_char                *key;
    size_t                 klen;
    MDB_val                k, v;
    MDB_cursor            *cur;
    ngx_mobility_tokens_t  q;

    *more = 0;

    ngx_mobility_search_query(query, len, &q);

    if (q.n == 0 || limit == 0) {
        return 0;
    }

    rc = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_USER_SEARCH], &cur);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "searching users", rc);
    }

    /*
     * The range scan runs on the word with the fewest index entries
     * (counted up to the best so far, or 1024); a word no token starts with
     * means nothing matches.
     */

    best = 0;
    best_count = (size_t) -1;

    for (i = 0; i < q.n; i++) {
        count = 0;
        k = ngx_mobility_val(q.data[i], q.len[i]);

        for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP))
        {
            if (k.mv_size < q.len[i]
                || memcmp(k.mv_data, q.data[i], q.len[i]) != 0)
            {
                break;
            }

            if (mdb_cursor_count(cur, &dups) != 0) {
                dups = 1;
            }

            count += dups;

            if (count >= best_count || count >= 1024 || q.n == 1) {
                break;
            }
        }

        if (rc != 0 && rc != MDB_NOTFOUND) {
            mdb_cursor_close(cur);
            return ngx_mobility_store_fail(st, "searching users", rc);
        }

        if (count == 0) {
            mdb_cursor_close(cur);
            return 0;
        }

        if (count < best_count) {
            best = i;
            best_count = count;
        }
    }

    key = q.data[best];
    klen = q.len[best];

    n = 0;
    scanned = 0;
    k = ngx_mobility_val(key, klen);

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size < klen || memcmp(k.mv_data, key, klen) != 0) {
            break;
        }

        if (++scanned > NGX_MOBILITY_SEARCH_SCAN_MAX) {
            *more = 1;
            break;
        }

        if (v.mv_size == 0 || v.mv_size > NGX_MOBILITY_SIP_MAX) {
            continue;
        }

        for (i = 0; i < n; i++) {
            if (out[i].len == v.mv_size
                && memcmp(out[i].data, v.mv_data, v.mv_size) == 0)
            {
                break;
            }
        }

        if (i < n) {
            continue;
        }

        ok = ngx_mobility_search_verify(st, txn, v.mv_data, v.mv_size, &q);

        if (ok < 0) {
            mdb_cursor_close(cur);
            return NGX_MOBILITY_ERROR;
        }

        if (!ok) {
            continue;
        }

        if (n == limit) {
            *more = 1;
            break;
        }

        memcpy(out[n].data, v.mv_data, v.mv_size);
        out[n].data[v.mv_size] = '\0';
        out[n].len = v.mv_size;
        n++;
    }

    mdb_cursor_close(cur);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "searching users", rc);
    }

    return (int) n;
}
