/*
 * Copyright (C) The nginx mobility authors
 *
 * communication (GET, and PUT guarded by If-Match and the random
 * property) and policies: the properties the user's effective mobility
 * policy determines (shared/ngx_mobility_policy.h), the others from one
 * table, and a "policies updated" event on every application of the
 * users a policy change concerns.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_policy.h"


#define NGX_MOBILITY_UCWA_POLICY_CHUNK  256


/*
 * Every property of the UCWA policies resource with its default: the
 * global CsMobilityPolicy defaults (mobility.md 4.1) mapped as ucwa.md
 * 8.1 says for the properties a mobility policy determines (those are
 * replaced by the user's effective policy), client-policy defaults for
 * the others.  NULL value: a list (empty).
 */
static const struct {
    const char  *name;
    const char  *value;
} ngx_mobility_ucwa_policy_defaults[] = {

    /* AllowDeviceContactsSync = True */
    { "allowDeviceContactsSync", "Enabled" },
    /* RequireWiFiForIPAudio = False */
    { "audioOnlyOnWifi", "Disabled" },
    { "callLogArchiving", "Disabled" },
    /* AllowCustomerExperienceImprovementProgram = True */
    { "customerExperienceImprovementProgram", "Enabled" },
    { "emergencyDialMask", "" },
    { "emergencyDialString", "" },
    { "emergencyNumbers", NULL },
    { "emergencyServiceDisclaimer", "" },
    { "emoticons", "Enabled" },
    /* EncryptAppData = True */
    { "encryptAppData", "Enabled" },
    /* AllowExchangeConnectivity = True */
    { "clientExchangeConnectivity", "Enabled" },
    { "exchangeUnifiedMessaging", "Disabled" },
    { "helpEnvironment", "" },
    { "htmlMessaging", "Enabled" },
    { "locationRefreshInterval", "4" },
    { "locationRequired", "Disabled" },
    { "logging", "Disabled" },
    { "loggingLevel", "Off" },
    { "messageArchiving", "Disabled" },
    { "messagingUrls", "Enabled" },
    { "multiViewJoin", "Disabled" },
    { "onlineFeedbackUrl", "" },
    { "photos", "Enabled" },
    /* AllowSaveCallLogs = True */
    { "saveCallLogs", "Enabled" },
    /* AllowSaveCredentials = True */
    { "saveCredentials", "Enabled" },
    /* AllowSaveIMHistory = True */
    { "saveMessagingHistory", "Enabled" },
    { "sendFeedbackUrl", "" },
    /* RequireWiFiForSharing = False */
    { "sharingOnlyOnWifi", "Disabled" },
    { "softwareQualityMetrics", "Enabled" },
    /* EnableOutsideVoice = True and EnableIPAudioVideo = True */
    { "telephonyMode", "AudioVideo" },
    { "useLocationForE911Only", "Disabled" },
    /* RequireWiFiForIPVideo = False */
    { "videoOnlyOnWifi", "Disabled" },
    { NULL, NULL }
};


ngx_int_t
ngx_mobility_ucwa_policies(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    u_char                        *p;
    char                           err[NGX_MOBILITY_CFG_ERRLEN];
    json_t                        *obj, *links;
    size_t                         n, k;
    ngx_int_t                      rc;
    ngx_str_t                      prefix;
    ngx_uint_t                     i;
    const char                    *value;
    ngx_mobility_cfg_t            *pol;
    ngx_mobility_ucwa_tx_t         tx;
    ngx_mobility_ucwa_app_t        app;
    ngx_mobility_ucwa_property_t   props[NGX_MOBILITY_UCWA_PROPERTIES];

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, 0, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    /* the effective policy: granted tag, else site, else global */

    pol = ngx_palloc(rq->pool, sizeof(ngx_mobility_cfg_t));
    if (pol == NULL) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    rc = ngx_mobility_policy_effective_sip(tx.st, tx.txn, app.owner.data,
                                           app.owner.len, pol);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        /* not in the directory (anonymous): the global policy */
        rc = ngx_mobility_cfg_get(tx.st, tx.txn, &ngx_mobility_policy_kind,
                                  "global", 6, pol, err, sizeof(err));
    }

    n = (rc == NGX_MOBILITY_OK) ? ngx_mobility_policy_ucwa(pol, props) : 0;

    ngx_mobility_ucwa_tx_abort(&tx);

    if (rc != NGX_MOBILITY_OK) {
        ngx_log_error(NGX_LOG_ALERT, rq->log, 0,
                      "mobility ucwa: no effective policy for \"%V\": %s",
                      &app.owner, tx.st->err);
    }

    if (ngx_mobility_ucwa_prefix(rq->pool, &app, &prefix) != NGX_OK) {
        return NGX_ERROR;
    }

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NGX_ERROR;
    }

    json_object_set_new(obj, "rel", json_string("policies"));

    for (i = 0; ngx_mobility_ucwa_policy_defaults[i].name; i++) {
        value = ngx_mobility_ucwa_policy_defaults[i].value;

        for (k = 0; k < n; k++) {
            if (ngx_strcmp(props[k].name,
                           ngx_mobility_ucwa_policy_defaults[i].name)
                == 0)
            {
                value = props[k].value;
                break;
            }
        }

        if (ngx_strcmp(ngx_mobility_ucwa_policy_defaults[i].name,
                       "htmlMessaging")
            == 0)
        {
            /* the client policy's switch: mobility_ucwa_html_messaging */
            value = rq->umcf->html_messaging ? "Enabled" : "Disabled";
        }

        json_object_set_new(obj, ngx_mobility_ucwa_policy_defaults[i].name,
                            value ? json_string(value) : json_array());
    }

    p = ngx_pnalloc(rq->pool, app.owner.len
                              + sizeof("sip:;opaque=app:voicemail"));
    if (p) {
        json_object_set_new(obj, "voicemailUri",
                            json_stringn((const char *) p,
                                         ngx_sprintf(p, "sip:%V;opaque="
                                                     "app:voicemail",
                                                     &app.owner)
                                         - p));
    }

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", &prefix, "/policies");

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


/* the users who have applications, for a change that concerns everybody */
static ngx_int_t
ngx_mobility_ucwa_all_users(ngx_mobility_ucwa_tx_t *tx, ngx_array_t *users)
{
    int          rc;
    u_char      *nul;
    MDB_val      k, v;
    ngx_str_t   *u, *last;
    MDB_cursor  *cur;

    rc = mdb_cursor_open(tx->txn, tx->st->dbi[NGX_MOBILITY_DB_UCWA_USER_APPS],
                         &cur);
    if (rc != 0) {
        return NGX_ERROR;
    }

    last = NULL;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        nul = ngx_strlchr(k.mv_data, (u_char *) k.mv_data + k.mv_size, '\0');
        if (nul == NULL) {
            continue;
        }

        if (last && (size_t) (nul - (u_char *) k.mv_data) == last->len
            && ngx_memcmp(k.mv_data, last->data, last->len) == 0)
        {
            continue;
        }

        u = ngx_array_push(users);
        if (u == NULL) {
            break;
        }

        u->len = nul - (u_char *) k.mv_data;
        u->data = ngx_pnalloc(users->pool, u->len);
        if (u->data == NULL) {
            break;
        }

        ngx_memcpy(u->data, k.mv_data, u->len);
        last = u;
    }

    mdb_cursor_close(cur);

    return NGX_OK;
}


/*
 * A mobility policy, a grant or a user's site changed (the admin API or
 * mobilityctl): "policies updated" on every application of the users it
 * concerns.  One worker does it, or the event would come once per worker.
 */
void
ngx_mobility_ucwa_policies_changed(ngx_str_t *kind, ngx_str_t *users,
    ngx_pid_t from)
{
    u_char                              *p, *last, *nl;
    ngx_str_t                           *u;
    ngx_uint_t                           i, done;
    ngx_pool_t                          *pool;
    ngx_array_t                         *list;
    ngx_mobility_ucwa_tx_t               tx;
    ngx_mobility_ucwa_event_t            ev;
    ngx_http_mobility_ucwa_main_conf_t  *umcf;

    if (kind->len != sizeof("policies") - 1
        || ngx_strncmp(kind->data, "policies", kind->len) != 0
        || ngx_exiting
        || (ngx_process == NGX_PROCESS_WORKER && ngx_worker != 0)
        || ngx_mobility_store_current() == NULL)
    {
        return;
    }

    umcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_mobility_ucwa_module);
    if (umcf == NULL || !umcf->enabled) {
        return;
    }

    pool = ngx_create_pool(16384, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    list = ngx_array_create(pool, 16, sizeof(ngx_str_t));
    if (list == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    ngx_memzero(&tx, sizeof(ngx_mobility_ucwa_tx_t));
    tx.pool = pool;
    tx.log = ngx_cycle->log;
    tx.umcf = umcf;

    if (users->len == 1 && users->data[0] == '*') {
        if (ngx_mobility_ucwa_tx_begin(&tx, NULL, 0) != NGX_OK) {
            ngx_destroy_pool(pool);
            return;
        }

        (void) ngx_mobility_ucwa_all_users(&tx, list);
        ngx_mobility_ucwa_tx_abort(&tx);

    } else {
        p = users->data;
        last = p + users->len;

        while (p < last) {
            nl = ngx_strlchr(p, last, '\n');
            if (nl == NULL) {
                nl = last;
            }

            if (nl > p && nl - p <= NGX_MOBILITY_SIP_MAX) {
                u = ngx_array_push(list);
                if (u == NULL) {
                    break;
                }

                u->data = p;
                u->len = nl - p;
            }

            p = nl + 1;
        }
    }

    ngx_memzero(&ev, sizeof(ngx_mobility_ucwa_event_t));
    ev.sender_rel = "application";
    ev.sender_path = "";
    ev.rel = "policies";
    ev.path = "/policies";
    ev.type = "updated";
    ev.urgency = NGX_MOBILITY_EV_MEDIUM;
    ev.merge = 1;

    u = list->elts;

    for (done = 0; done < list->nelts; /* void */) {

        tx.wake = ngx_array_create(pool, 16, sizeof(ngx_str_t));

        if (tx.wake == NULL || ngx_mobility_ucwa_tx_begin(&tx, NULL, 1)
                               != NGX_OK)
        {
            break;
        }

        for (i = 0;
             i < NGX_MOBILITY_UCWA_POLICY_CHUNK && done < list->nelts;
             i++, done++)
        {
            if (ngx_mobility_ucwa_publish_user(&tx, &u[done], 0, NULL, &ev)
                != NGX_OK
                || ngx_mobility_ucwa_end_mobile_apps(&tx, &u[done])
                   != NGX_OK)
            {
                break;
            }
        }

        if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
            break;
        }

        ngx_mobility_ucwa_wake_flush(tx.wake, 0, ngx_cycle->log);
    }

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "mobility ucwa: policies changed for %ui user(s)",
                  list->nelts);

    ngx_destroy_pool(pool);
}


ngx_int_t
ngx_mobility_ucwa_communication(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    u_char                     buf[NGX_INT64_LEN];
    u_char                     guid[NGX_MOBILITY_UCWA_GUID_LEN + 1];
    json_t                    *obj, *v, *item;
    size_t                     i;
    ngx_int_t                  rc;
    ngx_str_t                  etag, s;
    ngx_uint_t                 write, formats;
    ngx_mobility_ucwa_tx_t     tx;
    ngx_mobility_ucwa_app_t    app;
    ngx_mobility_ucwa_event_t  ev;

    write = (rq->method == NGX_HTTP_PUT);

    rc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, NULL);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    etag.data = buf;
    etag.len = ngx_sprintf(buf, "%uL", app.comm_etag) - buf;

    if (!write) {
        obj = ngx_mobility_ucwa_communication_json(&tx, &app, NULL);
        return ngx_mobility_ucwa_etag_resource(rq, rs, &tx, obj, &etag);
    }

    rc = ngx_mobility_ucwa_if_match(rq, rs, &tx, &etag);

    if (rc != NGX_OK) {
        return (rc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (app.comm_guid.len != NGX_MOBILITY_UCWA_GUID_LEN) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    ngx_memcpy(guid, app.comm_guid.data, NGX_MOBILITY_UCWA_GUID_LEN);
    guid[NGX_MOBILITY_UCWA_GUID_LEN] = '\0';

    if (ngx_mobility_ucwa_input(rq, (const char *) guid) == NULL) {
        ngx_mobility_ucwa_tx_abort(&tx);

        if (ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST,
                                    "BadRequest",
                                    "ParameterValidationFailure",
                                    "A PUT must carry the full "
                                    "representation.")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    v = ngx_mobility_ucwa_input(rq, "supportedMessageFormats");

    if (v) {
        formats = 0;

        if (json_is_array(v)) {
            json_array_foreach(v, i, item) {
                if (!json_is_string(item)) {
                    continue;
                }

                if (ngx_strcasecmp((u_char *) json_string_value(item),
                                   (u_char *) "Plain") == 0)
                {
                    formats |= NGX_MOBILITY_UCWA_FMT_PLAIN;

                } else if (ngx_strcasecmp((u_char *) json_string_value(item),
                                          (u_char *) "Html") == 0)
                {
                    formats |= NGX_MOBILITY_UCWA_FMT_HTML;
                }
            }

        } else if (json_is_string(v)) {
            s.data = (u_char *) json_string_value(v);
            s.len = json_string_length(v);

            if (ngx_strlcasestrn(s.data, s.data + s.len,
                                 (u_char *) "plain", 5 - 1))
            {
                formats |= NGX_MOBILITY_UCWA_FMT_PLAIN;
            }

            if (ngx_strlcasestrn(s.data, s.data + s.len,
                                 (u_char *) "html", 4 - 1))
            {
                formats |= NGX_MOBILITY_UCWA_FMT_HTML;
            }
        }

        app.formats = formats ? formats : NGX_MOBILITY_UCWA_FMT_PLAIN;
    }

    if (ngx_mobility_ucwa_input_str(rq, "audioPreference", &s) == NGX_OK
        && s.len <= NGX_MOBILITY_UCWA_FIELD_MAX)
    {
        app.audio_preference = s;
    }

    if (ngx_mobility_ucwa_input_str(rq, "phoneNumber", &s) == NGX_OK
        && s.len <= NGX_MOBILITY_UCWA_FIELD_MAX)
    {
        app.phone_number = s;
    }

    app.comm_etag = (tx.now > app.comm_etag) ? tx.now : app.comm_etag + 1;

    ngx_memzero(&ev, sizeof(ngx_mobility_ucwa_event_t));
    ev.sender_rel = "communication";
    ev.sender_path = "/communication";
    ev.rel = "communication";
    ev.path = "/communication";
    ev.type = "updated";
    ev.urgency = NGX_MOBILITY_EV_MEDIUM;
    ev.merge = 1;
    ev.embed = ngx_mobility_ucwa_communication_json;

    if (ngx_mobility_ucwa_app_put(&tx, &app) != NGX_OK
        || ngx_mobility_ucwa_publish(&tx, &app, &ev) != NGX_OK)
    {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    rs->status = NGX_HTTP_NO_CONTENT;

    return NGX_OK;
}
