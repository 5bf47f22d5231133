/*
 * Copyright (C) The nginx mobility authors
 */


#include <stdio.h>
#include <string.h>

#include "ngx_mobility_photo.h"
#include "ngx_mobility_directory.h"


typedef enum {
    NGX_MOBILITY_PH_TYPE = 1,
    NGX_MOBILITY_PH_DATA,
    NGX_MOBILITY_PH_UPDATED,
    NGX_MOBILITY_PH_ETAG
} ngx_mobility_photo_tag_e;


const char *
ngx_mobility_photo_sniff(const u_char *data, size_t len)
{
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) {
        return "image/jpeg";
    }

    if (len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) {
        return "image/png";
    }

    if (len >= 6
        && (memcmp(data, "GIF87a", 6) == 0 || memcmp(data, "GIF89a", 6) == 0))
    {
        return "image/gif";
    }

    return NULL;
}


int
ngx_mobility_photo_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_photo_t *photo)
{
    int                   rc;
    MDB_val               k, v;
    ngx_mobility_bytes_t  etag;

    memset(photo, 0, sizeof(ngx_mobility_photo_t));

    k.mv_data = (void *) sip;
    k.mv_size = len;

    rc = mdb_get(txn, st->dbi[NGX_MOBILITY_DB_PHOTOS], &k, &v);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "reading a photo", rc);
    }

    if (ngx_mobility_rec_check(v.mv_data, v.mv_size, NGX_MOBILITY_REC_PHOTO)
        != 0)
    {
        strcpy(st->err, "photo record is corrupt");
        return NGX_MOBILITY_ERROR;
    }

    ngx_mobility_rec_get(v.mv_data, v.mv_size, NGX_MOBILITY_PH_TYPE,
                         &photo->type);
    ngx_mobility_rec_get(v.mv_data, v.mv_size, NGX_MOBILITY_PH_DATA,
                         &photo->data);
    photo->updated = ngx_mobility_rec_get_u64(v.mv_data, v.mv_size,
                                              NGX_MOBILITY_PH_UPDATED, 0);

    ngx_mobility_rec_get(v.mv_data, v.mv_size, NGX_MOBILITY_PH_ETAG, &etag);

    if (etag.len == NGX_MOBILITY_PHOTO_ETAG_LEN) {
        memcpy(photo->etag, etag.data, etag.len);
    }

    if (photo->data.len == 0 || photo->type.len == 0) {
        return NGX_MOBILITY_NOTFOUND;
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_photo_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, const char *type, const u_char *data,
    size_t dlen, uint64_t now)
{
    int                        rc;
    char                       etag[NGX_MOBILITY_PHOTO_ETAG_LEN + 1];
    size_t                     i, tlen, rlen;
    uint64_t                   h;
    MDB_val                    k, v;
    ngx_mobility_rec_writer_t  w;

    if (type == NULL) {
        type = ngx_mobility_photo_sniff(data, dlen);

        if (type == NULL) {
            strcpy(st->err, "the photo is not a JPEG, PNG or GIF image");
            return NGX_MOBILITY_ERROR;
        }
    }

    if (dlen == 0 || dlen > NGX_MOBILITY_PHOTO_MAX) {
        snprintf(st->err, sizeof(st->err),
                 "a photo must have 1 to %d bytes", NGX_MOBILITY_PHOTO_MAX);
        return NGX_MOBILITY_ERROR;
    }

    /* FNV-1a, 64 bits: changes whenever the image does */

    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < dlen; i++) {
        h ^= data[i];
        h *= 0x100000001b3ULL;
    }

    snprintf(etag, sizeof(etag), "%016llx", (unsigned long long) h);

    tlen = strlen(type);
    rlen = NGX_MOBILITY_REC_HEADER + 6 + tlen + 6 + dlen + 6 + 8
           + 6 + NGX_MOBILITY_PHOTO_ETAG_LEN;

    k.mv_data = (void *) sip;
    k.mv_size = len;
    v.mv_data = NULL;
    v.mv_size = rlen;

    rc = mdb_put(txn, st->dbi[NGX_MOBILITY_DB_PHOTOS], &k, &v, MDB_RESERVE);
    if (rc != 0) {
        return ngx_mobility_store_fail(st, "writing a photo", rc);
    }

    ngx_mobility_rec_begin(&w, v.mv_data, rlen, NGX_MOBILITY_REC_PHOTO);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_PH_TYPE, type, tlen);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_PH_DATA, data, dlen);
    ngx_mobility_rec_put_u64(&w, NGX_MOBILITY_PH_UPDATED, now);
    ngx_mobility_rec_put(&w, NGX_MOBILITY_PH_ETAG, etag,
                         NGX_MOBILITY_PHOTO_ETAG_LEN);

    if (w.overflow || w.len != rlen) {
        strcpy(st->err, "photo record size mismatch");
        return NGX_MOBILITY_ERROR;
    }

    return NGX_MOBILITY_OK;
}


int
ngx_mobility_photo_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len)
{
    int      rc;
    MDB_val  k;

    k.mv_data = (void *) sip;
    k.mv_size = len;

    rc = mdb_del(txn, st->dbi[NGX_MOBILITY_DB_PHOTOS], &k, NULL);

    if (rc == MDB_NOTFOUND) {
        return NGX_MOBILITY_NOTFOUND;
    }

    if (rc != 0) {
        return ngx_mobility_store_fail(st, "removing a photo", rc);
    }

    return NGX_MOBILITY_OK;
}
