/*
 * Copyright (C) The nginx mobility authors
 *
 * Users' photos: one image per user in the store's "photos" database,
 * served to UCWA (and later MCX) clients with an ETag derived from the
 * bytes.  Plain C: the admin CLI sets photos with the same code
 * ("mobilityctl user photo SIP FILE").
 */

#ifndef _NGX_MOBILITY_PHOTO_H_INCLUDED_
#define _NGX_MOBILITY_PHOTO_H_INCLUDED_


#include "ngx_mobility_record.h"
#include "ngx_mobility_store.h"


#define NGX_MOBILITY_REC_PHOTO        0x0420
#define NGX_MOBILITY_PHOTO_MAX        (1024 * 1024)
#define NGX_MOBILITY_PHOTO_ETAG_LEN   16


typedef struct {
    ngx_mobility_bytes_t  type;      /* "image/jpeg", "image/png", ... */
    ngx_mobility_bytes_t  data;
    uint64_t              updated;   /* s since the epoch */
    u_char                etag[NGX_MOBILITY_PHOTO_ETAG_LEN + 1];
} ngx_mobility_photo_t;


/* the media type of an image by its magic bytes, or NULL */
const char *ngx_mobility_photo_sniff(const u_char *data, size_t len);

/* NGX_MOBILITY_OK, NGX_MOBILITY_NOTFOUND or NGX_MOBILITY_ERROR */
int ngx_mobility_photo_get(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, ngx_mobility_photo_t *photo);

/* type NULL: sniffed; fails (st->err) on an unknown or oversized image */
int ngx_mobility_photo_put(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len, const char *type, const u_char *data,
    size_t dlen, uint64_t now);

int ngx_mobility_photo_del(ngx_mobility_store_t *st, MDB_txn *txn,
    const u_char *sip, size_t len);


#endif /* _NGX_MOBILITY_PHOTO_H_INCLUDED_ */
