/*
 * Copyright (C) The nginx mobility authors
 *
 * batch: multipart/batching in, multipart/batching out.  Each part is a
 * complete HTTP request; the parts run in order through the same
 * resource handlers as single requests (no subrequests) and the answers
 * come back in the same order.  No nested batch, no photos, no events;
 * more than NGX_MOBILITY_UCWA_BATCH_MAX parts: 429 and nothing runs.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"


typedef struct {
    ngx_str_t    data;          /* the embedded HTTP request */
} ngx_mobility_ucwa_part_t;


static const char *
ngx_mobility_ucwa_reason(ngx_uint_t status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default:  return "Internal Server Error";
    }
}


/* the boundary parameter of a Content-Type, quoted or not */
static ngx_int_t
ngx_mobility_ucwa_boundary(ngx_str_t *ct, ngx_str_t *boundary)
{
    u_char  *p, *last, *end;

    p = ngx_strlcasestrn(ct->data, ct->data + ct->len,
                         (u_char *) "boundary=", 9 - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p += 9;
    last = ct->data + ct->len;

    if (p < last && *p == '"') {
        p++;
        end = ngx_strlchr(p, last, '"');

    } else {
        for (end = p; end < last && *end != ';' && *end != ' '; end++) {
            /* void */
        }
    }

    if (end == NULL || end == p || end - p > 200) {
        return NGX_ERROR;
    }

    boundary->data = p;
    boundary->len = end - p;

    return NGX_OK;
}


/* the line starting at p: returns its end, *next the following line */
static u_char *
ngx_mobility_ucwa_line(u_char *p, u_char *last, u_char **next)
{
    u_char  *nl;

    nl = ngx_strlchr(p, last, '\n');

    if (nl == NULL) {
        *next = last;
        return last;
    }

    *next = nl + 1;

    return (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
}


static ngx_array_t *
ngx_mobility_ucwa_split(ngx_pool_t *pool, ngx_str_t *body,
    ngx_str_t *boundary)
{
    u_char                    *p, *last, *line, *eol, *next, *start;
    ngx_uint_t                 closed;
    ngx_array_t               *parts;
    ngx_mobility_ucwa_part_t  *part;

    parts = ngx_array_create(pool, 8, sizeof(ngx_mobility_ucwa_part_t));
    if (parts == NULL) {
        return NULL;
    }

    p = body->data;
    last = p + body->len;
    start = NULL;
    closed = 0;

    while (p < last && !closed) {
        line = p;
        eol = ngx_mobility_ucwa_line(p, last, &next);

        if (eol - line >= (ssize_t) (2 + boundary->len)
            && line[0] == '-' && line[1] == '-'
            && ngx_memcmp(line + 2, boundary->data, boundary->len) == 0)
        {
            if (start) {
                part = ngx_array_push(parts);
                if (part == NULL) {
                    return NULL;
                }

                /* the line break before the delimiter belongs to it */

                part->data.data = start;
                part->data.len = line - start;

                if (part->data.len && start[part->data.len - 1] == '\n') {
                    part->data.len--;
                }

                if (part->data.len && start[part->data.len - 1] == '\r') {
                    part->data.len--;
                }
            }

            closed = (eol - line >= (ssize_t) (4 + boundary->len)
                      && line[2 + boundary->len] == '-'
                      && line[3 + boundary->len] == '-');

            start = next;
        }

        p = next;
    }

    if (!closed) {
        return NULL;
    }

    return parts;
}


static ngx_int_t
ngx_mobility_ucwa_part_request(ngx_mobility_ucwa_req_t *outer,
    ngx_mobility_ucwa_part_t *part, ngx_mobility_ucwa_req_t *rq)
{
    u_char     *p, *last, *line, *eol, *next, *sp, *colon, *q;
    u_char     *dst, *src;
    ngx_str_t   method, target, name, value, path;
    ngx_uint_t  vnd;

    *rq = *outer;

    rq->batch = 1;
    rq->input = NULL;
    rq->parked = NULL;
    ngx_str_null(&rq->body);
    ngx_str_null(&rq->content_type);
    ngx_str_null(&rq->accept);
    ngx_str_null(&rq->if_match);
    ngx_str_null(&rq->if_none_match);
    ngx_str_null(&rq->args);

    p = part->data.data;
    last = p + part->data.len;

    /* the part's own headers (Content-Type: application/http; ...) */

    for ( ;; ) {
        if (p >= last) {
            return NGX_DECLINED;
        }

        line = p;
        eol = ngx_mobility_ucwa_line(p, last, &next);
        p = next;

        if (eol == line) {
            break;
        }
    }

    /* the request line */

    while (p < last && (*p == '\r' || *p == '\n')) {
        p++;
    }

    line = p;
    eol = ngx_mobility_ucwa_line(p, last, &next);
    p = next;

    sp = ngx_strlchr(line, eol, ' ');
    if (sp == NULL) {
        return NGX_DECLINED;
    }

    method.data = line;
    method.len = sp - line;

    target.data = sp + 1;
    sp = ngx_strlchr(target.data, eol, ' ');
    target.len = (sp ? sp : eol) - target.data;

#define ngx_mobility_ucwa_is_method(m)                                        \
    (method.len == sizeof(m) - 1                                              \
     && ngx_strncasecmp(method.data, (u_char *) m, method.len) == 0)

    if (ngx_mobility_ucwa_is_method("GET")) {
        rq->method = NGX_HTTP_GET;

    } else if (ngx_mobility_ucwa_is_method("POST")) {
        rq->method = NGX_HTTP_POST;

    } else if (ngx_mobility_ucwa_is_method("PUT")) {
        rq->method = NGX_HTTP_PUT;

    } else if (ngx_mobility_ucwa_is_method("DELETE")) {
        rq->method = NGX_HTTP_DELETE;

    } else {
        rq->method = NGX_HTTP_UNKNOWN;
    }

#undef ngx_mobility_ucwa_is_method

    /* an absolute URL: keep the path */

    if (target.len > 8
        && (ngx_strncasecmp(target.data, (u_char *) "https://", 8) == 0
            || ngx_strncasecmp(target.data, (u_char *) "http://", 7) == 0))
    {
        q = ngx_strlchr(target.data + 8, target.data + target.len, '/');
        if (q == NULL) {
            return NGX_DECLINED;
        }

        target.len -= q - target.data;
        target.data = q;
    }

    q = ngx_strlchr(target.data, target.data + target.len, '?');

    path.data = ngx_pnalloc(rq->pool, target.len);
    if (path.data == NULL) {
        return NGX_ERROR;
    }

    src = target.data;
    dst = path.data;
    ngx_unescape_uri(&dst, &src, (q ? q : target.data + target.len)
                                 - target.data, NGX_UNESCAPE_URI);
    path.len = dst - path.data;

    if (q) {
        rq->args.data = q + 1;
        rq->args.len = target.data + target.len - q - 1;
    }

    if (ngx_mobility_ucwa_parse_path(&path, rq) != NGX_OK) {
        return NGX_DECLINED;
    }

    /* headers */

    while (p < last) {
        line = p;
        eol = ngx_mobility_ucwa_line(p, last, &next);
        p = next;

        if (eol == line) {
            break;
        }

        colon = ngx_strlchr(line, eol, ':');
        if (colon == NULL) {
            continue;
        }

        name.data = line;
        name.len = colon - line;

        value.data = colon + 1;

        while (value.data < eol && *value.data == ' ') {
            value.data++;
        }

        value.len = eol - value.data;

#define ngx_mobility_ucwa_is_header(h)                                        \
    (name.len == sizeof(h) - 1                                                \
     && ngx_strncasecmp(name.data, (u_char *) h, name.len) == 0)

        if (ngx_mobility_ucwa_is_header("Content-Type")) {
            rq->content_type = value;

        } else if (ngx_mobility_ucwa_is_header("Accept")) {
            rq->accept = value;

        } else if (ngx_mobility_ucwa_is_header("If-Match")) {
            rq->if_match = value;

        } else if (ngx_mobility_ucwa_is_header("If-None-Match")) {
            rq->if_none_match = value;
        }

#undef ngx_mobility_ucwa_is_header
    }

    rq->body.data = p;
    rq->body.len = last - p;
    rq->has_body = rq->body.len ? 1 : 0;

    rq->xml = ngx_mobility_ucwa_wants_xml(&rq->accept, &rq->content_type,
                                          &vnd);
    rq->vnd_json = vnd;

    return NGX_OK;
}


typedef struct {
    ngx_pool_t   *pool;
    ngx_array_t  *pieces;        /* ngx_str_t */
    size_t        len;
} ngx_mobility_ucwa_out_t;


static ngx_int_t
ngx_mobility_ucwa_out(ngx_mobility_ucwa_out_t *out, u_char *data, size_t len)
{
    ngx_str_t  *s;

    if (len == 0) {
        return NGX_OK;
    }

    s = ngx_array_push(out->pieces);
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->data = data;
    s->len = len;
    out->len += len;

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ucwa_part_response(ngx_mobility_ucwa_out_t *out,
    ngx_str_t *boundary, ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    u_char     *p, *head;
    size_t      len;
    ngx_str_t   body, type;

    ngx_str_null(&body);
    ngx_str_null(&type);

    if (rs->status == 0) {
        rs->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rs->status != NGX_HTTP_NO_CONTENT
        && ngx_mobility_ucwa_render(rq, rs, &body, &type) != NGX_OK)
    {
        return NGX_ERROR;
    }

    len = boundary->len + rs->etag.len + rs->location.len + type.len + 512;

    head = ngx_pnalloc(out->pool, len);
    if (head == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(head, "--%V" CRLF
                    "Content-Type: application/http; msgtype=response" CRLF
                    CRLF
                    "HTTP/1.1 %ui %s" CRLF,
                    boundary, rs->status,
                    ngx_mobility_ucwa_reason(rs->status));

    if (type.len) {
        p = ngx_sprintf(p, "Content-Type: %V" CRLF, &type);
    }

    if (rs->etag.len) {
        p = ngx_sprintf(p, "ETag: \"%V\"" CRLF, &rs->etag);
    }

    if (rs->location.len) {
        p = ngx_sprintf(p, "Location: %V" CRLF, &rs->location);
    }

    p = ngx_sprintf(p, "Content-Length: %uz" CRLF CRLF, body.len);

    if (ngx_mobility_ucwa_out(out, head, p - head) != NGX_OK
        || ngx_mobility_ucwa_out(out, body.data, body.len) != NGX_OK
        || ngx_mobility_ucwa_out(out, (u_char *) CRLF, 2) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ucwa_batch(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    u_char                    *p;
    ngx_int_t                  rc;
    ngx_str_t                  in, outb, *s;
    ngx_uint_t                 i;
    ngx_array_t               *parts;
    ngx_mobility_ucwa_out_t    out;
    ngx_mobility_ucwa_req_t    sub;
    ngx_mobility_ucwa_resp_t   srs;
    ngx_mobility_ucwa_part_t  *part;
    u_char                     guid[NGX_MOBILITY_UCWA_GUID_LEN + 1];

    if (ngx_strlcasestrn(rq->content_type.data,
                         rq->content_type.data + rq->content_type.len,
                         (u_char *) "multipart/batching", 18 - 1)
        == NULL)
    {
        return ngx_mobility_ucwa_error(rq, rs,
                                       NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                       "UnsupportedMediaType", NULL,
                                       "A batch is multipart/batching.");
    }

    if (ngx_mobility_ucwa_boundary(&rq->content_type, &in) != NGX_OK
        || (parts = ngx_mobility_ucwa_split(rq->pool, &rq->body, &in))
           == NULL)
    {
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_BAD_REQUEST,
                                       "BadRequest",
                                       "DeserializationFailure",
                                       "The batch could not be read.");
    }

    if (parts->nelts > NGX_MOBILITY_UCWA_BATCH_MAX) {
        /* nothing runs */
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_TOO_MANY_REQUESTS,
                                       "TooManyRequests", NULL,
                                       "A batch holds at most 100 "
                                       "requests.");
    }

    out.pool = rq->pool;
    out.len = 0;
    out.pieces = ngx_array_create(rq->pool, 4 * parts->nelts + 2,
                                  sizeof(ngx_str_t));
    if (out.pieces == NULL) {
        return NGX_ERROR;
    }

    ngx_mobility_ucwa_guid(guid);

    outb.data = ngx_pnalloc(rq->pool, sizeof("batch_") - 1
                                      + NGX_MOBILITY_UCWA_GUID_LEN);
    if (outb.data == NULL) {
        return NGX_ERROR;
    }

    outb.len = ngx_sprintf(outb.data, "batch_%*s",
                           (size_t) NGX_MOBILITY_UCWA_GUID_LEN, guid)
               - outb.data;

    part = parts->elts;

    for (i = 0; i < parts->nelts; i++) {

        ngx_memzero(&srs, sizeof(ngx_mobility_ucwa_resp_t));

        rc = ngx_mobility_ucwa_part_request(rq, &part[i], &sub);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            rc = ngx_mobility_ucwa_error(&sub, &srs, NGX_HTTP_BAD_REQUEST,
                                         "BadRequest", NULL,
                                         "The request could not be read.");

        } else {
            rc = ngx_mobility_ucwa_parse_input(&sub, &srs);

            if (rc == NGX_OK) {
                rc = ngx_mobility_ucwa_dispatch(&sub, &srs);

            } else if (rc == NGX_DECLINED) {
                rc = NGX_OK;
            }
        }

        if (rc != NGX_OK) {
            ngx_memzero(&srs, sizeof(ngx_mobility_ucwa_resp_t));
            (void) ngx_mobility_ucwa_store_error(&sub, &srs, NULL);
        }

        if (sub.due && (rq->due == 0 || sub.due < rq->due)) {
            rq->due = sub.due;
        }

        if (ngx_mobility_ucwa_part_response(&out, &outb, &sub, &srs)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    p = ngx_pnalloc(rq->pool, outb.len + 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_out(&out, p,
                              ngx_sprintf(p, "--%V--" CRLF, &outb) - p)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rs->raw.data = ngx_pnalloc(rq->pool, out.len);
    if (rs->raw.data == NULL) {
        return NGX_ERROR;
    }

    p = rs->raw.data;
    s = out.pieces->elts;

    for (i = 0; i < out.pieces->nelts; i++) {
        p = ngx_cpymem(p, s[i].data, s[i].len);
    }

    rs->raw.len = p - rs->raw.data;

    rs->raw_type.data = ngx_pnalloc(rq->pool, sizeof("multipart/batching; "
                                                     "boundary=\"\"")
                                              + outb.len);
    if (rs->raw_type.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(rs->raw_type.data, "multipart/batching; boundary=\"%V\"",
                    &outb);
    *p = '\0';
    rs->raw_type.len = p - rs->raw_type.data;

    rs->status = NGX_HTTP_OK;
    rs->no_etag = 1;

    return NGX_OK;
}
