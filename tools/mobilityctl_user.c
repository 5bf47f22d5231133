/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl: the "user" commands, except import.
 */


#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mobilityctl.h"
#include "ngx_mobility_audit.h"
#include "ngx_mobility_contacts.h"
#include "ngx_mobility_meetings.h"


#define MOBILITYCTL_U_DISABLED   1
#define MOBILITYCTL_U_ENABLED    2
#define MOBILITYCTL_U_PW_STDIN   3
#define MOBILITYCTL_U_CLEAR      4
#define MOBILITYCTL_U_DOMAIN     5
#define MOBILITYCTL_U_SITE       6
#define MOBILITYCTL_U_ADMIN      7
#define MOBILITYCTL_U_NO_ADMIN   8
#define MOBILITYCTL_U_FIELD      100


static const mobilityctl_opt_t  mobilityctl_pw_opts[] = {
    { "password-stdin", MOBILITYCTL_U_PW_STDIN, 0 },
    { NULL, 0, 0 }
};


void
mobilityctl_edit_init(mobilityctl_edit_t *e)
{
    memset(e, 0, sizeof(mobilityctl_edit_t));
    e->enabled = -1;
    e->admin = -1;
    e->password = MOBILITYCTL_PW_KEEP;
}


/* what the audit log records of a user: the settings policies depend on */

static json_t *
mobilityctl_user_audit_json(const u_char *sip, size_t sip_len,
    const ngx_mobility_bytes_t *site, const ngx_mobility_bytes_t *policy,
    unsigned admin)
{
    json_t  *j;

    j = json_object();
    if (j == NULL) {
        mobilityctl_oom();
    }

    mobilityctl_json_set(j, "Identity",
                         json_sprintf("sip:%.*s", (int) sip_len, sip));
    mobilityctl_json_set(j, "Site",
                         mobilityctl_json_bytes(site->data, site->len));
    mobilityctl_json_set(j, "MobilityPolicy",
                         policy->len
                         ? mobilityctl_json_bytes(policy->data, policy->len)
                         : json_null());
    mobilityctl_json_set(j, "Admin", json_boolean(admin));

    return j;
}


static int
mobilityctl_bytes_eq(const ngx_mobility_bytes_t *a,
    const ngx_mobility_bytes_t *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}


/*
 * Applies e to the user in txn: checks everything, and writes unless dry.
 * Returns MOBILITYCTL_OK, MOBILITYCTL_EINPUT with a message in err, or
 * MOBILITYCTL_ESTORE with the store's message in ctx->store.err.
 */

int
mobilityctl_user_apply(mobilityctl_t *ctx, MDB_txn *txn,
    mobilityctl_edit_t *e, int mode, int dry, time_t now, int *created,
    char *err, size_t size)
{
    int                              rc, i, n, exists, email;
    char                             q[NGX_MOBILITY_FIELD_MAX + 4];
    u_char                           other[NGX_MOBILITY_SIP_MAX + 1];
    u_char                           old_site[NGX_MOBILITY_FIELD_MAX];
    u_char                           old_policy[NGX_MOBILITY_FIELD_MAX];
    json_t                          *before, *after;
    unsigned                         old_admin;
    ngx_mobility_user_t              u;
    ngx_mobility_store_t            *st;
    ngx_mobility_bytes_t             os, op;
    ngx_mobility_admin_op_t          aop;
    ngx_mobility_audit_entry_t       ae;
    const ngx_mobility_user_field_t  *f;

    st = &ctx->store;

    rc = ngx_mobility_user_get(st, txn, e->sip, e->sip_len, &u);

    if (rc == NGX_MOBILITY_ERROR) {
        return MOBILITYCTL_ESTORE;
    }

    exists = (rc == NGX_MOBILITY_OK);

    /* what policies depend on, for the audit log and nginx's workers */

    os.len = 0;
    op.len = 0;
    old_admin = 0;

    if (exists) {
        os.len = u.site.len < sizeof(old_site) ? u.site.len : 0;
        op.len = u.policy.len < sizeof(old_policy) ? u.policy.len : 0;
        memcpy(old_site, u.site.data, os.len);
        memcpy(old_policy, u.policy.data, op.len);
        old_admin = u.admin;
    }

    os.data = old_site;
    op.data = old_policy;

    if (exists && mode == MOBILITYCTL_CREATE) {
        snprintf(err, size, "user sip:%s already exists", e->sip);
        return MOBILITYCTL_EINPUT;
    }

    if (!exists && mode == MOBILITYCTL_MODIFY) {
        snprintf(err, size, "no such user sip:%s", e->sip);
        return MOBILITYCTL_EINPUT;
    }

    if (!exists) {
        rc = ngx_mobility_domain_exists(st, txn, e->sip + e->domain,
                                        e->sip_len - e->domain);

        if (rc == NGX_MOBILITY_ERROR) {
            return MOBILITYCTL_ESTORE;
        }

        if (rc == NGX_MOBILITY_NOTFOUND) {
            return mobilityctl_unknown_domain(e->sip + e->domain,
                                              e->sip_len - e->domain, err,
                                              size);
        }

        memset(&u, 0, sizeof(ngx_mobility_user_t));
        u.sip.data = e->sip;
        u.sip.len = e->sip_len;
        u.enabled = 1;
        u.created = (uint64_t) now;

        /*
         * Tokens name the generation they were issued for; starting from
         * the creation time keeps tokens of a removed namesake dead.
         */
        u.auth_gen = (uint64_t) now << 20;
    }

    email = 0;

    for (i = 0, f = ngx_mobility_user_fields; f->name; i++, f++) {
        if (e->set & (1u << i)) {
            *ngx_mobility_user_field(&u, f) = e->value[i];

            if (f->tag == NGX_MOBILITY_U_EMAIL) {
                email = 1;
            }

            if (f->tag == NGX_MOBILITY_U_POLICY && e->value[i].len) {
                /* a grant: of a per-user policy that exists */

                rc = ngx_mobility_policy_check_grant(st, txn,
                                                     e->value[i].data,
                                                     e->value[i].len,
                                                     e->policy, err, size);
                if (rc == NGX_MOBILITY_ERROR) {
                    return MOBILITYCTL_ESTORE;
                }

                if (rc != NGX_MOBILITY_OK) {
                    return MOBILITYCTL_EINPUT;
                }

                u.policy.data = (u_char *) e->policy;
                u.policy.len = strlen(e->policy);
            }
        }
    }

    /* the e-mail index maps an address to one user only */

    if (email && u.email.len) {
        n = ngx_mobility_user_find_email(st, txn, u.email.data, u.email.len,
                                         other);
        if (n < 0) {
            return MOBILITYCTL_ESTORE;
        }

        if (n > 0
            && ((size_t) n != e->sip_len || memcmp(other, e->sip, n) != 0))
        {
            snprintf(err, size, "e-mail address \"%s\" is already used by "
                     "sip:%s",
                     mobilityctl_quote(u.email.data, u.email.len, q,
                                       sizeof(q)),
                     other);
            return MOBILITYCTL_EINPUT;
        }
    }

    if (e->enabled == 0 && u.enabled) {
        u.enabled = 0;
        u.auth_gen++;

    } else if (e->enabled == 1) {
        u.enabled = 1;
    }

    if (e->admin != -1) {
        u.admin = e->admin ? 1 : 0;
    }

    if (e->password == MOBILITYCTL_PW_SET) {
        u.password.data = (u_char *) e->hash;
        u.password.len = strlen(e->hash);
        u.auth_gen++;

    } else if (e->password == MOBILITYCTL_PW_CLEAR && u.password.len) {
        u.password.len = 0;
        u.auth_gen++;
    }

    u.updated = (uint64_t) now;

    if (created) {
        *created = !exists;
    }

    if (dry) {
        return MOBILITYCTL_OK;
    }

    if (e->password == MOBILITYCTL_PW_SET && e->hash[0] == '\0') {
        /* a caller bug: never store a user with an empty hash by mistake */
        snprintf(err, size, "internal error: password not hashed");
        return MOBILITYCTL_EINPUT;
    }

    e->policy_changed = !mobilityctl_bytes_eq(&os, &u.site)
                        || !mobilityctl_bytes_eq(&op, &u.policy);

    if (e->policy_changed || old_admin != u.admin) {
        mobilityctl_op_init(ctx, &aop);

        before = exists ? mobilityctl_user_audit_json(e->sip, e->sip_len,
                                                      &os, &op, old_admin)
                        : NULL;
        after = mobilityctl_user_audit_json(e->sip, e->sip_len, &u.site,
                                            &u.policy, u.admin);

        ae.time_ms = aop.now_ms;
        ae.who = aop.who;
        ae.via = aop.via;
        ae.client = NULL;
        ae.action = ctx->command ? ctx->command : "user set";
        ae.target = json_string_value(json_object_get(after, "Identity"));
        ae.before = before;
        ae.after = after;

        rc = ngx_mobility_audit_add(st, txn, &ae, NULL);

        json_decref(before);
        json_decref(after);

        if (rc != 0) {
            return MOBILITYCTL_ESTORE;
        }
    }

    rc = ngx_mobility_user_put(st, txn, &u, !exists);

    if (rc == NGX_MOBILITY_EXISTS) {
        snprintf(err, size, "user sip:%s already exists", e->sip);
        return MOBILITYCTL_EINPUT;
    }

    if (rc != NGX_MOBILITY_OK) {
        return MOBILITYCTL_ESTORE;
    }

    return MOBILITYCTL_OK;
}


json_t *
mobilityctl_user_json(const ngx_mobility_user_t *u)
{
    char                              sip[NGX_MOBILITY_SIP_MAX + 8];
    json_t                           *j;
    const ngx_mobility_user_field_t  *f;

    j = json_object();
    if (j == NULL) {
        mobilityctl_oom();
    }

    snprintf(sip, sizeof(sip), "sip:%.*s", (int) u->sip.len, u->sip.data);

    mobilityctl_json_set(j, "sip",
                         mobilityctl_json_bytes((u_char *) sip, strlen(sip)));

    for (f = ngx_mobility_user_fields; f->name; f++) {
        mobilityctl_json_set(j, f->name,
                             mobilityctl_json_bytes(
                                 ngx_mobility_user_field(u, f)->data,
                                 ngx_mobility_user_field(u, f)->len));
    }

    mobilityctl_json_set(j, "enabled", json_boolean(u->enabled));
    mobilityctl_json_set(j, "admin", json_boolean(u->admin));
    mobilityctl_json_set(j, "has_password", json_boolean(u->password.len));
    mobilityctl_json_set(j, "auth_gen",
                         json_integer((json_int_t) u->auth_gen));
    mobilityctl_json_set(j, "created",
                         json_integer((json_int_t) u->created));
    mobilityctl_json_set(j, "updated",
                         json_integer((json_int_t) u->updated));

    return j;
}


static void
mobilityctl_user_print(const ngx_mobility_user_t *u)
{
    char                              label[32], t[64];
    const ngx_mobility_user_field_t  *f;

    printf("%-14s sip:", "sip:");
    mobilityctl_print_bytes(u->sip.data, u->sip.len);
    fputc('\n', stdout);

    for (f = ngx_mobility_user_fields; f->name; f++) {
        snprintf(label, sizeof(label), "%s:", f->name);
        printf("%-14s ", label);
        mobilityctl_print_bytes(ngx_mobility_user_field(u, f)->data,
                                ngx_mobility_user_field(u, f)->len);
        fputc('\n', stdout);
    }

    printf("%-14s %s\n", "enabled:", u->enabled ? "yes" : "no");
    printf("%-14s %s\n", "admin:", u->admin ? "yes" : "no");
    printf("%-14s %s\n", "password:", u->password.len ? "set" : "not set");
    printf("%-14s %llu\n", "auth_gen:", (unsigned long long) u->auth_gen);

    mobilityctl_time(u->created, t, sizeof(t));
    printf("%-14s %s (%llu)\n", "created:", t,
           (unsigned long long) u->created);

    mobilityctl_time(u->updated, t, sizeof(t));
    printf("%-14s %s (%llu)\n", "updated:", t,
           (unsigned long long) u->updated);
}


/* the options of "user add" and "user set": the fields and a few more */

static const mobilityctl_opt_t *
mobilityctl_user_options(int set)
{
    int                        i, n;
    char                      *p;
    const char                *name;

    static char                names[MOBILITYCTL_FIELDS_MAX][32];
    static mobilityctl_opt_t   opts[MOBILITYCTL_FIELDS_MAX + 8];

    n = 0;

    for (i = 0; ngx_mobility_user_fields[i].name; i++) {
        name = ngx_mobility_user_fields[i].name;

        snprintf(names[i], sizeof(names[i]), "%s", name);

        for (p = names[i]; *p; p++) {
            if (*p == '_') {
                *p = '-';
            }
        }

        opts[n].name = names[i];
        opts[n].id = MOBILITYCTL_U_FIELD + i;
        opts[n].value = 1;
        n++;
    }

    opts[n].name = "disabled";
    opts[n].id = MOBILITYCTL_U_DISABLED;
    opts[n++].value = 0;

    opts[n].name = "enabled";
    opts[n].id = MOBILITYCTL_U_ENABLED;
    opts[n++].value = 0;

    opts[n].name = "password-stdin";
    opts[n].id = MOBILITYCTL_U_PW_STDIN;
    opts[n++].value = 0;

    opts[n].name = "admin";
    opts[n].id = MOBILITYCTL_U_ADMIN;
    opts[n++].value = 0;

    opts[n].name = "no-admin";
    opts[n].id = MOBILITYCTL_U_NO_ADMIN;
    opts[n++].value = 0;

    if (set) {
        opts[n].name = "clear";
        opts[n].id = MOBILITYCTL_U_CLEAR;
        opts[n++].value = 1;
    }

    opts[n].name = NULL;

    return opts;
}


static int
mobilityctl_user_once(mobilityctl_args_t *a, mobilityctl_edit_t *e, int i)
{
    if (e->set & (1u << i)) {
        return mobilityctl_usage_error(a, "field \"%s\" given twice",
                                       ngx_mobility_user_fields[i].name);
    }

    e->set |= 1u << i;

    return MOBILITYCTL_OK;
}


/* one of a pair of switches ("--enabled and --disabled") sets a flag */
static int
mobilityctl_user_switch(mobilityctl_args_t *a, int *flag, int on,
    const char *pair)
{
    if (*flag != -1 && *flag != on) {
        return mobilityctl_usage_error(a, "%s contradict each other", pair);
    }

    *flag = on;

    return MOBILITYCTL_OK;
}


static int
mobilityctl_user_parse(mobilityctl_t *ctx, mobilityctl_args_t *a, int set,
    mobilityctl_edit_t *e, int *pw_stdin)
{
    int                       id, i, nfields;
    char                     *v, *sip, err[MOBILITYCTL_ERRLEN];
    uint32_t                  cleared;
    const mobilityctl_opt_t  *opts;

    if (mobilityctl_nfields() > MOBILITYCTL_FIELDS_MAX) {
        mobilityctl_error("too many user fields");
        return MOBILITYCTL_ESTORE;
    }

    opts = mobilityctl_user_options(set);
    nfields = mobilityctl_nfields();

    mobilityctl_edit_init(e);

    sip = NULL;
    cleared = 0;
    *pw_stdin = 0;

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        switch (id) {

        case MOBILITYCTL_ARG_ERROR:
            return MOBILITYCTL_EUSAGE;

        case MOBILITYCTL_ARG_POS:
            if (sip) {
                return mobilityctl_usage_error(a, "unexpected argument "
                                               "\"%s\"", v);
            }

            sip = v;
            break;

        case MOBILITYCTL_U_DISABLED:
        case MOBILITYCTL_U_ENABLED:
            if (mobilityctl_user_switch(a, &e->enabled,
                                        id == MOBILITYCTL_U_ENABLED,
                                        "--enabled and --disabled")
                != MOBILITYCTL_OK)
            {
                return MOBILITYCTL_EUSAGE;
            }

            break;

        case MOBILITYCTL_U_PW_STDIN:
            *pw_stdin = 1;
            break;

        case MOBILITYCTL_U_ADMIN:
        case MOBILITYCTL_U_NO_ADMIN:
            if (mobilityctl_user_switch(a, &e->admin,
                                        id == MOBILITYCTL_U_ADMIN,
                                        "--admin and --no-admin")
                != MOBILITYCTL_OK)
            {
                return MOBILITYCTL_EUSAGE;
            }

            break;

        case MOBILITYCTL_U_CLEAR:
            if (strcasecmp(v, "password") == 0) {
                e->password = MOBILITYCTL_PW_CLEAR;
                break;
            }

            i = mobilityctl_field_index((u_char *) v, strlen(v));

            if (i < 0) {
                return mobilityctl_usage_error(a, "--clear: unknown field "
                                               "\"%s\"", v);
            }

            if (mobilityctl_user_once(a, e, i) != MOBILITYCTL_OK) {
                return MOBILITYCTL_EUSAGE;
            }

            cleared |= 1u << i;
            e->value[i].data = (u_char *) "";
            e->value[i].len = 0;
            break;

        default:
            i = id - MOBILITYCTL_U_FIELD;

            if (mobilityctl_user_once(a, e, i) != MOBILITYCTL_OK) {
                return MOBILITYCTL_EUSAGE;
            }

            e->value[i].data = (u_char *) v;
            e->value[i].len = strlen(v);
            break;
        }
    }

    if (sip == NULL) {
        return mobilityctl_usage_error(a, "missing SIP address");
    }

    if (*pw_stdin && e->password == MOBILITYCTL_PW_CLEAR) {
        return mobilityctl_usage_error(a, "--password-stdin and --clear "
                                       "password contradict each other");
    }

    if (set && e->set == 0 && e->enabled == -1 && e->admin == -1
        && !*pw_stdin
        && e->password == MOBILITYCTL_PW_KEEP)
    {
        return mobilityctl_usage_error(a, "nothing to change");
    }

    if (mobilityctl_sip_arg(sip, e) != MOBILITYCTL_OK) {
        return MOBILITYCTL_EINPUT;
    }

    for (i = 0; i < nfields; i++) {
        if ((e->set & (1u << i)) && !(cleared & (1u << i))
            && mobilityctl_field_check(i, &e->value[i], err, sizeof(err))
               != 0)
        {
            mobilityctl_error("%s", err);
            return MOBILITYCTL_EINPUT;
        }
    }

    return MOBILITYCTL_OK;
}


/*
 * Reads and hashes the password for e outside of any write transaction
 * (hashing is slow by design and must not hold up nginx's writers), after
 * checking in a read transaction that the change would be accepted.
 */

static int
mobilityctl_user_password(mobilityctl_t *ctx, mobilityctl_edit_t *e,
    int mode, int from_stdin)
{
    int        rc;
    char       err[MOBILITYCTL_ERRLEN], who[NGX_MOBILITY_SIP_MAX + 8];
    u_char     pw[NGX_MOBILITY_PW_MAX_LEN + 1];
    size_t     len;
    MDB_txn   *txn;
    uint32_t   iterations;

    rc = mobilityctl_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    e->password = MOBILITYCTL_PW_SET;

    rc = mobilityctl_user_apply(ctx, txn, e, mode, 1, time(NULL), NULL, err,
                                sizeof(err));

    if (rc == MOBILITYCTL_OK) {
        rc = mobilityctl_password_iterations(ctx, txn, &iterations);

    } else if (rc == MOBILITYCTL_EINPUT) {
        mobilityctl_error("%s", err);

    } else {
        mobilityctl_store_error(ctx);
    }

    mdb_txn_abort(txn);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    snprintf(who, sizeof(who), "sip:%s", e->sip);

    rc = mobilityctl_password_read(from_stdin, who, pw, &len);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_password_hash(pw, len, iterations, e->hash);

    mobilityctl_cleanse(pw, sizeof(pw));

    return rc;
}


/* one write transaction that applies e; prints the result */

static int
mobilityctl_user_write(mobilityctl_t *ctx, mobilityctl_edit_t *e, int mode,
    const char *done)
{
    int                   rc;
    char                  err[MOBILITYCTL_ERRLEN];
    json_t               *j;
    MDB_txn              *txn;
    ngx_mobility_user_t   u;

    rc = mobilityctl_begin(ctx, &txn, 1);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_user_apply(ctx, txn, e, mode, 0, time(NULL), NULL, err,
                                sizeof(err));

    if (rc == MOBILITYCTL_EINPUT) {
        mdb_txn_abort(txn);
        mobilityctl_error("%s", err);
        return rc;
    }

    if (rc != MOBILITYCTL_OK) {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    j = NULL;

    if (ctx->json) {
        if (ngx_mobility_user_get(&ctx->store, txn, e->sip, e->sip_len, &u)
            != NGX_MOBILITY_OK)
        {
            mdb_txn_abort(txn);
            return mobilityctl_store_error(ctx);
        }

        j = mobilityctl_user_json(&u);
    }

    rc = mobilityctl_commit(ctx, txn);

    if (rc != MOBILITYCTL_OK) {
        json_decref(j);
        return rc;
    }

    if (e->policy_changed) {
        char  msg[NGX_MOBILITY_SIP_MAX + 16];
        int   n;

        n = snprintf(msg, sizeof(msg), "policies\n%s", (char *) e->sip);
        mobilityctl_notify(ctx, (u_char *) msg, (size_t) n);
    }

    if (j) {
        mobilityctl_json_print(j);

    } else {
        printf("%s user sip:%s\n", done, e->sip);
    }

    return MOBILITYCTL_OK;
}


static int
mobilityctl_user_edit(mobilityctl_t *ctx, mobilityctl_args_t *a, int mode)
{
    int                 rc, pw_stdin;
    mobilityctl_edit_t  e;

    rc = mobilityctl_user_parse(ctx, a, mode == MOBILITYCTL_MODIFY, &e,
                                &pw_stdin);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_open(ctx);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (pw_stdin) {
        rc = mobilityctl_user_password(ctx, &e, mode, 1);
        if (rc != MOBILITYCTL_OK) {
            return rc;
        }
    }

    rc = mobilityctl_user_write(ctx, &e, mode,
                                mode == MOBILITYCTL_CREATE ? "added"
                                                           : "updated");

    mobilityctl_cleanse(e.hash, sizeof(e.hash));

    return rc;
}


int
mobilityctl_user_add(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    return mobilityctl_user_edit(ctx, a, MOBILITYCTL_CREATE);
}


int
mobilityctl_user_set(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    return mobilityctl_user_edit(ctx, a, MOBILITYCTL_MODIFY);
}


/* SIP and nothing else but the options in opts, whose ids go to *flags */

static int
mobilityctl_user_one(mobilityctl_t *ctx, mobilityctl_args_t *a,
    const mobilityctl_opt_t *opts, mobilityctl_edit_t *e, int *flags)
{
    int    id;
    char  *v, *sip;

    mobilityctl_edit_init(e);

    sip = NULL;

    if (flags) {
        *flags = 0;
    }

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        if (id == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        if (id != MOBILITYCTL_ARG_POS) {
            if (flags) {
                *flags |= 1 << id;
            }

            continue;
        }

        if (sip) {
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);
        }

        sip = v;
    }

    if (sip == NULL) {
        return mobilityctl_usage_error(a, "missing SIP address");
    }

    if (mobilityctl_sip_arg(sip, e) != MOBILITYCTL_OK) {
        return MOBILITYCTL_EINPUT;
    }

    return mobilityctl_open(ctx);
}


static int
mobilityctl_user_toggle(mobilityctl_t *ctx, mobilityctl_args_t *a,
    int enabled)
{
    int                 rc;
    mobilityctl_edit_t  e;

    rc = mobilityctl_user_one(ctx, a, NULL, &e, NULL);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    e.enabled = enabled;

    return mobilityctl_user_write(ctx, &e, MOBILITYCTL_MODIFY,
                                  enabled ? "enabled" : "disabled");
}


int
mobilityctl_user_enable(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    return mobilityctl_user_toggle(ctx, a, 1);
}


int
mobilityctl_user_disable(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    return mobilityctl_user_toggle(ctx, a, 0);
}


int
mobilityctl_user_passwd(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                 rc, flags;
    mobilityctl_edit_t  e;

    rc = mobilityctl_user_one(ctx, a, mobilityctl_pw_opts, &e, &flags);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_user_password(ctx, &e, MOBILITYCTL_MODIFY,
                                   (flags & (1 << MOBILITYCTL_U_PW_STDIN))
                                   != 0);

    if (rc == MOBILITYCTL_OK) {
        rc = mobilityctl_user_write(ctx, &e, MOBILITYCTL_MODIFY,
                                    "changed the password of");
    }

    mobilityctl_cleanse(e.hash, sizeof(e.hash));

    return rc;
}


int
mobilityctl_user_remove(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                 rc, memberships;
    json_t             *j;
    MDB_txn            *txn;
    mobilityctl_edit_t  e;

    rc = mobilityctl_user_one(ctx, a, NULL, &e, NULL);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_begin(ctx, &txn, 1);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = ngx_mobility_user_del(&ctx->store, txn, e.sip, e.sip_len);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        mdb_txn_abort(txn);
        mobilityctl_error("no such user sip:%s", e.sip);
        return MOBILITYCTL_EINPUT;
    }

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    /* in the same transaction: nobody keeps the user as a contact */
    memberships = ngx_mobility_contacts_forget(&ctx->store, txn, e.sip,
                                               e.sip_len);
    if (memberships < 0) {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    /* and the user's scheduled meetings go */
    if (ngx_mobility_meeting_delete_all(&ctx->store, txn, e.sip, e.sip_len)
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

        mobilityctl_json_set(j, "sip", json_sprintf("sip:%s", e.sip));
        mobilityctl_json_set(j, "removed", json_true());
        mobilityctl_json_set(j, "contactMemberships",
                             json_integer(memberships));
        mobilityctl_json_print(j);

    } else {
        printf("removed user sip:%s\n", e.sip);
    }

    return MOBILITYCTL_OK;
}


int
mobilityctl_user_show(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                  rc;
    MDB_txn             *txn;
    mobilityctl_edit_t   e;
    ngx_mobility_user_t  u;

    rc = mobilityctl_user_one(ctx, a, NULL, &e, NULL);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = ngx_mobility_user_get(&ctx->store, txn, e.sip, e.sip_len, &u);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        mdb_txn_abort(txn);
        mobilityctl_error("no such user sip:%s", e.sip);
        return MOBILITYCTL_EINPUT;
    }

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    if (ctx->json) {
        mobilityctl_json_print(mobilityctl_user_json(&u));

    } else {
        mobilityctl_user_print(&u);
    }

    mdb_txn_abort(txn);

    return MOBILITYCTL_OK;
}


static const char *
mobilityctl_json_str(json_t *obj, const char *key)
{
    const char  *s;

    s = json_string_value(json_object_get(obj, key));

    return s ? s : "";
}


static void
mobilityctl_user_table(json_t *list)
{
    size_t       i, k, w[3], n;
    json_t      *u;
    const char  *col[3], *s;

    static const char  *head[] = { "SIP", "NAME", "SITE" };
    static const char  *keys[] = { "sip", "name", "site" };

    if (json_array_size(list) == 0) {
        printf("no users\n");
        return;
    }

    for (k = 0; k < 3; k++) {
        w[k] = strlen(head[k]);
    }

    json_array_foreach(list, i, u) {
        for (k = 0; k < 3; k++) {
            n = mobilityctl_utf8_width(mobilityctl_json_str(u, keys[k]));

            if (n > w[k]) {
                w[k] = n;
            }
        }
    }

    printf("%-*s  %-*s  %-*s  %s\n", (int) w[0], head[0], (int) w[1],
           head[1], (int) w[2], head[2], "STATUS");

    json_array_foreach(list, i, u) {
        for (k = 0; k < 3; k++) {
            col[k] = mobilityctl_json_str(u, keys[k]);

            /* pad by code points, not bytes */
            fputs(col[k], stdout);

            for (n = mobilityctl_utf8_width(col[k]); n < w[k] + 2; n++) {
                fputc(' ', stdout);
            }
        }

        s = json_is_true(json_object_get(u, "enabled")) ? "enabled"
                                                        : "disabled";
        printf("%s\n", s);
    }
}


int
mobilityctl_user_list(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                   rc, id;
    char                 *v, *site, q[MOBILITYCTL_ERRLEN];
    json_t               *list;
    u_char                domain[NGX_MOBILITY_DOMAIN_MAX + 1];
    size_t                dlen, slen, i;
    MDB_val               k, d;
    MDB_txn              *txn;
    MDB_cursor           *cur;
    const u_char         *key;
    ngx_mobility_user_t   u;
    ngx_mobility_bytes_t  sv;

    static const mobilityctl_opt_t  opts[] = {
        { "domain", MOBILITYCTL_U_DOMAIN, 1 },
        { "site", MOBILITYCTL_U_SITE, 1 },
        { NULL, 0, 0 }
    };

    dlen = 0;
    site = NULL;
    slen = 0;

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        switch (id) {

        case MOBILITYCTL_ARG_ERROR:
            return MOBILITYCTL_EUSAGE;

        case MOBILITYCTL_ARG_POS:
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);

        case MOBILITYCTL_U_DOMAIN:
            rc = ngx_mobility_domain_canon((u_char *) v, strlen(v), domain);

            if (rc <= 0) {
                mobilityctl_error("invalid domain name \"%s\"",
                                  mobilityctl_quote((u_char *) v, strlen(v),
                                                    q, sizeof(q)));
                return MOBILITYCTL_EINPUT;
            }

            dlen = rc;
            break;

        default: /* MOBILITYCTL_U_SITE */
            sv.data = (u_char *) v;
            sv.len = strlen(v);
            mobilityctl_trim(&sv);
            site = (char *) sv.data;
            slen = sv.len;
            break;
        }
    }

    rc = mobilityctl_open_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (dlen) {
        rc = ngx_mobility_domain_exists(&ctx->store, txn, domain, dlen);

        if (rc != NGX_MOBILITY_OK) {
            mdb_txn_abort(txn);

            if (rc == NGX_MOBILITY_ERROR) {
                return mobilityctl_store_error(ctx);
            }

            mobilityctl_unknown_domain(domain, dlen, q, sizeof(q));
            mobilityctl_error("%s", q);

            return MOBILITYCTL_EINPUT;
        }
    }

    rc = mdb_cursor_open(txn, ctx->store.dbi[NGX_MOBILITY_DB_USERS], &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        ngx_mobility_store_fail(&ctx->store, "listing users", rc);
        return mobilityctl_store_error(ctx);
    }

    list = json_array();
    if (list == NULL) {
        mobilityctl_oom();
    }

    for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
    {
        if (dlen) {
            key = k.mv_data;
            i = k.mv_size;

            /* "user@domain": the domain is what follows the last "@" */

            if (i <= dlen || key[i - dlen - 1] != '@'
                || memcmp(key + i - dlen, domain, dlen) != 0)
            {
                continue;
            }
        }

        if (ngx_mobility_user_decode(d.mv_data, d.mv_size, &u) != 0) {
            mobilityctl_error("store \"%s\": the record of user \"%s\" is "
                              "corrupt", ctx->path,
                              mobilityctl_quote(k.mv_data, k.mv_size, q,
                                                sizeof(q)));
            rc = -1;
            break;
        }

        if (site
            && (u.site.len != slen
                || strncasecmp((char *) u.site.data, site, slen) != 0))
        {
            continue;
        }

        if (json_array_append_new(list, mobilityctl_user_json(&u)) != 0) {
            mobilityctl_oom();
        }
    }

    mdb_cursor_close(cur);
    mdb_txn_abort(txn);

    if (rc != MDB_NOTFOUND) {
        json_decref(list);

        if (rc == -1) {
            return MOBILITYCTL_ESTORE;
        }

        ngx_mobility_store_fail(&ctx->store, "listing users", rc);
        return mobilityctl_store_error(ctx);
    }

    if (ctx->json) {
        mobilityctl_json_print(list);
        return MOBILITYCTL_OK;
    }

    mobilityctl_user_table(list);
    json_decref(list);

    return MOBILITYCTL_OK;
}
