/*
 * Copyright (C) The nginx mobility authors
 *
 * Test helper: stores a user's photo the way "mobilityctl user photo SIP
 * FILE" will (shared/ngx_mobility_photo.c), for the UCWA tests.
 *
 *     ucwa_photo_put STORE SIP FILE
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ngx_mobility_store.h"
#include "ngx_mobility_photo.h"


int
main(int argc, char **argv)
{
    FILE                  *f;
    size_t                 n;
    MDB_txn               *txn;
    ngx_mobility_store_t   st;
    static u_char          buf[NGX_MOBILITY_PHOTO_MAX + 1];

    if (argc != 4) {
        fprintf(stderr, "usage: %s STORE SIP FILE\n", argv[0]);
        return 2;
    }

    f = fopen(argv[3], "rb");
    if (f == NULL) {
        perror(argv[3]);
        return 1;
    }

    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);

    if (ngx_mobility_store_open(&st, argv[1], 0, NGX_MOBILITY_DURABLE_FULL, 0)
        != 0
        || ngx_mobility_store_begin(&st, &txn, 1) != 0)
    {
        fprintf(stderr, "%s\n", st.err);
        return 3;
    }

    if (ngx_mobility_photo_put(&st, txn, (u_char *) argv[2], strlen(argv[2]),
                               NULL, buf, n, (uint64_t) time(NULL))
        != 0
        || ngx_mobility_store_commit(&st, txn) != 0)
    {
        fprintf(stderr, "%s\n", st.err);
        return 1;
    }

    ngx_mobility_store_close(&st);

    return 0;
}
