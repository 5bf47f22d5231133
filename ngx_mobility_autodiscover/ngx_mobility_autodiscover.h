/*
 * Copyright (C) The nginx mobility authors
 *
 * Autodiscover (ngx_http_mobility_autodiscover_module): the document
 * model the handler fills and the renderers that turn it into one of the
 * four representations, content negotiation, and the XFrame page.
 */

#ifndef _NGX_MOBILITY_AUTODISCOVER_H_INCLUDED_
#define _NGX_MOBILITY_AUTODISCOVER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_mobility.h"


/* representations, chosen by Accept */
#define NGX_MOBILITY_AD_HAL           0  /* application/json, HAL _links */
#define NGX_MOBILITY_AD_VND_XML       1  /* ...rtc.autodiscover+xml; v=1 */
#define NGX_MOBILITY_AD_VND_JSON      2  /* ...rtc.autodiscover+json; v=1 */
#define NGX_MOBILITY_AD_UCWA_XML      3  /* application/xml              */
#define NGX_MOBILITY_AD_UCWA_VND_XML  4  /* ...com.ucwa+xml, same body   */
#define NGX_MOBILITY_AD_NREPR         5

/* resources */
#define NGX_MOBILITY_AD_ROOT          0
#define NGX_MOBILITY_AD_USER          1
#define NGX_MOBILITY_AD_DOMAIN        2

#define NGX_MOBILITY_AD_LINKS_MAX     24


typedef struct {
    const char                    *token;  /* vendor token; NULL: none  */
    const char                    *rel;    /* HAL/UCWA rel; NULL: none  */
    ngx_str_t                      href;   /* absolute, NUL-terminated  */
} ngx_mobility_ad_link_t;


typedef struct {
    ngx_uint_t                     resource;
    ngx_uint_t                     access;
    ngx_str_t                      self;   /* UCWA <resource href="">   */
    ngx_http_mobility_endpoint_t  *sip_internal;   /* NULL: omitted     */
    ngx_http_mobility_endpoint_t  *sip_external;
    ngx_uint_t                     nlinks;
    ngx_mobility_ad_link_t         links[NGX_MOBILITY_AD_LINKS_MAX];
} ngx_mobility_ad_doc_t;


extern ngx_str_t  ngx_mobility_ad_content_types[NGX_MOBILITY_AD_NREPR];


/* picks the representation for an Accept header value (NULL: none) */
ngx_uint_t ngx_mobility_ad_negotiate(ngx_str_t *accept);

/* renders doc into out (allocated from pool); NGX_OK or NGX_ERROR */
ngx_int_t ngx_mobility_ad_render(ngx_mobility_ad_doc_t *doc,
    ngx_uint_t repr, ngx_pool_t *pool, ngx_log_t *log, ngx_str_t *out);

/* builds the XFrame page for an allow-list of ngx_str_t origins */
ngx_int_t ngx_mobility_ad_xframe_page(ngx_array_t *origins,
    ngx_pool_t *pool, ngx_log_t *log, ngx_str_t *page);


#endif /* _NGX_MOBILITY_AUTODISCOVER_H_INCLUDED_ */
