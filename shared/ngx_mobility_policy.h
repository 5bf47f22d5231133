/*
 * Copyright (C) The nginx mobility authors
 *
 * Mobility policies (CsMobilityPolicy), the Mobility service settings
 * (CsMcxConfiguration) and the push notification settings
 * (CsPushNotificationConfiguration): the model, its scopes, the effective
 * settings of a user, the mapping to the UCWA "policies" resource and the
 * administrative operations shared by mobilityctl and the admin API.
 *
 * One table per kind drives everything: parameter names (those of the
 * cmdlets), types, defaults, ranges, record tags, JSON and the UCWA
 * property a parameter maps to.
 *
 * Scopes: "global" always exists (absent from the store = the defaults;
 * removing it resets it), "site:<name>" applies to users whose directory
 * site matches (ASCII case-insensitively), and, for mobility policies
 * only, per-user "tag:<name>" policies apply to the users they are granted
 * to (the user record's policy field holds the bare name).
 *
 * Plain C over the store (and jansson); the nginx modules and the CLI
 * share it.  No function here commits: the caller owns the transaction,
 * so a failed operation is undone by aborting it.
 */

#ifndef _NGX_MOBILITY_POLICY_H_INCLUDED_
#define _NGX_MOBILITY_POLICY_H_INCLUDED_


#include <jansson.h>

#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"
#include "ngx_mobility_directory.h"


/* besides NGX_MOBILITY_OK, _ERROR, _NOTFOUND and _EXISTS */
#define NGX_MOBILITY_INVALID          3   /* bad input; err says why      */
#define NGX_MOBILITY_CONFLICT         4   /* refused in the current state */

#define NGX_MOBILITY_REC_MOBILITY_POLICY  0x0501
#define NGX_MOBILITY_REC_MCX_CONFIG       0x0502
#define NGX_MOBILITY_REC_PUSH_CONFIG      0x0503

#define NGX_MOBILITY_CFG_NAME_MAX     128    /* site or tag name, bytes   */
#define NGX_MOBILITY_CFG_ID_MAX       (5 + NGX_MOBILITY_CFG_NAME_MAX)
#define NGX_MOBILITY_CFG_PARAMS_MAX   32
#define NGX_MOBILITY_CFG_STRS         4      /* string parameters a kind */
#define NGX_MOBILITY_CFG_STR_MAX      1024
#define NGX_MOBILITY_CFG_ERRLEN       512

/* payload of an NGX_MOBILITY_IPC_USER message (= NGX_MOBILITY_IPC_MAX) */
#define NGX_MOBILITY_NOTIFY_MAX       8192


typedef enum {
    NGX_MOBILITY_CFG_BOOL = 0,
    NGX_MOBILITY_CFG_UINT32,
    NGX_MOBILITY_CFG_STRING,
    NGX_MOBILITY_CFG_ENUM,
    NGX_MOBILITY_CFG_GUID,
    NGX_MOBILITY_CFG_SIPURI
} ngx_mobility_cfg_type_e;


typedef enum {
    NGX_MOBILITY_SCOPE_GLOBAL = 0,
    NGX_MOBILITY_SCOPE_SITE,
    NGX_MOBILITY_SCOPE_TAG
} ngx_mobility_cfg_scope_e;


typedef struct {
    const char          *name;      /* cmdlet parameter, JSON key        */
    uint16_t             tag;       /* record tag; never reuse a number  */
    uint16_t             type;      /* ngx_mobility_cfg_type_e           */
    uint32_t             dflt;      /* BOOL, UINT32, ENUM (value index)  */
    const char          *dflt_str;  /* STRING, GUID, SIPURI              */
    uint32_t             min;       /* UINT32                            */
    uint32_t             max;       /* UINT32; STRING: length in bytes   */
    const char *const   *values;    /* ENUM, NULL-terminated             */
    const char          *ucwa;      /* UCWA "policies" property, or NULL */
    uint16_t             slot;      /* strings: index in cfg->str        */
    unsigned             inferred:1; /* default not documented           */
} ngx_mobility_cfg_param_t;


typedef struct ngx_mobility_cfg_s  ngx_mobility_cfg_t;

typedef struct {
    const char                      *noun;     /* "CsMobilityPolicy"     */
    const char                      *what;     /* "mobility policy"      */
    const char                      *notify;   /* IPC payload kind       */
    uint16_t                         rec_type;
    uint16_t                         db;       /* ngx_mobility_db_e      */
    const ngx_mobility_cfg_param_t  *params;
    size_t                           nparams;
    unsigned                         tags:1;   /* tag: scope exists      */

    /* checks across parameters of a complete object */
    int                            (*check)(const ngx_mobility_cfg_t *c,
                                            char *err, size_t size);
} ngx_mobility_cfg_kind_t;


struct ngx_mobility_cfg_s {
    const ngx_mobility_cfg_kind_t   *kind;
    ngx_mobility_cfg_scope_e         scope;
    char                             identity[NGX_MOBILITY_CFG_ID_MAX + 1];
    char                             key[NGX_MOBILITY_CFG_ID_MAX + 1];
    size_t                           name_off; /* the site or tag name */
    uint64_t                         num[NGX_MOBILITY_CFG_PARAMS_MAX];
    size_t                           len[NGX_MOBILITY_CFG_STRS];
    char                             str[NGX_MOBILITY_CFG_STRS]
                                        [NGX_MOBILITY_CFG_STR_MAX + 1];
    uint64_t                         created;
    uint64_t                         updated;
    unsigned                         stored:1; /* a record exists        */
};


/* CsMobilityPolicy parameters: indexes into ngx_mobility_policy_kind */
typedef enum {
    NGX_MOBILITY_POL_DESCRIPTION = 0,
    NGX_MOBILITY_POL_ENABLE_MOBILITY,
    NGX_MOBILITY_POL_ENABLE_OUTSIDE_VOICE,
    NGX_MOBILITY_POL_ENABLE_IP_AUDIO_VIDEO,
    NGX_MOBILITY_POL_REQUIRE_WIFI_IP_AUDIO,
    NGX_MOBILITY_POL_REQUIRE_WIFI_IP_VIDEO,
    NGX_MOBILITY_POL_REQUIRE_WIFI_SHARING,
    NGX_MOBILITY_POL_ALLOW_CEIP,
    NGX_MOBILITY_POL_ALLOW_SAVE_CALL_LOGS,
    NGX_MOBILITY_POL_ALLOW_EXCHANGE,
    NGX_MOBILITY_POL_ALLOW_SAVE_IM_HISTORY,
    NGX_MOBILITY_POL_ALLOW_SAVE_CREDENTIALS,
    NGX_MOBILITY_POL_ENABLE_PUSH,
    NGX_MOBILITY_POL_ENCRYPT_APP_DATA,
    NGX_MOBILITY_POL_ALLOW_DEVICE_CONTACTS_SYNC,
    NGX_MOBILITY_POL_REQUIRE_INTUNE,
    NGX_MOBILITY_POL_ALLOW_PSTN_FALLBACK,
    NGX_MOBILITY_POL_VOICE_SETTINGS,
    NGX_MOBILITY_POL_TENANT,
    NGX_MOBILITY_POL_NPARAMS
} ngx_mobility_policy_param_e;

/* CsMcxConfiguration parameters */
typedef enum {
    NGX_MOBILITY_MCX_EXPOSED_WEB_URL = 0,
    NGX_MOBILITY_MCX_PUSH_PROXY_URI,
    NGX_MOBILITY_MCX_SESSION_EXPIRATION,
    NGX_MOBILITY_MCX_SESSION_SHORT_EXPIRATION,
    NGX_MOBILITY_MCX_NPARAMS
} ngx_mobility_mcx_param_e;

/* ExposedWebURL values */
#define NGX_MOBILITY_MCX_INTERNAL     0
#define NGX_MOBILITY_MCX_EXTERNAL     1

/* CsPushNotificationConfiguration parameters */
typedef enum {
    NGX_MOBILITY_PUSH_APPLE = 0,
    NGX_MOBILITY_PUSH_MICROSOFT,
    NGX_MOBILITY_PUSH_FCM,
    NGX_MOBILITY_PUSH_WEBPUSH,
    NGX_MOBILITY_PUSH_NPARAMS
} ngx_mobility_push_param_e;


extern const ngx_mobility_cfg_kind_t  ngx_mobility_policy_kind;
extern const ngx_mobility_cfg_kind_t  ngx_mobility_mcx_kind;
extern const ngx_mobility_cfg_kind_t  ngx_mobility_push_kind;


/* one property of the UCWA "policies" resource; strings are static */
typedef struct {
    const char  *name;
    const char  *value;
} ngx_mobility_ucwa_property_t;

#define NGX_MOBILITY_UCWA_PROPERTIES  11


/* what an administrative operation did or would do */
typedef struct {
    /* in */
    const char    *who;       /* "unix:root", "sip:a@b", "cert:CN=..." */
    const char    *via;       /* "cli" or "rest" */
    const char    *client;    /* the client address, or NULL */
    uint64_t       now_ms;    /* wall clock, milliseconds */
    unsigned       dry:1;     /* -WhatIf: check and describe, write not */
    unsigned       force:1;   /* -Force */

    /* out */
    char           action[64]; /* "Set-CsMobilityPolicy" */
    char           target[NGX_MOBILITY_CFG_ID_MAX + NGX_MOBILITY_SIP_MAX + 8];
    json_t        *before;    /* NULL: did not exist; caller decrefs */
    json_t        *after;     /* NULL: removed; caller decrefs */
    char           audit_id[32];
    char           err[NGX_MOBILITY_CFG_ERRLEN];
    const char    *param;     /* the parameter the error is about */

    /* IPC_USER payload: kind "\n" users, "\n"-separated, or "*" */
    u_char         notify[NGX_MOBILITY_NOTIFY_MAX];
    size_t         notify_len;
} ngx_mobility_admin_op_t;


/* the model */

const ngx_mobility_cfg_param_t *ngx_mobility_cfg_param(
    const ngx_mobility_cfg_kind_t *kind, const char *name, size_t len);
void ngx_mobility_cfg_defaults(ngx_mobility_cfg_t *c,
    const ngx_mobility_cfg_kind_t *kind);

/*
 * Parses "global", "site:<name>", "tag:<name>" or, for policies, a bare
 * per-user name into c (scope, identity, key), ASCII case-insensitively;
 * NGX_MOBILITY_OK or NGX_MOBILITY_INVALID with a message in err.
 */
int ngx_mobility_cfg_identity(ngx_mobility_cfg_t *c,
    const ngx_mobility_cfg_kind_t *kind, const char *in, size_t len,
    char *err, size_t size);

/*
 * Reads the object named "identity".  Global is always found (defaults
 * when not stored).  OK, NOTFOUND, INVALID (err) or ERROR (st->err).
 */
int ngx_mobility_cfg_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *identity, size_t len,
    ngx_mobility_cfg_t *c, char *err, size_t size);

/*
 * Applies the parameters of a JSON object (cmdlet parameter names, any
 * case; values as JSON or as the strings a command line gives: "True",
 * "$false", "3600", "$null") to c, then checks the whole object.  Nothing
 * is half-applied: on failure c is unchanged.  "Identity" is skipped.
 * OK or INVALID with err and *param set.
 */
int ngx_mobility_cfg_apply(ngx_mobility_cfg_t *c, json_t *params,
    char *err, size_t size, const char **param);

json_t *ngx_mobility_cfg_json(const ngx_mobility_cfg_t *c);

/* the defaults of a kind as JSON (Identity "Global") */
json_t *ngx_mobility_cfg_json_defaults(const ngx_mobility_cfg_kind_t *kind);

/* every object of the kind, global first; filter: shell wildcards */
json_t *ngx_mobility_cfg_list(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *filter, int *rc);

#define ngx_mobility_cfg_bool(c, i)  ((c)->num[i] != 0)
#define ngx_mobility_cfg_name(c)     ((c)->identity + (c)->name_off)


/* effective settings */

/*
 * The policy governing a user: the granted tag policy, else the policy
 * of the user's site, else global.  pol->identity names the source.
 */
int ngx_mobility_policy_effective(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_user_t *u, ngx_mobility_cfg_t *pol);

/* the same by SIP address (canonical "user@domain"); NOTFOUND: no user */
int ngx_mobility_policy_effective_sip(ngx_mobility_store_t *st,
    MDB_txn *txn, const u_char *sip, size_t len, ngx_mobility_cfg_t *pol);

/*
 * Whether the user may use the mobile clients at all (EnableMobility of
 * the effective policy): 1 yes, 0 no, -1 store error.  A user not in the
 * directory is governed by the global policy.
 */
int ngx_mobility_policy_mobility_enabled(ngx_mobility_store_t *st,
    MDB_txn *txn, const u_char *sip, size_t len);

/* MCX or push settings of a site (site object, else global) */
int ngx_mobility_cfg_effective_site(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const u_char *site, size_t len,
    ngx_mobility_cfg_t *c);

/*
 * ExposedWebURL of the effective CsMcxConfiguration of a site (empty:
 * global only): NGX_MOBILITY_MCX_INTERNAL or _EXTERNAL, or -1 on a store
 * error.  *configured is 0 when neither the site nor global was ever set,
 * so that a caller may fall back to nginx.conf (mobility_mcx_exposure).
 */
int ngx_mobility_mcx_exposed_web_url(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *site, size_t len, int *configured);

/*
 * The UCWA "policies" properties a mobility policy determines, in a
 * fixed order, into props (NGX_MOBILITY_UCWA_PROPERTIES entries); returns
 * the count.  Values: "Enabled" / "Disabled", and telephonyMode
 * "AudioVideo" (EnableIPAudioVideo), "PhoneAudio" (Call via Work only) or
 * "None" (neither, or EnableMobility False).
 */
size_t ngx_mobility_policy_ucwa(const ngx_mobility_cfg_t *pol,
    ngx_mobility_ucwa_property_t *props);
json_t *ngx_mobility_policy_ucwa_json(const ngx_mobility_cfg_t *pol);

/* users a policy is granted to (tag) or whose site it is (site) */
json_t *ngx_mobility_policy_users(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_t *c, int *rc);


/*
 * Administrative operations, shared by mobilityctl and the admin API.
 * Each checks everything first, fills op->before and op->after and,
 * unless op->dry, writes the change and its audit entry in txn and fills
 * op->notify.  The caller commits, or aborts on anything but OK.
 * Returns OK, INVALID, NOTFOUND, EXISTS, CONFLICT (err) or ERROR
 * (st->err).
 */
int ngx_mobility_cfg_new(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *identity,
    json_t *params, ngx_mobility_admin_op_t *op);
int ngx_mobility_cfg_set(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *identity,
    json_t *params, ngx_mobility_admin_op_t *op);

/*
 * Remove-: global is reset to its defaults.  A tag policy still granted
 * is refused (CONFLICT) unless op->force, which ungrants it from its
 * users in the same transaction.
 */
int ngx_mobility_cfg_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *identity,
    ngx_mobility_admin_op_t *op);

/*
 * Grant-CsMobilityPolicy: user as a SIP address, UPN/e-mail or
 * DOMAIN\user; policy is the bare name (or "tag:<name>"), NULL or "" to
 * ungrant.  A policy that does not exist is refused (NOTFOUND), global
 * and site policies cannot be granted (INVALID).
 */
int ngx_mobility_policy_grant(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *user, size_t ulen, const char *policy,
    ngx_mobility_admin_op_t *op);

/*
 * Checks that a user's policy field may hold "name" (a tag policy that
 * exists) and copies its stored spelling into out (NAME_MAX + 1 bytes).
 * OK, NOTFOUND or INVALID (err), ERROR.
 */
int ngx_mobility_policy_check_grant(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *name, size_t len, char *out, char *err, size_t size);

/* the effective settings of a user as JSON, for Get-CsEffective... */
json_t *ngx_mobility_effective_json(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_user_t *u, int *rc);

/* resets op's output; call before each operation */
void ngx_mobility_admin_op_init(ngx_mobility_admin_op_t *op);
void ngx_mobility_admin_op_free(ngx_mobility_admin_op_t *op);

/* ASCII case-insensitive match of shell wildcards (* and ?) */
int ngx_mobility_wildcard(const char *pattern, const char *s);


#endif /* _NGX_MOBILITY_POLICY_H_INCLUDED_ */
