/*
 * Copyright (C) The nginx mobility authors
 *
 * Representations: resources are built once as HAL JSON (jansson) and
 * converted generically to UCWA XML (libxml2) when the client asks for
 * it; operation input arrives as JSON, UCWA XML, a form or the query
 * string, with property names matched case-insensitively.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_xml.h"


/* larger than most resources (an application is about 4 KB) */
#define NGX_MOBILITY_UCWA_DUMP_GUESS  8192


#define NGX_MOBILITY_UCWA_TYPE_JSON  "application/json; charset=utf-8"
#define NGX_MOBILITY_UCWA_TYPE_VND                                            \
    "application/vnd.microsoft.com.ucwa+json; charset=utf-8"
#define NGX_MOBILITY_UCWA_TYPE_XML                                            \
    "application/vnd.microsoft.com.ucwa+xml; charset=utf-8"

#define NGX_MOBILITY_UCWA_MEDIA_NONE       0
#define NGX_MOBILITY_UCWA_MEDIA_JSON       1
#define NGX_MOBILITY_UCWA_MEDIA_XML        2
#define NGX_MOBILITY_UCWA_MEDIA_FORM       3
#define NGX_MOBILITY_UCWA_MEDIA_BATCH      4
#define NGX_MOBILITY_UCWA_MEDIA_OTHER      5


static void ngx_mobility_ucwa_json_cleanup(void *data);
static xmlNodePtr ngx_mobility_ucwa_xml_resource(xmlNodePtr parent,
    xmlNsPtr ns, json_t *obj, const char *rel);
static void ngx_mobility_ucwa_xml_fill(xmlNodePtr node, xmlNsPtr ns,
    json_t *obj, const char *rel);


/* ------------------------------------------------------------------ */
/* jansson objects owned by a pool                                    */


ngx_int_t
ngx_mobility_ucwa_json_own(ngx_pool_t *pool, json_t *json)
{
    ngx_pool_cleanup_t  *cln;

    if (json == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        json_decref(json);
        return NGX_ERROR;
    }

    cln->handler = ngx_mobility_ucwa_json_cleanup;
    cln->data = json;

    return NGX_OK;
}


static void
ngx_mobility_ucwa_json_cleanup(void *data)
{
    json_decref((json_t *) data);
}


json_t *
ngx_mobility_ucwa_str(ngx_str_t *s)
{
    json_t  *j;

    j = json_stringn((const char *) s->data, s->len);

    if (j == NULL) {
        /* not UTF-8: never let it into a representation */
        j = json_string("");
    }

    return j;
}


json_t *
ngx_mobility_ucwa_href(ngx_str_t *prefix, const char *path)
{
    u_char  *p;
    size_t   len;
    u_char   buf[1024];

    if (path == NULL) {
        /* a path its caller failed to allocate */
        return NULL;
    }

    len = ngx_strlen(path);

    if (prefix->len + len > sizeof(buf)) {
        return json_string("");
    }

    p = ngx_cpymem(buf, prefix->data, prefix->len);
    p = ngx_cpymem(p, path, len);

    return json_stringn((const char *) buf, p - buf);
}


ngx_int_t
ngx_mobility_ucwa_link(json_t *links, const char *rel, ngx_str_t *prefix,
    const char *path)
{
    json_t  *link;

    link = json_object();
    if (link == NULL) {
        return NGX_ERROR;
    }

    if (json_object_set_new(link, "href", ngx_mobility_ucwa_href(prefix, path))
        != 0
        || json_object_set_new(links, rel, link) != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A membership's path segment "/<id>,<escaped SIP address>" (contact
 * group and presence subscription memberships): *id points into sub, sip
 * (NGX_MOBILITY_SIP_MAX + 1 bytes) receives the canonical address.
 * Returns its length, 0 when the segment is malformed, or NGX_ERROR
 * without memory.
 */
ngx_int_t
ngx_mobility_ucwa_member_path(ngx_pool_t *pool, ngx_str_t *sub,
    ngx_str_t *id, u_char *sip)
{
    int         len;
    u_char     *comma, *src, *dst;
    ngx_str_t   who;

    comma = ngx_strlchr(sub->data + 1, sub->data + sub->len, ',');

    if (comma == NULL) {
        return 0;
    }

    id->data = sub->data + 1;
    id->len = comma - id->data;

    who.len = sub->data + sub->len - comma - 1;
    who.data = ngx_pnalloc(pool, who.len + 1);
    if (who.data == NULL) {
        return NGX_ERROR;
    }

    src = comma + 1;
    dst = who.data;
    ngx_unescape_uri(&dst, &src, who.len, 0);
    who.len = dst - who.data;

    len = ngx_mobility_sip_canon(who.data, who.len, sip, NULL);

    return (len > 0) ? len : 0;
}


/*
 * A collection resource: {"_links":{"self":…,"<item>":[…]},"rel":"<rel>"};
 * the caller fills *list.  NULL when out of memory.
 */
json_t *
ngx_mobility_ucwa_collection(ngx_str_t *prefix, const char *path,
    const char *item, const char *rel, json_t **list)
{
    json_t  *obj, *links;

    obj = json_object();
    links = json_object();
    *list = json_array();

    if (obj == NULL || links == NULL || *list == NULL) {
        json_decref(obj);
        json_decref(links);
        json_decref(*list);
        return NULL;
    }

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", prefix, path);
    json_object_set_new(links, item, *list);
    json_object_set_new(obj, "rel", json_string(rel));

    return obj;
}


ngx_int_t
ngx_mobility_ucwa_dump(ngx_pool_t *pool, json_t *json, ngx_str_t *out)
{
    size_t   len, size;
    u_char  *buf;

    /*
     * One pass for nearly every resource: serialise into a buffer of a
     * generous size and serialise again only when it was too small.
     */

    size = NGX_MOBILITY_UCWA_DUMP_GUESS;

    for ( ;; ) {
        buf = ngx_pnalloc(pool, size);
        if (buf == NULL) {
            return NGX_ERROR;
        }

        len = json_dumpb(json, (char *) buf, size, JSON_COMPACT);

        if (len == 0) {
            return NGX_ERROR;
        }

        if (len <= size) {
            out->data = buf;
            out->len = len;
            return NGX_OK;
        }

        size = len;
    }
}


/* ------------------------------------------------------------------ */
/* direct JSON writing, byte-identical to json_dumpb(JSON_COMPACT)     */


ngx_int_t
ngx_mobility_ucwa_jw_init(ngx_mobility_ucwa_jw_t *jw, ngx_pool_t *pool,
    size_t size)
{
    jw->pool = pool;
    jw->start = ngx_pnalloc(pool, size);
    if (jw->start == NULL) {
        return NGX_ERROR;
    }

    jw->pos = jw->start;
    jw->end = jw->start + size;
    jw->plain = NULL;
    jw->plain_len = 0;
    jw->failed = 0;

    return NGX_OK;
}


static ngx_uint_t
ngx_mobility_ucwa_jw_room(ngx_mobility_ucwa_jw_t *jw, size_t n)
{
    u_char  *p;
    size_t   size;

    if (jw->failed) {
        return 0;
    }

    if ((size_t) (jw->end - jw->pos) >= n) {
        return 1;
    }

    size = 2 * (jw->end - jw->start) + n;

    p = ngx_pnalloc(jw->pool, size);
    if (p == NULL) {
        jw->failed = 1;
        return 0;
    }

    jw->pos = ngx_cpymem(p, jw->start, jw->pos - jw->start);
    jw->start = p;
    jw->end = p + size;

    return 1;
}


void
ngx_mobility_ucwa_jw_raw(ngx_mobility_ucwa_jw_t *jw, const char *s,
    size_t len)
{
    if (ngx_mobility_ucwa_jw_room(jw, len)) {
        jw->pos = ngx_cpymem(jw->pos, s, len);
    }
}


/*
 * Whether jansson's json_stringn() accepts the bytes: strict UTF-8 (no
 * overlong forms, surrogates or code points above U+10FFFF); NUL is
 * allowed.
 */
ngx_uint_t
ngx_mobility_ucwa_utf8_ok(const u_char *p, size_t len)
{
    size_t         n, i;
    uint32_t       cp;
    uint64_t       w;
    const u_char  *last;

    last = p + len;

    while (p < last) {
        if (last - p >= 8) {
            /* ASCII, 8 bytes at a step */
            ngx_memcpy(&w, p, 8);

            if (!(w & 0x8080808080808080ULL)) {
                p += 8;
                continue;
            }
        }

        if (*p < 0x80) {
            p++;
            continue;
        }

        if (*p < 0xc2 || *p > 0xf4) {
            return 0;
        }

        n = (*p < 0xe0) ? 2 : (*p < 0xf0) ? 3 : 4;

        if ((size_t) (last - p) < n) {
            return 0;
        }

        cp = *p & ((n == 2) ? 0x1f : (n == 3) ? 0x0f : 0x07);

        for (i = 1; i < n; i++) {
            if (p[i] < 0x80 || p[i] > 0xbf) {
                return 0;
            }

            cp = (cp << 6) | (p[i] & 0x3f);
        }

        if (cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff)
            || (n == 3 && cp < 0x800)
            || (n == 4 && cp < 0x10000))
        {
            return 0;
        }

        p += n;
    }

    return 1;
}


/* printable ASCII that needs no escape: 1 */
static const u_char  ngx_mobility_ucwa_jw_plain_tab[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* not '"' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,     /* not '\\' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0      /* not DEL */
};


/* a JSON string of bytes ngx_mobility_ucwa_utf8_ok() accepted */
void
ngx_mobility_ucwa_jw_str(ngx_mobility_ucwa_jw_t *jw, const u_char *s,
    size_t len)
{
    u_char        *p, c;
    const u_char  *last;

    static const u_char  hex[] = "0123456789ABCDEF";

    /* at worst every byte becomes \u00XX */
    if (!ngx_mobility_ucwa_jw_room(jw, 6 * len + 2)) {
        return;
    }

    p = jw->pos;
    *p++ = '"';

    last = s + len;

    /* what needs no escape is copied in bulk */

    while (s < last && ngx_mobility_ucwa_jw_plain_tab[*s]) {
        s++;
    }

    p = ngx_cpymem(p, last - len, s - (last - len));

    for ( /* void */ ; s < last; s++) {
        c = *s;

        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = c;
            continue;
        }

        *p++ = '\\';

        switch (c) {
        case '"':
        case '\\':
            *p++ = c;
            break;
        case '\b':
            *p++ = 'b';
            break;
        case '\f':
            *p++ = 'f';
            break;
        case '\n':
            *p++ = 'n';
            break;
        case '\r':
            *p++ = 'r';
            break;
        case '\t':
            *p++ = 't';
            break;
        default:
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];
        }
    }

    *p++ = '"';
    jw->pos = p;
}


/*
 * Whether every byte is plain (the table's 1s: 0x20-0x7e but '"' and
 * '\\'), 8 bytes at a step: a byte below 0x20 or above 0x7e, a '"' or a
 * '\\' sets its high bit in v (the borrows and carries of the
 * arithmetic only reach bytes above one that is already caught)
 */
static ngx_inline ngx_uint_t
ngx_mobility_ucwa_jw_plain(const u_char *p, size_t len)
{
    u_char         ok;
    uint64_t       w, q, b, v;
    const u_char  *last;

    static const uint64_t  ones = 0x0101010101010101ULL;

    for ( /* void */ ; len >= 8; p += 8, len -= 8) {
        ngx_memcpy(&w, p, 8);

        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');

        v = ((w - ones * 0x20) & ~w)
            | ((w + ones) | w)
            | ((q - ones) & ~q)
            | ((b - ones) & ~b);

        if (v & 0x8080808080808080ULL) {
            return 0;
        }
    }

    ok = 1;

    for (last = p + len; p < last; p++) {
        ok &= ngx_mobility_ucwa_jw_plain_tab[*p];
    }

    return ok;
}


/*
 * A splice from a rendering whose variable parts were the marks (plain
 * strings found nowhere else in it): the text between the marks and which
 * mark follows each piece.  NGX_DECLINED: too long or too many pieces.
 */
ngx_int_t
ngx_mobility_ucwa_splice_make(ngx_mobility_ucwa_splice_t *sp,
    const u_char *text, size_t len, ngx_str_t *marks)
{
    size_t      start, i;
    ngx_uint_t  k, hole;

    ngx_memzero(sp, sizeof(ngx_mobility_ucwa_splice_t));

    if (len > NGX_MOBILITY_UCWA_SPLICE_TEXT) {
        return NGX_DECLINED;
    }

    ngx_memcpy(sp->text, text, len);

    start = 0;

    for (i = 0; i < len; i++) {
        hole = 0;

        for (k = 0; k < NGX_MOBILITY_UCWA_SPLICE_HOLES; k++) {
            if (marks[k].len && len - i >= marks[k].len
                && ngx_memcmp(text + i, marks[k].data, marks[k].len) == 0)
            {
                hole = k + 1;
                break;
            }
        }

        if (hole == 0) {
            continue;
        }

        if (sp->nsegs == NGX_MOBILITY_UCWA_SPLICE_SEGS - 1) {
            return NGX_DECLINED;
        }

        sp->segs[sp->nsegs].off = (uint16_t) start;
        sp->segs[sp->nsegs].len = (uint16_t) (i - start);
        sp->segs[sp->nsegs].hole = (uint16_t) hole;
        sp->nsegs++;

        sp->lit += i - start;
        sp->uses[hole - 1]++;

        i += marks[hole - 1].len - 1;
        start = i + 1;
    }

    sp->segs[sp->nsegs].off = (uint16_t) start;
    sp->segs[sp->nsegs].len = (uint16_t) (len - start);
    sp->segs[sp->nsegs].hole = 0;
    sp->nsegs++;

    sp->lit += len - start;

    return NGX_OK;
}


/* n bytes in 16-byte steps: up to 15 more are read and written */
static ngx_inline u_char *
ngx_mobility_ucwa_copy16(u_char *dst, const u_char *src, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i += 16) {
        ngx_memcpy(dst + i, src + i, 16);
    }

    return dst + n;
}


/* len >= 8 bytes exactly, 8 at a step, the last step overlapping */
static ngx_inline void
ngx_mobility_ucwa_put8(u_char *dst, const u_char *src, size_t len)
{
    size_t  i;

    for (i = 0; i + 8 < len; i += 8) {
        ngx_memcpy(dst + i, src + i, 8);
    }

    ngx_memcpy(dst + len - 8, src + len - 8, 8);
}


/*
 * The splice with its holes filled: the bytes the rendering would give
 * for these values, which must be plain (NGX_DECLINED otherwise: render
 * them).  NGX_ERROR: out of memory (jw->failed).
 *
 * The last output is kept as a layout: while the values have the same
 * lengths (ids have one length, owners a few), the next one is that
 * layout copied at once with the values written over their places.
 */
ngx_int_t
ngx_mobility_ucwa_jw_splice(ngx_mobility_ucwa_jw_t *jw,
    ngx_mobility_ucwa_splice_t *sp, ngx_str_t *values)
{
    u_char                          *p, *start;
    size_t                           n;
    ngx_uint_t                       i, k, same, nholes;
    ngx_mobility_ucwa_splice_seg_t  *seg;
    u_char                           v[NGX_MOBILITY_UCWA_SPLICE_HOLES]
                                      [NGX_MOBILITY_UCWA_SPLICE_VALUE + 16];

    n = sp->lit;
    same = (sp->lay_total != 0);

    for (k = 0; k < NGX_MOBILITY_UCWA_SPLICE_HOLES; k++) {
        if (sp->uses[k] == 0) {
            continue;
        }

        if (values[k].len > NGX_MOBILITY_UCWA_SPLICE_VALUE
            || !ngx_mobility_ucwa_jw_plain(values[k].data, values[k].len))
        {
            return NGX_DECLINED;
        }

        if (values[k].len != sp->lay_len[k]) {
            same = 0;
        }

        n += sp->uses[k] * values[k].len;
    }

    if (!ngx_mobility_ucwa_jw_room(jw, n + 16)) {
        return NGX_ERROR;
    }

    p = jw->pos;

    if (same) {
        ngx_memcpy(p, sp->lay, n);

        for (i = 0; i < sp->lay_holes; i++) {
            k = sp->lay_hole[i];
            ngx_mobility_ucwa_put8(p + sp->lay_off[i], values[k].data,
                                   values[k].len);
        }

        jw->pos = p + n;

        return NGX_OK;
    }

    for (k = 0; k < NGX_MOBILITY_UCWA_SPLICE_HOLES; k++) {
        if (sp->uses[k]) {
            /* a copy with room for the 16-byte steps */
            ngx_memcpy(v[k], values[k].data, values[k].len);
        }
    }

    start = p;
    nholes = 0;

    for (i = 0; i < sp->nsegs; i++) {
        seg = &sp->segs[i];

        p = ngx_mobility_ucwa_copy16(p, sp->text + seg->off, seg->len);

        if (seg->hole) {
            sp->lay_off[nholes] = (uint16_t) (p - start);
            sp->lay_hole[nholes] = (u_char) (seg->hole - 1);
            nholes++;

            p = ngx_mobility_ucwa_copy16(p, v[seg->hole - 1],
                                         values[seg->hole - 1].len);
        }
    }

    jw->pos = p;

    /* the layout for the next values of these lengths (8 bytes or more) */

    sp->lay_total = 0;

    if (n > NGX_MOBILITY_UCWA_SPLICE_LAYOUT) {
        return NGX_OK;
    }

    for (k = 0; k < NGX_MOBILITY_UCWA_SPLICE_HOLES; k++) {
        if (sp->uses[k] && values[k].len < 8) {
            return NGX_OK;
        }

        sp->lay_len[k] = values[k].len;
    }

    ngx_memcpy(sp->lay, start, n);
    sp->lay_holes = nholes;
    sp->lay_total = n;

    return NGX_OK;
}


/* a link of "_links": ,"rel":{"href":"<prefix><path>"} as ..._link() */
void
ngx_mobility_ucwa_jw_link(ngx_mobility_ucwa_jw_t *jw, ngx_uint_t first,
    const char *rel, ngx_str_t *prefix, const u_char *path, size_t len)
{
    ngx_mobility_ucwa_jw_link_n(jw, first, rel, ngx_strlen(rel), prefix,
                                path, len, 0);
}


/*
 * The same with the length of rel; plain_path: the path is known to be
 * plain ASCII (a literal), not checked again
 */
void
ngx_mobility_ucwa_jw_link_n(ngx_mobility_ucwa_jw_t *jw, ngx_uint_t first,
    const char *rel, size_t rlen, ngx_str_t *prefix, const u_char *path,
    size_t len, ngx_uint_t plain_path)
{
    u_char  *p;
    u_char   buf[1024];

    if (prefix->len + len <= sizeof(buf)
        && ((jw->plain == prefix->data && jw->plain_len == prefix->len)
            || ngx_mobility_ucwa_jw_plain(prefix->data, prefix->len))
        && (plain_path || ngx_mobility_ucwa_jw_plain(path, len)))
    {
        /* the links of a resource share their prefix: checked once */
        jw->plain = prefix->data;
        jw->plain_len = prefix->len;

        /* the common case: an id, a base path and a literal */

        if (!ngx_mobility_ucwa_jw_room(jw, rlen + prefix->len + len + 18)) {
            return;
        }

        p = jw->pos;

        if (!first) {
            *p++ = ',';
        }

        *p++ = '"';
        p = ngx_cpymem(p, rel, rlen);
        p = ngx_cpymem(p, "\":{\"href\":\"", 11);
        p = ngx_cpymem(p, prefix->data, prefix->len);
        p = ngx_cpymem(p, path, len);
        *p++ = '"';
        *p++ = '}';

        jw->pos = p;
        return;
    }

    if (prefix->len + len > sizeof(buf)) {
        p = buf;

    } else {
        p = ngx_cpymem(buf, prefix->data, prefix->len);
        p = ngx_cpymem(p, path, len);

        if (!ngx_mobility_ucwa_utf8_ok(buf, p - buf)) {
            /* jansson refuses the string and the link is left out */
            return;
        }
    }

    if (!first) {
        ngx_mobility_ucwa_jw_raw(jw, ",", 1);
    }

    ngx_mobility_ucwa_jw_raw(jw, "\"", 1);
    ngx_mobility_ucwa_jw_raw(jw, rel, rlen);
    ngx_mobility_ucwa_jw_raw(jw, "\":{\"href\":", 10);
    ngx_mobility_ucwa_jw_str(jw, buf, p - buf);
    ngx_mobility_ucwa_jw_raw(jw, "}", 1);
}


/* JSON rendered by the caller, in the request's pool: a 200 */
void
ngx_mobility_ucwa_raw_json(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *raw)
{
    rs->status = NGX_HTTP_OK;
    rs->json = NULL;
    rs->raw = *raw;
    rs->raw_pool = 1;

    if (rq->vnd_json) {
        ngx_str_set(&rs->raw_type, NGX_MOBILITY_UCWA_TYPE_VND);

    } else {
        ngx_str_set(&rs->raw_type, NGX_MOBILITY_UCWA_TYPE_JSON);
    }
}


ngx_int_t
ngx_mobility_ucwa_jw_done(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_jw_t *jw)
{
    if (jw->failed) {
        return NGX_ERROR;
    }

    rs->status = NGX_HTTP_OK;
    rs->raw.data = jw->start;
    rs->raw.len = jw->pos - jw->start;
    rs->raw_pool = (jw->pool == rq->pool);

    if (rq->vnd_json) {
        ngx_str_set(&rs->raw_type, NGX_MOBILITY_UCWA_TYPE_VND);

    } else {
        ngx_str_set(&rs->raw_type, NGX_MOBILITY_UCWA_TYPE_JSON);
    }

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* responses                                                          */


ngx_int_t
ngx_mobility_ucwa_error(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t status, const char *code,
    const char *subcode, const char *message)
{
    json_t  *j;

    j = json_object();
    if (j == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_json_own(rq->pool, j) != NGX_OK) {
        return NGX_ERROR;
    }

    json_object_set_new(j, "code", json_string(code));

    if (subcode) {
        json_object_set_new(j, "subcode", json_string(subcode));
    }

    json_object_set_new(j, "message", json_string(message));

    rs->status = status;
    rs->json = j;
    rs->error = 1;

    return NGX_OK;
}


/*
 * The start of a resource: the request's transaction (a write one if
 * "write") and its application, and with "prefix" the application's href
 * prefix.  NGX_OK with the transaction open; NGX_DONE when the response
 * is set (a store error, an unknown application) or NGX_ERROR, both with
 * the transaction closed.
 */
ngx_int_t
ngx_mobility_ucwa_tx_app(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_mobility_ucwa_app_t *app, ngx_uint_t write, ngx_str_t *prefix)
{
    ngx_int_t  rc;

    if (ngx_mobility_ucwa_tx_begin(tx, rq, write) != NGX_OK) {
        return (ngx_mobility_ucwa_store_error(rq, rs, NULL) == NGX_OK)
               ? NGX_DONE : NGX_ERROR;
    }

    rc = ngx_mobility_ucwa_app_load(rq, rs, tx, app);

    if (rc != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(tx);
        return (rc == NGX_DECLINED) ? NGX_DONE : NGX_ERROR;
    }

    if (prefix && ngx_mobility_ucwa_prefix(rq->pool, app, prefix) != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(tx);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* an error naming the parameter at fault in "parameters" (param: if any) */
ngx_int_t
ngx_mobility_ucwa_error_param(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t status, const char *code,
    const char *subcode, const char *param, const char *message)
{
    json_t  *params;

    if (ngx_mobility_ucwa_error(rq, rs, status, code, subcode, message)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (param == NULL) {
        return NGX_OK;
    }

    params = json_array();
    if (params == NULL) {
        return NGX_ERROR;
    }

    json_array_append_new(params, json_string(param));
    json_object_set_new(rs->json, "parameters", params);

    return NGX_OK;
}


/* 1 if a resource of the list has the uri "sip:" sip, 0 if none has */
ngx_uint_t
ngx_mobility_ucwa_list_has(json_t *list, const u_char *sip, size_t len)
{
    size_t   i;
    json_t  *uri;

    for (i = 0; i < json_array_size(list); i++) {
        uri = json_object_get(json_array_get(list, i), "uri");

        if (uri && json_string_length(uri) == len + 4
            && ngx_strncmp(json_string_value(uri) + 4, sip, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* 400 ParameterValidationFailure naming the parameter at fault */
ngx_int_t
ngx_mobility_ucwa_bad_param(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *name, const char *message)
{
    return ngx_mobility_ucwa_error_param(rq, rs, NGX_HTTP_BAD_REQUEST,
                                         "BadRequest",
                                         "ParameterValidationFailure", name,
                                         message);
}


ngx_int_t
ngx_mobility_ucwa_resource(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_uint_t status, json_t *json)
{
    if (ngx_mobility_ucwa_json_own(rq->pool, json) != NGX_OK) {
        return NGX_ERROR;
    }

    rs->status = status;
    rs->json = json;

    return NGX_OK;
}


static void
ngx_mobility_ucwa_xml_text(json_t *v, char *buf, size_t size,
    const char **text)
{
    switch (json_typeof(v)) {

    case JSON_STRING:
        *text = json_string_value(v);
        return;

    case JSON_INTEGER:
        ngx_snprintf((u_char *) buf, size - 1, "%L%Z",
                     (int64_t) json_integer_value(v));
        break;

    case JSON_REAL:
        snprintf(buf, size, "%g", json_real_value(v));
        break;

    case JSON_TRUE:
        ngx_cpystrn((u_char *) buf, (u_char *) "true", size);
        break;

    case JSON_FALSE:
        ngx_cpystrn((u_char *) buf, (u_char *) "false", size);
        break;

    default:
        buf[0] = '\0';
        break;
    }

    *text = buf;
}


static void
ngx_mobility_ucwa_xml_link(xmlNodePtr parent, xmlNsPtr ns, const char *rel,
    json_t *link)
{
    json_t      *href, *title;
    xmlNodePtr   node;

    href = json_object_get(link, "href");

    if (!json_is_string(href)) {
        return;
    }

    node = xmlNewChild(parent, ns, (const xmlChar *) "link", NULL);
    if (node == NULL) {
        return;
    }

    xmlNewProp(node, (const xmlChar *) "rel", (const xmlChar *) rel);
    xmlNewProp(node, (const xmlChar *) "href",
               (const xmlChar *) json_string_value(href));

    title = json_object_get(link, "title");

    if (json_is_string(title)) {
        xmlNewProp(node, (const xmlChar *) "title",
                   (const xmlChar *) json_string_value(title));
    }
}


static void
ngx_mobility_ucwa_xml_links(xmlNodePtr parent, xmlNsPtr ns, json_t *links,
    const char *skip)
{
    size_t       i;
    json_t      *v, *item;
    const char  *key;

    json_object_foreach(links, key, v) {

        if (skip && ngx_strcmp(key, skip) == 0) {
            continue;
        }

        if (json_is_array(v)) {
            json_array_foreach(v, i, item) {
                ngx_mobility_ucwa_xml_link(parent, ns, key, item);
            }

        } else if (json_is_object(v)) {
            ngx_mobility_ucwa_xml_link(parent, ns, key, v);
        }
    }
}


static void
ngx_mobility_ucwa_xml_properties(xmlNodePtr parent, xmlNsPtr ns, json_t *obj)
{
    char         buf[64];
    size_t       i;
    json_t      *v, *item;
    xmlNodePtr   node;
    const char  *key, *text;

    json_object_foreach(obj, key, v) {

        if (key[0] == '_' || ngx_strcmp(key, "rel") == 0) {
            continue;
        }

        if (json_is_array(v)) {
            node = xmlNewChild(parent, ns, (const xmlChar *) "propertyList",
                               NULL);
            if (node == NULL) {
                continue;
            }

            xmlNewProp(node, (const xmlChar *) "name", (const xmlChar *) key);

            json_array_foreach(v, i, item) {
                if (json_is_object(item)) {
                    continue;
                }

                ngx_mobility_ucwa_xml_text(item, buf, sizeof(buf), &text);
                xmlNewTextChild(node, ns, (const xmlChar *) "item",
                                (const xmlChar *) text);
            }

            continue;
        }

        if (json_is_object(v)) {
            continue;
        }

        ngx_mobility_ucwa_xml_text(v, buf, sizeof(buf), &text);

        node = xmlNewTextChild(parent, ns, (const xmlChar *) "property",
                               (const xmlChar *) text);
        if (node) {
            xmlNewProp(node, (const xmlChar *) "name", (const xmlChar *) key);
        }
    }
}


static void
ngx_mobility_ucwa_xml_embedded(xmlNodePtr parent, xmlNsPtr ns,
    json_t *embedded)
{
    size_t       i;
    json_t      *v, *item;
    const char  *key;

    json_object_foreach(embedded, key, v) {

        if (json_is_array(v)) {
            json_array_foreach(v, i, item) {
                if (json_is_object(item)) {
                    ngx_mobility_ucwa_xml_resource(parent, ns, item, key);
                }
            }

        } else if (json_is_object(v)) {
            ngx_mobility_ucwa_xml_resource(parent, ns, v, key);
        }
    }
}


/*
 * A HAL resource as <resource rel href>: links first, then properties
 * and property lists, then embedded resources.
 */
static void
ngx_mobility_ucwa_xml_fill(xmlNodePtr node, xmlNsPtr ns, json_t *obj,
    const char *rel)
{
    json_t  *links, *self, *href, *r;

    r = json_object_get(obj, "rel");

    xmlNewProp(node, (const xmlChar *) "rel",
               (const xmlChar *) (json_is_string(r) ? json_string_value(r)
                                                    : rel));

    links = json_object_get(obj, "_links");
    self = json_object_get(links, "self");
    href = json_object_get(self, "href");

    if (json_is_string(href)) {
        xmlNewProp(node, (const xmlChar *) "href",
                   (const xmlChar *) json_string_value(href));
    }

    if (json_is_object(links)) {
        ngx_mobility_ucwa_xml_links(node, ns, links, "self");
    }

    ngx_mobility_ucwa_xml_properties(node, ns, obj);

    r = json_object_get(obj, "_embedded");

    if (json_is_object(r)) {
        ngx_mobility_ucwa_xml_embedded(node, ns, r);
    }
}


static xmlNodePtr
ngx_mobility_ucwa_xml_resource(xmlNodePtr parent, xmlNsPtr ns, json_t *obj,
    const char *rel)
{
    xmlNodePtr  node;

    node = xmlNewChild(parent, ns, (const xmlChar *) "resource", NULL);

    if (node) {
        ngx_mobility_ucwa_xml_fill(node, ns, obj, rel);
    }

    return node;
}


static xmlNodePtr
ngx_mobility_ucwa_xml_root(xmlDocPtr doc, xmlNodePtr root)
{
    xmlNsPtr  ns;

    if (root == NULL) {
        return NULL;
    }

    ns = xmlNewNs(root, (const xmlChar *) NGX_MOBILITY_UCWA_NS, NULL);
    xmlSetNs(root, ns);
    xmlDocSetRootElement(doc, root);

    return root;
}


static void
ngx_mobility_ucwa_xml_events(xmlNodePtr root, json_t *pkg)
{
    size_t       i, j;
    json_t      *senders, *sender, *events, *ev, *v, *link, *emb, *item;
    xmlNsPtr     ns;
    xmlNodePtr   snode, enode;
    const char  *type, *key;

    ns = root->ns;

    v = json_object_get(json_object_get(json_object_get(pkg, "_links"),
                                        "self"), "href");
    if (json_is_string(v)) {
        xmlNewProp(root, (const xmlChar *) "href",
                   (const xmlChar *) json_string_value(v));
    }

    v = json_object_get(pkg, "_links");
    if (json_is_object(v)) {
        ngx_mobility_ucwa_xml_links(root, ns, v, "self");
    }

    senders = json_object_get(pkg, "sender");

    json_array_foreach(senders, i, sender) {

        snode = xmlNewChild(root, ns, (const xmlChar *) "sender", NULL);
        if (snode == NULL) {
            continue;
        }

        v = json_object_get(sender, "rel");
        if (json_is_string(v)) {
            xmlNewProp(snode, (const xmlChar *) "rel",
                       (const xmlChar *) json_string_value(v));
        }

        v = json_object_get(sender, "href");
        if (json_is_string(v)) {
            xmlNewProp(snode, (const xmlChar *) "href",
                       (const xmlChar *) json_string_value(v));
        }

        events = json_object_get(sender, "events");

        json_array_foreach(events, j, ev) {

            v = json_object_get(ev, "type");
            type = json_is_string(v) ? json_string_value(v) : "updated";

            enode = xmlNewChild(snode, ns, (const xmlChar *) type, NULL);
            if (enode == NULL) {
                continue;
            }

            link = json_object_get(ev, "link");

            v = json_object_get(link, "rel");
            if (json_is_string(v)) {
                xmlNewProp(enode, (const xmlChar *) "rel",
                           (const xmlChar *) json_string_value(v));
            }

            v = json_object_get(link, "href");
            if (json_is_string(v)) {
                xmlNewProp(enode, (const xmlChar *) "href",
                           (const xmlChar *) json_string_value(v));
            }

            v = json_object_get(link, "title");
            if (json_is_string(v)) {
                xmlNewProp(enode, (const xmlChar *) "title",
                           (const xmlChar *) json_string_value(v));
            }

            v = json_object_get(ev, "status");
            if (json_is_string(v)) {
                xmlNewProp(enode, (const xmlChar *) "status",
                           (const xmlChar *) json_string_value(v));
            }

            v = json_object_get(ev, "in");
            if (json_is_object(v)) {
                ngx_mobility_ucwa_xml_link(enode, ns, "in", v);
            }

            emb = json_object_get(ev, "_embedded");

            json_object_foreach(emb, key, item) {
                if (json_is_object(item)) {
                    ngx_mobility_ucwa_xml_resource(enode, ns, item, key);
                }
            }
        }
    }
}


static void
ngx_mobility_ucwa_xml_error(xmlNodePtr root, json_t *err)
{
    json_t      *v;
    const char  *names[] = { "code", "subcode", "message", NULL };
    ngx_uint_t   i;

    for (i = 0; names[i]; i++) {
        v = json_object_get(err, names[i]);

        if (json_is_string(v)) {
            xmlNewTextChild(root, root->ns, (const xmlChar *) names[i],
                            (const xmlChar *) json_string_value(v));
        }
    }
}


ngx_int_t
ngx_mobility_ucwa_render(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *body, ngx_str_t *type)
{
    ngx_int_t   rc;
    xmlDocPtr   doc;
    xmlNodePtr  root;

    if (rs->raw.len || rs->json == NULL) {
        *body = rs->raw;
        *type = rs->raw_type;
        return NGX_OK;
    }

    /* what is rendered here lives in the request's pool */
    rs->raw_pool = 1;

    if (!rq->xml) {
        if (rq->vnd_json) {
            ngx_str_set(type, NGX_MOBILITY_UCWA_TYPE_VND);

        } else {
            ngx_str_set(type, NGX_MOBILITY_UCWA_TYPE_JSON);
        }

        return ngx_mobility_ucwa_dump(rq->pool, rs->json, body);
    }

    ngx_str_set(type, NGX_MOBILITY_UCWA_TYPE_XML);

    doc = xmlNewDoc((const xmlChar *) "1.0");
    if (doc == NULL) {
        return NGX_ERROR;
    }

    if (rs->error) {
        root = ngx_mobility_ucwa_xml_root(doc,
                   xmlNewNode(NULL, (const xmlChar *) "reason"));
        if (root) {
            ngx_mobility_ucwa_xml_error(root, rs->json);
        }

    } else if (rs->events) {
        root = ngx_mobility_ucwa_xml_root(doc,
                   xmlNewNode(NULL, (const xmlChar *) "events"));
        if (root) {
            ngx_mobility_ucwa_xml_events(root, rs->json);
        }

    } else {
        root = ngx_mobility_ucwa_xml_root(doc,
                   xmlNewNode(NULL, (const xmlChar *) "resource"));
        if (root) {
            ngx_mobility_ucwa_xml_fill(root, root->ns, rs->json, "resource");
        }
    }

    rc = root ? ngx_mobility_xml_dump(doc, rq->pool, body) : NGX_ERROR;

    xmlFreeDoc(doc);

    return rc;
}


/* ------------------------------------------------------------------ */
/* content negotiation                                                */


static ngx_int_t
ngx_mobility_ucwa_find(ngx_str_t *s, const char *what)
{
    u_char  *p;
    size_t   len;

    len = ngx_strlen(what);

    if (s->len < len) {
        return -1;
    }

    p = ngx_strlcasestrn(s->data, s->data + s->len, (u_char *) what, len - 1);

    return p ? p - s->data : -1;
}


ngx_uint_t
ngx_mobility_ucwa_wants_xml(ngx_str_t *accept, ngx_str_t *content_type,
    ngx_uint_t *vnd_json)
{
    ngx_int_t  x, y, j;

    *vnd_json = (ngx_mobility_ucwa_find(accept, "ucwa+json") >= 0);

    x = ngx_mobility_ucwa_find(accept, "ucwa+xml");
    y = ngx_mobility_ucwa_find(accept, "/xml");

    if (x < 0 || (y >= 0 && y < x)) {
        x = y;
    }

    j = ngx_mobility_ucwa_find(accept, "json");

    if (x >= 0) {
        return (j < 0 || x < j);
    }

    if (j >= 0) {
        return 0;
    }

    /* no preference: answer in the language of the request */
    return ngx_mobility_ucwa_find(content_type, "xml") >= 0;
}


/*
 * The answer to a GET of a resource with an ETag: obj (taken) and etag;
 * the request's read transaction ends here.
 */
ngx_int_t
ngx_mobility_ucwa_etag_resource(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx, json_t *obj,
    ngx_str_t *etag)
{
    ngx_mobility_ucwa_tx_abort(tx);

    if (ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj) != NGX_OK) {
        return NGX_ERROR;
    }

    rs->etag.data = ngx_pstrdup(rq->pool, etag);
    rs->etag.len = rs->etag.data ? etag->len : 0;

    return NGX_OK;
}


/*
 * A write guarded by the resource's ETag: NGX_OK when If-Match names
 * etag; else the transaction is aborted and the answer is 428 (no
 * If-Match) or 412 (NGX_DONE), or NGX_ERROR.
 */
ngx_int_t
ngx_mobility_ucwa_if_match(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *etag)
{
    ngx_int_t  rc;

    if (rq->if_match.len
        && ngx_mobility_ucwa_etag_match(&rq->if_match, etag))
    {
        return NGX_OK;
    }

    ngx_mobility_ucwa_tx_abort(tx);

    if (rq->if_match.len == 0) {
        rc = ngx_mobility_ucwa_error(rq, rs,
                                     NGX_MOBILITY_UCWA_PRECONDITION_REQUIRED,
                                     "PreConditionRequired",
                                     NULL, "The request needs If-Match.");

    } else {
        rc = ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_PRECONDITION_FAILED,
                                     "PreConditionFailed", NULL,
                                     "The resource changed meanwhile.");
    }

    return (rc == NGX_OK) ? NGX_DONE : NGX_ERROR;
}


ngx_uint_t
ngx_mobility_ucwa_etag_match(ngx_str_t *header, ngx_str_t *etag)
{
    u_char  *p, *last, *start, *end;

    p = header->data;
    last = p + header->len;

    while (p < last) {

        while (p < last && (*p == ' ' || *p == ',')) {
            p++;
        }

        if (p == last) {
            break;
        }

        if (*p == '*') {
            return 1;
        }

        if (last - p > 2 && (p[0] == 'W' || p[0] == 'w') && p[1] == '/') {
            p += 2;
        }

        if (*p == '"') {
            start = ++p;

            while (p < last && *p != '"') {
                p++;
            }

            end = p;

            if (p < last) {
                p++;
            }

        } else {
            start = p;

            while (p < last && *p != ',' && *p != ' ') {
                p++;
            }

            end = p;
        }

        if ((size_t) (end - start) == etag->len
            && ngx_memcmp(start, etag->data, etag->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* ------------------------------------------------------------------ */
/* input                                                              */


static ngx_uint_t
ngx_mobility_ucwa_media(ngx_str_t *ct)
{
    size_t   len;
    u_char  *p, *semi;

    semi = ngx_strlchr(ct->data, ct->data + ct->len, ';');
    len = (semi ? semi : ct->data + ct->len) - ct->data;

    p = ct->data;

    while (len && p[len - 1] == ' ') {
        len--;
    }

    if (len == 0) {
        return NGX_MOBILITY_UCWA_MEDIA_NONE;
    }

#define ngx_mobility_ucwa_is(lit)                                            \
    (len == sizeof(lit) - 1 && ngx_strncasecmp(p, (u_char *) lit, len) == 0)
#define ngx_mobility_ucwa_ends(lit)                                          \
    (len >= sizeof(lit) - 1                                                   \
     && ngx_strncasecmp(p + len - (sizeof(lit) - 1), (u_char *) lit,          \
                        sizeof(lit) - 1) == 0)

    if (ngx_mobility_ucwa_is("application/json")
        || ngx_mobility_ucwa_is("text/json")
        || ngx_mobility_ucwa_ends("+json"))
    {
        return NGX_MOBILITY_UCWA_MEDIA_JSON;
    }

    if (ngx_mobility_ucwa_is("application/xml")
        || ngx_mobility_ucwa_is("text/xml")
        || ngx_mobility_ucwa_ends("+xml"))
    {
        return NGX_MOBILITY_UCWA_MEDIA_XML;
    }

    if (ngx_mobility_ucwa_is("application/x-www-form-urlencoded")) {
        return NGX_MOBILITY_UCWA_MEDIA_FORM;
    }

    if (ngx_mobility_ucwa_is("multipart/batching")) {
        return NGX_MOBILITY_UCWA_MEDIA_BATCH;
    }

#undef ngx_mobility_ucwa_is
#undef ngx_mobility_ucwa_ends

    return NGX_MOBILITY_UCWA_MEDIA_OTHER;
}


static json_t *
ngx_mobility_ucwa_xml_input(ngx_mobility_ucwa_req_t *rq, ngx_str_t *body)
{
    json_t      *obj, *list, *links, *link;
    xmlChar     *name, *text, *href;
    xmlDocPtr    doc;
    xmlNodePtr   root, n, item;

    /*
     * No DTDs at all: no entities to expand, nothing to fetch.  The
     * parser also runs without network access and without NOENT/DTDLOAD.
     */
    if (ngx_strlcasestrn(body->data, body->data + body->len,
                         (u_char *) "<!DOCTYPE", 9 - 1)
        || ngx_strlcasestrn(body->data, body->data + body->len,
                            (u_char *) "<!ENTITY", 8 - 1)
        || body->len > INT_MAX)
    {
        return NULL;
    }

    doc = xmlReadMemory((const char *) body->data, (int) body->len, NULL,
                        NULL, XML_PARSE_NONET|XML_PARSE_NOERROR
                              |XML_PARSE_NOWARNING|XML_PARSE_NOCDATA);
    if (doc == NULL) {
        return NULL;
    }

    root = xmlDocGetRootElement(doc);

    if (root == NULL || doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        return NULL;
    }

    obj = json_object();
    if (obj == NULL) {
        xmlFreeDoc(doc);
        return NULL;
    }

    links = NULL;

    for (n = root->children; n; n = n->next) {

        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }

        if (xmlStrcmp(n->name, (const xmlChar *) "property") == 0) {
            name = xmlGetProp(n, (const xmlChar *) "name");
            text = xmlNodeGetContent(n);

            if (name && text) {
                json_object_set_new(obj, (const char *) name,
                                    json_string((const char *) text));
            }

            xmlFree(name);
            xmlFree(text);
            continue;
        }

        if (xmlStrcmp(n->name, (const xmlChar *) "propertyList") == 0) {
            name = xmlGetProp(n, (const xmlChar *) "name");

            if (name == NULL) {
                continue;
            }

            list = json_array();

            for (item = n->children; item && list; item = item->next) {
                if (item->type != XML_ELEMENT_NODE) {
                    continue;
                }

                text = xmlNodeGetContent(item);
                if (text) {
                    json_array_append_new(list,
                                          json_string((const char *) text));
                    xmlFree(text);
                }
            }

            json_object_set_new(obj, (const char *) name, list);
            xmlFree(name);
            continue;
        }

        if (xmlStrcmp(n->name, (const xmlChar *) "link") == 0) {
            name = xmlGetProp(n, (const xmlChar *) "rel");
            href = xmlGetProp(n, (const xmlChar *) "href");

            if (name && href) {
                if (links == NULL) {
                    links = json_object();
                    json_object_set_new(obj, "_links", links);
                }

                link = json_object();
                json_object_set_new(link, "href",
                                    json_string((const char *) href));
                json_object_set_new(links, (const char *) name, link);
            }

            xmlFree(name);
            xmlFree(href);
        }
    }

    xmlFreeDoc(doc);

    return obj;
}


static json_t *
ngx_mobility_ucwa_form_input(ngx_mobility_ucwa_req_t *rq, ngx_str_t *body)
{
    u_char     *p, *last, *eq, *amp, *dst, *src;
    json_t     *obj;
    ngx_str_t   key, val;

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    p = body->data;
    last = p + body->len;

    while (p < last) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');

        if (eq && eq > p) {
            key.len = eq - p;
            key.data = ngx_pnalloc(rq->pool, key.len + 1);
            val.data = ngx_pnalloc(rq->pool, amp - eq);

            if (key.data == NULL || val.data == NULL) {
                json_decref(obj);
                return NULL;
            }

            ngx_memcpy(key.data, p, key.len);
            key.data[key.len] = '\0';

            for (src = eq + 1, dst = val.data; src < amp; src++) {
                *dst++ = (*src == '+') ? ' ' : *src;
            }

            src = val.data;
            val.len = dst - val.data;
            dst = val.data;
            ngx_unescape_uri(&dst, &src, val.len, 0);
            val.len = dst - val.data;

            json_object_set_new(obj, (const char *) key.data,
                                json_stringn((const char *) val.data,
                                             val.len));
        }

        p = amp + 1;
    }

    return obj;
}


ngx_int_t
ngx_mobility_ucwa_parse_input(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    u_char        *p, *last;
    json_t        *j;
    ngx_str_t      body;
    ngx_uint_t     media;
    json_error_t   err;

    rq->input = NULL;

    body = rq->body;
    p = body.data;
    last = p + body.len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    if (p == last) {
        /* no body, or only white space: inputs come from the query */
        return NGX_OK;
    }

    media = ngx_mobility_ucwa_media(&rq->content_type);

    if (media == NGX_MOBILITY_UCWA_MEDIA_NONE) {
        media = (*p == '{') ? NGX_MOBILITY_UCWA_MEDIA_JSON
                : (*p == '<') ? NGX_MOBILITY_UCWA_MEDIA_XML
                : NGX_MOBILITY_UCWA_MEDIA_OTHER;
    }

    switch (media) {

    case NGX_MOBILITY_UCWA_MEDIA_JSON:
        j = json_loadb((const char *) body.data, body.len,
                       JSON_DECODE_ANY, &err);

        if (j == NULL) {
            ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                          "mobility ucwa: malformed JSON: %s", err.text);
            break;
        }

        if (json_is_null(j)) {
            json_decref(j);
            return NGX_OK;
        }

        if (!json_is_object(j)) {
            json_decref(j);
            break;
        }

        if (ngx_mobility_ucwa_json_own(rq->pool, j) != NGX_OK) {
            return NGX_ERROR;
        }

        rq->input = j;
        return NGX_OK;

    case NGX_MOBILITY_UCWA_MEDIA_XML:
        j = ngx_mobility_ucwa_xml_input(rq, &body);

        if (j == NULL) {
            ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                          "mobility ucwa: malformed or unsafe XML input");
            break;
        }

        if (ngx_mobility_ucwa_json_own(rq->pool, j) != NGX_OK) {
            return NGX_ERROR;
        }

        rq->input = j;
        return NGX_OK;

    case NGX_MOBILITY_UCWA_MEDIA_FORM:
        j = ngx_mobility_ucwa_form_input(rq, &body);

        if (j == NULL || ngx_mobility_ucwa_json_own(rq->pool, j) != NGX_OK) {
            return NGX_ERROR;
        }

        rq->input = j;
        return NGX_OK;

    case NGX_MOBILITY_UCWA_MEDIA_BATCH:
        /* the batch handler reads the body itself */
        return NGX_OK;

    default:
        if (rq->content_type.len >= 5
            && ngx_strncasecmp(rq->content_type.data, (u_char *) "text/", 5)
               == 0
            && ngx_strlcasestrn(rq->rest.data, rq->rest.data + rq->rest.len,
                                (u_char *) "/messaging/messages",
                                sizeof("/messaging/messages") - 2)
               != NULL)
        {
            /* sendMessage: the raw text, read by the handler */
            return NGX_OK;
        }

        if (ngx_mobility_ucwa_error(rq, rs,
                                    NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                    "UnsupportedMediaType", NULL,
                                    "The content type is not supported.")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_DECLINED;
    }

    if (ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST, "BadRequest",
                                "DeserializationFailure",
                                "The request body could not be read.")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_mobility_ucwa_arg(ngx_pool_t *pool, ngx_str_t *args, const char *name,
    ngx_str_t *out)
{
    u_char  *p, *last, *amp, *eq, *dst, *src;
    size_t   len;

    len = ngx_strlen(name);
    p = args->data;
    last = p + args->len;

    while (p < last) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');

        if ((size_t) ((eq ? eq : amp) - p) == len
            && ngx_strncasecmp(p, (u_char *) name, len) == 0)
        {
            if (eq == NULL) {
                out->data = (u_char *) "";
                out->len = 0;
                return NGX_OK;
            }

            out->data = ngx_pnalloc(pool, amp - eq);
            if (out->data == NULL) {
                return NGX_ERROR;
            }

            for (src = eq + 1, dst = out->data; src < amp; src++) {
                *dst++ = (*src == '+') ? ' ' : *src;
            }

            src = out->data;
            len = dst - out->data;
            dst = out->data;
            ngx_unescape_uri(&dst, &src, len, 0);
            out->len = dst - out->data;

            return NGX_OK;
        }

        p = amp + 1;
    }

    return NGX_DECLINED;
}


json_t *
ngx_mobility_ucwa_input(ngx_mobility_ucwa_req_t *rq, const char *name)
{
    json_t      *v;
    ngx_str_t    s;
    const char  *key;

    if (rq->input) {
        json_object_foreach(rq->input, key, v) {
            if (ngx_strcasecmp((u_char *) key, (u_char *) name) == 0) {
                return json_is_null(v) ? NULL : v;
            }
        }
    }

    if (ngx_mobility_ucwa_arg(rq->pool, &rq->args, name, &s) != NGX_OK) {
        return NULL;
    }

    v = json_stringn((const char *) s.data, s.len);

    if (v == NULL || ngx_mobility_ucwa_json_own(rq->pool, v) != NGX_OK) {
        return NULL;
    }

    return v;
}


ngx_int_t
ngx_mobility_ucwa_input_str(ngx_mobility_ucwa_req_t *rq, const char *name,
    ngx_str_t *out)
{
    json_t  *v;

    v = ngx_mobility_ucwa_input(rq, name);

    if (v == NULL) {
        return NGX_DECLINED;
    }

    switch (json_typeof(v)) {

    case JSON_STRING:
        out->data = (u_char *) json_string_value(v);
        out->len = json_string_length(v);
        break;

    case JSON_INTEGER:
        out->data = ngx_pnalloc(rq->pool, NGX_INT64_LEN);
        if (out->data == NULL) {
            return NGX_ERROR;
        }

        out->len = ngx_sprintf(out->data, "%L",
                               (int64_t) json_integer_value(v))
                   - out->data;
        break;

    case JSON_TRUE:
        ngx_str_set(out, "true");
        break;

    case JSON_FALSE:
        ngx_str_set(out, "false");
        break;

    default:
        return NGX_DECLINED;
    }

    return out->len ? NGX_OK : NGX_DECLINED;
}
