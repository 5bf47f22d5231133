/*
 * Copyright (C) The nginx mobility authors
 *
 * The XFrame page (/Autodiscover/XFrame/XFrame.html): the cross-domain
 * bridge browser UCWA applications load in a hidden iframe.  The parent
 * posts a JSON string
 *
 *     {url,type,accepts,contentType,data,headers,processData,cache,
 *      xhrFields,messageId}
 *
 * the page accepts it only from an origin of the admin's allow-list
 * (mobility_allow_origin), performs the request on its own origin with
 * X-Ms-Origin and X-Requested-With, and posts back to that origin only
 *
 *     {status,statusText,responseText,headers,messageId}
 *
 * with headers as the raw "Name: value\r\n..." block.  The allow-list is
 * built into the page once per location, at configuration time.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>

#include "ngx_mobility_autodiscover.h"


static u_char  ngx_mobility_ad_xframe_head[] =
"<!DOCTYPE html>" CRLF
"<html><head><meta charset=\"utf-8\"><title>XFrame</title></head>" CRLF
"<body><script>" CRLF
"(function () {" CRLF
"    \"use strict\";" CRLF
"    var allowed = "
;


static u_char  ngx_mobility_ad_xframe_tail[] =
";" CRLF
"    var own = Object.prototype.hasOwnProperty;" CRLF
CRLF
"    function norm(o) {" CRLF
"        return String(o).replace(/\\/+$/, \"\").toLowerCase();" CRLF
"    }" CRLF
CRLF
"    function permitted(origin) {" CRLF
"        var i;" CRLF
"        for (i = 0; i < allowed.length; i++) {" CRLF
"            if (norm(allowed[i]) === norm(origin)) {" CRLF
"                return true;" CRLF
"            }" CRLF
"        }" CRLF
"        return false;" CRLF
"    }" CRLF
CRLF
"    function param(data) {" CRLF
"        var k, out = [];" CRLF
"        for (k in data) {" CRLF
"            if (own.call(data, k)) {" CRLF
"                out.push(encodeURIComponent(k) + \"=\"" CRLF
"                         + encodeURIComponent(data[k] == null" CRLF
"                                              ? \"\" : data[k]));" CRLF
"            }" CRLF
"        }" CRLF
"        return out.join(\"&\");" CRLF
"    }" CRLF
CRLF
"    function headers(xhr, req, body, origin) {" CRLF
"        var k, h = req.headers, f = req.xhrFields;" CRLF
CRLF
"        if (typeof req.accepts === \"string\" && req.accepts !== \"\") {" CRLF
"            xhr.setRequestHeader(\"Accept\", req.accepts);" CRLF
"        }" CRLF
"        if (body != null && req.contentType !== false) {" CRLF
"            xhr.setRequestHeader(\"Content-Type\", req.contentType" CRLF
"                || \"application/x-www-form-urlencoded; charset=UTF-8\");" CRLF
"        }" CRLF
"        if (h && typeof h === \"object\") {" CRLF
"            for (k in h) {" CRLF
"                if (own.call(h, k)) {" CRLF
"                    xhr.setRequestHeader(k, String(h[k]));" CRLF
"                }" CRLF
"            }" CRLF
"        }" CRLF
"        xhr.setRequestHeader(\"X-Ms-Origin\", origin);" CRLF
"        xhr.setRequestHeader(\"X-Requested-With\", \"XMLHttpRequest\");" CRLF
CRLF
"        if (f && typeof f === \"object\") {" CRLF
"            if (own.call(f, \"withCredentials\")) {" CRLF
"                xhr.withCredentials = !!f.withCredentials;" CRLF
"            }" CRLF
"            if (typeof f.timeout === \"number\") {" CRLF
"                xhr.timeout = f.timeout;" CRLF
"            }" CRLF
"        }" CRLF
"    }" CRLF
CRLF
"    window.addEventListener(\"message\", function (event) {" CRLF
"        var origin = event.origin, source = event.source," CRLF
"            req, url, method, body, xhr;" CRLF
CRLF
"        if (!source || !permitted(origin)) {" CRLF
"            return;" CRLF
"        }" CRLF
CRLF
"        function reply(status, statusText, text, hdrs) {" CRLF
"            source.postMessage(JSON.stringify({" CRLF
"                status: status, statusText: statusText," CRLF
"                responseText: text, headers: hdrs," CRLF
"                messageId: req.messageId" CRLF
"            }), origin);" CRLF
"        }" CRLF
CRLF
"        try {" CRLF
"            req = typeof event.data === \"string\"" CRLF
"                  ? JSON.parse(event.data) : event.data;" CRLF
"        } catch (e) {" CRLF
"            return;" CRLF
"        }" CRLF
CRLF
"        if (!req || typeof req !== \"object\"" CRLF
"            || typeof req.url !== \"string\")" CRLF
"        {" CRLF
"            return;" CRLF
"        }" CRLF
CRLF
"        try {" CRLF
"            url = new URL(req.url, location.href);" CRLF
"        } catch (e) {" CRLF
"            url = null;" CRLF
"        }" CRLF
CRLF
"        if (!url || url.origin !== location.origin) {" CRLF
"            reply(0, \"Cross-origin URL refused\", \"\", \"\");" CRLF
"            return;" CRLF
"        }" CRLF
CRLF
"        url = url.href;" CRLF
"        method = String(req.type || \"GET\").toUpperCase();" CRLF
"        body = req.data;" CRLF
CRLF
"        if (body != null && typeof body === \"object\"" CRLF
"            && req.processData !== false)" CRLF
"        {" CRLF
"            body = param(body);" CRLF
"        }" CRLF
CRLF
"        if (method === \"GET\" || method === \"HEAD\") {" CRLF
"            if (typeof body === \"string\" && body !== \"\") {" CRLF
"                url += (url.indexOf(\"?\") < 0 ? \"?\" : \"&\") + body;" CRLF
"            }" CRLF
"            if (req.cache === false) {" CRLF
"                url += (url.indexOf(\"?\") < 0 ? \"?\" : \"&\")" CRLF
"                       + \"_=\" + Date.now();" CRLF
"            }" CRLF
"            body = null;" CRLF
"        }" CRLF
CRLF
"        xhr = new XMLHttpRequest();" CRLF
CRLF
"        xhr.onreadystatechange = function () {" CRLF
"            if (xhr.readyState === 4) {" CRLF
"                reply(xhr.status, xhr.statusText, xhr.responseText," CRLF
"                      xhr.getAllResponseHeaders());" CRLF
"            }" CRLF
"        };" CRLF
CRLF
"        try {" CRLF
"            xhr.open(method, url, true);" CRLF
"            headers(xhr, req, body, origin);" CRLF
"            xhr.send(body == null ? null : String(body));" CRLF
CRLF
"        } catch (e) {" CRLF
"            xhr.onreadystatechange = null;" CRLF
"            reply(0, String(e && e.message || e), \"\", \"\");" CRLF
"        }" CRLF
"    }, false);" CRLF
"}());" CRLF
"</script></body></html>" CRLF
;


ngx_int_t
ngx_mobility_ad_xframe_page(ngx_array_t *origins, ngx_pool_t *pool,
    ngx_log_t *log, ngx_str_t *page)
{
    char        *s;
    u_char      *p, *c;
    size_t       len;
    json_t      *list;
    ngx_str_t   *o;
    ngx_uint_t   i;

    list = json_array();
    if (list == NULL) {
        return NGX_ERROR;
    }

    o = origins ? origins->elts : NULL;

    for (i = 0; origins && i < origins->nelts; i++) {
        if (json_array_append_new(list,
                                  json_stringn((char *) o[i].data, o[i].len))
            != 0)
        {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "mobility_allow_origin \"%V\" is not UTF-8, "
                          "left out of the XFrame page", &o[i]);
        }
    }

    /* ASCII only: no U+2028/U+2029 line breaks inside the script */

    s = json_dumps(list, JSON_COMPACT|JSON_ENSURE_ASCII);

    json_decref(list);

    if (s == NULL) {
        return NGX_ERROR;
    }

    /* "<", ">" and "&" occur in strings only; each becomes "\u00XX" */

    len = sizeof(ngx_mobility_ad_xframe_head) - 1
          + sizeof(ngx_mobility_ad_xframe_tail) - 1;

    for (c = (u_char *) s; *c; c++) {
        len += (*c == '<' || *c == '>' || *c == '&') ? 6 : 1;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        free(s);
        return NGX_ERROR;
    }

    page->data = p;
    page->len = len;

    p = ngx_cpymem(p, ngx_mobility_ad_xframe_head,
                   sizeof(ngx_mobility_ad_xframe_head) - 1);

    for (c = (u_char *) s; *c; c++) {
        if (*c == '<' || *c == '>' || *c == '&') {
            p = ngx_sprintf(p, "\\u%04xd", (int) *c);

        } else {
            *p++ = *c;
        }
    }

    ngx_memcpy(p, ngx_mobility_ad_xframe_tail,
               sizeof(ngx_mobility_ad_xframe_tail) - 1);

    free(s);

    return NGX_OK;
}
