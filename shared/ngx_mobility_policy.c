/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ngx_mobility_policy.h"
#include "ngx_mobility_audit.h"


/* record tags of every kind; parameters use 16 and up */
#define NGX_MOBILITY_C_IDENTITY   1
#define NGX_MOBILITY_C_CREATED    2
#define NGX_MOBILITY_C_UPDATED    3

#define NGX_MOBILITY_CFG_REC_MAX  8192
#define NGX_MOBILITY_QUOTE_MAX    64


#define ngx_mobility_bool_param(name, tag, dflt, ucwa, inferred)             \
    { name, tag, NGX_MOBILITY_CFG_BOOL, dflt, NULL, 0, 1, NULL, ucwa, 0,      \
      inferred }


static int ngx_mobility_mcx_check(const ngx_mobility_cfg_t *c, char *err,
    size_t size);


/*
 * CsMobilityPolicy: every parameter of New-/Set-CsMobilityPolicy except
 * Identity and the switches.  Defaults from the cmdlet help and the
 * planning table; RequireIntune, AllowAutomaticPstnFallback and
 * VoiceSettings have none documented ("inferred").
 */

static const char *const  ngx_mobility_voice_values[] = {
    "VoIPAlways", "VoIPOverWiFi", "Cellular", NULL
};


static const ngx_mobility_cfg_param_t  ngx_mobility_policy_params[] = {
    { "Description", 16, NGX_MOBILITY_CFG_STRING, 0, "", 0,
      NGX_MOBILITY_CFG_STR_MAX, NULL, NULL, 0, 0 },
    ngx_mobility_bool_param("EnableMobility", 17, 1, NULL, 0),
    ngx_mobility_bool_param("EnableOutsideVoice", 18, 1, NULL, 0),
    ngx_mobility_bool_param("EnableIPAudioVideo", 19, 1, NULL, 0),
    ngx_mobility_bool_param("RequireWiFiForIPAudio", 20, 0,
                            "audioOnlyOnWifi", 0),
    ngx_mobility_bool_param("RequireWiFiForIPVideo", 21, 0,
                            "videoOnlyOnWifi", 0),
    ngx_mobility_bool_param("RequireWiFiForSharing", 22, 0,
                            "sharingOnlyOnWifi", 0),
    ngx_mobility_bool_param("AllowCustomerExperienceImprovementProgram", 23,
                            1, "customerExperienceImprovementProgram", 0),
    ngx_mobility_bool_param("AllowSaveCallLogs", 24, 1, "saveCallLogs", 0),
    ngx_mobility_bool_param("AllowExchangeConnectivity", 25, 1,
                            "clientExchangeConnectivity", 0),
    ngx_mobility_bool_param("AllowSaveIMHistory", 26, 1,
                            "saveMessagingHistory", 0),
    ngx_mobility_bool_param("AllowSaveCredentials", 27, 1,
                            "saveCredentials", 0),
    ngx_mobility_bool_param("EnablePushNotifications", 28, 1, NULL, 0),
    ngx_mobility_bool_param("EncryptAppData", 29, 1, "encryptAppData", 0),
    ngx_mobility_bool_param("AllowDeviceContactsSync", 30, 1,
                            "allowDeviceContactsSync", 0),
    ngx_mobility_bool_param("RequireIntune", 31, 0, NULL, 1),
    ngx_mobility_bool_param("AllowAutomaticPstnFallback", 32, 1, NULL, 1),
    { "VoiceSettings", 33, NGX_MOBILITY_CFG_ENUM, 0, NULL, 0, 0,
      ngx_mobility_voice_values, NULL, 0, 1 },
    { "Tenant", 34, NGX_MOBILITY_CFG_GUID, 0, "", 0, 36, NULL, NULL, 1, 0 },
};


const ngx_mobility_cfg_kind_t  ngx_mobility_policy_kind = {
    "CsMobilityPolicy",
    "mobility policy",
    "policies",
    NGX_MOBILITY_REC_MOBILITY_POLICY,
    NGX_MOBILITY_DB_MOBILITY_POLICIES,
    ngx_mobility_policy_params,
    sizeof(ngx_mobility_policy_params) / sizeof(ngx_mobility_cfg_param_t),
    1,
    NULL
};


static const char *const  ngx_mobility_exposure_values[] = {
    "Internal", "External", NULL
};


static const ngx_mobility_cfg_param_t  ngx_mobility_mcx_params[] = {
    { "ExposedWebURL", 16, NGX_MOBILITY_CFG_ENUM, NGX_MOBILITY_MCX_EXTERNAL,
      NULL, 0, 0, ngx_mobility_exposure_values, NULL, 0, 0 },
    { "PushNotificationProxyUri", 17, NGX_MOBILITY_CFG_SIPURI, 0,
      "sip:push@push.lync.com", 0, NGX_MOBILITY_SIP_MAX, NULL, NULL, 0, 0 },
    { "SessionExpirationInterval", 18, NGX_MOBILITY_CFG_UINT32, 259200, NULL,
      120, 4294967295U, NULL, NULL, 0, 0 },
    { "SessionShortExpirationInterval", 19, NGX_MOBILITY_CFG_UINT32, 3600,
      NULL, 120, 4294967295U, NULL, NULL, 0, 0 },
};


const ngx_mobility_cfg_kind_t  ngx_mobility_mcx_kind = {
    "CsMcxConfiguration",
    "MCX configuration",
    "mcx",
    NGX_MOBILITY_REC_MCX_CONFIG,
    NGX_MOBILITY_DB_MCX_CONFIG,
    ngx_mobility_mcx_params,
    sizeof(ngx_mobility_mcx_params) / sizeof(ngx_mobility_cfg_param_t),
    0,
    ngx_mobility_mcx_check
};


static const ngx_mobility_cfg_param_t  ngx_mobility_push_params[] = {
    ngx_mobility_bool_param("EnableApplePushNotificationService", 16, 0,
                            NULL, 0),
    ngx_mobility_bool_param("EnableMicrosoftPushNotificationService", 17, 0,
                            NULL, 0),
    ngx_mobility_bool_param("EnableFcm", 18, 0, NULL, 0),
    ngx_mobility_bool_param("EnableWebPush", 19, 0, NULL, 0),
};


const ngx_mobility_cfg_kind_t  ngx_mobility_push_kind = {
    "CsPushNotificationConfiguration",
    "push notification configuration",
    "push",
    NGX_MOBILITY_REC_PUSH_CONFIG,
    NGX_MOBILITY_DB_PUSH_CONFIG,
    ngx_mobility_push_params,
    sizeof(ngx_mobility_push_params) / sizeof(ngx_mobility_cfg_param_t),
    0,
    NULL
};


/* ------------------------------------------------------------------ */
/* helpers                                                            */


static MDB_val
ngx_mobility_cfg_val(const void *data, size_t len)
{
    MDB_val  v;

    v.mv_data = (void *) data;
    v.mv_size = len;

    return v;
}


static u_char
ngx_mobility_cfg_lower(u_char c)
{
    return (c >= 'A' && c <= 'Z') ? (u_char) (c | 0x20) : c;
}


static int
ngx_mobility_cfg_eq(const u_char *a, size_t alen, const u_char *b,
    size_t blen)
{
    return alen == blen && strncasecmp((const char *) a, (const char *) b,
                                       alen) == 0;
}


/* input for an error message: control characters as "?", cut if long */
static const char *
ngx_mobility_cfg_quote(const char *p, size_t len, char *buf)
{
    size_t  i;

    for (i = 0; i < len && i < NGX_MOBILITY_QUOTE_MAX; i++) {
        buf[i] = ((u_char) p[i] < 0x20 || p[i] == 0x7f) ? '?' : p[i];
    }

    if (i < len) {
        while (i > 0 && ((u_char) p[i] & 0xc0) == 0x80) {
            i--;
        }

        memcpy(buf + i, "...", 3);
        i += 3;
    }

    buf[i] = '\0';

    return buf;
}


/* 0 if valid UTF-8 without control characters, -1 bad UTF-8, -2 control */
static int
ngx_mobility_cfg_text(const u_char *p, size_t len)
{
    size_t    i, n, k;
    u_char    c;
    uint32_t  cp, min;

    for (i = 0; i < len; i += n) {
        c = p[i];

        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) {
                return -2;
            }

            n = 1;
            continue;
        }

        if (c < 0xc2 || c > 0xf4) {
            return -1;
        }

        if (c < 0xe0) {
            n = 2;
            cp = c & 0x1f;
            min = 0x80;

        } else if (c < 0xf0) {
            n = 3;
            cp = c & 0x0f;
            min = 0x800;

        } else {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;
        }

        if (len - i < n) {
            return -1;
        }

        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return -1;
            }

            cp = (cp << 6) | (p[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }

        if (cp >= 0x80 && cp < 0xa0) {
            return -2;
        }
    }

    return 0;
}


int
ngx_mobility_wildcard(const char *pattern, const char *s)
{
    const char  *star, *back;

    star = NULL;
    back = NULL;

    while (*s) {
        if (*pattern == '*') {
            star = ++pattern;
            back = s;
            continue;
        }

        if (*pattern == '?'
            || (*pattern
                && ngx_mobility_cfg_lower((u_char) *pattern)
                   == ngx_mobility_cfg_lower((u_char) *s)))
        {
            pattern++;
            s++;
            continue;
        }

        if (star == NULL) {
            return 0;
        }

        pattern = star;
        s = ++back;
    }

    while (*pattern == '*') {
        pattern++;
    }

    return *pattern == '\0';
}


const ngx_mobility_cfg_param_t *
ngx_mobility_cfg_param(const ngx_mobility_cfg_kind_t *kind, const char *name,
    size_t len)
{
    size_t  i;

    for (i = 0; i < kind->nparams; i++) {
        if (ngx_mobility_cfg_eq((const u_char *) kind->params[i].name,
                                strlen(kind->params[i].name),
                                (const u_char *) name, len))
        {
            return &kind->params[i];
        }
    }

    return NULL;
}


static void
ngx_mobility_cfg_set_str(ngx_mobility_cfg_t *c,
    const ngx_mobility_cfg_param_t *p, const char *s, size_t len)
{
    memcpy(c->str[p->slot], s, len);
    c->str[p->slot][len] = '\0';
    c->len[p->slot] = len;
}


void
ngx_mobility_cfg_defaults(ngx_mobility_cfg_t *c,
    const ngx_mobility_cfg_kind_t *kind)
{
    size_t                           i;
    const ngx_mobility_cfg_param_t  *p;

    memset(c, 0, sizeof(ngx_mobility_cfg_t));
    c->kind = kind;
    c->scope = NGX_MOBILITY_SCOPE_GLOBAL;
    memcpy(c->identity, "Global", sizeof("Global"));
    memcpy(c->key, "global", sizeof("global"));
    c->name_off = strlen(c->identity);

    for (i = 0; i < kind->nparams; i++) {
        p = &kind->params[i];

        if (p->type == NGX_MOBILITY_CFG_STRING
            || p->type == NGX_MOBILITY_CFG_GUID
            || p->type == NGX_MOBILITY_CFG_SIPURI)
        {
            ngx_mobility_cfg_set_str(c, p, p->dflt_str, strlen(p->dflt_str));

        } else {
            c->num[i] = p->dflt;
        }
    }
}


/* builds identity and key from a scope and a name (not checked) */
static int
ngx_mobility_cfg_name_set(ngx_mobility_cfg_t *c,
    ngx_mobility_cfg_scope_e scope, const u_char *name, size_t len)
{
    size_t       i, plen;
    const char  *prefix;

    if (scope == NGX_MOBILITY_SCOPE_GLOBAL) {
        c->scope = scope;
        memcpy(c->identity, "Global", sizeof("Global"));
        memcpy(c->key, "global", sizeof("global"));
        c->name_off = strlen(c->identity);
        return 0;
    }

    if (len == 0 || len > NGX_MOBILITY_CFG_NAME_MAX) {
        return -1;
    }

    prefix = (scope == NGX_MOBILITY_SCOPE_SITE) ? "site:" : "tag:";
    plen = strlen(prefix);

    c->scope = scope;
    memcpy(c->identity, prefix, plen);
    memcpy(c->identity + plen, name, len);
    c->identity[plen + len] = '\0';
    c->name_off = plen;

    memcpy(c->key, prefix, plen);

    for (i = 0; i < len; i++) {
        c->key[plen + i] = (char) ngx_mobility_cfg_lower(name[i]);
    }

    c->key[plen + len] = '\0';

    return 0;
}


int
ngx_mobility_cfg_identity(ngx_mobility_cfg_t *c,
    const ngx_mobility_cfg_kind_t *kind, const char *in, size_t len,
    char *err, size_t size)
{
    int                       rc;
    char                      q[NGX_MOBILITY_QUOTE_MAX + 4];
    size_t                    i;
    const char               *name;
    ngx_mobility_cfg_scope_e  scope;

    ngx_mobility_cfg_defaults(c, kind);

    while (len && (in[0] == ' ' || in[0] == '\t')) {
        in++;
        len--;
    }

    while (len && (in[len - 1] == ' ' || in[len - 1] == '\t')) {
        len--;
    }

    if (ngx_mobility_cfg_eq((const u_char *) in, len,
                            (const u_char *) "global", 6))
    {
        return NGX_MOBILITY_OK;
    }

    if (len > 5 && strncasecmp(in, "site:", 5) == 0) {
        scope = NGX_MOBILITY_SCOPE_SITE;
        name = in + 5;

    } else if (len > 4 && strncasecmp(in, "tag:", 4) == 0 && kind->tags) {
        scope = NGX_MOBILITY_SCOPE_TAG;
        name = in + 4;

    } else if (len > 8 && strncasecmp(in, "service:", 8) == 0) {
        snprintf(err, size, "Identity \"%s\": the service scope of %s is "
                 "not supported (use global or site:<name>)",
                 ngx_mobility_cfg_quote(in, len, q), kind->noun);
        return NGX_MOBILITY_INVALID;

    } else if (kind->tags && len && memchr(in, ':', len) == NULL) {
        /* Lync takes a per-user policy by its bare name */
        scope = NGX_MOBILITY_SCOPE_TAG;
        name = in;

    } else {
        snprintf(err, size, "Identity \"%s\" is not %s",
                 ngx_mobility_cfg_quote(in, len, q),
                 kind->tags ? "global, site:<name> or tag:<name>"
                            : "global or site:<name>");
        return NGX_MOBILITY_INVALID;
    }

    len -= name - in;

    if (len > NGX_MOBILITY_CFG_NAME_MAX) {
        snprintf(err, size, "Identity: the name \"%s\" is longer than %d "
                 "bytes", ngx_mobility_cfg_quote(name, len, q),
                 NGX_MOBILITY_CFG_NAME_MAX);
        return NGX_MOBILITY_INVALID;
    }

    rc = ngx_mobility_cfg_text((const u_char *) name, len);

    for (i = 0; rc == 0 && i < len; i++) {
        if (strchr(":/\\*?\"<>|", name[i]) != NULL) {
            rc = -3;
        }
    }

    if (rc != 0 || name[0] == ' ' || name[len - 1] == ' ') {
        snprintf(err, size, "Identity: the name \"%s\" is not valid (UTF-8 "
                 "without control characters, spaces at either end or "
                 "any of : / \\ * ? \" < > |)",
                 ngx_mobility_cfg_quote(name, len, q));
        return NGX_MOBILITY_INVALID;
    }

    if (scope == NGX_MOBILITY_SCOPE_TAG
        && ngx_mobility_cfg_eq((const u_char *) name, len,
                               (const u_char *) "global", 6))
    {
        snprintf(err, size, "Identity: a per-user policy cannot be named "
                 "\"global\"");
        return NGX_MOBILITY_INVALID;
    }

    (void) ngx_mobility_cfg_name_set(c, scope, (const u_char *) name, len);

    return NGX_MOBILITY_OK;
}


/* ------------------------------------------------------------------ */
/* records                                                            */


static void
ngx_mobility_cfg_decode(ngx_mobility_cfg_t *c, const u_char *rec, size_t len)
{
    size_t                           i, n;
    uint64_t                         v;
    ngx_mobility_bytes_t             b;
    const ngx_mobility_cfg_param_t  *p;

    /* absent or unusable fields keep their defaults */

    if (ngx_mobility_rec_get(rec, len, NGX_MOBILITY_C_IDENTITY, &b)
        && b.len > c->name_off && b.len <= NGX_MOBILITY_CFG_ID_MAX
        && ngx_mobility_cfg_eq(b.data, c->name_off,
                               (const u_char *) c->identity, c->name_off))
    {
        memcpy(c->identity + c->name_off, b.data + c->name_off,
               b.len - c->name_off);
        c->identity[b.len] = '\0';
    }

    c->created = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_C_CREATED, 0);
    c->updated = ngx_mobility_rec_get_u64(rec, len, NGX_MOBILITY_C_UPDATED, 0);

    for (i = 0; i < c->kind->nparams; i++) {
        p = &c->kind->params[i];

        switch (p->type) {

        case NGX_MOBILITY_CFG_BOOL:
            v = ngx_mobility_rec_get_u64(rec, len, p->tag, p->dflt);
            c->num[i] = v ? 1 : 0;
            break;

        case NGX_MOBILITY_CFG_UINT32:
            v = ngx_mobility_rec_get_u64(rec, len, p->tag, p->dflt);
            c->num[i] = (v >= p->min && v <= p->max) ? v : p->dflt;
            break;

        case NGX_MOBILITY_CFG_ENUM:
            v = ngx_mobility_rec_get_u64(rec, len, p->tag, p->dflt);

            for (n = 0; p->values[n]; n++) { /* void */ }

            c->num[i] = (v < n) ? v : p->dflt;
            break;

        default:
            if (ngx_mobility_rec_get(rec, len, p->tag, &b)
                && b.len <= p->max && b.len <= NGX_MOBILITY_CFG_STR_MAX)
            {
                ngx_mobility_cfg_set_str(c, p, (const char *) b.data, b.len);
            }

            break;
        }
    }

    c->stored = 1;
}


/* reads c->key of c->kind into c; OK, NOTFOUND (c unchanged) or ERROR */
static int
ngx_mobility_cfg_load(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_cfg_t *c)
{
    int      rc;
    MDB_val  k, v;

    k = ngx_mobility_cfg_val(c->key, strlen(c->key));

    rc = mdb_get(txn, st->dbi[c->kind->db], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading settings", rc);
    }

    if (ngx_mobility_rec_check(v.mv_data, v.mv_size, c->kind->rec_type) != 0)
    {
        snprintf(st->err, sizeof(st->err), "the record of %s \"%s\" is "
                 "corrupt", c->kind->what, c->key);
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_cfg_decode(c, v.mv_data, v.mv_size);

    return NGX_MOBILITY_OK;
}


/* the object of a scope and name, as typed by users (no syntax check) */
static int
ngx_mobility_cfg_lookup(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, ngx_mobility_cfg_scope_e scope,
    const u_char *name, size_t len, ngx_mobility_cfg_t *c)
{
    ngx_mobility_cfg_defaults(c, kind);

    if (ngx_mobility_cfg_name_set(c, scope, name, len) != 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    return ngx_mobility_cfg_load(st, txn, c);
}


static int
ngx_mobility_cfg_put(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_cfg_t *c)
{
    int                              rc;
    u_char                           buf[NGX_MOBILITY_CFG_REC_MAX];
    size_t                           i;
    MDB_val                          k, v;
    ngx_mobility_rec_writer_t        w;
    const ngx_mobility_cfg_param_t  *p;

    ngx_mobility_rec_begin(&w, buf, sizeof(buf), c->kind->rec_type);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_C_IDENTITY, c->identity,
                         strlen(c->identity));
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_C_CREATED, c->created);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_C_UPDATED, c->updated);

    for (i = 0; i < c->kind->nparams; i++) {
        p = &c->kind->params[i];

        switch (p->type) {

        case NGX_MOBILITY_CFG_BOOL:
        case NGX_MOBILITY_CFG_UINT32:
        case NGX_MOBILITY_CFG_ENUM:
            ngx_mobility_rec_put_u64(&w, p->tag, c->num[i]);
            break;

        default:
            /* written even if empty: empty differs from the default */
            ngx_mobility_rec_put(&w, p->tag, c->str[p->slot],
                                 c->len[p->slot]);
            break;
        }
    }

    if (w.overflow) {
        snprintf(st->err, sizeof(st->err), "%s \"%s\" is too large",
                 c->kind->what, c->identity);
        return NGX_MOBILITY_ERROR;
    }

    k = ngx_mobility_cfg_val(c->key, strlen(c->key));
    v = ngx_mobility_cfg_val(buf, w.len);

    rc = mdb_put(txn, st->dbi[c->kind->db], &k, &v, 0);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing settings", rc);
    }

    c->stored = 1;

    return NGX_MOBILITY_OK;
}


static int
ngx_mobility_cfg_del(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_cfg_t *c)
{
    int      rc;
    MDB_val  k;

    k = ngx_mobility_cfg_val(c->key, strlen(c->key));

    rc = mdb_del(txn, st->dbi[c->kind->db], &k, NULL);

    if (rc != 0 && rc != MDB_NOTFOUND) {
        return ngx_mobility_store_fail(st, "removing settings", rc);
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_cfg_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *identity, size_t len,
    ngx_mobility_cfg_t *c, char *err, size_t size)
{
    int  rc;

    if (identity == NULL || len == 0) {
        identity = "global";
        len = 6;
    }

    rc = ngx_mobility_cfg_identity(c, kind, identity, len, err, size);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    rc = ngx_mobility_cfg_load(st, txn, c);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        if (c->scope == NGX_MOBILITY_SCOPE_GLOBAL) {
            return NGX_MOBILITY_OK;
        }

        snprintf(err, size, "no %s \"%s\"", kind->what, c->identity);
    }

    return rc;
}


/* ------------------------------------------------------------------ */
/* validation                                                         */


static int
ngx_mobility_mcx_check(const ngx_mobility_cfg_t *c, char *err, size_t size)
{
    uint64_t  lng, shrt;

    lng = c->num[NGX_MOBILITY_MCX_SESSION_EXPIRATION];
    shrt = c->num[NGX_MOBILITY_MCX_SESSION_SHORT_EXPIRATION];

    if (shrt >= lng) {
        snprintf(err, size, "SessionShortExpirationInterval (%llu) must be "
                 "less than SessionExpirationInterval (%llu)",
                 (unsigned long long) shrt, (unsigned long long) lng);
        return -1;
    }

    return 0;
}


/* "True", "$false", "1"...: 1, 0 or -1 */
static int
ngx_mobility_cfg_parse_bool(const char *s, size_t len)
{
    if (len && s[0] == '$') {
        s++;
        len--;
    }

    if (ngx_mobility_cfg_eq((const u_char *) s, len, (const u_char *) "true",
                            4)
        || (len == 1 && s[0] == '1'))
    {
        return 1;
    }

    if (ngx_mobility_cfg_eq((const u_char *) s, len,
                            (const u_char *) "false", 5)
        || (len == 1 && s[0] == '0'))
    {
        return 0;
    }

    return -1;
}


static int
ngx_mobility_cfg_is_null(json_t *v)
{
    const char  *s;

    if (json_is_null(v)) {
        return 1;
    }

    s = json_string_value(v);

    return s && strcasecmp(s, "$null") == 0;
}


static int
ngx_mobility_cfg_guid(const char *s, size_t len)
{
    size_t  i;

    if (len != 36) {
        return 0;
    }

    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

            continue;
        }

        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
              || (s[i] >= 'A' && s[i] <= 'F')))
        {
            return 0;
        }
    }

    return 1;
}


/* one value into c; -1 with a message */
static int
ngx_mobility_cfg_value(ngx_mobility_cfg_t *c, size_t i, json_t *v,
    char *err, size_t size)
{
    int                              b, n;
    char                             q[NGX_MOBILITY_QUOTE_MAX + 4];
    char                             dig[24], *end;
    u_char                           sip[NGX_MOBILITY_SIP_MAX + 1];
    size_t                           len, k;
    uint64_t                         u;
    json_int_t                       ji;
    const char                      *s;
    const ngx_mobility_cfg_param_t  *p;

    p = &c->kind->params[i];
    s = json_string_value(v);
    len = s ? json_string_length(v) : 0;

    switch (p->type) {

    case NGX_MOBILITY_CFG_BOOL:
        if (json_is_boolean(v)) {
            b = json_is_true(v);

        } else if (json_is_integer(v)
                   && (json_integer_value(v) == 0
                       || json_integer_value(v) == 1))
        {
            b = (int) json_integer_value(v);

        } else {
            b = s ? ngx_mobility_cfg_parse_bool(s, len) : -1;
        }

        if (b < 0) {
            snprintf(err, size, "%s: \"%s\" is not a Boolean (True, False, "
                     "$true, $false, 1 or 0)", p->name,
                     s ? ngx_mobility_cfg_quote(s, len, q)
                       : (json_is_null(v) ? "$null" : "(not a string)"));
            return -1;
        }

        c->num[i] = (uint64_t) b;
        return 0;

    case NGX_MOBILITY_CFG_UINT32:
        if (json_is_integer(v)) {
            ji = json_integer_value(v);

            if (ji < (json_int_t) p->min || ji > (json_int_t) p->max) {
                snprintf(err, size, "%s: %lld is out of range (%u to %u)",
                         p->name, (long long) ji, p->min, p->max);
                return -1;
            }

            c->num[i] = (uint64_t) ji;
            return 0;
        }

        if (s && len && len < sizeof(dig) && s[0] >= '0' && s[0] <= '9') {
            memcpy(dig, s, len);
            dig[len] = '\0';
            u = strtoull(dig, &end, 10);

            if (*end == '\0' && len < 20) {
                if (u < p->min || u > p->max) {
                    snprintf(err, size, "%s: %s is out of range (%u to %u)",
                             p->name, dig, p->min, p->max);
                    return -1;
                }

                c->num[i] = u;
                return 0;
            }
        }

        if (s && len && len < 24 && s[0] == '-') {
            snprintf(err, size, "%s: %s is out of range (%u to %u)",
                     p->name, ngx_mobility_cfg_quote(s, len, q), p->min,
                     p->max);
            return -1;
        }

        snprintf(err, size, "%s: \"%s\" is not an integer (%u to %u)",
                 p->name, s ? ngx_mobility_cfg_quote(s, len, q)
                            : (json_is_null(v) ? "$null" : "(not a number)"),
                 p->min, p->max);
        return -1;

    case NGX_MOBILITY_CFG_ENUM:
        if (ngx_mobility_cfg_is_null(v)) {
            c->num[i] = p->dflt;
            return 0;
        }

        for (k = 0; s && p->values[k]; k++) {
            if (ngx_mobility_cfg_eq((const u_char *) p->values[k],
                                    strlen(p->values[k]),
                                    (const u_char *) s, len))
            {
                c->num[i] = k;
                return 0;
            }
        }

        n = snprintf(err, size, "%s: \"%s\" is not one of ", p->name,
                     s ? ngx_mobility_cfg_quote(s, len, q) : "(not a string)");

        for (k = 0; p->values[k] && n > 0 && (size_t) n < size; k++) {
            n += snprintf(err + n, size - n, "%s%s", k ? ", " : "",
                          p->values[k]);
        }

        return -1;

    default:
        break;
    }

    /* strings */

    if (ngx_mobility_cfg_is_null(v)) {
        s = "";
        len = 0;

    } else if (s == NULL) {
        snprintf(err, size, "%s must be a string", p->name);
        return -1;
    }

    if (len > p->max) {
        snprintf(err, size, "%s is longer than %u bytes", p->name, p->max);
        return -1;
    }

    n = ngx_mobility_cfg_text((const u_char *) s, len);

    if (n == -1) {
        snprintf(err, size, "%s is not valid UTF-8", p->name);
        return -1;
    }

    if (n == -2) {
        snprintf(err, size, "%s \"%s\" contains control characters", p->name,
                 ngx_mobility_cfg_quote(s, len, q));
        return -1;
    }

    if (p->type == NGX_MOBILITY_CFG_GUID && len
        && !ngx_mobility_cfg_guid(s, len))
    {
        snprintf(err, size, "%s: \"%s\" is not a GUID "
                 "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", p->name,
                 ngx_mobility_cfg_quote(s, len, q));
        return -1;
    }

    if (p->type == NGX_MOBILITY_CFG_SIPURI && len) {
        if (len < 5 || strncasecmp(s, "sip:", 4) != 0
            || ngx_mobility_sip_canon((const u_char *) s, len, sip, NULL) < 0)
        {
            snprintf(err, size, "%s: \"%s\" is not a SIP URI "
                     "(sip:user@domain)", p->name,
                     ngx_mobility_cfg_quote(s, len, q));
            return -1;
        }

        /* "sip:" and the canonical address */
        n = snprintf(c->str[p->slot], NGX_MOBILITY_CFG_STR_MAX + 1, "sip:%s",
                     (char *) sip);
        c->len[p->slot] = (size_t) n;
        return 0;
    }

    ngx_mobility_cfg_set_str(c, p, s, len);

    return 0;
}


int
ngx_mobility_cfg_apply(ngx_mobility_cfg_t *c, json_t *params, char *err,
    size_t size, const char **param)
{
    char                             q[NGX_MOBILITY_QUOTE_MAX + 4];
    size_t                           i;
    json_t                          *v;
    uint32_t                         seen;
    const char                      *name;
    ngx_mobility_cfg_t              *tmp;
    const ngx_mobility_cfg_param_t  *p;

    *param = NULL;

    if (params == NULL) {
        return c->kind->check && c->kind->check(c, err, size) != 0
               ? NGX_MOBILITY_INVALID : NGX_MOBILITY_OK;
    }

    if (!json_is_object(params)) {
        snprintf(err, size, "the parameters must be a JSON object");
        return NGX_MOBILITY_INVALID;
    }

    /* all or nothing: on a copy */

    tmp = malloc(sizeof(ngx_mobility_cfg_t));
    if (tmp == NULL) {
        snprintf(err, size, "out of memory");
        return NGX_MOBILITY_ERROR;
    }

    memcpy(tmp, c, sizeof(ngx_mobility_cfg_t));

    seen = 0;

    json_object_foreach(params, name, v) {

        if (strcasecmp(name, "Identity") == 0) {
            continue;
        }

        p = ngx_mobility_cfg_param(c->kind, name, strlen(name));

        if (p == NULL) {
            snprintf(err, size, "unknown parameter \"%s\" of %s",
                     ngx_mobility_cfg_quote(name, strlen(name), q),
                     c->kind->noun);
            free(tmp);
            return NGX_MOBILITY_INVALID;
        }

        i = p - c->kind->params;
        *param = p->name;

        if (seen & (1u << i)) {
            snprintf(err, size, "parameter %s given twice", p->name);
            free(tmp);
            return NGX_MOBILITY_INVALID;
        }

        seen |= 1u << i;

        if (ngx_mobility_cfg_value(tmp, i, v, err, size) != 0) {
            free(tmp);
            return NGX_MOBILITY_INVALID;
        }
    }

    *param = NULL;

    if (c->kind->check && c->kind->check(tmp, err, size) != 0) {
        *param = c->kind->params[NGX_MOBILITY_MCX_SESSION_SHORT_EXPIRATION]
                 .name;
        free(tmp);
        return NGX_MOBILITY_INVALID;
    }

    memcpy(c, tmp, sizeof(ngx_mobility_cfg_t));
    free(tmp);

    return NGX_MOBILITY_OK;
}


/* ------------------------------------------------------------------ */
/* JSON                                                               */


json_t *
ngx_mobility_cfg_json(const ngx_mobility_cfg_t *c)
{
    size_t                           i;
    json_t                          *j, *v;
    const ngx_mobility_cfg_param_t  *p;

    j = json_object();
    if (j == NULL) {
        return NULL;
    }

    if (json_object_set_new(j, "Identity", json_string(c->identity)) != 0) {
        goto failed;
    }

    for (i = 0; i < c->kind->nparams; i++) {
        p = &c->kind->params[i];

        switch (p->type) {

        case NGX_MOBILITY_CFG_BOOL:
            v = json_boolean(c->num[i]);
            break;

        case NGX_MOBILITY_CFG_UINT32:
            v = json_integer((json_int_t) c->num[i]);
            break;

        case NGX_MOBILITY_CFG_ENUM:
            v = json_string(p->values[c->num[i]]);
            break;

        default:
            v = json_stringn(c->str[p->slot], c->len[p->slot]);
            break;
        }

        if (json_object_set_new(j, p->name, v) != 0) {
            goto failed;
        }
    }

    return j;

failed:

    json_decref(j);
    return NULL;
}


json_t *
ngx_mobility_cfg_json_defaults(const ngx_mobility_cfg_kind_t *kind)
{
    json_t              *j;
    ngx_mobility_cfg_t  *c;

    c = malloc(sizeof(ngx_mobility_cfg_t));
    if (c == NULL) {
        return NULL;
    }

    ngx_mobility_cfg_defaults(c, kind);
    j = ngx_mobility_cfg_json(c);
    free(c);

    return j;
}


json_t *
ngx_mobility_cfg_list(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *filter, int *rc)
{
    int                  r;
    json_t              *list, *j;
    MDB_val              k, v;
    MDB_cursor          *cur;
    ngx_mobility_cfg_t  *c;

    *rc = NGX_MOBILITY_OK;

    list = json_array();
    c = malloc(sizeof(ngx_mobility_cfg_t));

    if (list == NULL || c == NULL) {
        goto nomem;
    }

    /* global first, stored or not */

    ngx_mobility_cfg_defaults(c, kind);

    r = ngx_mobility_cfg_load(st, txn, c);

    if (r == NGX_MOBILITY_ERROR) {
        goto failed;
    }

    if (filter == NULL || ngx_mobility_wildcard(filter, c->identity)) {
        j = ngx_mobility_cfg_json(c);

        if (j == NULL || json_array_append_new(list, j) != 0) {
            goto nomem;
        }
    }

    r = mdb_cursor_open(txn, st->dbi[kind->db], &cur);
    if (r != 0) {
        ngx_mobility_store_fail(st, "listing settings", r);
        goto failed;
    }

    for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         r == 0;
         r = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size == 6 && memcmp(k.mv_data, "global", 6) == 0) {
            continue;
        }

        ngx_mobility_cfg_defaults(c, kind);

        if (k.mv_size > 5 && memcmp(k.mv_data, "site:", 5) == 0) {
            r = ngx_mobility_cfg_name_set(c, NGX_MOBILITY_SCOPE_SITE,
                                          (u_char *) k.mv_data + 5,
                                          k.mv_size - 5);

        } else if (k.mv_size > 4 && memcmp(k.mv_data, "tag:", 4) == 0) {
            r = ngx_mobility_cfg_name_set(c, NGX_MOBILITY_SCOPE_TAG,
                                          (u_char *) k.mv_data + 4,
                                          k.mv_size - 4);

        } else {
            r = -1;
        }

        if (r != 0
            || ngx_mobility_rec_check(v.mv_data, v.mv_size, kind->rec_type)
               != 0)
        {
            /* not ours to show; the keys are all written here */
            r = 0;
            continue;
        }

        ngx_mobility_cfg_decode(c, v.mv_data, v.mv_size);

        if (filter && !ngx_mobility_wildcard(filter, c->identity)) {
            continue;
        }

        j = ngx_mobility_cfg_json(c);

        if (j == NULL || json_array_append_new(list, j) != 0) {
            mdb_cursor_close(cur);
            goto nomem;
        }
    }

    mdb_cursor_close(cur);

    if (r != MDB_NOTFOUND) {
        ngx_mobility_store_fail(st, "listing settings", r);
        goto failed;
    }

    free(c);

    return list;

nomem:

    snprintf(st->err, sizeof(st->err), "out of memory");

failed:

    json_decref(list);
    free(c);
    *rc = NGX_MOBILITY_ERROR;

    return NULL;
}


/* ------------------------------------------------------------------ */
/* effective settings                                                 */


int
ngx_mobility_policy_effective(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_user_t *u, ngx_mobility_cfg_t *pol)
{
    int  rc;

    if (u && u->policy.len) {
        rc = ngx_mobility_cfg_lookup(st, txn, &ngx_mobility_policy_kind,
                                     NGX_MOBILITY_SCOPE_TAG, u->policy.data,
                                     u->policy.len, pol);

        /* a grant whose policy is gone: as if not granted */
        if (rc != NGX_MOBILITY_NOTFOUND) {
            return rc;
        }
    }

    if (u && u->site.len) {
        rc = ngx_mobility_cfg_lookup(st, txn, &ngx_mobility_policy_kind,
                                     NGX_MOBILITY_SCOPE_SITE, u->site.data,
                                     u->site.len, pol);

        if (rc != NGX_MOBILITY_NOTFOUND) {
            return rc;
        }
    }

    rc = ngx_mobility_cfg_lookup(st, txn, &ngx_mobility_policy_kind,
                                 NGX_MOBILITY_SCOPE_GLOBAL, NULL, 0, pol);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        ngx_mobility_cfg_defaults(pol, &ngx_mobility_policy_kind);
        return NGX_MOBILITY_OK;
    }

    return rc;
}


int
ngx_mobility_policy_effective_sip(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_cfg_t *pol)
{
    int                  rc;
    ngx_mobility_user_t  u;

    rc = ngx_mobility_user_get(st, txn, sip, len, &u);
    if (rc != NGX_MOBILITY_OK) {
        return rc;
    }

    return ngx_mobility_policy_effective(st, txn, &u, pol);
}


int
ngx_mobility_policy_mobility_enabled(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len)
{
    int                  rc;
    ngx_mobility_cfg_t  *pol;
    ngx_mobility_user_t  u;

    pol = malloc(sizeof(ngx_mobility_cfg_t));
    if (pol == NULL) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return -1;
    }

    rc = ngx_mobility_user_get(st, txn, sip, len, &u);

    if (rc == NGX_MOBILITY_OK) {
        rc = ngx_mobility_policy_effective(st, txn, &u, pol);

    } else if (rc == NGX_MOBILITY_NOTFOUND) {
        rc = ngx_mobility_policy_effective(st, txn, NULL, pol);
    }

    if (rc == NGX_MOBILITY_OK) {
        rc = ngx_mobility_cfg_bool(pol, NGX_MOBILITY_POL_ENABLE_MOBILITY);

    } else {
        rc = -1;
    }

    free(pol);

    return rc;
}


int
ngx_mobility_cfg_effective_site(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const u_char *site, size_t len,
    ngx_mobility_cfg_t *c)
{
    int  rc;

    if (len) {
        rc = ngx_mobility_cfg_lookup(st, txn, kind, NGX_MOBILITY_SCOPE_SITE,
                                     site, len, c);

        if (rc != NGX_MOBILITY_NOTFOUND) {
            return rc;
        }
    }

    rc = ngx_mobility_cfg_lookup(st, txn, kind, NGX_MOBILITY_SCOPE_GLOBAL,
                                 NULL, 0, c);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        ngx_mobility_cfg_defaults(c, kind);
        return NGX_MOBILITY_OK;
    }

    return rc;
}


int
ngx_mobility_mcx_exposed_web_url(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *site, size_t len, int *configured)
{
    int                  rc;
    ngx_mobility_cfg_t  *c;

    c = malloc(sizeof(ngx_mobility_cfg_t));
    if (c == NULL) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return -1;
    }

    rc = ngx_mobility_cfg_effective_site(st, txn, &ngx_mobility_mcx_kind,
                                         site, len, c);

    if (rc == NGX_MOBILITY_OK) {
        *configured = c->stored;
        rc = (int) c->num[NGX_MOBILITY_MCX_EXPOSED_WEB_URL];

    } else {
        rc = -1;
    }

    free(c);

    return rc;
}


size_t
ngx_mobility_policy_ucwa(const ngx_mobility_cfg_t *pol,
    ngx_mobility_ucwa_property_t *props)
{
    size_t                           i, n;
    const char                      *mode;
    const ngx_mobility_cfg_param_t  *p;

    n = 0;

    for (i = 0; i < pol->kind->nparams; i++) {
        p = &pol->kind->params[i];

        if (p->ucwa == NULL || n == NGX_MOBILITY_UCWA_PROPERTIES - 1) {
            continue;
        }

        props[n].name = p->ucwa;
        props[n].value = pol->num[i] ? "Enabled" : "Disabled";
        n++;
    }

    /*
     * telephonyMode: VoIP when EnableIPAudioVideo, else Call via Work
     * (the server calls the phone back) when EnableOutsideVoice, else
     * none; turning mobility off turns both off.
     */

    if (!ngx_mobility_cfg_bool(pol, NGX_MOBILITY_POL_ENABLE_MOBILITY)) {
        mode = "None";

    } else if (ngx_mobility_cfg_bool(pol,
                                     NGX_MOBILITY_POL_ENABLE_IP_AUDIO_VIDEO))
    {
        mode = "AudioVideo";

    } else if (ngx_mobility_cfg_bool(pol,
                                     NGX_MOBILITY_POL_ENABLE_OUTSIDE_VOICE))
    {
        mode = "PhoneAudio";

    } else {
        mode = "None";
    }

    props[n].name = "telephonyMode";
    props[n].value = mode;

    return n + 1;
}


json_t *
ngx_mobility_policy_ucwa_json(const ngx_mobility_cfg_t *pol)
{
    size_t                        i, n;
    json_t                       *j;
    ngx_mobility_ucwa_property_t  props[NGX_MOBILITY_UCWA_PROPERTIES];

    j = json_object();
    if (j == NULL) {
        return NULL;
    }

    n = ngx_mobility_policy_ucwa(pol, props);

    for (i = 0; i < n; i++) {
        if (json_object_set_new(j, props[i].name,
                                json_string(props[i].value))
            != 0)
        {
            json_decref(j);
            return NULL;
        }
    }

    return j;
}


/* ------------------------------------------------------------------ */
/* users                                                              */


/* whether the user refers to c: by grant (tag) or by site (site, mcx...) */
static int
ngx_mobility_cfg_refers(const ngx_mobility_cfg_t *c,
    const ngx_mobility_user_t *u)
{
    const char  *name;

    name = ngx_mobility_cfg_name(c);

    switch (c->scope) {

    case NGX_MOBILITY_SCOPE_TAG:
        return ngx_mobility_cfg_eq(u->policy.data, u->policy.len,
                                   (const u_char *) name, strlen(name));

    case NGX_MOBILITY_SCOPE_SITE:
        return ngx_mobility_cfg_eq(u->site.data, u->site.len,
                                   (const u_char *) name, strlen(name));

    default:
        return 1;
    }
}


/*
 * Users that refer to c, as JSON strings "sip:user@domain"; governed: only
 * those c actually governs (their effective policy is c).
 */
static json_t *
ngx_mobility_cfg_users(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_t *c, int governed, int *rc)
{
    int                   r;
    json_t               *list, *s;
    MDB_val               k, v;
    MDB_cursor           *cur;
    ngx_mobility_cfg_t   *eff;
    ngx_mobility_user_t   u;

    *rc = NGX_MOBILITY_OK;

    list = json_array();
    eff = malloc(sizeof(ngx_mobility_cfg_t));

    if (list == NULL || eff == NULL) {
        json_decref(list);
        free(eff);
        snprintf(st->err, sizeof(st->err), "out of memory");
        *rc = NGX_MOBILITY_ERROR;
        return NULL;
    }

    r = mdb_cursor_open(txn, st->dbi[NGX_MOBILITY_DB_USERS], &cur);
    if (r != 0) {
        json_decref(list);
        free(eff);
        *rc = ngx_mobility_store_fail(st, "listing users", r);
        return NULL;
    }

    for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         r == 0;
         r = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (ngx_mobility_user_decode(v.mv_data, v.mv_size, &u) != 0
            || !ngx_mobility_cfg_refers(c, &u))
        {
            continue;
        }

        if (governed && c->kind == &ngx_mobility_policy_kind
            && c->scope != NGX_MOBILITY_SCOPE_TAG)
        {
            if (ngx_mobility_policy_effective(st, txn, &u, eff)
                != NGX_MOBILITY_OK)
            {
                r = -1;
                break;
            }

            if (strcmp(eff->key, c->key) != 0) {
                continue;
            }
        }

        s = json_sprintf("sip:%.*s", (int) k.mv_size, (char *) k.mv_data);

        if (s == NULL || json_array_append_new(list, s) != 0) {
            snprintf(st->err, sizeof(st->err), "out of memory");
            r = -1;
            break;
        }
    }

    mdb_cursor_close(cur);
    free(eff);

    if (r != MDB_NOTFOUND) {
        json_decref(list);

        if (r != -1) {
            ngx_mobility_store_fail(st, "listing users", r);
        }

        *rc = NGX_MOBILITY_ERROR;
        return NULL;
    }

    return list;
}


json_t *
ngx_mobility_policy_users(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_t *c, int *rc)
{
    return ngx_mobility_cfg_users(st, txn, c, 1, rc);
}


/* ------------------------------------------------------------------ */
/* operations                                                         */


void
ngx_mobility_admin_op_init(ngx_mobility_admin_op_t *op)
{
    op->action[0] = '\0';
    op->target[0] = '\0';
    op->before = NULL;
    op->after = NULL;
    op->audit_id[0] = '\0';
    op->err[0] = '\0';
    op->param = NULL;
    op->notify_len = 0;
}


void
ngx_mobility_admin_op_free(ngx_mobility_admin_op_t *op)
{
    json_decref(op->before);
    json_decref(op->after);
    op->before = NULL;
    op->after = NULL;
}


static int
ngx_mobility_op_error(ngx_mobility_store_t *st, ngx_mobility_admin_op_t *op)
{
    snprintf(op->err, sizeof(op->err), "%s", st->err);
    return NGX_MOBILITY_ERROR;
}


static int
ngx_mobility_op_nomem(ngx_mobility_store_t *st, ngx_mobility_admin_op_t *op)
{
    snprintf(st->err, sizeof(st->err), "out of memory");
    return ngx_mobility_op_error(st, op);
}


static int
ngx_mobility_op_audit(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_admin_op_t *op, const char *action, const char *target,
    json_t *before, json_t *after)
{
    ngx_mobility_audit_entry_t  e;

    e.time_ms = op->now_ms;
    e.who = op->who;
    e.via = op->via;
    e.client = op->client;
    e.action = action;
    e.target = target;
    e.before = before;
    e.after = after;

    if (ngx_mobility_audit_add(st, txn, &e, op->audit_id) != 0) {
        return ngx_mobility_op_error(st, op);
    }

    return NGX_MOBILITY_OK;
}


/* the notification payload: kind, then users or "*" */
static void
ngx_mobility_op_notify_all(ngx_mobility_admin_op_t *op, const char *kind)
{
    op->notify_len = (size_t) snprintf((char *) op->notify,
                                       sizeof(op->notify), "%s\n*", kind);
}


static void
ngx_mobility_op_notify_users(ngx_mobility_admin_op_t *op, const char *kind,
    json_t *users)
{
    size_t       i, len, n;
    json_t      *s;
    const char  *sip;

    n = (size_t) snprintf((char *) op->notify, sizeof(op->notify), "%s",
                          kind);

    json_array_foreach(users, i, s) {
        sip = json_string_value(s);

        if (sip == NULL) {
            continue;
        }

        if (strncmp(sip, "sip:", 4) == 0) {
            sip += 4;
        }

        len = strlen(sip);

        if (n + 1 + len > sizeof(op->notify)) {
            /* too many to name: everybody */
            ngx_mobility_op_notify_all(op, kind);
            return;
        }

        op->notify[n++] = '\n';
        memcpy(op->notify + n, sip, len);
        n += len;
    }

    /* nobody to tell */
    op->notify_len = (n == strlen(kind)) ? 0 : n;
}


/* whom a change of c concerns */
static int
ngx_mobility_op_notify(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_admin_op_t *op, const ngx_mobility_cfg_t *c)
{
    int      rc;
    json_t  *users;

    if (c->scope == NGX_MOBILITY_SCOPE_GLOBAL) {
        ngx_mobility_op_notify_all(op, c->kind->notify);
        return NGX_MOBILITY_OK;
    }

    users = ngx_mobility_cfg_users(st, txn, c, 0, &rc);
    if (users == NULL) {
        return ngx_mobility_op_error(st, op);
    }

    ngx_mobility_op_notify_users(op, c->kind->notify, users);
    json_decref(users);

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_cfg_new(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *identity,
    json_t *params, ngx_mobility_admin_op_t *op)
{
    int                  rc;
    ngx_mobility_cfg_t  *c, *old;

    snprintf(op->action, sizeof(op->action), "New-%s", kind->noun);

    if (identity == NULL || *identity == '\0') {
        op->param = "Identity";
        snprintf(op->err, sizeof(op->err), "Identity is required");
        return NGX_MOBILITY_INVALID;
    }

    c = malloc(2 * sizeof(ngx_mobility_cfg_t));
    if (c == NULL) {
        return ngx_mobility_op_nomem(st, op);
    }

    old = c + 1;

    rc = ngx_mobility_cfg_identity(c, kind, identity, strlen(identity),
                                   op->err, sizeof(op->err));
    if (rc != NGX_MOBILITY_OK) {
        op->param = "Identity";
        goto done;
    }

    snprintf(op->target, sizeof(op->target), "%s", c->identity);

    if (c->scope == NGX_MOBILITY_SCOPE_GLOBAL) {
        op->param = "Identity";
        snprintf(op->err, sizeof(op->err), "the global %s always exists; "
                 "change it with Set-%s", kind->what, kind->noun);
        rc = NGX_MOBILITY_INVALID;
        goto done;
    }

    memcpy(old, c, sizeof(ngx_mobility_cfg_t));

    rc = ngx_mobility_cfg_load(st, txn, old);

    if (rc == NGX_MOBILITY_OK) {
        snprintf(op->err, sizeof(op->err), "%s \"%s\" already exists; "
                 "change it with Set-%s", kind->what, old->identity,
                 kind->noun);
        rc = NGX_MOBILITY_EXISTS;
        goto done;
    }

    if (rc == NGX_MOBILITY_ERROR) {
        rc = ngx_mobility_op_error(st, op);
        goto done;
    }

    rc = ngx_mobility_cfg_apply(c, params, op->err, sizeof(op->err),
                                &op->param);
    if (rc != NGX_MOBILITY_OK) {
        goto done;
    }

    c->created = op->now_ms / 1000;
    c->updated = c->created;

    op->after = ngx_mobility_cfg_json(c);
    if (op->after == NULL) {
        rc = ngx_mobility_op_nomem(st, op);
        goto done;
    }

    if (op->dry) {
        goto done;
    }

    if (ngx_mobility_cfg_put(st, txn, c) != NGX_MOBILITY_OK
        || ngx_mobility_op_notify(st, txn, op, c) != NGX_MOBILITY_OK)
    {
        rc = ngx_mobility_op_error(st, op);
        goto done;
    }

    rc = ngx_mobility_op_audit(st, txn, op, op->action, op->target, NULL,
                               op->after);

done:

    free(c);

    return rc;
}


int
ngx_mobility_cfg_set(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *identity,
    json_t *params, ngx_mobility_admin_op_t *op)
{
    int                  rc;
    ngx_mobility_cfg_t  *c;

    snprintf(op->action, sizeof(op->action), "Set-%s", kind->noun);

    c = malloc(sizeof(ngx_mobility_cfg_t));
    if (c == NULL) {
        return ngx_mobility_op_nomem(st, op);
    }

    rc = ngx_mobility_cfg_get(st, txn, kind, identity,
                              identity ? strlen(identity) : 0, c, op->err,
                              sizeof(op->err));

    if (rc == NGX_MOBILITY_NOTFOUND) {
        size_t  n = strlen(op->err);

        snprintf(op->err + n, sizeof(op->err) - n, " (create it with New-%s)",
                 kind->noun);
    }

    if (rc == NGX_MOBILITY_INVALID) {
        op->param = "Identity";
    }

    if (rc == NGX_MOBILITY_ERROR) {
        rc = ngx_mobility_op_error(st, op);
    }

    if (rc != NGX_MOBILITY_OK) {
        goto done;
    }

    snprintf(op->target, sizeof(op->target), "%s", c->identity);

    op->before = ngx_mobility_cfg_json(c);
    if (op->before == NULL) {
        rc = ngx_mobility_op_nomem(st, op);
        goto done;
    }

    rc = ngx_mobility_cfg_apply(c, params, op->err, sizeof(op->err),
                                &op->param);
    if (rc != NGX_MOBILITY_OK) {
        goto done;
    }

    if (!c->stored) {
        c->created = op->now_ms / 1000;
    }

    c->updated = op->now_ms / 1000;

    op->after = ngx_mobility_cfg_json(c);
    if (op->after == NULL) {
        rc = ngx_mobility_op_nomem(st, op);
        goto done;
    }

    if (op->dry) {
        goto done;
    }

    if (ngx_mobility_cfg_put(st, txn, c) != NGX_MOBILITY_OK
        || ngx_mobility_op_notify(st, txn, op, c) != NGX_MOBILITY_OK)
    {
        rc = ngx_mobility_op_error(st, op);
        goto done;
    }

    rc = ngx_mobility_op_audit(st, txn, op, op->action, op->target,
                               op->before, op->after);

done:

    free(c);

    return rc;
}


/* clears the grant of the users in list (strings "sip:user@domain") */
static int
ngx_mobility_op_ungrant(ngx_mobility_store_t *st, MDB_txn *txn,
    ngx_mobility_admin_op_t *op, json_t *list, const char *name)
{
    int                   rc;
    char                  action[64];
    size_t                i;
    json_t               *s, *before, *after;
    const char           *sip;
    ngx_mobility_user_t   u;

    snprintf(action, sizeof(action), "Grant-%s",
             ngx_mobility_policy_kind.noun);

    json_array_foreach(list, i, s) {
        sip = json_string_value(s);

        rc = ngx_mobility_user_get(st, txn, (const u_char *) sip + 4,
                                   strlen(sip) - 4, &u);
        if (rc != NGX_MOBILITY_OK) {
            return ngx_mobility_op_error(st, op);
        }

        before = json_pack("{s:s, s:s?}", "Identity", sip, "MobilityPolicy",
                           name);
        after = json_pack("{s:s, s:s?}", "Identity", sip, "MobilityPolicy",
                          NULL);

        u.policy.len = 0;
        u.updated = op->now_ms / 1000;

        rc = (before && after) ? ngx_mobility_user_put(st, txn, &u, 0)
                               : NGX_MOBILITY_ERROR;

        if (rc == NGX_MOBILITY_OK) {
            rc = ngx_mobility_op_audit(st, txn, op, action, sip, before,
                                       after);

        } else if (before == NULL || after == NULL) {
            snprintf(st->err, sizeof(st->err), "out of memory");
            rc = ngx_mobility_op_error(st, op);

        } else {
            rc = ngx_mobility_op_error(st, op);
        }

        json_decref(before);
        json_decref(after);

        if (rc != NGX_MOBILITY_OK) {
            return rc;
        }
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_cfg_remove(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_cfg_kind_t *kind, const char *identity,
    ngx_mobility_admin_op_t *op)
{
    int                  rc;
    char                 q[NGX_MOBILITY_QUOTE_MAX + 4];
    size_t               n;
    json_t              *users;
    ngx_mobility_cfg_t  *c;

    snprintf(op->action, sizeof(op->action), "Remove-%s", kind->noun);

    users = NULL;

    if (identity == NULL || *identity == '\0') {
        op->param = "Identity";
        snprintf(op->err, sizeof(op->err), "Identity is required");
        return NGX_MOBILITY_INVALID;
    }

    c = malloc(sizeof(ngx_mobility_cfg_t));
    if (c == NULL) {
        return ngx_mobility_op_nomem(st, op);
    }

    rc = ngx_mobility_cfg_get(st, txn, kind, identity, strlen(identity), c,
                              op->err, sizeof(op->err));

    if (rc == NGX_MOBILITY_INVALID) {
        op->param = "Identity";
    }

    if (rc == NGX_MOBILITY_ERROR) {
        rc = ngx_mobility_op_error(st, op);
    }

    if (rc != NGX_MOBILITY_OK) {
        goto done;
    }

    snprintf(op->target, sizeof(op->target), "%s", c->identity);

    op->before = ngx_mobility_cfg_json(c);
    if (op->before == NULL) {
        rc = ngx_mobility_op_nomem(st, op);
        goto done;
    }

    if (c->scope == NGX_MOBILITY_SCOPE_GLOBAL) {
        /* global cannot go: it returns to its defaults */
        ngx_mobility_cfg_defaults(c, kind);

        op->after = ngx_mobility_cfg_json(c);
        if (op->after == NULL) {
            rc = ngx_mobility_op_nomem(st, op);
            goto done;
        }
    }

    if (c->scope == NGX_MOBILITY_SCOPE_TAG) {
        users = ngx_mobility_cfg_users(st, txn, c, 0, &rc);
        if (users == NULL) {
            rc = ngx_mobility_op_error(st, op);
            goto done;
        }

        n = json_array_size(users);

        if (n && !op->force) {
            snprintf(op->err, sizeof(op->err), "%s \"%s\" is granted to %zu "
                     "user(s), first %s; grant them another policy, or "
                     "use -Force to remove it and ungrant it",
                     kind->what, c->identity, n,
                     ngx_mobility_cfg_quote(
                         json_string_value(json_array_get(users, 0)),
                         strlen(json_string_value(json_array_get(users, 0))),
                         q));
            rc = NGX_MOBILITY_CONFLICT;
            goto done;
        }
    }

    if (op->dry) {
        rc = NGX_MOBILITY_OK;
        goto done;
    }

    if (c->scope == NGX_MOBILITY_SCOPE_TAG) {
        ngx_mobility_op_notify_users(op, kind->notify, users);

        rc = ngx_mobility_op_ungrant(st, txn, op, users,
                                     ngx_mobility_cfg_name(c));
        if (rc != NGX_MOBILITY_OK) {
            goto done;
        }

    } else if (ngx_mobility_op_notify(st, txn, op, c) != NGX_MOBILITY_OK) {
        rc = ngx_mobility_op_error(st, op);
        goto done;
    }

    if (ngx_mobility_cfg_del(st, txn, c) != NGX_MOBILITY_OK) {
        rc = ngx_mobility_op_error(st, op);
        goto done;
    }

    rc = ngx_mobility_op_audit(st, txn, op, op->action, op->target,
                               op->before, op->after);

done:

    json_decref(users);
    free(c);

    return rc;
}


int
ngx_mobility_policy_check_grant(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *name, size_t len, char *out, char *err, size_t size)
{
    int                  rc;
    char                 q[NGX_MOBILITY_QUOTE_MAX + 4];
    const char          *n;
    ngx_mobility_cfg_t  *c;

    if (len > 4 && strncasecmp((const char *) name, "tag:", 4) == 0) {
        name += 4;
        len -= 4;
    }

    if (ngx_mobility_cfg_eq(name, len, (const u_char *) "global", 6)) {
        snprintf(err, size, "the global mobility policy cannot be granted "
                 "(it governs every user without another policy)");
        return NGX_MOBILITY_INVALID;
    }

    if (len > 5 && strncasecmp((const char *) name, "site:", 5) == 0) {
        snprintf(err, size, "site policies cannot be granted: \"%s\" "
                 "applies to the users whose site is %s",
                 ngx_mobility_cfg_quote((const char *) name, len, q),
                 ngx_mobility_cfg_quote((const char *) name + 5, len - 5, q));
        return NGX_MOBILITY_INVALID;
    }

    c = malloc(sizeof(ngx_mobility_cfg_t));
    if (c == NULL) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        snprintf(err, size, "out of memory");
        return NGX_MOBILITY_ERROR;
    }

    rc = ngx_mobility_cfg_identity(c, &ngx_mobility_policy_kind,
                                   (const char *) name, len, err, size);

    if (rc == NGX_MOBILITY_OK && c->scope != NGX_MOBILITY_SCOPE_TAG) {
        snprintf(err, size, "PolicyName \"%s\" is not the name of a "
                 "per-user policy",
                 ngx_mobility_cfg_quote((const char *) name, len, q));
        rc = NGX_MOBILITY_INVALID;
    }

    if (rc == NGX_MOBILITY_OK) {
        rc = ngx_mobility_cfg_load(st, txn, c);

        if (rc == NGX_MOBILITY_NOTFOUND) {
            snprintf(err, size, "no mobility policy \"%s\" (create it with "
                     "New-CsMobilityPolicy -Identity %s)", c->identity,
                     c->identity);

        } else if (rc == NGX_MOBILITY_ERROR) {
            snprintf(err, size, "%s", st->err);

        } else {
            n = ngx_mobility_cfg_name(c);
            memcpy(out, n, strlen(n) + 1);
        }
    }

    free(c);

    return rc;
}


int
ngx_mobility_policy_grant(ngx_mobility_store_t *st, MDB_txn *txn,
    const char *user, size_t ulen, const char *policy,
    ngx_mobility_admin_op_t *op)
{
    int                   rc, n;
    char                  q[NGX_MOBILITY_QUOTE_MAX + 4];
    char                  name[NGX_MOBILITY_CFG_NAME_MAX + 1];
    char                  old[NGX_MOBILITY_FIELD_MAX + 1];
    u_char                sip[NGX_MOBILITY_SIP_MAX + 1];
    json_t               *users;
    ngx_mobility_user_t   u;

    snprintf(op->action, sizeof(op->action), "Grant-%s",
             ngx_mobility_policy_kind.noun);

    if (user == NULL || ulen == 0) {
        op->param = "Identity";
        snprintf(op->err, sizeof(op->err), "Identity (the user) is "
                 "required");
        return NGX_MOBILITY_INVALID;
    }

    n = ngx_mobility_user_resolve_login(st, txn, (const u_char *) user, ulen,
                                        sip);
    if (n < 0) {
        return ngx_mobility_op_error(st, op);
    }

    if (n == 0) {
        op->param = "Identity";
        snprintf(op->err, sizeof(op->err), "no such user \"%s\"",
                 ngx_mobility_cfg_quote(user, ulen, q));
        return NGX_MOBILITY_NOTFOUND;
    }

    rc = ngx_mobility_user_get(st, txn, sip, n, &u);

    if (rc != NGX_MOBILITY_OK) {
        if (rc == NGX_MOBILITY_NOTFOUND) {
            snprintf(op->err, sizeof(op->err), "no such user sip:%s", sip);
            return rc;
        }

        return ngx_mobility_op_error(st, op);
    }

    snprintf(op->target, sizeof(op->target), "sip:%s", (char *) sip);

    name[0] = '\0';

    if (policy && *policy && strcasecmp(policy, "$null") != 0) {
        rc = ngx_mobility_policy_check_grant(st, txn,
                                             (const u_char *) policy,
                                             strlen(policy), name, op->err,
                                             sizeof(op->err));
        if (rc != NGX_MOBILITY_OK) {
            op->param = "PolicyName";
            return rc;
        }
    }

    memcpy(old, u.policy.data, u.policy.len);
    old[u.policy.len] = '\0';

    op->before = json_pack("{s:s, s:s?}", "Identity", op->target,
                           "MobilityPolicy", old[0] ? old : NULL);
    op->after = json_pack("{s:s, s:s?}", "Identity", op->target,
                          "MobilityPolicy", name[0] ? name : NULL);

    if (op->before == NULL || op->after == NULL) {
        return ngx_mobility_op_nomem(st, op);
    }

    if (op->dry) {
        return NGX_MOBILITY_OK;
    }

    u.policy.data = (u_char *) name;
    u.policy.len = strlen(name);
    u.updated = op->now_ms / 1000;

    if (ngx_mobility_user_put(st, txn, &u, 0) != NGX_MOBILITY_OK) {
        return ngx_mobility_op_error(st, op);
    }

    users = json_pack("[s]", op->target);
    if (users == NULL) {
        return ngx_mobility_op_nomem(st, op);
    }

    ngx_mobility_op_notify_users(op, ngx_mobility_policy_kind.notify, users);
    json_decref(users);

    return ngx_mobility_op_audit(st, txn, op, op->action, op->target,
                                 op->before, op->after);
}


json_t *
ngx_mobility_effective_json(ngx_mobility_store_t *st, MDB_txn *txn,
    const ngx_mobility_user_t *u, int *rc)
{
    json_t              *j;
    ngx_mobility_cfg_t  *c;

    *rc = NGX_MOBILITY_ERROR;

    c = malloc(sizeof(ngx_mobility_cfg_t));
    j = json_object();

    if (c == NULL || j == NULL) {
        goto nomem;
    }

    if (json_object_set_new(j, "Identity",
                            json_sprintf("sip:%.*s", (int) u->sip.len,
                                         (char *) u->sip.data))
        || json_object_set_new(j, "Site",
                               json_stringn((char *) u->site.data,
                                            u->site.len))
        || json_object_set_new(j, "MobilityPolicy",
                               u->policy.len
                               ? json_stringn((char *) u->policy.data,
                                              u->policy.len)
                               : json_null()))
    {
        goto nomem;
    }

    if (ngx_mobility_policy_effective(st, txn, u, c) != NGX_MOBILITY_OK) {
        goto failed;
    }

    if (json_object_set_new(j, "PolicySource", json_string(c->identity))
        || json_object_set_new(j, "Policy", ngx_mobility_cfg_json(c))
        || json_object_set_new(j, "UcwaPolicies",
                               ngx_mobility_policy_ucwa_json(c)))
    {
        goto nomem;
    }

    if (ngx_mobility_cfg_effective_site(st, txn, &ngx_mobility_mcx_kind,
                                        u->site.data, u->site.len, c)
        != NGX_MOBILITY_OK)
    {
        goto failed;
    }

    if (json_object_set_new(j, "McxConfiguration", ngx_mobility_cfg_json(c)))
    {
        goto nomem;
    }

    if (ngx_mobility_cfg_effective_site(st, txn, &ngx_mobility_push_kind,
                                        u->site.data, u->site.len, c)
        != NGX_MOBILITY_OK)
    {
        goto failed;
    }

    if (json_object_set_new(j, "PushNotificationConfiguration",
                            ngx_mobility_cfg_json(c)))
    {
        goto nomem;
    }

    free(c);
    *rc = NGX_MOBILITY_OK;

    return j;

nomem:

    snprintf(st->err, sizeof(st->err), "out of memory");

failed:

    free(c);
    json_decref(j);

    return NULL;
}
