/*
 * Copyright (C) The nginx mobility authors
 */


#include <string.h>

#include "ngx_mobility_record.h"


void
ngx_mobility_put_le16(u_char *p, uint16_t v)
{
    p[0] = (u_char) v;
    p[1] = (u_char) (v >> 8);
}


void
ngx_mobility_put_le32(u_char *p, uint32_t v)
{
    p[0] = (u_char) v;
    p[1] = (u_char) (v >> 8);
    p[2] = (u_char) (v >> 16);
    p[3] = (u_char) (v >> 24);
}


void
ngx_mobility_put_le64(u_char *p, uint64_t v)
{
    ngx_mobility_put_le32(p, (uint32_t) v);
    ngx_mobility_put_le32(p + 4, (uint32_t) (v >> 32));
}





void
ngx_mobility_put_be64(u_char *p, uint64_t v)
{
    int  i;

    for (i = 7; i >= 0; i--) {
        p[i] = (u_char) v;
        v >>= 8;
    }
}


uint64_t
ngx_mobility_be64(const u_char *p)
{
    int       i;
    uint64_t  v;

    v = 0;

    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }

    return v;
}


void
ngx_mobility_rec_begin(ngx_mobility_rec_writer_t *w, u_char *buf, size_t cap,
    uint16_t type)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = 0;

    if (cap < NGX_MOBILITY_REC_HEADER) {
        w->overflow = 1;
        return;
    }

    buf[0] = NGX_MOBILITY_REC_MAGIC;
    buf[1] = NGX_MOBILITY_REC_CODEC;
    ngx_mobility_put_le16(buf + 2, type);
    w->len = NGX_MOBILITY_REC_HEADER;
}


void
ngx_mobility_rec_put(ngx_mobility_rec_writer_t *w, uint16_t tag,
    const void *data, size_t len)
{
    if (w->overflow || len > UINT32_MAX || w->cap - w->len < 6 + len) {
        w->overflow = 1;
        return;
    }

    ngx_mobility_put_le16(w->buf + w->len, tag);
    ngx_mobility_put_le32(w->buf + w->len + 2, (uint32_t) len);

    if (len) {
        memcpy(w->buf + w->len + 6, data, len);
    }

    w->len += 6 + len;
}


void
ngx_mobility_rec_put_bytes(ngx_mobility_rec_writer_t *w, uint16_t tag,
    ngx_mobility_bytes_t *b)
{
    /* absent and empty are the same to readers: skip empty fields */
    if (b->len) {
        ngx_mobility_rec_put(w, tag, b->data, b->len);
    }
}


void
ngx_mobility_rec_put_u64(ngx_mobility_rec_writer_t *w, uint16_t tag,
    uint64_t v)
{
    u_char  b[8];

    ngx_mobility_put_le64(b, v);
    ngx_mobility_rec_put(w, tag, b, 8);
}


int
ngx_mobility_rec_check(const u_char *rec, size_t len, uint16_t type)
{
    size_t  off, flen;

    if (len < NGX_MOBILITY_REC_HEADER
        || rec[0] != NGX_MOBILITY_REC_MAGIC
        || rec[1] == 0 || rec[1] > NGX_MOBILITY_REC_CODEC)
    {
        return -1;
    }

    if (type && ngx_mobility_le16(rec + 2) != type) {
        return -1;
    }

    off = NGX_MOBILITY_REC_HEADER;

    while (off < len) {
        if (len - off < 6) {
            return -1;
        }

        flen = ngx_mobility_le32(rec + off + 2);

        if (len - off - 6 < flen) {
            return -1;
        }

        off += 6 + flen;
    }

    return 0;
}


uint16_t
ngx_mobility_rec_type(const u_char *rec, size_t len)
{
    if (len < NGX_MOBILITY_REC_HEADER) {
        return 0;
    }

    return ngx_mobility_le16(rec + 2);
}


int
ngx_mobility_rec_get(const u_char *rec, size_t len, uint16_t tag,
    ngx_mobility_bytes_t *out)
{
    size_t  off, flen;

    off = NGX_MOBILITY_REC_HEADER;

    while (off + 6 <= len) {
        flen = ngx_mobility_le32(rec + off + 2);

        if (ngx_mobility_le16(rec + off) == tag) {
            out->data = rec + off + 6;
            out->len = flen;
            return 1;
        }

        off += 6 + flen;
    }

    out->data = (const u_char *) "";
    out->len = 0;

    return 0;
}


int
ngx_mobility_rec_fields(const u_char *rec, size_t len, uint16_t type,
    ngx_mobility_bytes_t *out, unsigned n)
{
    size_t    off, flen;
    unsigned  i, tag;
    uint64_t  seen;

    if (n > 64
        || len < NGX_MOBILITY_REC_HEADER
        || rec[0] != NGX_MOBILITY_REC_MAGIC
        || rec[1] == 0 || rec[1] > NGX_MOBILITY_REC_CODEC
        || (type && ngx_mobility_le16(rec + 2) != type))
    {
        return -1;
    }

    for (i = 0; i < n; i++) {
        out[i].data = (const u_char *) "";
        out[i].len = 0;
    }

    seen = 0;
    off = NGX_MOBILITY_REC_HEADER;

    while (off < len) {
        if (len - off < 6) {
            return -1;
        }

        tag = ngx_mobility_le16(rec + off);
        flen = ngx_mobility_le32(rec + off + 2);

        if (len - off - 6 < flen) {
            return -1;
        }

        if (tag < n && !(seen & ((uint64_t) 1 << tag))) {
            seen |= (uint64_t) 1 << tag;
            out[tag].data = rec + off + 6;
            out[tag].len = flen;
        }

        off += 6 + flen;
    }

    return 0;
}


uint64_t
ngx_mobility_rec_get_u64(const u_char *rec, size_t len, uint16_t tag,
    uint64_t dflt)
{
    ngx_mobility_bytes_t  b;

    if (!ngx_mobility_rec_get(rec, len, tag, &b) || b.len != 8) {
        return dflt;
    }

    return ngx_mobility_le64(b.data);
}
