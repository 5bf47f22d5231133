/*
 * Copyright (C) The nginx mobility authors
 */


#include <string.h>
#include <strings.h>

#include "ngx_mobility_sip.h"


static u_char
ngx_mobility_lower(u_char c)
{
    return (c >= 'A' && c <= 'Z') ? (u_char) (c | 0x20) : c;
}


int
ngx_mobility_domain_canon(const u_char *in, size_t len, u_char *out)
{
    size_t  i, label;
    u_char  c;

    if (len == 0 || len > NGX_MOBILITY_DOMAIN_MAX
        || in[0] == '.' || in[len - 1] == '.')
    {
        return -1;
    }

    label = 0;

    for (i = 0; i < len; i++) {
        c = ngx_mobility_lower(in[i]);

        if (c == '.') {
            if (label == 0 || out[i - 1] == '-') {
                return -1;
            }

            label = 0;

        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            label++;

        } else if (c == '-' && label > 0) {
            label++;

        } else {
            return -1;
        }

        if (label > 63) {
            return -1;
        }

        out[i] = c;
    }

    if (out[len - 1] == '-') {
        return -1;
    }

    out[len] = '\0';

    return (int) len;
}


int
ngx_mobility_sip_canon(const u_char *in, size_t len, u_char *out,
    const u_char **domain)
{
    size_t         i, ulen;
    u_char         c;
    const u_char  *at;

    if (len >= 4 && strncasecmp((const char *) in, "sip:", 4) == 0) {
        in += 4;
        len -= 4;
    }

    if (len == 0 || len > NGX_MOBILITY_SIP_MAX) {
        return -1;
    }

    at = memchr(in, '@', len);
    if (at == NULL || at == in) {
        return -1;
    }

    ulen = at - in;

    /* user part: the characters Active Directory allows in a UPN prefix */
    for (i = 0; i < ulen; i++) {
        c = ngx_mobility_lower(in[i]);

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || strchr("._-+'!#$%&*/=?^`{|}~", c) != NULL)
            || c == '\0')
        {
            return -1;
        }

        out[i] = c;
    }

    if (out[0] == '.' || out[ulen - 1] == '.') {
        return -1;
    }

    out[ulen] = '@';

    if (ngx_mobility_domain_canon(at + 1, len - ulen - 1, out + ulen + 1)
        < 0)
    {
        return -1;
    }

    if (domain) {
        *domain = out + ulen + 1;
    }

    return (int) len;
}
