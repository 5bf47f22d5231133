/*
 * Copyright (C) The nginx mobility authors
 *
 * Versioned record encoding for values in the mobility store.
 *
 * A record is a 4-byte header followed by tagged fields:
 *
 *     'M'  codec-version(u8)  record-type(u16 LE)
 *     { tag(u16 LE)  length(u32 LE)  bytes[length] } ...
 *
 * Readers skip tags they do not know and treat absent tags as defaults,
 * so a newer build reads an older store and an older build reads records
 * written by a newer one (minus the new fields).  Incompatible changes
 * bump the store format version kept in the meta database instead.
 *
 * This file is plain C: the admin CLI links it as well.
 */

#ifndef _NGX_MOBILITY_RECORD_H_INCLUDED_
#define _NGX_MOBILITY_RECORD_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


#define NGX_MOBILITY_REC_MAGIC       'M'
#define NGX_MOBILITY_REC_CODEC       1
#define NGX_MOBILITY_REC_HEADER      4


typedef struct {
    u_char    *buf;
    size_t     len;
    size_t     cap;
    unsigned   overflow:1;
} ngx_mobility_rec_writer_t;


typedef struct {
    const u_char  *data;
    size_t         len;
} ngx_mobility_bytes_t;


void ngx_mobility_rec_begin(ngx_mobility_rec_writer_t *w, u_char *buf,
    size_t cap, uint16_t type);
void ngx_mobility_rec_put(ngx_mobility_rec_writer_t *w, uint16_t tag,
    const void *data, size_t len);
void ngx_mobility_rec_put_bytes(ngx_mobility_rec_writer_t *w, uint16_t tag,
    ngx_mobility_bytes_t *b);
void ngx_mobility_rec_put_u64(ngx_mobility_rec_writer_t *w, uint16_t tag,
    uint64_t v);

/* 0 if well formed and of the given type (0 = any type), -1 otherwise */
int ngx_mobility_rec_check(const u_char *rec, size_t len, uint16_t type);
uint16_t ngx_mobility_rec_type(const u_char *rec, size_t len);

/* 1 found, 0 absent; rec must have passed ngx_mobility_rec_check() */
int ngx_mobility_rec_get(const u_char *rec, size_t len, uint16_t tag,
    ngx_mobility_bytes_t *out);
uint64_t ngx_mobility_rec_get_u64(const u_char *rec, size_t len,
    uint16_t tag, uint64_t dflt);

/*
 * Checks a record (as ngx_mobility_rec_check()) and fetches its fields in
 * one pass: out[tag] for every tag below n (n <= 64) gets the first field
 * with that tag, or "" (length 0) when there is none; larger tags are
 * skipped.  Returns 0, or -1 when the record is malformed.  The decoders
 * of hot records use it instead of one ngx_mobility_rec_get() per tag.
 */
int ngx_mobility_rec_fields(const u_char *rec, size_t len, uint16_t type,
    ngx_mobility_bytes_t *out, unsigned n);

void ngx_mobility_put_le16(u_char *p, uint16_t v);
void ngx_mobility_put_le32(u_char *p, uint32_t v);
void ngx_mobility_put_le64(u_char *p, uint64_t v);
void ngx_mobility_put_be64(u_char *p, uint64_t v);
uint64_t ngx_mobility_be64(const u_char *p);


/* inline: record lookups call these for every field they pass */

static inline uint16_t
ngx_mobility_le16(const u_char *p)
{
    return (uint16_t) (p[0] | (p[1] << 8));
}


static inline uint32_t
ngx_mobility_le32(const u_char *p)
{
    return (uint32_t) p[0] | ((uint32_t) p[1] << 8)
           | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}


static inline uint64_t
ngx_mobility_le64(const u_char *p)
{
    return (uint64_t) ngx_mobility_le32(p)
           | ((uint64_t) ngx_mobility_le32(p + 4) << 32);
}


/* a u64 field fetched by ngx_mobility_rec_fields(), dflt if absent */
static inline uint64_t
ngx_mobility_bytes_u64(const ngx_mobility_bytes_t *b, uint64_t dflt)
{
    return (b->len == 8) ? ngx_mobility_le64(b->data) : dflt;
}


#endif /* _NGX_MOBILITY_RECORD_H_INCLUDED_ */
