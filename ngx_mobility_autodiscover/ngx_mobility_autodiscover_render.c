/*
 * Copyright (C) The nginx mobility authors
 *
 * The four Autodiscover representations of one document, and the choice
 * between them by Accept:
 *
 *   HAL JSON      application/json: {"_links":{"self":{"href":...},...}}
 *   vendor XML    <AutodiscoverResponse AccessLocation=..><Root><Link/>..
 *   vendor JSON   {"AccessLocation":..,"Root":{"Links":[{token,href}]}}
 *   UCWA XML      <resource rel="root" href=.. xmlns=ucwa><link/>..
 *
 * HAL is the default; the others are served only when named in Accept.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "ngx_mobility_autodiscover.h"
#include "ngx_mobility_xml.h"


#define NGX_MOBILITY_AD_XSD_NS   "http://www.w3.org/2001/XMLSchema"
#define NGX_MOBILITY_AD_XSI_NS   "http://www.w3.org/2001/XMLSchema-instance"
#define NGX_MOBILITY_AD_UCWA_NS  "http://schemas.microsoft.com/rtc/2012/03/ucwa"


typedef struct {
    ngx_str_t     type;
    ngx_uint_t    repr;
} ngx_mobility_ad_media_t;


static ngx_int_t ngx_mobility_ad_parse_q(u_char *p, u_char *last,
    ngx_uint_t *q);
static ngx_int_t ngx_mobility_ad_render_hal(ngx_mobility_ad_doc_t *doc,
    ngx_pool_t *pool, ngx_str_t *out);
static ngx_int_t ngx_mobility_ad_hal_link(json_t *links,
    ngx_mobility_ad_link_t *l);
static ngx_int_t ngx_mobility_ad_render_vnd_json(ngx_mobility_ad_doc_t *doc,
    ngx_pool_t *pool, ngx_str_t *out);
static json_t *ngx_mobility_ad_json_access(ngx_http_mobility_endpoint_t *ep);
static ngx_int_t ngx_mobility_ad_json_dump(json_t *json, ngx_pool_t *pool,
    ngx_str_t *out);
static ngx_int_t ngx_mobility_ad_render_vnd_xml(ngx_mobility_ad_doc_t *doc,
    ngx_pool_t *pool, ngx_str_t *out);
static ngx_int_t ngx_mobility_ad_xml_access(xmlNodePtr parent,
    const char *name, ngx_http_mobility_endpoint_t *ep, ngx_pool_t *pool);
static ngx_int_t ngx_mobility_ad_xml_child(xmlNodePtr parent, xmlNsPtr ns,
    const char *name, const char *attr1, const u_char *value1,
    const char *attr2, const u_char *value2);
static ngx_int_t ngx_mobility_ad_render_ucwa_xml(ngx_mobility_ad_doc_t *doc,
    ngx_pool_t *pool, ngx_str_t *out);


ngx_str_t  ngx_mobility_ad_content_types[NGX_MOBILITY_AD_NREPR] = {
    ngx_string("application/json"),
    ngx_string("application/vnd.microsoft.rtc.autodiscover+xml; v=1"),
    ngx_string("application/vnd.microsoft.rtc.autodiscover+json; v=1"),
    ngx_string("application/xml"),
    ngx_string("application/vnd.microsoft.com.ucwa+xml")
};


static ngx_mobility_ad_media_t  ngx_mobility_ad_media[] = {

    { ngx_string("application/vnd.microsoft.rtc.autodiscover+xml"),
      NGX_MOBILITY_AD_VND_XML },

    { ngx_string("application/vnd.microsoft.rtc.autodiscover+json"),
      NGX_MOBILITY_AD_VND_JSON },

    { ngx_string("application/xml"), NGX_MOBILITY_AD_UCWA_XML },

    { ngx_string("application/vnd.microsoft.com.ucwa+xml"),
      NGX_MOBILITY_AD_UCWA_VND_XML },

    { ngx_string("application/json"), NGX_MOBILITY_AD_HAL },

    { ngx_string("application/vnd.microsoft.com.ucwa+json"),
      NGX_MOBILITY_AD_HAL },

    { ngx_null_string, 0 }
};


static const char  *ngx_mobility_ad_elements[] = { "Root", "User", "Domain" };
static const char  *ngx_mobility_ad_rels[] = { "root", "user", "domain" };


/* RFC 7230 tchar */
#define ngx_mobility_ad_tchar(c)                                              \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')                \
     || ((c) >= '0' && (c) <= '9')                                            \
     || ((c) != '\0' && ngx_strchr("!#$%&'*+-.^_`|~", (c)) != NULL))

#define ngx_mobility_ad_ows(p, last)                                          \
    while ((p) < (last) && (*(p) == ' ' || *(p) == '\t')) { (p)++; }


/*
 * Accept: the explicitly named type with the highest q wins, ties going
 * to the first named; q=0 means "not acceptable".  Anything unnamed, a
 * wildcard, an empty or a malformed header gives HAL JSON.
 */

ngx_uint_t
ngx_mobility_ad_negotiate(ngx_str_t *accept)
{
    u_char                   *p, *last, *start, *range, *name, *value;
    size_t                    len;
    ngx_uint_t                q, best, best_q;
    ngx_mobility_ad_media_t  *m;

    if (accept == NULL || accept->len == 0) {
        return NGX_MOBILITY_AD_HAL;
    }

    p = accept->data;
    last = p + accept->len;

    best = NGX_MOBILITY_AD_HAL;
    best_q = 0;

    for ( ;; ) {

        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        if (p == last) {
            break;
        }

        /* type "/" subtype */

        range = p;

        while (p < last && ngx_mobility_ad_tchar(*p)) {
            p++;
        }

        if (p == range || p == last || *p != '/') {
            return NGX_MOBILITY_AD_HAL;
        }

        start = ++p;

        while (p < last && ngx_mobility_ad_tchar(*p)) {
            p++;
        }

        if (p == start) {
            return NGX_MOBILITY_AD_HAL;
        }

        len = p - range;
        q = 1000;

        /* *( OWS ";" OWS parameter ) */

        for ( ;; ) {
            ngx_mobility_ad_ows(p, last);

            if (p == last || *p != ';') {
                break;
            }

            p++;
            ngx_mobility_ad_ows(p, last);

            name = p;

            while (p < last && ngx_mobility_ad_tchar(*p)) {
                p++;
            }

            if (p == name) {
                /* "type/sub;" or "type/sub; ," */
                continue;
            }

            start = p;
            ngx_mobility_ad_ows(p, last);

            if (p == last || *p != '=') {
                return NGX_MOBILITY_AD_HAL;
            }

            p++;
            ngx_mobility_ad_ows(p, last);

            value = p;

            if (p < last && *p == '"') {
                for (p++; p < last && *p != '"'; p++) {
                    if (*p == '\\' && p + 1 < last) {
                        p++;
                    }
                }

                if (p == last) {
                    return NGX_MOBILITY_AD_HAL;
                }

                p++;

            } else {
                while (p < last && ngx_mobility_ad_tchar(*p)) {
                    p++;
                }

                if (p == value) {
                    return NGX_MOBILITY_AD_HAL;
                }
            }

            if (start - name == 1 && (*name == 'q' || *name == 'Q')) {
                if (ngx_mobility_ad_parse_q(value, p, &q) != NGX_OK) {
                    return NGX_MOBILITY_AD_HAL;
                }
            }
        }

        if (p < last && *p != ',') {
            return NGX_MOBILITY_AD_HAL;
        }

        if (q <= best_q) {
            continue;
        }

        for (m = ngx_mobility_ad_media; m->type.len; m++) {
            if (m->type.len == len
                && ngx_strncasecmp(m->type.data, range, len) == 0)
            {
                best = m->repr;
                best_q = q;
                break;
            }
        }
    }

    return best;
}


/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in 1/1000 */

static ngx_int_t
ngx_mobility_ad_parse_q(u_char *p, u_char *last, ngx_uint_t *q)
{
    ngx_uint_t  v, n;

    if (p == last || (*p != '0' && *p != '1')) {
        return NGX_ERROR;
    }

    v = (*p++ - '0') * 1000;

    if (p < last) {
        if (*p++ != '.') {
            return NGX_ERROR;
        }

        for (n = 100; p < last; p++, n /= 10) {
            if (*p < '0' || *p > '9' || n == 0) {
                return NGX_ERROR;
            }

            v += (*p - '0') * n;
        }
    }

    if (v > 1000) {
        return NGX_ERROR;
    }

    *q = v;

    return NGX_OK;
}


ngx_int_t
ngx_mobility_ad_render(ngx_mobility_ad_doc_t *doc, ngx_uint_t repr,
    ngx_pool_t *pool, ngx_log_t *log, ngx_str_t *out)
{
    ngx_int_t  rc;

    switch (repr) {

    case NGX_MOBILITY_AD_VND_XML:
        rc = ngx_mobility_ad_render_vnd_xml(doc, pool, out);
        break;

    case NGX_MOBILITY_AD_VND_JSON:
        rc = ngx_mobility_ad_render_vnd_json(doc, pool, out);
        break;

    case NGX_MOBILITY_AD_UCWA_XML:
    case NGX_MOBILITY_AD_UCWA_VND_XML:
        rc = ngx_mobility_ad_render_ucwa_xml(doc, pool, out);
        break;

    default: /* NGX_MOBILITY_AD_HAL */
        rc = ngx_mobility_ad_render_hal(doc, pool, out);
        break;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "mobility autodiscover: rendering \"%V\" failed",
                      &ngx_mobility_ad_content_types[repr]);
    }

    return rc;
}


static ngx_int_t
ngx_mobility_ad_render_hal(ngx_mobility_ad_doc_t *doc, ngx_pool_t *pool,
    ngx_str_t *out)
{
    ngx_int_t                rc;
    ngx_uint_t               i;
    json_t                  *root, *links;
    ngx_mobility_ad_link_t  *l;

    root = json_object();
    links = json_object();

    if (json_object_set_new(root, "_links", links) != 0) {
        json_decref(root);
        return NGX_ERROR;
    }

    /* "self" first, then the others in document order */

    for (i = 0; i < doc->nlinks; i++) {
        l = &doc->links[i];

        if (l->rel && ngx_strcmp(l->rel, "self") == 0
            && ngx_mobility_ad_hal_link(links, l) != NGX_OK)
        {
            json_decref(root);
            return NGX_ERROR;
        }
    }

    for (i = 0; i < doc->nlinks; i++) {
        l = &doc->links[i];

        if (l->rel && ngx_strcmp(l->rel, "self") != 0
            && ngx_mobility_ad_hal_link(links, l) != NGX_OK)
        {
            json_decref(root);
            return NGX_ERROR;
        }
    }

    rc = ngx_mobility_ad_json_dump(root, pool, out);

    json_decref(root);

    return rc;
}


static ngx_int_t
ngx_mobility_ad_hal_link(json_t *links, ngx_mobility_ad_link_t *l)
{
    json_t  *link;

    link = json_object();

    /* json_object_set_new() consumes the value even when it fails */

    if (json_object_set_new(links, l->rel, link) != 0
        || json_object_set_new(link, "href",
                               json_stringn((char *) l->href.data,
                                            l->href.len))
           != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ad_render_vnd_json(ngx_mobility_ad_doc_t *doc, ngx_pool_t *pool,
    ngx_str_t *out)
{
    ngx_int_t                rc;
    ngx_uint_t               i;
    json_t                  *root, *res, *links, *link;
    ngx_mobility_ad_link_t  *l;

    root = json_object();
    res = json_object();

    /* json_object_set_new() consumes the value even when it fails */

    if (json_object_set_new(root, "AccessLocation",
                            json_string(doc->access
                                        == NGX_HTTP_MOBILITY_INTERNAL
                                        ? "Internal" : "External"))
        != 0)
    {
        json_decref(res);
        json_decref(root);
        return NGX_ERROR;
    }

    if (json_object_set_new(root, ngx_mobility_ad_elements[doc->resource],
                            res)
        != 0)
    {
        json_decref(root);
        return NGX_ERROR;
    }

    if ((doc->sip_internal
         && json_object_set_new(res, "SipClientInternalAccess",
                                ngx_mobility_ad_json_access(doc->sip_internal))
            != 0)
        || (doc->sip_external
            && json_object_set_new(res, "SipClientExternalAccess",
                               ngx_mobility_ad_json_access(doc->sip_external))
               != 0))
    {
        json_decref(root);
        return NGX_ERROR;
    }

    links = json_array();

    if (json_object_set_new(res, "Links", links) != 0) {
        json_decref(root);
        return NGX_ERROR;
    }

    for (i = 0; i < doc->nlinks; i++) {
        l = &doc->links[i];

        if (l->token == NULL) {
            continue;
        }

        link = json_object();

        if (json_array_append_new(links, link) != 0
            || json_object_set_new(link, "token", json_string(l->token)) != 0
            || json_object_set_new(link, "href",
                                   json_stringn((char *) l->href.data,
                                                l->href.len))
               != 0)
        {
            json_decref(root);
            return NGX_ERROR;
        }
    }

    rc = ngx_mobility_ad_json_dump(root, pool, out);

    json_decref(root);

    return rc;
}


static json_t *
ngx_mobility_ad_json_access(ngx_http_mobility_endpoint_t *ep)
{
    json_t  *o;

    o = json_object();

    if (json_object_set_new(o, "fqdn",
                            json_stringn((char *) ep->host.data, ep->host.len))
        != 0
        || json_object_set_new(o, "port", json_integer(ep->port)) != 0)
    {
        json_decref(o);
        return NULL;
    }

    return o;
}


static ngx_int_t
ngx_mobility_ad_json_dump(json_t *json, ngx_pool_t *pool, ngx_str_t *out)
{
    char    *s;
    size_t   len;

    s = json_dumps(json, JSON_COMPACT|JSON_PRESERVE_ORDER);
    if (s == NULL) {
        return NGX_ERROR;
    }

    len = ngx_strlen(s);

    out->data = ngx_pnalloc(pool, len);
    if (out->data == NULL) {
        free(s);
        return NGX_ERROR;
    }

    out->len = len;
    ngx_memcpy(out->data, s, len);

    free(s);

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ad_render_vnd_xml(ngx_mobility_ad_doc_t *doc, ngx_pool_t *pool,
    ngx_str_t *out)
{
    ngx_int_t                rc;
    ngx_uint_t               i;
    xmlDocPtr                xml;
    xmlNodePtr               root, res;
    ngx_mobility_ad_link_t  *l;

    xml = xmlNewDoc(BAD_CAST "1.0");
    if (xml == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    root = xmlNewNode(NULL, BAD_CAST "AutodiscoverResponse");
    if (root == NULL) {
        goto done;
    }

    xmlDocSetRootElement(xml, root);

    if (xmlNewNs(root, BAD_CAST NGX_MOBILITY_AD_XSD_NS, BAD_CAST "xsd") == NULL
        || xmlNewNs(root, BAD_CAST NGX_MOBILITY_AD_XSI_NS, BAD_CAST "xsi")
           == NULL
        || xmlNewProp(root, BAD_CAST "AccessLocation",
                      BAD_CAST (doc->access == NGX_HTTP_MOBILITY_INTERNAL
                                ? "Internal" : "External"))
           == NULL)
    {
        goto done;
    }

    res = xmlNewChild(root, NULL,
                      BAD_CAST ngx_mobility_ad_elements[doc->resource], NULL);
    if (res == NULL) {
        goto done;
    }

    if (ngx_mobility_ad_xml_access(res, "SipClientInternalAccess",
                                   doc->sip_internal, pool)
        != NGX_OK
        || ngx_mobility_ad_xml_access(res, "SipClientExternalAccess",
                                      doc->sip_external, pool)
           != NGX_OK)
    {
        goto done;
    }

    for (i = 0; i < doc->nlinks; i++) {
        l = &doc->links[i];

        if (l->token == NULL) {
            continue;
        }

        if (ngx_mobility_ad_xml_child(res, NULL, "Link",
                                      "token", (const u_char *) l->token,
                                      "href", l->href.data)
            != NGX_OK)
        {
            goto done;
        }
    }

    rc = ngx_mobility_xml_dump(xml, pool, out);

done:

    xmlFreeDoc(xml);

    return rc;
}


static ngx_int_t
ngx_mobility_ad_xml_access(xmlNodePtr parent, const char *name,
    ngx_http_mobility_endpoint_t *ep, ngx_pool_t *pool)
{
    u_char  *fqdn, port[NGX_INT_T_LEN + 1];

    if (ep == NULL) {
        return NGX_OK;
    }

    fqdn = ngx_pnalloc(pool, ep->host.len + 1);
    if (fqdn == NULL) {
        return NGX_ERROR;
    }

    *ngx_cpymem(fqdn, ep->host.data, ep->host.len) = '\0';
    *ngx_sprintf(port, "%ui", ep->port) = '\0';

    return ngx_mobility_ad_xml_child(parent, NULL, name, "fqdn", fqdn,
                                     "port", port);
}


/* an element with two attributes */
static ngx_int_t
ngx_mobility_ad_xml_child(xmlNodePtr parent, xmlNsPtr ns, const char *name,
    const char *attr1, const u_char *value1, const char *attr2,
    const u_char *value2)
{
    xmlNodePtr  node;

    node = xmlNewChild(parent, ns, BAD_CAST name, NULL);

    if (node == NULL
        || xmlNewProp(node, BAD_CAST attr1, value1) == NULL
        || xmlNewProp(node, BAD_CAST attr2, value2) == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_mobility_ad_render_ucwa_xml(ngx_mobility_ad_doc_t *doc, ngx_pool_t *pool,
    ngx_str_t *out)
{
    ngx_int_t                rc;
    ngx_uint_t               i;
    xmlNsPtr                 ns;
    xmlDocPtr                xml;
    xmlNodePtr               root;
    ngx_mobility_ad_link_t  *l;

    xml = xmlNewDoc(BAD_CAST "1.0");
    if (xml == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_ERROR;

    root = xmlNewNode(NULL, BAD_CAST "resource");
    if (root == NULL) {
        goto done;
    }

    xmlDocSetRootElement(xml, root);

    ns = xmlNewNs(root, BAD_CAST NGX_MOBILITY_AD_UCWA_NS, NULL);
    if (ns == NULL) {
        goto done;
    }

    xmlSetNs(root, ns);

    if (xmlNewProp(root, BAD_CAST "rel",
                   BAD_CAST ngx_mobility_ad_rels[doc->resource])
        == NULL
        || xmlNewProp(root, BAD_CAST "href", doc->self.data) == NULL)
    {
        goto done;
    }

    for (i = 0; i < doc->nlinks; i++) {
        l = &doc->links[i];

        /* "self" is the resource's own href */

        if (l->rel == NULL || ngx_strcmp(l->rel, "self") == 0) {
            continue;
        }

        if (ngx_mobility_ad_xml_child(root, ns, "link",
                                      "rel", (const u_char *) l->rel,
                                      "href", l->href.data)
            != NGX_OK)
        {
            goto done;
        }
    }

    rc = ngx_mobility_xml_dump(xml, pool, out);

done:

    xmlFreeDoc(xml);

    return rc;
}
