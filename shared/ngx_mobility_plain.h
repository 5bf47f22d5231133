/*
 * Copyright (C) The nginx mobility authors
 *
 * The few nginx types and string helpers a shared file needs, for the
 * builds without nginx: the admin CLI compiles such files with
 * -DNGX_MOBILITY_PLAIN_C.  In nginx builds this is ngx_core.h itself.
 */

#ifndef _NGX_MOBILITY_PLAIN_H_INCLUDED_
#define _NGX_MOBILITY_PLAIN_H_INCLUDED_


#ifdef NGX_MOBILITY_PLAIN_C

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>


typedef uintptr_t  ngx_uint_t;

typedef struct {
    size_t     len;
    u_char    *data;
} ngx_str_t;


#define NGX_OK         0
#define NGX_DECLINED  -5

#define ngx_memcpy(dst, src, n)   (void) memcpy(dst, src, n)
#define ngx_cpymem(dst, src, n)   (((u_char *) memcpy(dst, src, n)) + (n))
#define ngx_memcmp(s1, s2, n)     memcmp(s1, s2, n)
#define ngx_memzero(buf, n)       (void) memset(buf, 0, n)
#define ngx_strncmp(s1, s2, n)                                                \
    strncmp((const char *) (s1), (const char *) (s2), n)
#define ngx_strncasecmp(s1, s2, n)                                            \
    strncasecmp((const char *) (s1), (const char *) (s2), n)


static inline u_char *
ngx_strlchr(u_char *p, u_char *last, u_char c)
{
    while (p < last) {

        if (*p == c) {
            return p;
        }

        p++;
    }

    return NULL;
}


static inline u_char *
ngx_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static const u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}

#else

#include <ngx_config.h>
#include <ngx_core.h>

#endif


#endif /* _NGX_MOBILITY_PLAIN_H_INCLUDED_ */
