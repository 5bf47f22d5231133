/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl meeting list|remove: the scheduled online meetings of a
 * user (shared/ngx_mobility_meetings.c, the store code UCWA uses).
 */


#include <stdlib.h>
#include <string.h>

#include "mobilityctl.h"
#include "ngx_mobility_meetings.h"


static const char *mobilityctl_meeting_access[] = {
    "", "Everyone", "SameEnterprise", "Invited", "Locked"
};


typedef struct {
    mobilityctl_t  *ctx;
    json_t         *list;
} mobilityctl_meeting_list_t;


static int
mobilityctl_meeting_one(ngx_mobility_meeting_t *m, void *data)
{
    mobilityctl_meeting_list_t  *l = data;

    char         exp[64];
    json_t      *j;
    const char  *access;

    access = (m->access_level >= 1 && m->access_level <= 4)
             ? mobilityctl_meeting_access[m->access_level] : "?";

    if (m->expiration) {
        mobilityctl_time(m->expiration / 1000, exp, sizeof(exp));

    } else {
        strcpy(exp, "-");
    }

    if (l->ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "onlineMeetingId",
                             mobilityctl_json_bytes(m->id.data, m->id.len));
        mobilityctl_json_set(j, "subject",
                             mobilityctl_json_bytes(m->subject.data,
                                                    m->subject.len));
        mobilityctl_json_set(j, "accessLevel", json_string(access));
        mobilityctl_json_set(j, "conferenceId",
                             json_integer((json_int_t) m->conference_id));
        mobilityctl_json_set(j, "expirationTime",
                             m->expiration
                             ? json_integer((json_int_t) m->expiration)
                             : json_null());
        mobilityctl_json_set(j, "assigned",
                             json_boolean(m->flags
                                          & NGX_MOBILITY_MEETING_F_ASSIGNED));
        mobilityctl_json_set(j, "version",
                             json_integer((json_int_t) m->version));
        json_array_append_new(l->list, j);

        return 0;
    }

    printf("%.*s  %-14s  %7llu  %-20s  %s", (int) m->id.len, m->id.data,
           access, (unsigned long long) m->conference_id, exp,
           (m->flags & NGX_MOBILITY_MEETING_F_ASSIGNED) ? "[assigned] " : "");
    mobilityctl_print_bytes(m->subject.data, m->subject.len);
    printf("\n");

    return 0;
}


/* the one positional SIP address (and the id for remove) */
static int
mobilityctl_meeting_args(mobilityctl_t *ctx, mobilityctl_args_t *a,
    mobilityctl_edit_t *e, char **id)
{
    int    rc;
    char  *v, *sip;

    sip = NULL;

    while ((rc = mobilityctl_arg(ctx, a, NULL, &v)) != MOBILITYCTL_ARG_END) {

        if (rc == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        if (sip == NULL) {
            sip = v;

        } else if (id && *id == NULL) {
            *id = v;

        } else {
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);
        }
    }

    if (sip == NULL) {
        return mobilityctl_usage_error(a, "missing SIP address");
    }

    if (id && *id == NULL) {
        return mobilityctl_usage_error(a, "missing meeting id");
    }

    mobilityctl_edit_init(e);

    if (mobilityctl_sip_arg(sip, e) != MOBILITYCTL_OK) {
        return MOBILITYCTL_EINPUT;
    }

    return mobilityctl_open(ctx);
}


int
mobilityctl_meeting_list(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                          rc;
    MDB_txn                     *txn;
    mobilityctl_edit_t           e;
    mobilityctl_meeting_list_t   l;

    rc = mobilityctl_meeting_args(ctx, a, &e, NULL);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    l.ctx = ctx;
    l.list = json_array();

    if (l.list == NULL) {
        mobilityctl_oom();
    }

    if (ngx_mobility_meeting_list(&ctx->store, txn, e.sip, e.sip_len,
                                  mobilityctl_meeting_one, &l, NULL)
        != NGX_MOBILITY_OK)
    {
        mdb_txn_abort(txn);
        json_decref(l.list);
        return mobilityctl_store_error(ctx);
    }

    mdb_txn_abort(txn);

    if (ctx->json) {
        mobilityctl_json_print(l.list);

    } else {
        json_decref(l.list);
    }

    return MOBILITYCTL_OK;
}


int
mobilityctl_meeting_remove(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                  rc;
    char                *id;
    json_t              *j;
    MDB_txn             *txn;
    mobilityctl_edit_t   e;

    id = NULL;

    rc = mobilityctl_meeting_args(ctx, a, &e, &id);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = mobilityctl_begin(ctx, &txn, 1);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    rc = ngx_mobility_meeting_delete(&ctx->store, txn, e.sip, e.sip_len,
                                     (u_char *) id, strlen(id));

    if (rc == NGX_MOBILITY_NOTFOUND) {
        mdb_txn_abort(txn);
        mobilityctl_error("no meeting %s of sip:%s", id, e.sip);
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

    if (ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "sip", json_sprintf("sip:%s", e.sip));
        mobilityctl_json_set(j, "onlineMeetingId", json_string(id));
        mobilityctl_json_set(j, "removed", json_true());
        mobilityctl_json_print(j);

    } else {
        printf("removed meeting %s of sip:%s\n", id, e.sip);
    }

    return MOBILITYCTL_OK;
}
