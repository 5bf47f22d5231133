/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl push-target (the push targets users registered through
 * UCWA) and push-queue (pushes waiting to be sent).  Tokens are never
 * printed in full: a prefix and the length.
 */


#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "mobilityctl.h"
#include "ngx_mobility_notify.h"
#include "ngx_mobility_push.h"


#define MOBILITYCTL_PUSH_PREFIX   8      /* token characters shown */

#define MOBILITYCTL_PUSH_REASON   1
#define MOBILITYCTL_PUSH_AT       2
#define MOBILITYCTL_PUSH_COUNT    3
#define MOBILITYCTL_PUSH_TEXT     4
#define MOBILITYCTL_PUSH_TTL      5

#define MOBILITYCTL_PUSH_TTL_DEFAULT  3600             /* s, = nginx's */
#define MOBILITYCTL_PUSH_TTL_MAX      (28 * 86400)


typedef struct {
    mobilityctl_t  *ctx;
    json_t         *list;
    size_t          n;
} mobilityctl_push_list_t;


/* "abcdef01...(64)": a prefix and the length */
static json_t *
mobilityctl_push_masked(ngx_mobility_bytes_t *b, char *buf, size_t size)
{
    size_t  n;

    n = b->len < MOBILITYCTL_PUSH_PREFIX ? b->len : MOBILITYCTL_PUSH_PREFIX;

    snprintf(buf, size, "%.*s...(%zu)", (int) n, (const char *) b->data,
             b->len);

    return json_string(buf);
}


static json_t *
mobilityctl_push_reg_json(ngx_mobility_push_reg_t *reg)
{
    char      buf[64];
    json_t   *j, *events;
    uint64_t  bit;

    j = json_object();
    events = json_array();
    if (j == NULL || events == NULL) {
        mobilityctl_oom();
    }

    mobilityctl_json_set(j, "user", mobilityctl_json_bytes(reg->user.data,
                                                           reg->user.len));
    mobilityctl_json_set(j, "endpointId",
                         mobilityctl_json_bytes(reg->endpoint.data,
                                                reg->endpoint.len));
    mobilityctl_json_set(j, "provider",
                         json_string(ngx_mobility_push_provider_name(
                                                            reg->provider)));
    mobilityctl_json_set(j, "token",
                         mobilityctl_push_masked(&reg->token, buf,
                                                 sizeof(buf)));
    mobilityctl_json_set(j, "tokenLength", json_integer(reg->token.len));

    if (reg->provider == NGX_MOBILITY_PUSH_APNS) {
        mobilityctl_json_set(j, "apnsTopic",
                             mobilityctl_json_bytes(reg->topic.data,
                                                    reg->topic.len));
        mobilityctl_json_set(j, "apnsEnvironment",
                             json_string(reg->sandbox ? "sandbox"
                                                      : "production"));
    }

    for (bit = 1; bit <= NGX_MOBILITY_PUSH_MEETING; bit <<= 1) {
        if (reg->events & bit) {
            json_array_append_new(events,
                               json_string(ngx_mobility_push_kind_name(bit)));
        }
    }

    mobilityctl_json_set(j, "events", events);
    mobilityctl_json_set(j, "previews", json_boolean(reg->previews));
    mobilityctl_json_set(j, "application",
                         mobilityctl_json_bytes(reg->app.data,
                                                reg->app.len));
    mobilityctl_json_set(j, "created", json_integer(reg->created));
    mobilityctl_json_set(j, "updated", json_integer(reg->updated));

    if (reg->invalid_since) {
        mobilityctl_json_set(j, "invalidSince",
                             json_integer(reg->invalid_since));
        mobilityctl_json_set(j, "invalidReason",
                             mobilityctl_json_bytes(reg->invalid_reason.data,
                                                  reg->invalid_reason.len));
    }

    return j;
}


static int
mobilityctl_push_reg_add(void *data, ngx_mobility_push_reg_t *reg)
{
    mobilityctl_push_list_t  *l = data;

    json_array_append_new(l->list, mobilityctl_push_reg_json(reg));
    l->n++;

    return 0;
}


/* SIP then an optional endpoint and options; the user must exist */
static int
mobilityctl_push_args(mobilityctl_t *ctx, mobilityctl_args_t *a,
    mobilityctl_edit_t *e, char **endpoint, char **reason, char **at)
{
    int                 id;
    char               *v, *sip;

    static const mobilityctl_opt_t  opts[] = {
        { "reason", MOBILITYCTL_PUSH_REASON, 1 },
        { "at", MOBILITYCTL_PUSH_AT, 1 },
        { NULL, 0, 0 }
    };

    sip = NULL;

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        if (id == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        if (id == MOBILITYCTL_PUSH_REASON && reason) {
            *reason = v;

        } else if (id == MOBILITYCTL_PUSH_AT && at) {
            *at = v;

        } else if (id != MOBILITYCTL_ARG_POS) {
            return mobilityctl_usage_error(a, "unexpected option");

        } else if (sip == NULL) {
            sip = v;

        } else if (endpoint && *endpoint == NULL) {
            *endpoint = v;

        } else {
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);
        }
    }

    if (sip == NULL) {
        return mobilityctl_usage_error(a, "missing SIP address");
    }

    if (endpoint && *endpoint == NULL) {
        return mobilityctl_usage_error(a, "missing endpoint id");
    }

    mobilityctl_edit_init(e);

    if (mobilityctl_sip_arg(sip, e) != MOBILITYCTL_OK) {
        return MOBILITYCTL_EINPUT;
    }

    return MOBILITYCTL_OK;
}


int
mobilityctl_push_target_list(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                       rc;
    size_t                    i;
    json_t                   *item;
    MDB_txn                  *txn;
    mobilityctl_edit_t        e;
    mobilityctl_push_list_t   l;

    rc = mobilityctl_push_args(ctx, a, &e, NULL, NULL, NULL);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_open_begin(ctx, &txn, 0);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    l.ctx = ctx;
    l.n = 0;
    l.list = json_array();
    if (l.list == NULL) {
        mobilityctl_oom();
    }

    rc = ngx_mobility_push_reg_each(&ctx->store, txn, e.sip, e.sip_len,
                                    mobilityctl_push_reg_add, &l);

    mdb_txn_abort(txn);

    if (rc != NGX_MOBILITY_OK) {
        json_decref(l.list);
        return mobilityctl_store_error(ctx);
    }

    if (ctx->json) {
        mobilityctl_json_print(l.list);
        return MOBILITYCTL_OK;
    }

    json_array_foreach(l.list, i, item) {
        printf("%s  %s  %s  %s  events=%zu%s%s\n",
               json_string_value(json_object_get(item, "endpointId")),
               json_string_value(json_object_get(item, "provider")),
               json_string_value(json_object_get(item, "token")),
               json_is_true(json_object_get(item, "previews"))
               ? "previews" : "no-previews",
               json_array_size(json_object_get(item, "events")),
               json_object_get(item, "invalidSince") ? "  invalid: " : "",
               json_object_get(item, "invalidSince")
               ? json_string_value(json_object_get(item, "invalidReason"))
               : "");
    }

    if (l.n == 0) {
        printf("sip:%s has no push targets\n", e.sip);
    }

    json_decref(l.list);

    return MOBILITYCTL_OK;
}


static int
mobilityctl_push_target_change(mobilityctl_t *ctx, mobilityctl_args_t *a,
    int invalidate)
{
    int                 rc;
    char               *endpoint, *reason, *at, *end;
    MDB_txn            *txn;
    uint64_t            when;
    mobilityctl_edit_t  e;

    endpoint = NULL;
    reason = NULL;
    at = NULL;

    rc = mobilityctl_push_args(ctx, a, &e, &endpoint,
                               invalidate ? &reason : NULL,
                               invalidate ? &at : NULL);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    when = (uint64_t) time(NULL) * 1000;

    if (at) {
        when = strtoull(at, &end, 10);

        if (*at == '\0' || *end != '\0') {
            return mobilityctl_usage_error(a, "--at takes milliseconds "
                                           "since the epoch");
        }
    }

    rc = mobilityctl_open_begin(ctx, &txn, 1);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (invalidate) {
        rc = ngx_mobility_push_invalidate(&ctx->store, txn, e.sip, e.sip_len,
                                          (u_char *) endpoint,
                                          strlen(endpoint),
                                          reason ? reason : "Unregistered",
                                          when);

    } else {
        rc = ngx_mobility_push_reg_del(&ctx->store, txn, e.sip, e.sip_len,
                                       (u_char *) endpoint,
                                       strlen(endpoint));
    }

    if (rc == NGX_MOBILITY_NOTFOUND) {
        mdb_txn_abort(txn);
        mobilityctl_error("sip:%s has no push target for endpoint \"%s\"",
                          e.sip, endpoint);
        return MOBILITYCTL_EINPUT;
    }

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    rc = mobilityctl_commit(ctx, txn);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (!ctx->json) {
        printf("%s the push target of sip:%s endpoint \"%s\"\n",
               invalidate ? "invalidated" : "removed", e.sip, endpoint);
    }

    return MOBILITYCTL_OK;
}


int
mobilityctl_push_target_remove(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    return mobilityctl_push_target_change(ctx, a, 0);
}


int
mobilityctl_push_target_invalidate(mobilityctl_t *ctx,
    mobilityctl_args_t *a)
{
    return mobilityctl_push_target_change(ctx, a, 1);
}


/* a decimal in [min, max]; -1 when it is not one */
static long long
mobilityctl_push_number(const char *s, long long min, long long max)
{
    char       *end;
    long long   n;

    if (*s < '0' || *s > '9') {
        return -1;
    }

    n = strtoll(s, &end, 10);

    if (*end != '\0' || n < min || n > max) {
        return -1;
    }

    return n;
}


/*
 * push-target test SIP ENDPOINT [--count N] [--text T] [--ttl S]: queues
 * N test pushes (kind "test") for a live registration in one write
 * transaction, then wakes the senders of the running nginx.  Like
 * Test-CsMcxPushNotification: the registration's events, the policy and
 * the push configuration are not consulted, only that the target lives.
 */

int
mobilityctl_push_target_test(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                        rc, id, woken;
    char                      *v, *sip, *endpoint, *text;
    char                       err[MOBILITYCTL_ERRLEN];
    json_t                    *j;
    size_t                     off, n, c;
    uint32_t                   cp;
    MDB_txn                   *txn;
    uint64_t                   now, first, i;
    long long                  count, ttl;
    struct timeval             tv;
    mobilityctl_edit_t         e;
    ngx_mobility_push_reg_t    reg;
    ngx_mobility_push_entry_t  pe;

    static const mobilityctl_opt_t  opts[] = {
        { "count", MOBILITYCTL_PUSH_COUNT, 1 },
        { "text", MOBILITYCTL_PUSH_TEXT, 1 },
        { "ttl", MOBILITYCTL_PUSH_TTL, 1 },
        { NULL, 0, 0 }
    };

    sip = NULL;
    endpoint = NULL;
    text = NULL;
    count = 1;
    ttl = MOBILITYCTL_PUSH_TTL_DEFAULT;

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        switch (id) {

        case MOBILITYCTL_ARG_ERROR:
            return MOBILITYCTL_EUSAGE;

        case MOBILITYCTL_PUSH_COUNT:
            count = mobilityctl_push_number(v, 1, NGX_MOBILITY_PUSH_TEST_MAX);
            if (count < 0) {
                return mobilityctl_usage_error(a, "--count takes a number "
                                               "from 1 to %d",
                                               NGX_MOBILITY_PUSH_TEST_MAX);
            }

            break;

        case MOBILITYCTL_PUSH_TEXT:
            text = v;
            break;

        case MOBILITYCTL_PUSH_TTL:
            ttl = mobilityctl_push_number(v, 1, MOBILITYCTL_PUSH_TTL_MAX);
            if (ttl < 0) {
                return mobilityctl_usage_error(a, "--ttl takes seconds "
                                               "from 1 to %d",
                                               MOBILITYCTL_PUSH_TTL_MAX);
            }

            break;

        case MOBILITYCTL_ARG_POS:
            if (sip == NULL) {
                sip = v;
                break;
            }

            if (endpoint == NULL) {
                endpoint = v;
                break;
            }

            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);

        default:
            return mobilityctl_usage_error(a, "unexpected option");
        }
    }

    if (sip == NULL) {
        return mobilityctl_usage_error(a, "missing SIP address");
    }

    if (endpoint == NULL) {
        return mobilityctl_usage_error(a, "missing endpoint id");
    }

    if (strlen(endpoint) > NGX_MOBILITY_PUSH_ENDPOINT_MAX) {
        return mobilityctl_usage_error(a, "the endpoint id is longer than "
                                       "%d bytes",
                                       NGX_MOBILITY_PUSH_ENDPOINT_MAX);
    }

    /* the text goes into JSON payloads: UTF-8 without control characters */

    if (text) {
        n = strlen(text);

        if (n == 0 || n > NGX_MOBILITY_PUSH_PREVIEW_MAX) {
            return mobilityctl_usage_error(a, "--text takes 1 to %d bytes",
                                           NGX_MOBILITY_PUSH_PREVIEW_MAX);
        }

        for (off = 0; off < n; off += c) {
            c = mobilityctl_utf8_char((u_char *) text + off, n - off, &cp);

            if (c == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
                return mobilityctl_usage_error(a, "--text must be UTF-8 "
                                               "without control "
                                               "characters");
            }
        }
    }

    mobilityctl_edit_init(&e);

    if (mobilityctl_sip_arg(sip, &e) != MOBILITYCTL_OK) {
        return MOBILITYCTL_EINPUT;
    }

    rc = mobilityctl_open_begin(ctx, &txn, 1);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = ngx_mobility_push_reg_get(&ctx->store, txn, e.sip, e.sip_len,
                                   (u_char *) endpoint, strlen(endpoint),
                                   &reg);

    if (rc == NGX_MOBILITY_ERROR) {
        mdb_txn_abort(txn);
        return mobilityctl_store_error(ctx);
    }

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);
        mobilityctl_error("sip:%s has no push target for endpoint \"%s\"",
                          e.sip, endpoint);
        return MOBILITYCTL_EINPUT;
    }

    if (reg.invalid_since) {
        mdb_txn_abort(txn);
        mobilityctl_error("the push target of sip:%s endpoint \"%s\" was "
                          "invalidated (%.*s); nothing queued", e.sip,
                          endpoint, (int) reg.invalid_reason.len,
                          (const char *) reg.invalid_reason.data);
        return MOBILITYCTL_EINPUT;
    }

    /* milliseconds: the entries must not predate their registration */
    gettimeofday(&tv, NULL);
    now = (uint64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
    now = (now < reg.created) ? reg.created : now;

    memset(&pe, 0, sizeof(ngx_mobility_push_entry_t));

    pe.user.data = e.sip;
    pe.user.len = e.sip_len;
    pe.endpoint.data = (u_char *) endpoint;
    pe.endpoint.len = strlen(endpoint);
    pe.kind = NGX_MOBILITY_PUSH_TEST;
    pe.due = now;
    pe.created = now;
    pe.expires = now + (uint64_t) ttl * 1000;

    if (text) {
        pe.preview.data = (u_char *) text;
        pe.preview.len = strlen(text);
    }

    first = 0;

    for (i = 0; i < (uint64_t) count; i++) {
        if (ngx_mobility_push_enqueue(&ctx->store, txn, &pe)
            != NGX_MOBILITY_OK)
        {
            mdb_txn_abort(txn);
            return mobilityctl_store_error(ctx);
        }

        if (i == 0) {
            first = pe.id;
        }
    }

    rc = mobilityctl_commit(ctx, txn);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    /* queued: a sender that misses the wake-up finds them on its timer */

    woken = ngx_mobility_notify_push(&ctx->store, ctx->path,
                                     (uint64_t) count, err, sizeof(err));
    if (woken < 0) {
        mobilityctl_error("warning: the pushes are queued, but no running "
                          "nginx worker could be woken (%s)", err);
        woken = 0;
    }

    if (ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "queued", json_integer(count));
        mobilityctl_json_set(j, "firstId", json_integer(first));
        mobilityctl_json_set(j, "lastId", json_integer(pe.id));
        mobilityctl_json_set(j, "created", json_integer(now));
        mobilityctl_json_set(j, "provider",
                             json_string(ngx_mobility_push_provider_name(
                                                             reg.provider)));
        mobilityctl_json_set(j, "workersWoken", json_integer(woken));
        mobilityctl_json_print(j);

    } else {
        printf("queued %lld test push(es) for sip:%s endpoint \"%s\" (%s, "
               "ids %llu..%llu); %d nginx worker(s) woken\n", count, e.sip,
               endpoint, ngx_mobility_push_provider_name(reg.provider),
               (unsigned long long) first, (unsigned long long) pe.id,
               woken);
    }

    return MOBILITYCTL_OK;
}


static int
mobilityctl_push_entry_add(void *data, ngx_mobility_push_entry_t *e)
{
    json_t                   *j;
    mobilityctl_push_list_t  *l = data;

    j = json_object();
    if (j == NULL) {
        mobilityctl_oom();
    }

    mobilityctl_json_set(j, "id", json_integer(e->id));
    mobilityctl_json_set(j, "due", json_integer(e->due));
    mobilityctl_json_set(j, "user", mobilityctl_json_bytes(e->user.data,
                                                           e->user.len));
    mobilityctl_json_set(j, "endpointId",
                         mobilityctl_json_bytes(e->endpoint.data,
                                                e->endpoint.len));
    mobilityctl_json_set(j, "kind",
                         json_string(ngx_mobility_push_kind_name(e->kind)));
    mobilityctl_json_set(j, "sender",
                         mobilityctl_json_bytes(e->sender.data,
                                                e->sender.len));
    mobilityctl_json_set(j, "senderName",
                         mobilityctl_json_bytes(e->sender_name.data,
                                                e->sender_name.len));

    if (e->preview.len) {
        mobilityctl_json_set(j, "preview",
                             mobilityctl_json_bytes(e->preview.data,
                                                    e->preview.len));
    }

    mobilityctl_json_set(j, "thread", mobilityctl_json_bytes(e->thread.data,
                                                             e->thread.len));
    mobilityctl_json_set(j, "badge", json_integer(e->badge));
    mobilityctl_json_set(j, "created", json_integer(e->created));
    mobilityctl_json_set(j, "expires", json_integer(e->expires));
    mobilityctl_json_set(j, "attempts", json_integer(e->attempts));

    json_array_append_new(l->list, j);
    l->n++;

    return 0;
}


int
mobilityctl_push_queue_list(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                       rc, id;
    char                     *v;
    size_t                    i;
    json_t                   *item;
    MDB_txn                  *txn;
    mobilityctl_push_list_t   l;

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

    l.ctx = ctx;
    l.n = 0;
    l.list = json_array();
    if (l.list == NULL) {
        mobilityctl_oom();
    }

    rc = ngx_mobility_push_each(&ctx->store, txn, mobilityctl_push_entry_add,
                                &l);

    mdb_txn_abort(txn);

    if (rc != NGX_MOBILITY_OK) {
        json_decref(l.list);
        return mobilityctl_store_error(ctx);
    }

    if (ctx->json) {
        mobilityctl_json_print(l.list);
        return MOBILITYCTL_OK;
    }

    json_array_foreach(l.list, i, item) {
        printf("%lld  due %lld  %s  %s  %s  from %s  attempts %lld\n",
               (long long) json_integer_value(json_object_get(item, "id")),
               (long long) json_integer_value(json_object_get(item, "due")),
               json_string_value(json_object_get(item, "kind")),
               json_string_value(json_object_get(item, "user")),
               json_string_value(json_object_get(item, "endpointId")),
               json_string_value(json_object_get(item, "sender")),
               (long long) json_integer_value(json_object_get(item,
                                                              "attempts")));
    }

    printf("%zu push(es) queued\n", l.n);

    json_decref(l.list);

    return MOBILITYCTL_OK;
}


int
mobilityctl_push_queue_purge(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int        rc, id;
    char      *v;
    json_t    *j;
    MDB_txn   *txn;
    uint64_t   count;

    while ((id = mobilityctl_arg(ctx, a, NULL, &v)) != MOBILITYCTL_ARG_END) {
        if (id == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        return mobilityctl_usage_error(a, "unexpected argument \"%s\"", v);
    }

    rc = mobilityctl_open_begin(ctx, &txn, 1);

    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    if (ngx_mobility_push_purge(&ctx->store, txn, &count)
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

        mobilityctl_json_set(j, "purged", json_integer(count));
        mobilityctl_json_print(j);

    } else {
        printf("purged %llu push(es)\n", (unsigned long long) count);
    }

    return MOBILITYCTL_OK;
}
