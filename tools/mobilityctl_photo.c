/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl user photo: the picture UCWA serves at .../photos/<sip>.
 */


#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mobilityctl.h"
#include "ngx_mobility_photo.h"


#define MOBILITYCTL_P_REMOVE  1


int
mobilityctl_user_photo(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                  id, rc, remove;
    char                *v, *sip, *file;
    size_t               len;
    u_char              *data;
    json_t              *j;
    MDB_txn             *txn;
    mobilityctl_edit_t   e;
    ngx_mobility_user_t  u;

    static const mobilityctl_opt_t  opts[] = {
        { "remove", MOBILITYCTL_P_REMOVE, 0 },
        { NULL, 0, 0 }
    };

    sip = NULL;
    file = NULL;
    remove = 0;

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        if (id == MOBILITYCTL_ARG_ERROR) {
            return MOBILITYCTL_EUSAGE;
        }

        if (id == MOBILITYCTL_P_REMOVE) {
            remove = 1;

        } else if (sip == NULL) {
            sip = v;

        } else if (file == NULL) {
            file = v;

        } else {
            return mobilityctl_usage_error(a, "unexpected argument \"%s\"",
                                           v);
        }
    }

    if (sip == NULL) {
        return mobilityctl_usage_error(a, "missing SIP address");
    }

    if (remove == (file != NULL)) {
        return mobilityctl_usage_error(a, "give either FILE (\"-\" for "
                                       "stdin) or --remove");
    }

    mobilityctl_edit_init(&e);

    if (mobilityctl_sip_arg(sip, &e) != MOBILITYCTL_OK) {
        return MOBILITYCTL_EINPUT;
    }

    data = NULL;
    len = 0;

    if (file) {
        rc = mobilityctl_read_file(file, &data, &len);
        if (rc != MOBILITYCTL_OK) {
            return rc;
        }

        if (ngx_mobility_photo_sniff(data, len) == NULL) {
            free(data);
            mobilityctl_error("\"%s\" is not a JPEG, PNG or GIF image", file);
            return MOBILITYCTL_EINPUT;
        }
    }

    rc = mobilityctl_open_begin(ctx, &txn, 1);

    if (rc != MOBILITYCTL_OK) {
        free(data);
        return rc;
    }

    rc = ngx_mobility_user_get(&ctx->store, txn, e.sip, e.sip_len, &u);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        mdb_txn_abort(txn);
        free(data);
        mobilityctl_error("no such user sip:%s", e.sip);
        return MOBILITYCTL_EINPUT;
    }

    if (rc == NGX_MOBILITY_OK) {
        rc = remove
             ? ngx_mobility_photo_del(&ctx->store, txn, e.sip, e.sip_len)
             : ngx_mobility_photo_put(&ctx->store, txn, e.sip, e.sip_len,
                                      NULL, data, len, (uint64_t) time(NULL));
    }

    free(data);

    if (rc == NGX_MOBILITY_NOTFOUND) {
        mdb_txn_abort(txn);
        mobilityctl_error("sip:%s has no photo", e.sip);
        return MOBILITYCTL_EINPUT;
    }

    if (rc != NGX_MOBILITY_OK) {
        mdb_txn_abort(txn);
        mobilityctl_error("%s", ctx->store.err);
        return remove ? MOBILITYCTL_ESTORE : MOBILITYCTL_EINPUT;
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
        mobilityctl_json_set(j, "photo", remove ? json_null()
                                                : json_integer(len));
        mobilityctl_json_print(j);

    } else if (remove) {
        printf("removed the photo of sip:%s\n", e.sip);

    } else {
        printf("stored a %zu byte photo for sip:%s\n", len, e.sip);
    }

    return MOBILITYCTL_OK;
}
