/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl: command line, dispatch, the store and output helpers, and
 * the "store" commands.
 */


#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "mobilityctl.h"


#define MOBILITYCTL_MIN_SIZE  (1024 * 1024)
#define MOBILITYCTL_MAX_SIZE  ((size_t) 1 << 44)

#define MOBILITYCTL_OPT_STORE  1
#define MOBILITYCTL_OPT_SIZE   2
#define MOBILITYCTL_OPT_JSON   3
#define MOBILITYCTL_OPT_HELP   4


typedef struct {
    const char                     *group;
    const char                     *action;
    mobilityctl_handler_pt          handler;
    /* without a handler: mobilityctl_cfg_command(kind, op) */
    const ngx_mobility_cfg_kind_t  *kind;
    int                             op;
} mobilityctl_command_t;


#define mobilityctl_cfg(kind, op)                                             \
    NULL, &ngx_mobility_##kind##_kind, MOBILITYCTL_OP_##op


static const mobilityctl_command_t  mobilityctl_commands[] = {
    { "store", "init", mobilityctl_store_init, NULL, 0 },
    { "store", "info", mobilityctl_store_info, NULL, 0 },
    { "store", "reindex", mobilityctl_store_reindex, NULL, 0 },
    { "store", "backup", mobilityctl_store_backup, NULL, 0 },
    { "domain", "add", mobilityctl_domain_add, NULL, 0 },
    { "domain", "list", mobilityctl_domain_list, NULL, 0 },
    { "domain", "remove", mobilityctl_domain_remove, NULL, 0 },
    { "user", "add", mobilityctl_user_add, NULL, 0 },
    { "user", "set", mobilityctl_user_set, NULL, 0 },
    { "user", "enable", mobilityctl_user_enable, NULL, 0 },
    { "user", "disable", mobilityctl_user_disable, NULL, 0 },
    { "user", "remove", mobilityctl_user_remove, NULL, 0 },
    { "user", "show", mobilityctl_user_show, NULL, 0 },
    { "user", "list", mobilityctl_user_list, NULL, 0 },
    { "user", "passwd", mobilityctl_user_passwd, NULL, 0 },
    { "user", "photo", mobilityctl_user_photo, NULL, 0 },
    { "user", "import", mobilityctl_user_import, NULL, 0 },
    { "meeting", "list", mobilityctl_meeting_list, NULL, 0 },
    { "meeting", "remove", mobilityctl_meeting_remove, NULL, 0 },

    /* the cmdlets of Lync / Skype for Business, any case */
    { "New-CsMobilityPolicy", NULL, mobilityctl_cfg(policy, NEW) },
    { "Set-CsMobilityPolicy", NULL, mobilityctl_cfg(policy, SET) },
    { "Get-CsMobilityPolicy", NULL, mobilityctl_cfg(policy, GET) },
    { "Remove-CsMobilityPolicy", NULL, mobilityctl_cfg(policy, REMOVE) },
    { "Grant-CsMobilityPolicy", NULL, mobilityctl_cfg(policy, GRANT) },
    { "Get-CsEffectiveMobilityPolicy", NULL,
      mobilityctl_policy_effective, NULL, 0 },
    { "New-CsMcxConfiguration", NULL, mobilityctl_cfg(mcx, NEW) },
    { "Set-CsMcxConfiguration", NULL, mobilityctl_cfg(mcx, SET) },
    { "Get-CsMcxConfiguration", NULL, mobilityctl_cfg(mcx, GET) },
    { "Remove-CsMcxConfiguration", NULL, mobilityctl_cfg(mcx, REMOVE) },
    { "New-CsPushNotificationConfiguration", NULL, mobilityctl_cfg(push, NEW) },
    { "Set-CsPushNotificationConfiguration", NULL, mobilityctl_cfg(push, SET) },
    { "Get-CsPushNotificationConfiguration", NULL, mobilityctl_cfg(push, GET) },
    { "Remove-CsPushNotificationConfiguration", NULL,
      mobilityctl_cfg(push, REMOVE) },
    { "Get-CsAuditLog", NULL, mobilityctl_audit_list, NULL, 0 },
    { "backup", NULL, mobilityctl_store_backup, NULL, 0 },

    /* the same in the "group action" style */
    { "policy", "new", mobilityctl_cfg(policy, NEW) },
    { "policy", "set", mobilityctl_cfg(policy, SET) },
    { "policy", "get", mobilityctl_cfg(policy, GET) },
    { "policy", "list", mobilityctl_cfg(policy, GET) },
    { "policy", "remove", mobilityctl_cfg(policy, REMOVE) },
    { "policy", "grant", mobilityctl_cfg(policy, GRANT) },
    { "policy", "effective", mobilityctl_policy_effective, NULL, 0 },
    { "mcx", "new", mobilityctl_cfg(mcx, NEW) },
    { "mcx", "set", mobilityctl_cfg(mcx, SET) },
    { "mcx", "get", mobilityctl_cfg(mcx, GET) },
    { "mcx", "remove", mobilityctl_cfg(mcx, REMOVE) },
    { "push", "new", mobilityctl_cfg(push, NEW) },
    { "push", "set", mobilityctl_cfg(push, SET) },
    { "push", "get", mobilityctl_cfg(push, GET) },
    { "push", "remove", mobilityctl_cfg(push, REMOVE) },
    { "audit", "list", mobilityctl_audit_list, NULL, 0 },
    { "vapid", "generate", mobilityctl_vapid_generate, NULL, 0 },
    { "vapid", "show", mobilityctl_vapid_show, NULL, 0 },
    { "push-target", "list", mobilityctl_push_target_list, NULL, 0 },
    { "push-target", "remove", mobilityctl_push_target_remove, NULL, 0 },
    { "push-target", "invalidate",
      mobilityctl_push_target_invalidate, NULL, 0 },
    { "push-target", "test", mobilityctl_push_target_test, NULL, 0 },
    { "push-queue", "list", mobilityctl_push_queue_list, NULL, 0 },
    { "push-queue", "purge", mobilityctl_push_queue_purge, NULL, 0 },
    { NULL, NULL, NULL, NULL, 0 }
};


static const mobilityctl_opt_t  mobilityctl_global_opts[] = {
    { "store", MOBILITYCTL_OPT_STORE, 1 },
    { "size", MOBILITYCTL_OPT_SIZE, 1 },
    { "json", MOBILITYCTL_OPT_JSON, 0 },
    { "help", MOBILITYCTL_OPT_HELP, 0 },
    { NULL, 0, 0 }
};


static const char  mobilityctl_usage_text[] =
"usage: mobilityctl [--store PATH] [--size SIZE] [--json] COMMAND ...\n"
"\n"
"Administers the users of the nginx mobility modules (LMDB store).\n"
"\n"
"Global options (accepted before or after the command):\n"
"  --store PATH   store directory; default $MOBILITY_STORE, else\n"
"                 " MOBILITYCTL_DEFAULT_STORE "; created if missing\n"
"  --size SIZE    LMDB map size, e.g. 256m, 1g (default 256m); an existing\n"
"                 larger store keeps its size\n"
"  --json         machine-readable JSON on standard output\n"
"  --help, -h     this text\n"
"\n"
"Commands:\n"
"  store init [--password-iterations N]\n"
"  store info\n"
"  store reindex                       rebuilds the people-search index\n"
"  backup DIR (or store backup DIR)    a consistent, compacted copy of the\n"
"                                      live store into the new directory\n"
"                                      DIR; nginx started on the copy\n"
"                                      recovers its event channels\n"
"  domain add DOMAIN...\n"
"  domain list\n"
"  domain remove DOMAIN [--force]      --force also removes its users\n"
"  user add SIP [FIELDS] [--disabled] [--admin] [--password-stdin]\n"
"  user set SIP [FIELDS] [--clear FIELD]... [--enabled | --disabled]\n"
"               [--admin | --no-admin] [--password-stdin]\n"
"  user enable SIP\n"
"  user disable SIP                    also revokes issued tokens\n"
"  user remove SIP                     also removes the user's meetings\n"
"  user show SIP\n"
"  user list [--domain DOMAIN] [--site SITE]\n"
"  user passwd SIP [--password-stdin]  also revokes issued tokens\n"
"  user photo SIP FILE|- | user photo SIP --remove\n"
"                                      the user's picture (JPEG, PNG, GIF)\n"
"  user import FILE.csv [--update] [--password-column]\n"
"  meeting list SIP                    the user's scheduled online meetings\n"
"  meeting remove SIP ID\n"
"\n"
"Mobility policies and settings (cmdlet names and parameters as in Lync /\n"
"Skype for Business, any case; -Name value or -Name:value; Booleans True,\n"
"False, $true, $false, 1, 0; -WhatIf checks and shows, writes nothing):\n"
"  New-CsMobilityPolicy -Identity site:NAME|tag:NAME [-PARAMETER VALUE]...\n"
"  Set-CsMobilityPolicy [-Identity global|site:NAME|tag:NAME] [-PARAMETER V]\n"
"  Get-CsMobilityPolicy [-Identity ID] [-Filter WILDCARD]\n"
"  Remove-CsMobilityPolicy -Identity ID [-Force]   global: reset to defaults\n"
"  Grant-CsMobilityPolicy -Identity USER -PolicyName NAME|$null\n"
"  Get-CsEffectiveMobilityPolicy -Identity USER\n"
"  New-|Set-|Get-|Remove-CsMcxConfiguration [-Identity global|site:NAME]\n"
"  New-|Set-|Get-|Remove-CsPushNotificationConfiguration [-Identity ...]\n"
"  Get-CsAuditLog [-Last N] [-Target ID] [-Before AUDIT-ID]\n"
"  (also: policy new|set|get|remove|grant|effective, mcx ..., push ...,\n"
"  audit list).  Parameters: see docs/policies.md.\n"
"\n"
"Web Push (no store needed):\n"
"  vapid generate FILE                 a new P-256 VAPID key, PEM PKCS#8,\n"
"                                      mode 0600; never overwrites FILE;\n"
"                                      prints the public key (base64url,\n"
"                                      the applicationServerKey)\n"
"  vapid show FILE                     prints the public key of FILE\n"
"\n"
"Push notifications (docs/push.md; tokens are shown as prefix and length):\n"
"  push-target list SIP                the push targets of a user\n"
"  push-target remove SIP ENDPOINT\n"
"  push-target invalidate SIP ENDPOINT [--reason R] [--at MS]\n"
"                                      a tombstone, as the sender makes\n"
"  push-target test SIP ENDPOINT [--count N] [--text T] [--ttl S]\n"
"                                      queues N (1..100000) test pushes\n"
"                                      and wakes the sender\n"
"  push-queue list                     pushes waiting to be sent\n"
"  push-queue purge                    drops every queued push\n"
"\n"
"FIELDS:\n"
"  --name N  --email E  --title T  --department D  --company C\n"
"  --office O  --work-phone P  --mobile-phone P  --home-phone P\n"
"  --other-phone P  --site S  --pool P  --policy P (a per-user mobility\n"
"  policy that exists)  --admin | --no-admin (may use the admin API)\n"
"  \"user set\" empties a field given an empty value or --clear FIELD\n"
"  (FIELD as in the CSV header, e.g. work_phone; also: password).\n"
"\n"
"Passwords are never taken from the command line.  --password-stdin\n"
"reads one line from standard input; without it \"user passwd\" prompts\n"
"twice on a terminal, or reads one line from a pipe.\n"
"\n"
"CSV import: the header row names the columns (sip, name, email, title,\n"
"department, company, office, work_phone, mobile_phone, home_phone,\n"
"other_phone, site, pool, policy, enabled, password); a password column\n"
"needs --password-column; existing users need --update.  One bad row\n"
"and nothing is imported.\n"
"\n"
"Exit status: 0 success, 1 bad input, not found or duplicate (also: a\n"
"key file that exists or cannot be read), 2 usage error, 3 store or\n"
"internal error.\n";


static void
mobilityctl_usage(FILE *f)
{
    fputs(mobilityctl_usage_text, f);
}


void
mobilityctl_error(const char *fmt, ...)
{
    va_list  args;

    fflush(stdout);

    fputs("mobilityctl: ", stderr);

    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);

    fputc('\n', stderr);
}


int
mobilityctl_usage_error(mobilityctl_args_t *a, const char *fmt, ...)
{
    char     buf[MOBILITYCTL_ERRLEN];
    va_list  args;

    va_start(args, fmt);
    vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    if (a && a->command) {
        mobilityctl_error("%s: %s (see mobilityctl --help)", a->command,
                          buf);

    } else {
        mobilityctl_error("%s (see mobilityctl --help)", buf);
    }

    return MOBILITYCTL_EUSAGE;
}


void
mobilityctl_oom(void)
{
    mobilityctl_error("out of memory");
    exit(MOBILITYCTL_ESTORE);
}


static int
mobilityctl_parse_size(const char *s, size_t *size)
{
    char                *end;
    unsigned long long   n, unit;

    if (*s < '0' || *s > '9') {
        return -1;
    }

    errno = 0;
    n = strtoull(s, &end, 10);

    if (errno) {
        return -1;
    }

    switch (*end) {
    case '\0':
        unit = 1;
        break;
    case 'k': case 'K':
        unit = 1ULL << 10;
        break;
    case 'm': case 'M':
        unit = 1ULL << 20;
        break;
    case 'g': case 'G':
        unit = 1ULL << 30;
        break;
    case 't': case 'T':
        unit = 1ULL << 40;
        break;
    default:
        return -1;
    }

    if (*end != '\0') {
        end++;

        if (*end == 'b' || *end == 'B') {
            end++;
        }

        if (*end != '\0') {
            return -1;
        }
    }

    if (n > MOBILITYCTL_MAX_SIZE / unit
        || n * unit < MOBILITYCTL_MIN_SIZE
        || n * unit > MOBILITYCTL_MAX_SIZE)
    {
        return -1;
    }

    *size = (size_t) (n * unit);

    return 0;
}


static int
mobilityctl_global(mobilityctl_t *ctx, mobilityctl_args_t *a, int id,
    char *val)
{
    switch (id) {

    case MOBILITYCTL_OPT_STORE:
        if (*val == '\0') {
            mobilityctl_usage_error(a, "--store needs a path");
            return MOBILITYCTL_ARG_ERROR;
        }

        ctx->path = val;
        break;

    case MOBILITYCTL_OPT_SIZE:
        if (mobilityctl_parse_size(val, &ctx->size) != 0) {
            mobilityctl_usage_error(a, "invalid --size \"%s\" (expected "
                                    "bytes or e.g. 256m, 1g; at least 1m)",
                                    val);
            return MOBILITYCTL_ARG_ERROR;
        }

        break;

    case MOBILITYCTL_OPT_JSON:
        ctx->json = 1;
        break;

    default: /* MOBILITYCTL_OPT_HELP */
        mobilityctl_usage(stdout);
        exit(fflush(stdout) == 0 ? MOBILITYCTL_OK : MOBILITYCTL_EINPUT);
    }

    return 0;
}


/*
 * A global option as the next argument ("--json", "--store PATH",
 * "--store=PATH"...), for commands that parse their own arguments: 1 if
 * it was one (consumed), 0 if not, -1 on a usage error (reported).
 */

int
mobilityctl_global_arg(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    char                     *arg, *eq, *val;
    size_t                    len;
    const mobilityctl_opt_t  *o;

    arg = a->argv[a->next];

    if (strcmp(arg, "-h") == 0) {
        arg = "--help";
    }

    if (arg[0] != '-' || arg[1] != '-' || arg[2] == '\0') {
        return 0;
    }

    eq = strchr(arg + 2, '=');
    len = eq ? (size_t) (eq - arg - 2) : strlen(arg + 2);

    for (o = mobilityctl_global_opts; o->name; o++) {
        if (strlen(o->name) == len && strncmp(o->name, arg + 2, len) == 0) {
            break;
        }
    }

    if (o->name == NULL) {
        return 0;
    }

    a->next++;
    val = NULL;

    if (o->value) {
        if (eq) {
            val = eq + 1;

        } else if (a->next < a->argc) {
            val = a->argv[a->next++];

        } else {
            mobilityctl_usage_error(a, "option --%s needs a value", o->name);
            return -1;
        }

    } else if (eq) {
        mobilityctl_usage_error(a, "option --%s takes no value", o->name);
        return -1;
    }

    return (mobilityctl_global(ctx, a, o->id, val) == 0) ? 1 : -1;
}


/*
 * The next argument: an option of opts (its id, the value in *val), a
 * global option (handled here), a positional argument (MOBILITYCTL_ARG_POS,
 * in *val), MOBILITYCTL_ARG_END or MOBILITYCTL_ARG_ERROR.
 */

int
mobilityctl_arg(mobilityctl_t *ctx, mobilityctl_args_t *a,
    const mobilityctl_opt_t *opts, char **val)
{
    int                       i;
    char                     *arg, *name, *eq;
    size_t                    len;
    const mobilityctl_opt_t  *o, *table;

    for ( ;; ) {
        if (a->next >= a->argc) {
            return MOBILITYCTL_ARG_END;
        }

        arg = a->argv[a->next++];

        if (a->dashdash || arg[0] != '-' || arg[1] == '\0') {
            *val = arg;
            return MOBILITYCTL_ARG_POS;
        }

        if (strcmp(arg, "--") == 0) {
            a->dashdash = 1;
            continue;
        }

        if (strcmp(arg, "-h") == 0) {
            arg = "--help";
        }

        if (arg[1] != '-') {
            mobilityctl_usage_error(a, "unknown option \"%s\"", arg);
            return MOBILITYCTL_ARG_ERROR;
        }

        name = arg + 2;
        eq = strchr(name, '=');
        len = eq ? (size_t) (eq - name) : strlen(name);

        if (len == 8 && strncmp(name, "password", 8) == 0) {
            mobilityctl_usage_error(a, "passwords are never taken from the "
                                    "command line; use --password-stdin "
                                    "or the prompt of \"user passwd\"");
            return MOBILITYCTL_ARG_ERROR;
        }

        o = NULL;

        for (i = 0; i < 2 && o == NULL; i++) {
            table = (i == 0) ? opts : mobilityctl_global_opts;

            for ( /* void */ ; table && table->name; table++) {
                if (strlen(table->name) == len
                    && strncmp(table->name, name, len) == 0)
                {
                    o = table;
                    break;
                }
            }
        }

        if (o == NULL) {
            mobilityctl_usage_error(a, "unknown option \"--%.*s\"",
                                    (int) len, name);
            return MOBILITYCTL_ARG_ERROR;
        }

        if (o->value) {
            if (eq) {
                *val = eq + 1;

            } else if (a->next < a->argc) {
                *val = a->argv[a->next++];

            } else {
                mobilityctl_usage_error(a, "option --%s needs a value",
                                        o->name);
                return MOBILITYCTL_ARG_ERROR;
            }

        } else if (eq) {
            mobilityctl_usage_error(a, "option --%s takes no value",
                                    o->name);
            return MOBILITYCTL_ARG_ERROR;

        } else {
            *val = NULL;
        }

        if (o >= mobilityctl_global_opts
            && o < mobilityctl_global_opts
                   + sizeof(mobilityctl_global_opts)
                     / sizeof(mobilityctl_global_opts[0]))
        {
            if (mobilityctl_global(ctx, a, o->id, *val) != 0) {
                return MOBILITYCTL_ARG_ERROR;
            }

            continue;
        }

        return o->id;
    }
}


/*
 * The map size an existing store was last given: LMDB keeps the largest
 * size ever set in the file, but maps a smaller one if asked to.
 */

static size_t
mobilityctl_existing_size(const char *path)
{
    char          file[4096];
    size_t        size;
    MDB_env      *env;
    MDB_envinfo   info;
    struct stat   sb;

    if ((size_t) snprintf(file, sizeof(file), "%s/data.mdb", path)
        >= sizeof(file)
        || stat(file, &sb) == -1)
    {
        return 0;
    }

    if (mdb_env_create(&env) != 0) {
        return 0;
    }

    size = 0;

    /* reads the meta pages only: no lock file, no reader slot */

    if (mdb_env_open(env, path, MDB_RDONLY | MDB_NOLOCK, 0600) == 0
        && mdb_env_info(env, &info) == 0)
    {
        size = info.me_mapsize;
    }

    mdb_env_close(env);

    return size;
}


int
mobilityctl_open(mobilityctl_t *ctx)
{
    size_t  size, existing;

    size = ctx->size ? ctx->size : NGX_MOBILITY_STORE_DEFAULT_SIZE;

    existing = mobilityctl_existing_size(ctx->path);

    if (existing > size) {
        size = existing;
    }

    if (ngx_mobility_store_open(&ctx->store, ctx->path, size,
                                NGX_MOBILITY_DURABLE_FULL, 0)
        != 0)
    {
        mobilityctl_error("%s", ctx->store.err);
        return MOBILITYCTL_ESTORE;
    }

    ctx->opened = 1;

    /* a store written before the people-search index existed */
    if (ngx_mobility_user_search_upgrade(&ctx->store) != NGX_MOBILITY_OK) {
        return mobilityctl_store_error(ctx);
    }

    return MOBILITYCTL_OK;
}


int
mobilityctl_open_begin(mobilityctl_t *ctx, MDB_txn **txn, int write)
{
    int  rc;

    rc = mobilityctl_open(ctx);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    return mobilityctl_begin(ctx, txn, write);
}


int
mobilityctl_store_error(mobilityctl_t *ctx)
{
    mobilityctl_error("store \"%s\": %s", ctx->path, ctx->store.err);
    return MOBILITYCTL_ESTORE;
}


int
mobilityctl_begin(mobilityctl_t *ctx, MDB_txn **txn, int write)
{
    if (ngx_mobility_store_begin(&ctx->store, txn, write) != 0) {
        return mobilityctl_store_error(ctx);
    }

    return MOBILITYCTL_OK;
}


int
mobilityctl_commit(mobilityctl_t *ctx, MDB_txn *txn)
{
    if (ngx_mobility_store_commit(&ctx->store, txn) != 0) {
        return mobilityctl_store_error(ctx);
    }

    return MOBILITYCTL_OK;
}


void
mobilityctl_json_set(json_t *obj, const char *key, json_t *value)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0) {
        mobilityctl_oom();
    }
}


/* prints j and drops the reference */

void
mobilityctl_json_print(json_t *j)
{
    if (json_dumpf(j, stdout, JSON_INDENT(2)) != 0) {
        mobilityctl_oom();
    }

    fputc('\n', stdout);
    json_decref(j);
}


/* a JSON string of bytes; invalid UTF-8 becomes U+FFFD */

json_t *
mobilityctl_json_bytes(const u_char *p, size_t len)
{
    size_t     i, n;
    json_t    *s;
    u_char    *buf, *w;
    uint32_t   cp;

    s = json_stringn((const char *) p, len);
    if (s) {
        return s;
    }

    buf = malloc(len * 3 + 1);
    if (buf == NULL) {
        mobilityctl_oom();
    }

    w = buf;

    for (i = 0; i < len; i += n) {
        n = mobilityctl_utf8_char(p + i, len - i, &cp);

        if (n == 0 || cp == 0) {
            *w++ = 0xef;
            *w++ = 0xbf;
            *w++ = 0xbd;
            n = 1;
            continue;
        }

        memcpy(w, p + i, n);
        w += n;
    }

    s = json_stringn((const char *) buf, w - buf);

    free(buf);

    if (s == NULL) {
        mobilityctl_oom();
    }

    return s;
}


/* prints a stored value, control characters shown as "?" */

void
mobilityctl_print_bytes(const u_char *p, size_t len)
{
    size_t    i, n;
    uint32_t  cp;

    for (i = 0; i < len; i += n) {
        n = mobilityctl_utf8_char(p + i, len - i, &cp);

        if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            fputc('?', stdout);
            n = n ? n : 1;
            continue;
        }

        fwrite(p + i, 1, n, stdout);
    }
}


void
mobilityctl_time(uint64_t t, char *buf, size_t size)
{
    time_t     tt;
    struct tm  tm;

    tt = (time_t) t;

    if (t == 0 || gmtime_r(&tt, &tm) == NULL
        || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
    {
        snprintf(buf, size, "-");
    }
}


/* store commands */


static int
mobilityctl_no_args(mobilityctl_t *ctx, mobilityctl_args_t *a,
    const mobilityctl_opt_t *opts)
{
    int    rc;
    char  *v;

    rc = mobilityctl_arg(ctx, a, opts, &v);

    if (rc == MOBILITYCTL_ARG_POS) {
        return mobilityctl_usage_error(a, "unexpected argument \"%s\"", v);
    }

    return (rc == MOBILITYCTL_ARG_ERROR) ? MOBILITYCTL_EUSAGE : rc;
}


static int
mobilityctl_store_show(mobilityctl_t *ctx, MDB_txn *txn)
{
    int                    rc;
    json_t                *j;
    size_t                 users, domains;
    MDB_stat               ms;
    char                   boot[NGX_MOBILITY_BOOT_ID_MAX + 1];
    uint32_t               format, iter, set_iter;
    unsigned               used;
    ngx_mobility_store_t  *st;

    st = &ctx->store;

    rc = mdb_stat(txn, st->dbi[NGX_MOBILITY_DB_USERS], &ms);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "counting users", rc);
        return mobilityctl_store_error(ctx);
    }

    users = ms.ms_entries;

    rc = mdb_stat(txn, st->dbi[NGX_MOBILITY_DB_DOMAINS], &ms);
    if (rc != 0) {
        ngx_mobility_store_fail(st, "counting domains", rc);
        return mobilityctl_store_error(ctx);
    }

    domains = ms.ms_entries;

    format = ngx_mobility_store_meta_u32(st, txn, NGX_MOBILITY_META_FORMAT,
                                         0);

    if (ngx_mobility_store_meta_str(st, txn, NGX_MOBILITY_META_BOOT_ID,
                                    boot, sizeof(boot))
        < 0)
    {
        return mobilityctl_store_error(ctx);
    }

    set_iter = ngx_mobility_store_meta_u32(st, txn,
                                           NGX_MOBILITY_META_PW_ITERATIONS,
                                           0);
    iter = set_iter ? set_iter : NGX_MOBILITY_PW_DEFAULT_ITERATIONS;
    used = ngx_mobility_store_usage(st);

    if (ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "path", json_string(ctx->path));
        mobilityctl_json_set(j, "format", json_integer(format));
        mobilityctl_json_set(j, "map_size",
                             json_integer((json_int_t) st->map_size));
        mobilityctl_json_set(j, "used_percent", json_integer(used));
        mobilityctl_json_set(j, "users", json_integer((json_int_t) users));
        mobilityctl_json_set(j, "domains",
                             json_integer((json_int_t) domains));
        mobilityctl_json_set(j, "password_iterations", json_integer(iter));
        mobilityctl_json_set(j, "boot_id",
                             boot[0] ? json_string(boot) : json_null());
        mobilityctl_json_print(j);

        return MOBILITYCTL_OK;
    }

    printf("store:               %s\n"
           "format:              %u\n"
           "map size:            %zu MiB (%zu bytes)\n"
           "used:                %u%%\n"
           "users:               %zu\n"
           "domains:             %zu\n"
           "password_iterations: %u%s\n"
           "boot id:             %s\n",
           ctx->path, format, st->map_size >> 20, st->map_size, used,
           users, domains, iter, set_iter ? "" : " (default)",
           boot[0] ? boot : "(none: nginx has not started on it)");

    return MOBILITYCTL_OK;
}


int
mobilityctl_store_init(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int            rc, id;
    char          *v, *end;
    MDB_txn       *txn;
    uint32_t       cur;
    unsigned long  n;

    static const mobilityctl_opt_t  opts[] = {
        { "password-iterations", 1, 1 },
        { NULL, 0, 0 }
    };

    n = 0;

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        if (id == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        if (id == MOBILITYCTL_ARG_POS) {
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);
        }

        errno = 0;
        n = (*v >= '0' && *v <= '9') ? strtoul(v, &end, 10) : 0;

        if (n == 0 || errno || *end != '\0'
            || n < NGX_MOBILITY_PW_MIN_ITERATIONS
            || n > NGX_MOBILITY_PW_MAX_ITERATIONS)
        {
            return mobilityctl_usage_error(a, "--password-iterations must "
                                           "be a number from %u to %u",
                                           NGX_MOBILITY_PW_MIN_ITERATIONS,
                                           NGX_MOBILITY_PW_MAX_ITERATIONS);
        }
    }

    rc = mobilityctl_open_begin(ctx, &txn, 1);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    cur = ngx_mobility_store_meta_u32(&ctx->store, txn,
                                      NGX_MOBILITY_META_PW_ITERATIONS, 0);

    if (n == 0) {
        n = cur ? cur : NGX_MOBILITY_PW_DEFAULT_ITERATIONS;
    }

    /*
     * Written even if unchanged: LMDB records a larger map size (--size)
     * in the file only when a transaction commits changes.
     */

    if (ngx_mobility_store_set_meta_u32(&ctx->store, txn,
                                        NGX_MOBILITY_META_PW_ITERATIONS,
                                        (uint32_t) n)
        != 0)
    {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    rc = mobilityctl_commit(ctx, txn);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (!ctx->json) {
        printf("store \"%s\" is ready\n", ctx->path);
    }

    rc = mobilityctl_store_show(ctx, txn);

    mdb_txn_abort(txn);

    return rc;
}


int
mobilityctl_store_info(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int       rc;
    MDB_txn  *txn;

    rc = mobilityctl_no_args(ctx, a, NULL);
    if (rc != MOBILITYCTL_ARG_END) {
        return rc;
    }

    rc = mobilityctl_open_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_store_show(ctx, txn);

    mdb_txn_abort(txn);

    return rc;
}


int
mobilityctl_store_reindex(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int       rc, n;
    MDB_txn  *txn;

    rc = mobilityctl_no_args(ctx, a, NULL);
    if (rc != MOBILITYCTL_ARG_END) {
        return rc;
    }

    rc = mobilityctl_open_begin(ctx, &txn, 1);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    n = ngx_mobility_user_search_reindex(&ctx->store, txn);

    if (n < 0) {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    if (ngx_mobility_store_commit(&ctx->store, txn) != 0) {
        return mobilityctl_store_error(ctx);
    }

    printf("search index rebuilt: %d users\n", n);

    return MOBILITYCTL_OK;
}


/*
 * A copy of the live store (nginx may be running: LMDB copies one read
 * transaction's snapshot).  The copy's boot id is "restored": nginx
 * recovers its event channels at the first start on it, since clients
 * may have received releases made after the copy.
 */
int
mobilityctl_store_backup(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int    rc;
    char  *v, *dest;

    dest = NULL;

    while ((rc = mobilityctl_arg(ctx, a, NULL, &v)) != MOBILITYCTL_ARG_END) {

        if (rc == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        if (dest) {
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);
        }

        dest = v;
    }

    if (dest == NULL || dest[0] == '\0') {
        return mobilityctl_usage_error(a, "missing backup directory");
    }

    rc = mobilityctl_open(ctx);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (strcmp(dest, ctx->path) == 0) {
        return mobilityctl_usage_error(a, "the backup directory is the "
                                       "store itself");
    }

    if (ngx_mobility_store_backup(&ctx->store, dest) != 0) {
        mobilityctl_error("backup of \"%s\" to \"%s\": %s", ctx->path,
                          dest, ctx->store.err);
        return (strstr(ctx->store.err, "holds a store") != NULL)
               ? MOBILITYCTL_EINPUT : MOBILITYCTL_ESTORE;
    }

    if (ctx->json) {
        json_t  *j;

        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "store", json_string(ctx->path));
        mobilityctl_json_set(j, "backup", json_string(dest));
        mobilityctl_json_print(j);

    } else {
        printf("store \"%s\" copied to \"%s\"\n", ctx->path, dest);
    }

    return MOBILITYCTL_OK;
}


static int
mobilityctl_dispatch(mobilityctl_t *ctx, const mobilityctl_command_t *c,
    mobilityctl_args_t *a)
{
    if (c->handler) {
        return c->handler(ctx, a);
    }

    return mobilityctl_cfg_command(ctx, a, c->kind, c->op);
}


static int
mobilityctl_run(mobilityctl_t *ctx, int argc, char **argv)
{
    int                           rc, found;
    char                         *group, *action, name[32];
    mobilityctl_args_t            a;
    const mobilityctl_command_t  *c;

    memset(&a, 0, sizeof(mobilityctl_args_t));
    a.argc = argc;
    a.argv = argv;
    a.next = 1;

    rc = mobilityctl_arg(ctx, &a, NULL, &group);

    if (rc == MOBILITYCTL_ARG_ERROR) {
        return MOBILITYCTL_EUSAGE;
    }

    if (rc == MOBILITYCTL_ARG_END) {
        mobilityctl_usage(stderr);
        return MOBILITYCTL_EUSAGE;
    }

    if (strcmp(group, "help") == 0) {
        mobilityctl_usage(stdout);
        return MOBILITYCTL_OK;
    }

    for (c = mobilityctl_commands; c->group; c++) {
        if (c->action == NULL && strcasecmp(c->group, group) == 0) {
            a.command = c->group;
            ctx->command = c->group;
            return mobilityctl_dispatch(ctx, c, &a);
        }
    }

    found = 0;

    for (c = mobilityctl_commands; c->group; c++) {
        if (c->action && strcmp(c->group, group) == 0) {
            found = 1;
            break;
        }
    }

    if (!found) {
        return mobilityctl_usage_error(NULL, "unknown command \"%s\"", group);
    }

    a.command = group;

    rc = mobilityctl_arg(ctx, &a, NULL, &action);

    if (rc == MOBILITYCTL_ARG_ERROR) {
        return MOBILITYCTL_EUSAGE;
    }

    if (rc == MOBILITYCTL_ARG_END) {
        return mobilityctl_usage_error(&a, "missing subcommand");
    }

    for ( /* void */ ; c->group; c++) {
        if (c->action && strcmp(c->group, group) == 0
            && strcmp(c->action, action) == 0)
        {
            break;
        }
    }

    if (c->group == NULL) {
        return mobilityctl_usage_error(&a, "unknown subcommand \"%s\"",
                                       action);
    }

    snprintf(name, sizeof(name), "%s %s", c->group, c->action);
    a.command = name;
    ctx->command = name;

    return mobilityctl_dispatch(ctx, c, &a);
}


int
main(int argc, char **argv)
{
    int            rc;
    const char    *env;
    mobilityctl_t  ctx;

    memset(&ctx, 0, sizeof(mobilityctl_t));

    env = getenv("MOBILITY_STORE");
    ctx.path = (env && *env) ? env : MOBILITYCTL_DEFAULT_STORE;

    rc = mobilityctl_run(&ctx, argc, argv);

    if (ctx.opened) {
        ngx_mobility_store_close(&ctx.store);
    }

    if (fflush(stdout) != 0 || ferror(stdout)) {
        mobilityctl_error("writing to standard output: %s",
                          strerror(errno));

        if (rc == MOBILITYCTL_OK) {
            rc = MOBILITYCTL_EINPUT;
        }
    }

    return rc;
}
