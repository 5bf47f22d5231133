/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl: the "domain" commands, the SIP domains users may be in.
 */


#include <stdlib.h>
#include <string.h>

#include "mobilityctl.h"


/* the tag ngx_mobility_domain_add() stores the creation time under */
#define MOBILITYCTL_DOMAIN_CREATED  1

#define MOBILITYCTL_D_FORCE         1


typedef struct {
    u_char   name[NGX_MOBILITY_DOMAIN_MAX + 1];
    size_t   len;
    uint64_t created;
    size_t   users;
} mobilityctl_domain_t;


int
mobilityctl_unknown_domain(const u_char *domain, size_t len, char *err,
    size_t size)
{
    snprintf(err, size, "unknown SIP domain %.*s (add it with: mobilityctl "
             "domain add %.*s)", (int) len, domain, (int) len, domain);

    return MOBILITYCTL_EINPUT;
}


/* the offset of the domain in a "user@domain" key */

size_t
mobilityctl_sip_domain(const u_char *sip, size_t len)
{
    size_t  i;

    for (i = len; i > 0; i--) {
        if (sip[i - 1] == '@') {
            return i;
        }
    }

    return len;
}


/* LMDB's default order: bytes, then the shorter first */

static int
mobilityctl_domain_cmp(const void *one, const void *two)
{
    int                          rc;
    const mobilityctl_domain_t  *a, *b;

    a = one;
    b = two;

    rc = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);

    if (rc) {
        return rc;
    }

    return (a->len > b->len) - (a->len < b->len);
}


static int
mobilityctl_domain_arg(const char *arg, u_char *out, size_t *len)
{
    int   n;
    char  q[MOBILITYCTL_ERRLEN];

    n = ngx_mobility_domain_canon((const u_char *) arg, strlen(arg), out);

    if (n <= 0) {
        mobilityctl_error("invalid domain name \"%s\"",
                          mobilityctl_quote((const u_char *) arg,
                                            strlen(arg), q, sizeof(q)));
        return MOBILITYCTL_EINPUT;
    }

    *len = n;

    return MOBILITYCTL_OK;
}


int
mobilityctl_domain_add(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int          rc, id, i, n, bad;
    char        *v, **names;
    json_t      *j, *added;
    u_char       domain[NGX_MOBILITY_DOMAIN_MAX + 1];
    size_t       len;
    time_t       now;
    MDB_txn     *txn;

    names = calloc(a->argc, sizeof(char *));
    if (names == NULL) {
        mobilityctl_oom();
    }

    n = 0;

    while ((id = mobilityctl_arg(ctx, a, NULL, &v)) != MOBILITYCTL_ARG_END) {

        if (id == MOBILITYCTL_ARG_ERROR) {
            free(names);
            return MOBILITYCTL_EUSAGE;
        }

        names[n++] = v;
    }

    if (n == 0) {
        free(names);
        return mobilityctl_usage_error(a, "missing domain name");
    }

    bad = 0;

    for (i = 0; i < n; i++) {
        if (mobilityctl_domain_arg(names[i], domain, &len) != MOBILITYCTL_OK) {
            bad = 1;
        }
    }

    if (bad) {
        free(names);
        return MOBILITYCTL_EINPUT;
    }

    rc = mobilityctl_open_begin(ctx, &txn, 1);

    if (rc != MOBILITYCTL_OK) {
        free(names);
        return rc;
    }

    now = time(NULL);
    added = json_array();

    if (added == NULL) {
        mobilityctl_oom();
    }

    for (i = 0; i < n; i++) {
        mobilityctl_domain_arg(names[i], domain, &len);

        rc = ngx_mobility_domain_add(&ctx->store, txn, domain, len,
                                     (uint64_t) now);

        if (rc == NGX_MOBILITY_EXISTS) {
            mobilityctl_error("domain %s already exists", domain);
            bad = 1;
            continue;
        }

        if (rc != NGX_MOBILITY_OK) {
            mdb_txn_abort(txn);
            json_decref(added);
            free(names);
            return mobilityctl_store_error(ctx);
        }

        if (json_array_append_new(added, json_string((char *) domain)) != 0)
        {
            mobilityctl_oom();
        }
    }

    free(names);

    if (bad) {
        mdb_txn_abort(txn);
        json_decref(added);
        return MOBILITYCTL_EINPUT;
    }

    rc = mobilityctl_commit(ctx, txn);

    if (rc != MOBILITYCTL_OK) {
        json_decref(added);
        return rc;
    }

    if (ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "added", added);
        mobilityctl_json_print(j);

        return MOBILITYCTL_OK;
    }

    for (i = 0; i < (int) json_array_size(added); i++) {
        printf("added domain %s\n",
               json_string_value(json_array_get(added, i)));
    }

    json_decref(added);

    return MOBILITYCTL_OK;
}


int
mobilityctl_domain_list(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                    rc, id;
    char                  *v;
    json_t                *list, *j;
    size_t                 n, nalloc, i, off;
    MDB_val                k, d;
    MDB_txn               *txn;
    MDB_cursor            *cur;
    mobilityctl_domain_t  *domains, *p, key;

    while ((id = mobilityctl_arg(ctx, a, NULL, &v)) != MOBILITYCTL_ARG_END) {

        if (id == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        return mobilityctl_usage_error(a, "unexpected argument \"%s\"", v);
    }

    rc = mobilityctl_open_begin(ctx, &txn, 0);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    domains = NULL;
    n = 0;
    nalloc = 0;

    rc = mdb_cursor_open(txn, ctx->store.dbi[NGX_MOBILITY_DB_DOMAINS], &cur);
    if (rc != 0) {
        goto failed;
    }

    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
    {
        if (k.mv_size == 0 || k.mv_size > NGX_MOBILITY_DOMAIN_MAX) {
            continue;
        }

        if (n == nalloc) {
            nalloc = nalloc ? nalloc * 2 : 16;
            p = realloc(domains, nalloc * sizeof(mobilityctl_domain_t));
            if (p == NULL) {
                mobilityctl_oom();
            }

            domains = p;
        }

        p = &domains[n++];
        memcpy(p->name, k.mv_data, k.mv_size);
        p->name[k.mv_size] = '\0';
        p->len = k.mv_size;
        p->users = 0;
        p->created = 0;

        if (ngx_mobility_rec_check(d.mv_data, d.mv_size,
                                   NGX_MOBILITY_REC_DOMAIN)
            == 0)
        {
            p->created = ngx_mobility_rec_get_u64(d.mv_data, d.mv_size,
                                                  MOBILITYCTL_DOMAIN_CREATED,
                                                  0);
        }
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND) {
        goto failed;
    }

    /* users per domain */

    rc = mdb_cursor_open(txn, ctx->store.dbi[NGX_MOBILITY_DB_USERS], &cur);
    if (rc != 0) {
        goto failed;
    }

    for (rc = mdb_cursor_get(cur, &k, NULL, MDB_FIRST);
         rc == 0 && n;
         rc = mdb_cursor_get(cur, &k, NULL, MDB_NEXT))
    {
        off = mobilityctl_sip_domain(k.mv_data, k.mv_size);

        if (k.mv_size - off > NGX_MOBILITY_DOMAIN_MAX) {
            continue;
        }

        key.len = k.mv_size - off;
        memcpy(key.name, (u_char *) k.mv_data + off, key.len);

        p = bsearch(&key, domains, n, sizeof(mobilityctl_domain_t),
                    mobilityctl_domain_cmp);

        if (p) {
            p->users++;
        }
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND && n) {
        goto failed;
    }

    mdb_txn_abort(txn);

    if (ctx->json) {
        list = json_array();
        if (list == NULL) {
            mobilityctl_oom();
        }

        for (i = 0; i < n; i++) {
            j = json_object();
            if (j == NULL) {
                mobilityctl_oom();
            }

            mobilityctl_json_set(j, "domain",
                                 json_string((char *) domains[i].name));
            mobilityctl_json_set(j, "users",
                                 json_integer((json_int_t) domains[i].users));
            mobilityctl_json_set(j, "created",
                                 json_integer((json_int_t)
                                              domains[i].created));

            if (json_array_append_new(list, j) != 0) {
                mobilityctl_oom();
            }
        }

        mobilityctl_json_print(list);

    } else {
        /* one name a line: scripts grep it (see scripts/demo.sh) */
        for (i = 0; i < n; i++) {
            printf("%s\n", domains[i].name);
        }
    }

    free(domains);

    return MOBILITYCTL_OK;

failed:

    mdb_txn_abort(txn);
    free(domains);

    ngx_mobility_store_fail(&ctx->store, "listing domains", rc);

    return mobilityctl_store_error(ctx);
}


int
mobilityctl_domain_remove(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int           rc, id, force;
    char         *v, *arg;
    json_t       *j;
    u_char       *keys, domain[NGX_MOBILITY_DOMAIN_MAX + 1];
    size_t        len, n, nalloc, i, off;
    MDB_val       k;
    MDB_txn      *txn;
    MDB_cursor   *cur;

    static const mobilityctl_opt_t  opts[] = {
        { "force", MOBILITYCTL_D_FORCE, 0 },
        { NULL, 0, 0 }
    };

    arg = NULL;
    force = 0;

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        switch (id) {

        case MOBILITYCTL_ARG_ERROR:
            return MOBILITYCTL_EUSAGE;

        case MOBILITYCTL_ARG_POS:
            if (arg) {
                return mobilityctl_usage_error(a, "unexpected argument "
                                               "\"%s\"", v);
            }

            arg = v;
            break;

        default: /* MOBILITYCTL_D_FORCE */
            force = 1;
            break;
        }
    }

    if (arg == NULL) {
        return mobilityctl_usage_error(a, "missing domain name");
    }

    rc = mobilityctl_domain_arg(arg, domain, &len);

    if (rc == MOBILITYCTL_OK) {
        rc = mobilityctl_open_begin(ctx, &txn, 1);
    }

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = ngx_mobility_domain_exists(&ctx->store, txn, domain, len);

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);

        if (rc == NGX_MOBILITY_NOTFOUND) {
            mobilityctl_error("no such domain %s", domain);
            return MOBILITYCTL_EINPUT;
        }

        return mobilityctl_store_error(ctx);
    }

    /* its users, as NGX_MOBILITY_SIP_MAX + 1 byte NUL-terminated keys */

    keys = NULL;
    n = 0;
    nalloc = 0;

    rc = mdb_cursor_open(txn, ctx->store.dbi[NGX_MOBILITY_DB_USERS], &cur);
    if (rc != 0) {
        goto failed;
    }

    for (rc = mdb_cursor_get(cur, &k, NULL, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, NULL, MDB_NEXT))
    {
        off = mobilityctl_sip_domain(k.mv_data, k.mv_size);

        if (k.mv_size - off != len || k.mv_size > NGX_MOBILITY_SIP_MAX
            || memcmp((u_char *) k.mv_data + off, domain, len) != 0)
        {
            continue;
        }

        if (n == nalloc) {
            nalloc = nalloc ? nalloc * 2 : 16;
            v = realloc(keys, nalloc * (NGX_MOBILITY_SIP_MAX + 1));
            if (v == NULL) {
                mobilityctl_oom();
            }

            keys = (u_char *) v;
        }

        memcpy(keys + n * (NGX_MOBILITY_SIP_MAX + 1), k.mv_data, k.mv_size);
        keys[n * (NGX_MOBILITY_SIP_MAX + 1) + k.mv_size] = '\0';
        n++;
    }

    mdb_cursor_close(cur);

    if (rc != MDB_NOTFOUND) {
        goto failed;
    }

    if (n && !force) {
        mdb_txn_abort(txn);
        free(keys);
        mobilityctl_error("domain %s still has %zu user%s; remove %s first, "
                          "or use --force to remove %s with the domain",
                          domain, n, n == 1 ? "" : "s",
                          n == 1 ? "it" : "them", n == 1 ? "it" : "them");
        return MOBILITYCTL_EINPUT;
    }

    for (i = 0; i < n; i++) {
        v = (char *) keys + i * (NGX_MOBILITY_SIP_MAX + 1);

        if (ngx_mobility_user_del(&ctx->store, txn, (u_char *) v, strlen(v))
            == NGX_MOBILITY_ERROR)
        {
            mdb_txn_abort(txn);
            free(keys);
            return mobilityctl_store_error(ctx);
        }
    }

    free(keys);

    if (ngx_mobility_domain_del(&ctx->store, txn, domain, len)
        != NGX_MOBILITY_OK)
    {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    rc = mobilityctl_commit(ctx, txn);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "domain", json_string((char *) domain));
        mobilityctl_json_set(j, "removed", json_true());
        mobilityctl_json_set(j, "users_removed", json_integer(n));
        mobilityctl_json_print(j);

    } else if (n) {
        printf("removed domain %s and its %zu user%s\n", domain, n,
               n == 1 ? "" : "s");

    } else {
        printf("removed domain %s\n", domain);
    }

    return MOBILITYCTL_OK;

failed:

    mdb_txn_abort(txn);
    free(keys);

    ngx_mobility_store_fail(&ctx->store, "removing a domain", rc);

    return mobilityctl_store_error(ctx);
}
