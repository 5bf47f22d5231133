/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl: mobility policies, the MCX and push notification settings
 * and the audit log, as the Lync / Skype for Business cmdlets have them:
 * "New-CsMobilityPolicy -Identity tag:Sales -EnableOutsideVoice False".
 * Parameter names are matched case-insensitively, as PowerShell does;
 * "-Name value" and "-Name:value" both work.  The model and the checks
 * are ngx_mobility_policy.c's, shared with the admin API of nginx.
 */


#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/time.h>

#include "mobilityctl.h"
#include "ngx_mobility_audit.h"
#include "ngx_mobility_notify.h"


/* what a command accepts besides the parameters of its kind */
#define MOBILITYCTL_C_IDENTITY    0x0001
#define MOBILITYCTL_C_PARAMS      0x0002
#define MOBILITYCTL_C_WHATIF      0x0004
#define MOBILITYCTL_C_FORCE       0x0008
#define MOBILITYCTL_C_CONFIRM     0x0010
#define MOBILITYCTL_C_FILTER      0x0020
#define MOBILITYCTL_C_POLICYNAME  0x0040
#define MOBILITYCTL_C_PASSTHRU    0x0080
#define MOBILITYCTL_C_LAST        0x0100
#define MOBILITYCTL_C_TARGET      0x0200
#define MOBILITYCTL_C_BEFORE      0x0400

#define MOBILITYCTL_C_CHANGE                                                  \
    (MOBILITYCTL_C_IDENTITY|MOBILITYCTL_C_WHATIF|MOBILITYCTL_C_FORCE          \
     |MOBILITYCTL_C_CONFIRM)

#define MOBILITYCTL_AUDIT_LAST    20


typedef struct {
    const char  *name;
    unsigned     flag;
    unsigned     sw:1;                 /* a switch: no value */
} mobilityctl_common_t;


typedef struct {
    const ngx_mobility_cfg_kind_t  *kind;
    unsigned                        allowed;
    unsigned                        given;
    char                           *identity;
    char                           *policy_name;
    char                           *filter;
    char                           *target;
    char                           *before;
    unsigned long                   last;
    json_t                         *params;
    unsigned                        whatif:1;
    unsigned                        force:1;
    unsigned                        passthru:1;
} mobilityctl_cmdlet_t;


static const mobilityctl_common_t  mobilityctl_common[] = {
    { "Identity", MOBILITYCTL_C_IDENTITY, 0 },
    { "WhatIf", MOBILITYCTL_C_WHATIF, 1 },
    { "Force", MOBILITYCTL_C_FORCE, 1 },
    { "Confirm", MOBILITYCTL_C_CONFIRM, 1 },
    { "PassThru", MOBILITYCTL_C_PASSTHRU, 1 },
    { "Filter", MOBILITYCTL_C_FILTER, 0 },
    { "PolicyName", MOBILITYCTL_C_POLICYNAME, 0 },
    { "Last", MOBILITYCTL_C_LAST, 0 },
    { "Target", MOBILITYCTL_C_TARGET, 0 },
    { "Before", MOBILITYCTL_C_BEFORE, 0 },
    { NULL, 0, 0 }
};


/* parameters of the cmdlets that make no sense here */
static const char  *mobilityctl_unsupported[] = {
    "InMemory", "Instance", "Tenant", "DomainController", "LocalStore",
    NULL
};


/* ------------------------------------------------------------------ */
/* helpers                                                            */


static const char *
mobilityctl_who(void)
{
    const char     *sudo;
    struct passwd  *pw;

    static char     who[512];

    if (who[0]) {
        return who;
    }

    pw = getpwuid(geteuid());

    if (pw) {
        snprintf(who, sizeof(who), "unix:%s", pw->pw_name);

    } else {
        snprintf(who, sizeof(who), "unix:%u", (unsigned) geteuid());
    }

    sudo = getenv("SUDO_USER");

    if (sudo && *sudo && geteuid() == 0) {
        snprintf(who + strlen(who), sizeof(who) - strlen(who),
                 " (sudo from %.64s)", sudo);
    }

    return who;
}


void
mobilityctl_op_init(mobilityctl_t *ctx, ngx_mobility_admin_op_t *op)
{
    struct timeval  tv;

    gettimeofday(&tv, NULL);

    ngx_mobility_admin_op_init(op);

    op->who = mobilityctl_who();
    op->via = "cli";
    op->client = NULL;
    op->now_ms = (uint64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
    op->dry = 0;
    op->force = 0;
}


/* tells running nginx workers; the store already has the change */

void
mobilityctl_notify(mobilityctl_t *ctx, const u_char *data, size_t len)
{
    char  err[MOBILITYCTL_ERRLEN];

    if (len == 0) {
        return;
    }

    if (ngx_mobility_notify_send(&ctx->store, ctx->path,
                                 NGX_MOBILITY_NOTIFY_USER, data, len, err,
                                 sizeof(err))
        < 0)
    {
        mobilityctl_error("warning: the change is stored, but running nginx "
                          "workers could not be told at once (%s); they "
                          "see it when they next read it", err);
    }
}


static int
mobilityctl_bool_value(const char *s)
{
    if (*s == '$') {
        s++;
    }

    if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        return 1;
    }

    if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0) {
        return 0;
    }

    return -1;
}


static int
mobilityctl_cmdlet_parse(mobilityctl_t *ctx, mobilityctl_args_t *a,
    mobilityctl_cmdlet_t *mc)
{
    int                              rc, b;
    char                            *arg, *name, *colon, *val, *end;
    size_t                           len, i;
    const mobilityctl_common_t      *cm;
    const ngx_mobility_cfg_param_t  *p;

    mc->params = json_object();
    if (mc->params == NULL) {
        mobilityctl_oom();
    }

    while (a->next < a->argc) {

        rc = mobilityctl_global_arg(ctx, a);

        if (rc < 0) {
            return MOBILITYCTL_EUSAGE;
        }

        if (rc > 0) {
            continue;
        }

        arg = a->argv[a->next++];

        if (arg[0] != '-' || arg[1] == '\0'
            || (arg[1] >= '0' && arg[1] <= '9'))
        {
            /* PowerShell binds the first positional argument to Identity */

            if ((mc->allowed & MOBILITYCTL_C_IDENTITY)
                && !(mc->given & MOBILITYCTL_C_IDENTITY))
            {
                mc->identity = arg;
                mc->given |= MOBILITYCTL_C_IDENTITY;
                continue;
            }

            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           arg);
        }

        name = arg + 1;

        if (*name == '-') {
            name++;
        }

        colon = strchr(name, ':');
        len = colon ? (size_t) (colon - name) : strlen(name);

        if (len == 0) {
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           arg);
        }

        for (cm = mobilityctl_common; cm->name; cm++) {
            if ((mc->allowed & cm->flag) && strlen(cm->name) == len
                && strncasecmp(cm->name, name, len) == 0)
            {
                break;
            }
        }

        if (cm->name) {
            if (mc->given & cm->flag) {
                return mobilityctl_usage_error(a, "parameter -%s given "
                                               "twice", cm->name);
            }

            mc->given |= cm->flag;

            if (cm->sw) {
                b = colon ? mobilityctl_bool_value(colon + 1) : 1;

                if (b < 0) {
                    return mobilityctl_usage_error(a, "-%s:%s: a switch "
                                                   "takes $true or $false",
                                                   cm->name, colon + 1);
                }

                if (cm->flag == MOBILITYCTL_C_WHATIF) {
                    mc->whatif = b;

                } else if (cm->flag == MOBILITYCTL_C_FORCE) {
                    mc->force = b;

                } else if (cm->flag == MOBILITYCTL_C_PASSTHRU) {
                    mc->passthru = b;
                }

                /* -Confirm: nothing to confirm interactively here */

                continue;
            }

            if (colon) {
                val = colon + 1;

            } else if (a->next < a->argc) {
                val = a->argv[a->next++];

            } else {
                return mobilityctl_usage_error(a, "-%s needs a value",
                                               cm->name);
            }

            switch (cm->flag) {

            case MOBILITYCTL_C_IDENTITY:
                mc->identity = val;
                break;

            case MOBILITYCTL_C_POLICYNAME:
                mc->policy_name = val;
                break;

            case MOBILITYCTL_C_FILTER:
                mc->filter = val;
                break;

            case MOBILITYCTL_C_TARGET:
                mc->target = val;
                break;

            case MOBILITYCTL_C_BEFORE:
                mc->before = val;
                break;

            default: /* MOBILITYCTL_C_LAST */
                mc->last = (*val >= '1' && *val <= '9')
                           ? strtoul(val, &end, 10) : 0;

                if (mc->last == 0 || *end != '\0'
                    || mc->last > NGX_MOBILITY_AUDIT_LIST_MAX)
                {
                    return mobilityctl_usage_error(a, "-Last must be a "
                                                   "number from 1 to %d",
                                                   NGX_MOBILITY_AUDIT_LIST_MAX);
                }

                break;
            }

            continue;
        }

        p = (mc->allowed & MOBILITYCTL_C_PARAMS)
            ? ngx_mobility_cfg_param(mc->kind, name, len) : NULL;

        if (p) {
            if (json_object_get(mc->params, p->name)) {
                return mobilityctl_usage_error(a, "parameter -%s given "
                                               "twice", p->name);
            }

            if (colon) {
                val = colon + 1;

            } else if (a->next < a->argc) {
                val = a->argv[a->next++];

            } else {
                return mobilityctl_usage_error(a, "-%s needs a value (%s)",
                                               p->name,
                                               p->type == NGX_MOBILITY_CFG_BOOL
                                               ? "True or False" : "see "
                                               "docs/policies.md");
            }

            mobilityctl_json_set(mc->params, p->name, json_string(val));
            continue;
        }

        for (i = 0; mobilityctl_unsupported[i]; i++) {
            if (strlen(mobilityctl_unsupported[i]) == len
                && strncasecmp(mobilityctl_unsupported[i], name, len) == 0)
            {
                return mobilityctl_usage_error(a, "-%s is not supported by "
                                               "mobilityctl",
                                               mobilityctl_unsupported[i]);
            }
        }

        return mobilityctl_usage_error(a, "unknown parameter -%.*s%s%s",
                                       (int) len, name,
                                       mc->kind ? " of " : "",
                                       mc->kind ? mc->kind->noun : "");
    }

    return MOBILITYCTL_OK;
}


static void
mobilityctl_value_print(json_t *v)
{
    const char  *s;

    switch (json_typeof(v)) {

    case JSON_TRUE:
        fputs("True", stdout);
        break;

    case JSON_FALSE:
        fputs("False", stdout);
        break;

    case JSON_NULL:
        fputs("$null", stdout);
        break;

    case JSON_INTEGER:
        printf("%lld", (long long) json_integer_value(v));
        break;

    case JSON_STRING:
        s = json_string_value(v);
        mobilityctl_print_bytes((const u_char *) s, json_string_length(v));
        break;

    default:
        fputs("...", stdout);
        break;
    }
}


/* an object as PowerShell lists one: "Name : value", nested indented */

static void
mobilityctl_ps_print(json_t *obj, int indent)
{
    int          w;
    size_t       i;
    json_t      *v, *e;
    const char  *key;

    w = 0;

    json_object_foreach(obj, key, v) {
        if ((int) strlen(key) > w) {
            w = (int) strlen(key);
        }
    }

    json_object_foreach(obj, key, v) {
        if (json_is_object(v)) {
            printf("%*s%s:\n", indent, "", key);
            mobilityctl_ps_print(v, indent + 4);
            continue;
        }

        printf("%*s%-*s : ", indent, "", w, key);

        if (json_is_array(v)) {
            json_array_foreach(v, i, e) {
                if (i) {
                    fputs(", ", stdout);
                }

                mobilityctl_value_print(e);
            }

        } else {
            mobilityctl_value_print(v);
        }

        fputc('\n', stdout);
    }
}


/* the parameters that differ between before and after */

static void
mobilityctl_diff_print(json_t *before, json_t *after)
{
    json_t      *v, *old;
    const char  *key;

    if (after == NULL) {
        return;
    }

    json_object_foreach(after, key, v) {
        if (strcmp(key, "Identity") == 0) {
            continue;
        }

        old = before ? json_object_get(before, key) : NULL;

        if (old && json_equal(old, v)) {
            continue;
        }

        printf("  %s: ", key);

        if (old) {
            mobilityctl_value_print(old);
            fputs(" -> ", stdout);
        }

        mobilityctl_value_print(v);
        fputc('\n', stdout);
    }
}


static int
mobilityctl_op_failed(mobilityctl_t *ctx, int rc,
    ngx_mobility_admin_op_t *op)
{
    if (rc == NGX_MOBILITY_ERROR) {
        mobilityctl_error("store \"%s\": %s", ctx->path, op->err);
        return MOBILITYCTL_ESTORE;
    }

    mobilityctl_error("%s", op->err);

    return MOBILITYCTL_EINPUT;
}


/* one change in one write transaction: checked, written, audited, told */

static int
mobilityctl_change(mobilityctl_t *ctx, mobilityctl_cmdlet_t *mc, int what)
{
    int                       rc;
    json_t                   *j;
    MDB_txn                  *txn;
    const char               *user;
    ngx_mobility_admin_op_t  *op;

    rc = mobilityctl_open(ctx);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    op = malloc(sizeof(ngx_mobility_admin_op_t));
    if (op == NULL) {
        mobilityctl_oom();
    }

    mobilityctl_op_init(ctx, op);
    op->dry = mc->whatif;
    op->force = mc->force;

    rc = mobilityctl_begin(ctx, &txn, 1);
    if (rc != MOBILITYCTL_OK) {
        free(op);
        return rc;
    }

    switch (what) {

    case MOBILITYCTL_OP_NEW:
        rc = ngx_mobility_cfg_new(&ctx->store, txn, mc->kind, mc->identity,
                                  mc->params, op);
        break;

    case MOBILITYCTL_OP_SET:
        rc = ngx_mobility_cfg_set(&ctx->store, txn, mc->kind, mc->identity,
                                  mc->params, op);
        break;

    case MOBILITYCTL_OP_REMOVE:
        rc = ngx_mobility_cfg_remove(&ctx->store, txn, mc->kind,
                                     mc->identity, op);
        break;

    default: /* MOBILITYCTL_OP_GRANT */
        user = mc->identity;
        rc = ngx_mobility_policy_grant(&ctx->store, txn, user, strlen(user),
                                       mc->policy_name, op);
        break;
    }

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);
        rc = mobilityctl_op_failed(ctx, rc, op);
        ngx_mobility_admin_op_free(op);
        free(op);
        return rc;
    }

    if (op->dry) {
        mdb_txn_abort(txn);

    } else {
        rc = mobilityctl_commit(ctx, txn);

        if (rc != MOBILITYCTL_OK) {
            ngx_mobility_admin_op_free(op);
            free(op);
            return rc;
        }

        mobilityctl_notify(ctx, op->notify, op->notify_len);
    }

    if (ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "Action", json_string(op->action));
        mobilityctl_json_set(j, "Target", json_string(op->target));
        mobilityctl_json_set(j, "WhatIf", json_boolean(op->dry));
        mobilityctl_json_set(j, "Before",
                             op->before ? json_incref(op->before)
                                        : json_null());
        mobilityctl_json_set(j, "After",
                             op->after ? json_incref(op->after)
                                       : json_null());
        mobilityctl_json_set(j, "AuditId",
                             op->audit_id[0] ? json_string(op->audit_id)
                                             : json_null());
        mobilityctl_json_print(j);

    } else if (op->dry) {
        printf("What if: Performing operation \"%s\" on Target \"%s\".\n",
               op->action, op->target);

        if (op->after == NULL) {
            printf("  (removed)\n");
        }

        mobilityctl_diff_print(op->before, op->after);

    } else {
        switch (what) {

        case MOBILITYCTL_OP_NEW:
            printf("created %s %s\n", mc->kind->what, op->target);

            /* the defaults are in the docs: show only what was given */
            json_decref(op->before);
            op->before = ngx_mobility_cfg_json_defaults(mc->kind);
            break;

        case MOBILITYCTL_OP_SET:
            printf("updated %s %s\n", mc->kind->what, op->target);
            break;

        case MOBILITYCTL_OP_REMOVE:
            if (op->after) {
                printf("reset the global %s to its defaults\n",
                       mc->kind->what);

            } else {
                printf("removed %s %s\n", mc->kind->what, op->target);
            }

            break;

        default:
            printf("%s %s\n",
                   json_is_null(json_object_get(op->after, "MobilityPolicy"))
                   ? "removed the mobility policy grant of"
                   : "granted the mobility policy to",
                   op->target);
            break;
        }

        mobilityctl_diff_print(op->before, op->after);

        if (mc->passthru && op->after) {
            mobilityctl_ps_print(op->after, 0);
        }
    }

    ngx_mobility_admin_op_free(op);
    free(op);

    return MOBILITYCTL_OK;
}


static int
mobilityctl_cmdlet(mobilityctl_t *ctx, mobilityctl_args_t *a,
    const ngx_mobility_cfg_kind_t *kind, unsigned allowed, int what)
{
    int                   rc;
    mobilityctl_cmdlet_t  mc;

    memset(&mc, 0, sizeof(mobilityctl_cmdlet_t));
    mc.kind = kind;
    mc.allowed = allowed;

    rc = mobilityctl_cmdlet_parse(ctx, a, &mc);

    if (rc == MOBILITYCTL_OK) {
        if ((what == MOBILITYCTL_OP_NEW || what == MOBILITYCTL_OP_REMOVE
             || what == MOBILITYCTL_OP_GRANT)
            && mc.identity == NULL)
        {
            rc = mobilityctl_usage_error(a, "-Identity is required");

        } else if (what == MOBILITYCTL_OP_GRANT
                   && !(mc.given & MOBILITYCTL_C_POLICYNAME))
        {
            rc = mobilityctl_usage_error(a, "-PolicyName is required "
                                         "($null to remove the grant)");

        } else if (what == MOBILITYCTL_OP_SET
                   && json_object_size(mc.params) == 0)
        {
            rc = mobilityctl_usage_error(a, "nothing to change");

        } else {
            rc = mobilityctl_change(ctx, &mc, what);
        }
    }

    json_decref(mc.params);

    return rc;
}


/* ------------------------------------------------------------------ */
/* Get-                                                               */


static int
mobilityctl_cfg_get(mobilityctl_t *ctx, mobilityctl_args_t *a,
    const ngx_mobility_cfg_kind_t *kind)
{
    int                    rc;
    char                   err[NGX_MOBILITY_CFG_ERRLEN];
    size_t                 i;
    json_t                *list, *j;
    MDB_txn               *txn;
    ngx_mobility_cfg_t    *c;
    mobilityctl_cmdlet_t   mc;

    memset(&mc, 0, sizeof(mobilityctl_cmdlet_t));
    mc.kind = kind;
    mc.allowed = MOBILITYCTL_C_IDENTITY|MOBILITYCTL_C_FILTER;

    rc = mobilityctl_cmdlet_parse(ctx, a, &mc);
    json_decref(mc.params);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (mc.identity && mc.filter) {
        return mobilityctl_usage_error(a, "-Identity and -Filter exclude "
                                       "each other");
    }

    rc = mobilityctl_open_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (mc.identity) {
        c = malloc(sizeof(ngx_mobility_cfg_t));
        if (c == NULL) {
            mobilityctl_oom();
        }

        rc = ngx_mobility_cfg_get(&ctx->store, txn, kind, mc.identity,
                                  strlen(mc.identity), c, err, sizeof(err));

        if (rc != NGX_MOBILITY_OK) {
            mdb_txn_abort(txn);
            free(c);

            if (rc == NGX_MOBILITY_ERROR) {
                return mobilityctl_store_error(ctx);
            }

            mobilityctl_error("%s", err);
            return MOBILITYCTL_EINPUT;
        }

        j = ngx_mobility_cfg_json(c);
        free(c);
        mdb_txn_abort(txn);

        if (j == NULL) {
            mobilityctl_oom();
        }

        if (ctx->json) {
            mobilityctl_json_print(j);

        } else {
            mobilityctl_ps_print(j, 0);
            json_decref(j);
        }

        return MOBILITYCTL_OK;
    }

    list = ngx_mobility_cfg_list(&ctx->store, txn, kind, mc.filter, &rc);

    mdb_txn_abort(txn);

    if (list == NULL) {
        return mobilityctl_store_error(ctx);
    }

    if (ctx->json) {
        mobilityctl_json_print(list);
        return MOBILITYCTL_OK;
    }

    json_array_foreach(list, i, j) {
        if (i) {
            fputc('\n', stdout);
        }

        mobilityctl_ps_print(j, 0);
    }

    json_decref(list);

    return MOBILITYCTL_OK;
}


/* ------------------------------------------------------------------ */
/* the commands                                                       */


/* what each operation accepts, indexed by MOBILITYCTL_OP_* */
static const unsigned  mobilityctl_op_allowed[] = {
    /* GET: mobilityctl_cfg_get() */
    0,
    /* NEW */
    MOBILITYCTL_C_CHANGE|MOBILITYCTL_C_PARAMS,
    /* SET */
    MOBILITYCTL_C_CHANGE|MOBILITYCTL_C_PARAMS|MOBILITYCTL_C_PASSTHRU,
    /* REMOVE */
    MOBILITYCTL_C_CHANGE,
    /* GRANT */
    MOBILITYCTL_C_IDENTITY|MOBILITYCTL_C_WHATIF|MOBILITYCTL_C_CONFIRM
    |MOBILITYCTL_C_POLICYNAME|MOBILITYCTL_C_PASSTHRU
};


int
mobilityctl_cfg_command(mobilityctl_t *ctx, mobilityctl_args_t *a,
    const ngx_mobility_cfg_kind_t *kind, int op)
{
    if (op == MOBILITYCTL_OP_GET) {
        return mobilityctl_cfg_get(ctx, a, kind);
    }

    return mobilityctl_cmdlet(ctx, a, kind, mobilityctl_op_allowed[op], op);
}


int
mobilityctl_policy_effective(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                   rc, n;
    json_t               *j, *v;
    u_char                sip[NGX_MOBILITY_SIP_MAX + 1];
    MDB_txn              *txn;
    const char           *key;
    mobilityctl_cmdlet_t  mc;
    ngx_mobility_user_t   u;

    memset(&mc, 0, sizeof(mobilityctl_cmdlet_t));
    mc.kind = NULL;
    mc.allowed = MOBILITYCTL_C_IDENTITY;

    rc = mobilityctl_cmdlet_parse(ctx, a, &mc);
    json_decref(mc.params);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (mc.identity == NULL) {
        return mobilityctl_usage_error(a, "-Identity (a user) is required");
    }

    rc = mobilityctl_open_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    n = ngx_mobility_user_resolve_login(&ctx->store, txn,
                                        (u_char *) mc.identity,
                                        strlen(mc.identity), sip);

    if (n <= 0
        || (rc = ngx_mobility_user_get(&ctx->store, txn, sip, n, &u))
           != NGX_MOBILITY_OK)
    {
        mdb_txn_abort(txn);

        if (n < 0 || (n > 0 && rc == NGX_MOBILITY_ERROR)) {
            return mobilityctl_store_error(ctx);
        }

        mobilityctl_error("no such user \"%s\"", mc.identity);
        return MOBILITYCTL_EINPUT;
    }

    j = ngx_mobility_effective_json(&ctx->store, txn, &u, &rc);

    mdb_txn_abort(txn);

    if (j == NULL) {
        return mobilityctl_store_error(ctx);
    }

    if (ctx->json) {
        mobilityctl_json_print(j);
        return MOBILITYCTL_OK;
    }

    /* the identity lines first, then one block per object */

    json_object_foreach(j, key, v) {
        if (!json_is_object(v)) {
            printf("%-14s : ", key);
            mobilityctl_value_print(v);
            fputc('\n', stdout);
        }
    }

    json_object_foreach(j, key, v) {
        if (json_is_object(v)) {
            printf("\n%s:\n", key);
            mobilityctl_ps_print(v, 4);
        }
    }

    json_decref(j);

    return MOBILITYCTL_OK;
}


int
mobilityctl_audit_list(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                   rc;
    size_t                i;
    json_t               *list, *e, *before, *after, *v;
    MDB_txn              *txn;
    const char           *key;
    mobilityctl_cmdlet_t  mc;

    memset(&mc, 0, sizeof(mobilityctl_cmdlet_t));
    mc.allowed = MOBILITYCTL_C_LAST|MOBILITYCTL_C_TARGET|MOBILITYCTL_C_BEFORE;
    mc.last = MOBILITYCTL_AUDIT_LAST;

    rc = mobilityctl_cmdlet_parse(ctx, a, &mc);
    json_decref(mc.params);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_open_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    list = ngx_mobility_audit_list(&ctx->store, txn, mc.last, mc.before,
                                   mc.target, &rc);

    mdb_txn_abort(txn);

    if (list == NULL) {
        return mobilityctl_store_error(ctx);
    }

    if (ctx->json) {
        mobilityctl_json_print(list);
        return MOBILITYCTL_OK;
    }

    if (json_array_size(list) == 0) {
        printf("no audit entries\n");
    }

    /* newest first, one line each, then what changed */

    json_array_foreach(list, i, e) {
        printf("%s  %s  ", json_string_value(json_object_get(e, "Time")),
               json_string_value(json_object_get(e, "Id")));
        mobilityctl_value_print(json_object_get(e, "Who"));
        printf(" (%s)  %s  ",
               json_string_value(json_object_get(e, "Via")),
               json_string_value(json_object_get(e, "Action")));
        mobilityctl_value_print(json_object_get(e, "Target"));
        fputc('\n', stdout);

        before = json_object_get(e, "Before");
        after = json_object_get(e, "After");

        if (json_is_null(after)) {
            printf("  (removed)\n");
            continue;
        }

        if (json_is_null(before) && json_is_object(after)) {
            json_object_foreach(after, key, v) {
                if (strcmp(key, "Identity") != 0) {
                    printf("  %s: ", key);
                    mobilityctl_value_print(v);
                    fputc('\n', stdout);
                }
            }

            continue;
        }

        if (json_is_object(before) && json_is_object(after)) {
            mobilityctl_diff_print(before, after);
        }
    }

    json_decref(list);

    return MOBILITYCTL_OK;
}
