/*
 * Copyright (C) The nginx mobility authors
 *
 * What the XML renderers (autodiscover, UCWA's application/vnd.microsoft.
 * com.ucwa+xml) share on top of libxml2.
 */

#ifndef _NGX_MOBILITY_XML_H_INCLUDED_
#define _NGX_MOBILITY_XML_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <libxml/tree.h>


/* doc serialized as UTF-8 into a pool copy at out */
ngx_int_t ngx_mobility_xml_dump(xmlDocPtr doc, ngx_pool_t *pool,
    ngx_str_t *out);


#endif /* _NGX_MOBILITY_XML_H_INCLUDED_ */
