/*
 * Copyright (C) The nginx mobility authors
 *
 * What the XML renderers share on top of libxml2.
 */

#include "ngx_mobility_xml.h"


ngx_int_t
ngx_mobility_xml_dump(xmlDocPtr doc, ngx_pool_t *pool, ngx_str_t *out)
{
    int       size;
    xmlChar  *mem;

    mem = NULL;
    size = 0;

    xmlDocDumpMemoryEnc(doc, &mem, &size, "utf-8");

    if (mem == NULL || size <= 0) {
        if (mem) {
            xmlFree(mem);
        }

        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(pool, size);
    if (out->data == NULL) {
        xmlFree(mem);
        return NGX_ERROR;
    }

    out->len = size;
    ngx_memcpy(out->data, mem, size);

    xmlFree(mem);

    return NGX_OK;
}
