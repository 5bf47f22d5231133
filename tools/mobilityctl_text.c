/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl: checks of what an administrator types or imports.
 */


#include <string.h>
#include <strings.h>

#include "mobilityctl.h"


#define MOBILITYCTL_QUOTE_MAX  64


/* the length of the UTF-8 character at p (its code point in *cp), 0 if bad */

size_t
mobilityctl_utf8_char(const u_char *p, size_t len, uint32_t *cp)
{
    size_t    n, i;
    u_char    c;
    uint32_t  v, min;

    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if (c < 0xc2) {
        return 0;
    }

    if (c < 0xe0) {
        n = 2;
        v = c & 0x1f;
        min = 0x80;

    } else if (c < 0xf0) {
        n = 3;
        v = c & 0x0f;
        min = 0x800;

    } else if (c < 0xf5) {
        n = 4;
        v = c & 0x07;
        min = 0x10000;

    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        v = (v << 6) | (p[i] & 0x3f);
    }

    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }

    *cp = v;

    return n;
}


/* columns taken by s on a terminal, roughly: its code points */

size_t
mobilityctl_utf8_width(const char *s)
{
    size_t  n;

    for (n = 0; *s; s++) {
        if (((u_char) *s & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


/* input for an error message: control characters as "?", cut if long */

const char *
mobilityctl_quote(const u_char *p, size_t len, char *buf, size_t size)
{
    size_t  i, max;

    max = (size - 4 < MOBILITYCTL_QUOTE_MAX) ? size - 4
                                             : MOBILITYCTL_QUOTE_MAX;

    for (i = 0; i < len && i < max; i++) {
        buf[i] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char) p[i];
    }

    if (i < len) {
        /* do not cut a UTF-8 character in two */
        while (i > 0 && (p[i] & 0xc0) == 0x80) {
            i--;
        }

        memcpy(buf + i, "...", 3);
        i += 3;
    }

    buf[i] = '\0';

    return buf;
}


void
mobilityctl_trim(ngx_mobility_bytes_t *v)
{
    while (v->len && (v->data[0] == ' ' || v->data[0] == '\t')) {
        v->data++;
        v->len--;
    }

    while (v->len
           && (v->data[v->len - 1] == ' ' || v->data[v->len - 1] == '\t'))
    {
        v->len--;
    }
}


int
mobilityctl_nfields(void)
{
    int  n;

    for (n = 0; ngx_mobility_user_fields[n].name; n++) {
        /* void */
    }

    return n;
}


/* "work_phone", "Work-Phone": the index in ngx_mobility_user_fields */

int
mobilityctl_field_index(const u_char *name, size_t len)
{
    int      i;
    size_t   j;
    u_char   c, fc;

    for (i = 0; ngx_mobility_user_fields[i].name; i++) {

        if (strlen(ngx_mobility_user_fields[i].name) != len) {
            continue;
        }

        for (j = 0; j < len; j++) {
            c = name[j];
            c = (c == '-') ? '_' : c;
            c = (c >= 'A' && c <= 'Z') ? (u_char) (c | 0x20) : c;
            fc = (u_char) ngx_mobility_user_fields[i].name[j];

            if (c != fc) {
                break;
            }
        }

        if (j == len) {
            return i;
        }
    }

    return -1;
}


static int
mobilityctl_email_valid(const u_char *p, size_t len)
{
    size_t         i, n;
    u_char         dom[NGX_MOBILITY_DOMAIN_MAX + 1];
    const u_char  *at;

    at = memchr(p, '@', len);

    if (at == NULL || at == p) {
        return 0;
    }

    for (i = 0; p + i < at; i++) {
        if (p[i] <= 0x20 || p[i] == 0x7f
            || strchr("\"(),:;<>[\\]", p[i]) != NULL)
        {
            return 0;
        }
    }

    n = len - (at - p) - 1;

    if (n == 0 || n > NGX_MOBILITY_DOMAIN_MAX) {
        return 0;
    }

    return ngx_mobility_domain_canon(at + 1, n, dom) > 0;
}


/*
 * A phone number as people write it, or a tel: URI: digits, a leading
 * "+", spaces, "-" and parentheses, and an optional ";ext=" extension.
 */

static int
mobilityctl_phone_valid(const u_char *p, size_t len)
{
    size_t  i, digits;
    u_char  c;

    if (len >= 4 && strncasecmp((const char *) p, "tel:", 4) == 0) {
        p += 4;
        len -= 4;
    }

    digits = 0;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            digits++;
            continue;
        }

        if (c == '+' && i == 0) {
            continue;
        }

        if (c == ' ' || c == '-' || c == '(' || c == ')') {
            continue;
        }

        if (c == ';' && digits && len - i > 5
            && strncasecmp((const char *) p + i, ";ext=", 5) == 0)
        {
            for (i += 5; i < len; i++) {
                if (p[i] < '0' || p[i] > '9') {
                    return 0;
                }
            }

            break;
        }

        return 0;
    }

    return digits > 0;
}


/*
 * Trims a value of field i and checks it; -1 with a message in err if
 * it cannot be stored.  An empty value is fine: it empties the field.
 */

int
mobilityctl_field_check(int i, ngx_mobility_bytes_t *v, char *err,
    size_t size)
{
    char         q[MOBILITYCTL_QUOTE_MAX + 4];
    size_t       off, n;
    uint32_t     cp;
    const char  *name;

    name = ngx_mobility_user_fields[i].name;

    mobilityctl_trim(v);

    if (v->len == 0) {
        return 0;
    }

    if (v->len > NGX_MOBILITY_FIELD_MAX) {
        snprintf(err, size, "%s is longer than %d bytes", name,
                 NGX_MOBILITY_FIELD_MAX);
        return -1;
    }

    for (off = 0; off < v->len; off += n) {
        n = mobilityctl_utf8_char(v->data + off, v->len - off, &cp);

        if (n == 0) {
            snprintf(err, size, "%s is not valid UTF-8", name);
            return -1;
        }

        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            snprintf(err, size, "%s \"%s\" contains control characters",
                     name, mobilityctl_quote(v->data, v->len, q, sizeof(q)));
            return -1;
        }
    }

    switch (ngx_mobility_user_fields[i].tag) {

    case NGX_MOBILITY_U_EMAIL:
        if (!mobilityctl_email_valid(v->data, v->len)) {
            snprintf(err, size, "%s \"%s\" is not an e-mail address", name,
                     mobilityctl_quote(v->data, v->len, q, sizeof(q)));
            return -1;
        }

        break;

    case NGX_MOBILITY_U_PHONE_WORK:
    case NGX_MOBILITY_U_PHONE_MOBILE:
    case NGX_MOBILITY_U_PHONE_HOME:
    case NGX_MOBILITY_U_PHONE_OTHER:
        if (!mobilityctl_phone_valid(v->data, v->len)) {
            snprintf(err, size, "%s \"%s\" is not a phone number (digits, "
                     "a leading +, spaces, -, parentheses, optional tel: "
                     "prefix and ;ext=)", name,
                     mobilityctl_quote(v->data, v->len, q, sizeof(q)));
            return -1;
        }

        break;

    default:
        break;
    }

    return 0;
}


/* canonicalises a SIP address into e->sip; -1 with a message in err */

int
mobilityctl_sip(const u_char *in, size_t len, mobilityctl_edit_t *e,
    char *err, size_t size)
{
    int                   n;
    char                  q[MOBILITYCTL_QUOTE_MAX + 4];
    const u_char         *domain;
    ngx_mobility_bytes_t  v;

    v.data = in;
    v.len = len;

    mobilityctl_trim(&v);

    n = (v.len && memchr(v.data, '\0', v.len) == NULL)
        ? ngx_mobility_sip_canon(v.data, v.len, e->sip, &domain) : -1;

    if (n <= 0) {
        snprintf(err, size, "malformed SIP address \"%s\"",
                 mobilityctl_quote(v.data, v.len, q, sizeof(q)));
        return -1;
    }

    e->sip_len = n;
    e->domain = domain - e->sip;

    return 0;
}


/* mobilityctl_sip() of a command's argument; the error is reported */

int
mobilityctl_sip_arg(const char *sip, mobilityctl_edit_t *e)
{
    char  err[MOBILITYCTL_ERRLEN];

    if (mobilityctl_sip((const u_char *) sip, strlen(sip), e, err,
                        sizeof(err))
        != 0)
    {
        mobilityctl_error("%s", err);
        return MOBILITYCTL_EINPUT;
    }

    return MOBILITYCTL_OK;
}


/* yes/no: 1, 0, or -1 if neither */

int
mobilityctl_bool(const u_char *p, size_t len)
{
    size_t  i;

    static const char  *yes[] = { "1", "yes", "y", "true", "on", "enabled",
                                  NULL };
    static const char  *no[] = { "0", "no", "n", "false", "off", "disabled",
                                 NULL };

    for (i = 0; yes[i]; i++) {
        if (strlen(yes[i]) == len
            && strncasecmp((const char *) p, yes[i], len) == 0)
        {
            return 1;
        }
    }

    for (i = 0; no[i]; i++) {
        if (strlen(no[i]) == len
            && strncasecmp((const char *) p, no[i], len) == 0)
        {
            return 0;
        }
    }

    return -1;
}
