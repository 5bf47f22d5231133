/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA history: the missedItems resource (spec §7.7) and its events.
 * Missed conversations are kept by shared/ngx_mobility_missed.c.
 *
 * Paths (after the application prefix):
 *     /communication/missedItems
 */

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_missed.h"


static json_t *
ngx_mobility_ucwa_missed_json(ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, void *data)
{
    json_t     *obj, *links;
    uint64_t    missed, unread;
    ngx_str_t   prefix;

    if (ngx_mobility_missed_count(tx->st, tx->txn, app->owner.data,
                                  app->owner.len, &missed, &unread)
        != NGX_MOBILITY_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, tx->log, 0, "mobility ucwa: %s",
                      tx->st->err);
        return NULL;
    }

    if (ngx_mobility_ucwa_prefix(tx->pool, app, &prefix) != NGX_OK) {
        return NULL;
    }

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    json_object_set_new(obj, "conversationLogsCount",
                        json_integer((json_int_t) missed));
    json_object_set_new(obj, "conversationLogsNotifications",
                        json_integer((json_int_t) unread));
    json_object_set_new(obj, "missedConversationsCount",
                        json_integer((json_int_t) missed));
    json_object_set_new(obj, "unreadMissedConversationsCount",
                        json_integer((json_int_t) unread));
    json_object_set_new(obj, "unreadVoicemailsCount", json_integer(0));
    json_object_set_new(obj, "voiceMailsCount", json_integer(0));
    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", &prefix,
                                  "/communication/missedItems");

    json_object_set_new(obj, "rel", json_string("missedItems"));

    return obj;
}


/* "missedItems updated" to every application of the user */
ngx_int_t
ngx_mobility_ucwa_missed_changed(ngx_mobility_ucwa_tx_t *tx, ngx_str_t *sip)
{
    ngx_mobility_ucwa_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_mobility_ucwa_event_t));

    ev.sender_rel = "communication";
    ev.sender_path = "/communication";
    ev.rel = "missedItems";
    ev.path = "/communication/missedItems";
    ev.type = "updated";
    ev.urgency = NGX_MOBILITY_EV_HIGH;
    ev.merge = 1;
    ev.embed = ngx_mobility_ucwa_missed_json;

    return ngx_mobility_ucwa_publish_user(tx, sip, 0, NULL, &ev);
}


ngx_int_t
ngx_mobility_ucwa_missed_items(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    json_t                   *obj;
    ngx_int_t                 rc;
    ngx_mobility_ucwa_tx_t    tx;
    ngx_mobility_ucwa_app_t   app;

    if (ngx_mobility_ucwa_tx_begin(&tx, rq, 0) != NGX_OK) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    rc = ngx_mobility_ucwa_app_load(rq, rs, &tx, &app);

    if (rc != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return (rc == NGX_DECLINED) ? NGX_OK : NGX_ERROR;
    }

    obj = ngx_mobility_ucwa_missed_json(&tx, &app, NULL);

    ngx_mobility_ucwa_tx_abort(&tx);

    if (obj == NULL) {
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}
