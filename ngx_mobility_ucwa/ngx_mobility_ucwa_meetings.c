/*
 * Copyright (C) The nginx mobility authors
 *
 * UCWA scheduled online meetings: the onlineMeetings resource and what is
 * under it (paths after the application prefix):
 *
 *     /onlineMeetings                         GET     the links
 *     /onlineMeetings/myOnlineMeetings        GET     the list
 *                                             POST    create: 201
 *     /onlineMeetings/myOnlineMeetings/<id>   GET, PUT (If-Match), DELETE
 *     /onlineMeetings/myAssignedOnlineMeeting GET     the static meeting,
 *                                                     made on first use
 *     /onlineMeetings/defaultValues, eligibleValues, customInvitation,
 *     policies, phoneDialInInformation        GET
 *
 * The store side is shared/ngx_mobility_meetings.c.  Only the organizer
 * sees a meeting: any other user's id is simply not found (404).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_mobility_ucwa.h"
#include "ngx_mobility_meetings.h"
#include "ngx_mobility_directory.h"
#include "ngx_mobility_sip.h"


#define NGX_MOBILITY_UCWA_MEETINGS_PATH  "/onlineMeetings"
#define NGX_MOBILITY_UCWA_MY_MEETINGS    "/onlineMeetings/myOnlineMeetings"


typedef struct {
    const char  *name;
    uint64_t     value;
} ngx_mobility_ucwa_mt_enum_t;


static ngx_mobility_ucwa_mt_enum_t  ngx_mobility_ucwa_mt_access[] = {
    { "Everyone", NGX_MOBILITY_MEETING_EVERYONE },
    { "SameEnterprise", NGX_MOBILITY_MEETING_SAME_ENTERPRISE },
    { "Invited", NGX_MOBILITY_MEETING_INVITED },
    { "Locked", NGX_MOBILITY_MEETING_LOCKED },
    { NULL, 0 }
};

static ngx_mobility_ucwa_mt_enum_t  ngx_mobility_ucwa_mt_leaders[] = {
    { "Disabled", 0 },
    { "SameEnterprise", NGX_MOBILITY_MEETING_F_AUTO_LEADERS },
    { "Everyone", NGX_MOBILITY_MEETING_F_AUTO_LEADERS_ALL },
    { NULL, 0 }
};

static ngx_mobility_ucwa_mt_enum_t  ngx_mobility_ucwa_mt_onoff[] = {
    { "Disabled", 0 },
    { "Enabled", 1 },
    { NULL, 0 }
};


/* the defaults of a new meeting (onlineMeetingDefaultValues) */
#define NGX_MOBILITY_UCWA_MT_DEFAULT_ACCESS                                   \
    NGX_MOBILITY_MEETING_SAME_ENTERPRISE
#define NGX_MOBILITY_UCWA_MT_DEFAULT_FLAGS                                    \
    NGX_MOBILITY_MEETING_F_AUTO_LEADERS


static const char *
ngx_mobility_ucwa_mt_name(ngx_mobility_ucwa_mt_enum_t *e, uint64_t v)
{
    for ( /* void */ ; e->name; e++) {
        if (e->value == v) {
            return e->name;
        }
    }

    return NULL;
}


static const char *
ngx_mobility_ucwa_mt_leaders_name(uint64_t flags)
{
    if (flags & NGX_MOBILITY_MEETING_F_AUTO_LEADERS_ALL) {
        return "Everyone";
    }

    if (flags & NGX_MOBILITY_MEETING_F_AUTO_LEADERS) {
        return "SameEnterprise";
    }

    return "Disabled";
}


static const char *
ngx_mobility_ucwa_mt_flag(uint64_t flags, uint64_t bit)
{
    return (flags & bit) ? "Enabled" : "Disabled";
}


static json_t *
ngx_mobility_ucwa_mt_enum_list(ngx_mobility_ucwa_mt_enum_t *e)
{
    json_t  *a;

    a = json_array();

    for ( /* void */ ; a && e->name; e++) {
        json_array_append_new(a, json_string(e->name));
    }

    return a;
}


/* "sip:a@d" NUL "sip:b@d" -> ["sip:a@d", "sip:b@d"] */
static json_t *
ngx_mobility_ucwa_mt_people(ngx_mobility_bytes_t *list)
{
    json_t        *a;
    const u_char  *p, *end, *e;

    a = json_array();
    if (a == NULL) {
        return NULL;
    }

    p = list->data;
    end = p + list->len;

    while (p < end) {
        e = memchr(p, '\0', end - p);
        if (e == NULL) {
            e = end;
        }

        if (e > p) {
            json_array_append_new(a, json_stringn((const char *) p, e - p));
        }

        p = e + 1;
    }

    return a;
}


/*
 * The joinUrl: <mobility_ucwa_meeting_url>/<user part>/<id>, by default
 * https://meet.<the organizer's SIP domain>/<user part>/<id>.
 */
static ngx_int_t
ngx_mobility_ucwa_mt_join_url(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_meeting_t *m, ngx_str_t *url)
{
    u_char                             *p;
    const u_char                       *at;
    ngx_str_t                           base, user, domain;
    ngx_http_mobility_ucwa_loc_conf_t  *ulcf;

    ngx_str_null(&base);

    if (rq->r) {
        ulcf = ngx_http_get_module_loc_conf(rq->r,
                                            ngx_http_mobility_ucwa_module);
        base = ulcf->meeting_url;
    }

    at = memchr(m->organizer.data, '@', m->organizer.len);
    if (at == NULL) {
        return NGX_ERROR;
    }

    user.data = (u_char *) m->organizer.data;
    user.len = at - m->organizer.data;
    domain.data = (u_char *) at + 1;
    domain.len = m->organizer.data + m->organizer.len - (at + 1);

    url->data = ngx_pnalloc(rq->pool, sizeof("https://meet.") - 1
                                      + base.len + domain.len + user.len
                                      + m->id.len + 2);
    if (url->data == NULL) {
        return NGX_ERROR;
    }

    if (base.len) {
        p = ngx_cpymem(url->data, base.data, base.len);

    } else {
        p = ngx_cpymem(url->data, "https://meet.", sizeof("https://meet.") - 1);
        p = ngx_cpymem(p, domain.data, domain.len);
    }

    *p++ = '/';
    p = ngx_cpymem(p, user.data, user.len);
    *p++ = '/';
    p = ngx_cpymem(p, m->id.data, m->id.len);

    url->len = p - url->data;

    return NGX_OK;
}


static json_t *
ngx_mobility_ucwa_mt_json(ngx_mobility_ucwa_req_t *rq, ngx_str_t *prefix,
    ngx_mobility_meeting_t *m)
{
    u_char     *p;
    u_char      buf[NGX_INT64_LEN + 32];
    json_t     *obj, *links;
    ngx_str_t   uri, url, path;

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    /* sip:<organizer>;gruu;opaque=app:conf:focus:id:<id> */

    uri.len = sizeof("conf:sip:;gruu;opaque=app:conf:focus:id:") - 1
              + m->organizer.len + m->id.len;
    uri.data = ngx_pnalloc(rq->pool, uri.len);

    path.len = sizeof(NGX_MOBILITY_UCWA_MY_MEETINGS "/") - 1 + m->id.len;
    path.data = ngx_pnalloc(rq->pool, path.len + 1);

    if (uri.data == NULL || path.data == NULL
        || ngx_mobility_ucwa_mt_join_url(rq, m, &url) != NGX_OK)
    {
        json_decref(obj);
        json_decref(links);
        return NULL;
    }

    p = ngx_cpymem(uri.data, "conf:sip:", 9);
    p = ngx_cpymem(p, m->organizer.data, m->organizer.len);
    p = ngx_cpymem(p, ";gruu;opaque=app:conf:focus:id:",
                   sizeof(";gruu;opaque=app:conf:focus:id:") - 1);
    p = ngx_cpymem(p, m->id.data, m->id.len);

    p = ngx_cpymem(path.data, NGX_MOBILITY_UCWA_MY_MEETINGS "/",
                   sizeof(NGX_MOBILITY_UCWA_MY_MEETINGS "/") - 1);
    p = ngx_cpymem(p, m->id.data, m->id.len);
    *p = '\0';

    json_object_set_new(obj, "rel",
                        json_string((m->flags
                                     & NGX_MOBILITY_MEETING_F_ASSIGNED)
                                    ? "myAssignedOnlineMeeting"
                                    : "myOnlineMeeting"));
    json_object_set_new(obj, "accessLevel",
                        json_string(ngx_mobility_ucwa_mt_name(
                                        ngx_mobility_ucwa_mt_access,
                                        m->access_level)));
    json_object_set_new(obj, "attendees",
                        ngx_mobility_ucwa_mt_people(&m->attendees));
    json_object_set_new(obj, "automaticLeaderAssignment",
                        json_string(ngx_mobility_ucwa_mt_leaders_name(
                                        m->flags)));

    ngx_sprintf(buf, "%uL%Z", m->conference_id);
    json_object_set_new(obj, "conferenceId", json_string((char *) buf));

    /*
     * not in the reference: the password of the anonymous meeting grant,
     * for the organizer to hand to guests (only the organizer sees it)
     */
    json_object_set_new(obj, "conferenceKey",
                        json_stringn((const char *) m->key.data, m->key.len));
    json_object_set_new(obj, "description",
                        json_stringn((const char *) m->description.data,
                                     m->description.len));
    json_object_set_new(obj, "entryExitAnnouncement",
                        json_string(ngx_mobility_ucwa_mt_flag(m->flags,
                                        NGX_MOBILITY_MEETING_F_ENTRY_EXIT)));

    if (m->expiration) {
        ngx_sprintf(buf, "/Date(%uL)/%Z", m->expiration);
        json_object_set_new(obj, "expirationTime",
                            json_string((char *) buf));
    }

    json_object_set_new(obj, "joinUrl", ngx_mobility_ucwa_str(&url));
    json_object_set_new(obj, "leaders",
                        ngx_mobility_ucwa_mt_people(&m->leaders));
    json_object_set_new(obj, "legacyOnlineMeetingUri",
                        json_stringn((const char *) uri.data, uri.len));
    json_object_set_new(obj, "lobbyBypassForPhoneUsers",
                        json_string(ngx_mobility_ucwa_mt_flag(m->flags,
                                   NGX_MOBILITY_MEETING_F_LOBBY_BYPASS_PHONE)));
    json_object_set_new(obj, "onlineMeetingId",
                        json_stringn((const char *) m->id.data, m->id.len));
    json_object_set_new(obj, "onlineMeetingRel",
                        json_string("myOnlineMeetings"));

    /* the URI without "conf:" */
    json_object_set_new(obj, "onlineMeetingUri",
                        json_stringn((const char *) uri.data + 5,
                                     uri.len - 5));
    json_object_set_new(obj, "organizerUri",
                        json_stringn((const char *) uri.data + 5,
                                     4 + m->organizer.len));
    json_object_set_new(obj, "phoneUserAdmission",
                        json_string(ngx_mobility_ucwa_mt_flag(m->flags,
                                    NGX_MOBILITY_MEETING_F_PHONE_ADMISSION)));
    json_object_set_new(obj, "subject",
                        json_stringn((const char *) m->subject.data,
                                     m->subject.len));

    ngx_sprintf(buf, "%uL%Z", m->version);
    json_object_set_new(obj, "etag", json_string((char *) buf));

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                                  (const char *) path.data);

    return obj;
}


static ngx_int_t
ngx_mobility_ucwa_mt_etag(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, uint64_t version)
{
    rs->etag.data = ngx_pnalloc(rq->pool, NGX_INT64_LEN);
    if (rs->etag.data == NULL) {
        return NGX_ERROR;
    }

    rs->etag.len = ngx_sprintf(rs->etag.data, "%uL", version) - rs->etag.data;

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* input                                                              */


/* OK (*v set), DECLINED (absent), ABORT (an unknown value: rs is set) */
static ngx_int_t
ngx_mobility_ucwa_mt_enum_in(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *name,
    ngx_mobility_ucwa_mt_enum_t *e, uint64_t *v)
{
    ngx_int_t  rc;
    ngx_str_t  s;

    rc = ngx_mobility_ucwa_input_str(rq, name, &s);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        if (ngx_mobility_ucwa_input(rq, name) == NULL) {
            return NGX_DECLINED;
        }

        goto bad;
    }

    for ( /* void */ ; e->name; e++) {
        if (ngx_strlen(e->name) == s.len
            && ngx_strncasecmp((u_char *) e->name, s.data, s.len) == 0)
        {
            *v = e->value;
            return NGX_OK;
        }
    }

bad:

    if (ngx_mobility_ucwa_bad_param(rq, rs, name,
                                    "The value is not one of the eligible "
                                    "values.")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_ABORT;
}


/* OK, DECLINED (absent), ABORT (rs is set) */
static ngx_int_t
ngx_mobility_ucwa_mt_text_in(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *name, size_t max,
    ngx_mobility_bytes_t *out)
{
    json_t  *v;

    v = ngx_mobility_ucwa_input(rq, name);

    if (v == NULL) {
        return NGX_DECLINED;
    }

    if (!json_is_string(v)) {
        goto bad;
    }

    if (json_string_length(v) > max
        || memchr(json_string_value(v), '\0', json_string_length(v)))
    {
        goto bad;
    }

    out->data = (const u_char *) json_string_value(v);
    out->len = json_string_length(v);

    return NGX_OK;

bad:

    if (ngx_mobility_ucwa_bad_param(rq, rs, name,
                                    (max == NGX_MOBILITY_MEETING_SUBJECT_MAX)
                                    ? "The subject is too long (256 bytes "
                                      "at most)."
                                    : "The text is too long or not a "
                                      "string.")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_ABORT;
}


/* a list of SIP URIs -> "sip:a@d" NUL "sip:b@d"; OK, DECLINED, ABORT */
static ngx_int_t
ngx_mobility_ucwa_mt_people_in(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *name,
    ngx_mobility_bytes_t *out)
{
    int            n;
    u_char        *buf, *p;
    u_char         canon[NGX_MOBILITY_SIP_MAX + 1];
    size_t         i;
    json_t        *v, *item, *one;
    const u_char  *domain;

    v = ngx_mobility_ucwa_input(rq, name);

    if (v == NULL) {
        return NGX_DECLINED;
    }

    one = NULL;

    if (json_is_string(v)) {
        /* a single item, as XML or a form may send it */
        one = json_array();
        if (one == NULL || ngx_mobility_ucwa_json_own(rq->pool, one) != NGX_OK)
        {
            json_decref(one);
            return NGX_ERROR;
        }

        if (json_string_length(v)) {
            json_array_append(one, v);
        }

        v = one;
    }

    if (!json_is_array(v)
        || json_array_size(v) > NGX_MOBILITY_MEETING_PEOPLE_MAX)
    {
        goto bad;
    }

    buf = ngx_pnalloc(rq->pool,
                      json_array_size(v) * (NGX_MOBILITY_SIP_MAX + 5) + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    p = buf;

    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) {
            goto bad;
        }

        n = ngx_mobility_sip_canon((const u_char *) json_string_value(item),
                                   json_string_length(item), canon, &domain);
        if (n < 0) {
            goto bad;
        }

        if (p > buf) {
            *p++ = '\0';
        }

        p = ngx_cpymem(p, "sip:", 4);
        p = ngx_cpymem(p, canon, n);
    }

    out->data = buf;
    out->len = p - buf;

    return NGX_OK;

bad:

    if (ngx_mobility_ucwa_bad_param(rq, rs, name,
                                    "A list of valid SIP URIs is expected "
                                    "(256 at most).")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_ABORT;
}


/* n digits at *p: the number, or -1 */
static int64_t
ngx_mobility_ucwa_mt_digits(const u_char **p, const u_char *end, ngx_uint_t n)
{
    int64_t  v;

    v = 0;

    while (n--) {
        if (*p >= end || **p < '0' || **p > '9') {
            return -1;
        }

        v = v * 10 + (*(*p)++ - '0');
    }

    return v;
}


/* "2015-07-14T20:54:07.79-05:00" or "...Z": ms, or 0 if malformed */
static uint64_t
ngx_mobility_ucwa_mt_iso8601(const u_char *p, size_t len)
{
    int64_t        days, y, mo, d, h, mi, s, oh, om, off;
    uint64_t       frac, scale;
    ngx_int_t      sign;
    const u_char  *end;

    end = p + len;

    y = ngx_mobility_ucwa_mt_digits(&p, end, 4);
    if (y < 0 || p >= end || *p++ != '-') {
        return 0;
    }

    mo = ngx_mobility_ucwa_mt_digits(&p, end, 2);
    if (mo < 0 || p >= end || *p++ != '-') {
        return 0;
    }

    d = ngx_mobility_ucwa_mt_digits(&p, end, 2);
    if (d < 0 || p >= end || (*p != 'T' && *p != 't' && *p != ' ')) {
        return 0;
    }

    p++;

    h = ngx_mobility_ucwa_mt_digits(&p, end, 2);
    if (h < 0 || p >= end || *p++ != ':') {
        return 0;
    }

    mi = ngx_mobility_ucwa_mt_digits(&p, end, 2);
    if (mi < 0 || p >= end || *p++ != ':') {
        return 0;
    }

    s = ngx_mobility_ucwa_mt_digits(&p, end, 2);
    if (s < 0) {
        return 0;
    }

    frac = 0;
    scale = 1;

    if (p < end && *p == '.') {
        p++;

        while (p < end && *p >= '0' && *p <= '9') {
            if (scale < 1000) {
                frac = frac * 10 + (*p - '0');
                scale *= 10;
            }

            p++;
        }
    }

    while (scale < 1000) {
        frac *= 10;
        scale *= 10;
    }

    off = 0;

    if (p < end && (*p == 'Z' || *p == 'z')) {
        p++;

    } else if (p < end && (*p == '+' || *p == '-')) {
        sign = (*p++ == '-') ? -1 : 1;

        oh = ngx_mobility_ucwa_mt_digits(&p, end, 2);

        if (p < end && *p == ':') {
            p++;
        }

        om = ngx_mobility_ucwa_mt_digits(&p, end, 2);

        if (oh < 0 || om < 0 || oh > 23 || om > 59) {
            return 0;
        }

        off = sign * (oh * 60 + om);
    }

    if (p != end || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31
        || h > 23 || mi > 59 || s > 60)
    {
        return 0;
    }

    /* days since the epoch from the civil date */

    y -= (mo <= 2);
    days = (y / 400) * 146097
           + (y % 400) * 365 + (y % 400) / 4 - (y % 400) / 100
           + (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
           - 719468;

    return (uint64_t) ((days * 86400 + h * 3600 + mi * 60 + s - off * 60)
                       * 1000) + frac;
}


/* OK, DECLINED (absent), ABORT (rs set) */
static ngx_int_t
ngx_mobility_ucwa_mt_expiration_in(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, uint64_t now, uint64_t *out)
{
    u_char        *p, *last;
    json_t        *v;
    uint64_t       ms;
    ngx_str_t      s;
    const char    *msg;

    v = ngx_mobility_ucwa_input(rq, "expirationTime");

    if (v == NULL) {
        return NGX_DECLINED;
    }

    msg = "The expiration time is not a date.";
    ms = 0;

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        ms = (uint64_t) json_integer_value(v);

    } else if (json_is_string(v)) {
        s.data = (u_char *) json_string_value(v);
        s.len = json_string_length(v);
        p = s.data;
        last = p + s.len;

        /* "/Date(ms)/", the escaped slashes of JSON gone with decoding */

        if (s.len > 8 && (*p == '/' || *p == '\\')) {
            while (p < last && (*p == '/' || *p == '\\')) {
                p++;
            }

            if (last - p > 5
                && ngx_strncasecmp(p, (u_char *) "Date(", 5) == 0)
            {
                p += 5;

                while (p < last && *p >= '0' && *p <= '9'
                       && ms < 100000000000000ULL)
                {
                    ms = ms * 10 + (*p++ - '0');
                }

                if (p == last || *p != ')') {
                    ms = 0;
                }
            }

        } else if (s.len && s.len <= 15
                   && strspn((char *) s.data, "0123456789") == s.len)
        {
            /* ms as a string, as a form or XML sends a number */
            ms = (uint64_t) ngx_atoof(s.data, s.len);

        } else {
            ms = ngx_mobility_ucwa_mt_iso8601(s.data, s.len);
        }
    }

    if (ms != 0 && ms <= now) {
        msg = "The expiration time is in the past.";
        ms = 0;
    }

    if (ms == 0) {
        if (ngx_mobility_ucwa_bad_param(rq, rs, "expirationTime", msg)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        return NGX_ABORT;
    }

    *out = ms;

    return NGX_OK;
}


/*
 * Applies the input to m: every property present replaces the value, an
 * absent one keeps it.  OK, or ABORT with rs set, or ERROR.
 */
static ngx_int_t
ngx_mobility_ucwa_mt_input(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, uint64_t now, ngx_mobility_meeting_t *m)
{
    ngx_int_t  rc;
    uint64_t   v;

#define NGX_MT_CHECK(call)                                                    \
    rc = call;                                                                \
    if (rc == NGX_ERROR || rc == NGX_ABORT) {                                 \
        return rc;                                                            \
    }

    NGX_MT_CHECK(ngx_mobility_ucwa_mt_enum_in(rq, rs, "accessLevel",
                                              ngx_mobility_ucwa_mt_access,
                                              &v))
    if (rc == NGX_OK) {
        m->access_level = v;
    }

    NGX_MT_CHECK(ngx_mobility_ucwa_mt_enum_in(rq, rs,
                                              "automaticLeaderAssignment",
                                              ngx_mobility_ucwa_mt_leaders,
                                              &v))
    if (rc == NGX_OK) {
        m->flags &= ~(uint64_t) (NGX_MOBILITY_MEETING_F_AUTO_LEADERS
                                 |NGX_MOBILITY_MEETING_F_AUTO_LEADERS_ALL);
        m->flags |= v;
    }

    NGX_MT_CHECK(ngx_mobility_ucwa_mt_enum_in(rq, rs, "entryExitAnnouncement",
                                              ngx_mobility_ucwa_mt_onoff, &v))
    if (rc == NGX_OK) {
        m->flags &= ~(uint64_t) NGX_MOBILITY_MEETING_F_ENTRY_EXIT;
        m->flags |= v ? NGX_MOBILITY_MEETING_F_ENTRY_EXIT : 0;
    }

    NGX_MT_CHECK(ngx_mobility_ucwa_mt_enum_in(rq, rs,
                                              "lobbyBypassForPhoneUsers",
                                              ngx_mobility_ucwa_mt_onoff, &v))
    if (rc == NGX_OK) {
        m->flags &= ~(uint64_t) NGX_MOBILITY_MEETING_F_LOBBY_BYPASS_PHONE;
        m->flags |= v ? NGX_MOBILITY_MEETING_F_LOBBY_BYPASS_PHONE : 0;
    }

    NGX_MT_CHECK(ngx_mobility_ucwa_mt_enum_in(rq, rs, "phoneUserAdmission",
                                              ngx_mobility_ucwa_mt_onoff, &v))
    if (rc == NGX_OK) {
        m->flags &= ~(uint64_t) NGX_MOBILITY_MEETING_F_PHONE_ADMISSION;
        m->flags |= v ? NGX_MOBILITY_MEETING_F_PHONE_ADMISSION : 0;
    }

    NGX_MT_CHECK(ngx_mobility_ucwa_mt_text_in(rq, rs, "subject",
                                              NGX_MOBILITY_MEETING_SUBJECT_MAX,
                                              &m->subject))
    NGX_MT_CHECK(ngx_mobility_ucwa_mt_text_in(rq, rs, "description",
                                          NGX_MOBILITY_MEETING_DESCRIPTION_MAX,
                                              &m->description))
    NGX_MT_CHECK(ngx_mobility_ucwa_mt_people_in(rq, rs, "attendees",
                                                &m->attendees))
    NGX_MT_CHECK(ngx_mobility_ucwa_mt_people_in(rq, rs, "leaders",
                                                &m->leaders))
    NGX_MT_CHECK(ngx_mobility_ucwa_mt_expiration_in(rq, rs, now, &v))
    if (rc == NGX_OK) {
        m->expiration = v;
    }

#undef NGX_MT_CHECK

    if (!ngx_mobility_ucwa_utf8_ok(m->subject.data, m->subject.len)) {
        return ngx_mobility_ucwa_bad_param(rq, rs, "subject",
                                           "The subject is not UTF-8.")
               == NGX_OK ? NGX_ABORT : NGX_ERROR;
    }

    if (!ngx_mobility_ucwa_utf8_ok(m->description.data, m->description.len))
    {
        return ngx_mobility_ucwa_bad_param(rq, rs, "description",
                                           "The description is not UTF-8.")
               == NGX_OK ? NGX_ABORT : NGX_ERROR;
    }

    return NGX_OK;
}


/* ------------------------------------------------------------------ */
/* the resources                                                      */


static ngx_int_t
ngx_mobility_ucwa_mt_allow(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, const char *allow)
{
    rs->allow.data = (u_char *) allow;
    rs->allow.len = ngx_strlen(allow);

    return ngx_mobility_ucwa_not_allowed(rq, rs);
}


static ngx_int_t
ngx_mobility_ucwa_mt_not_found(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND, "NotFound",
                                   NULL, "The meeting does not exist.");
}


static ngx_int_t
ngx_mobility_ucwa_mt_links(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *prefix)
{
    json_t  *obj, *links;

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL) {
        json_decref(obj);
        json_decref(links);
        return NGX_ERROR;
    }

    json_object_set_new(obj, "_links", links);

    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                                  NGX_MOBILITY_UCWA_MEETINGS_PATH);
    (void) ngx_mobility_ucwa_link(links, "myOnlineMeetings", prefix,
                                  NGX_MOBILITY_UCWA_MY_MEETINGS);
    (void) ngx_mobility_ucwa_link(links, "myAssignedOnlineMeeting", prefix,
                                  NGX_MOBILITY_UCWA_MEETINGS_PATH
                                  "/myAssignedOnlineMeeting");
    (void) ngx_mobility_ucwa_link(links, "onlineMeetingDefaultValues", prefix,
                                  NGX_MOBILITY_UCWA_MEETINGS_PATH
                                  "/defaultValues");
    (void) ngx_mobility_ucwa_link(links, "onlineMeetingEligibleValues",
                                  prefix,
                                  NGX_MOBILITY_UCWA_MEETINGS_PATH
                                  "/eligibleValues");
    (void) ngx_mobility_ucwa_link(links,
                                  "onlineMeetingInvitationCustomization",
                                  prefix,
                                  NGX_MOBILITY_UCWA_MEETINGS_PATH
                                  "/customInvitation");
    (void) ngx_mobility_ucwa_link(links, "onlineMeetingPolicies", prefix,
                                  NGX_MOBILITY_UCWA_MEETINGS_PATH
                                  "/policies");
    (void) ngx_mobility_ucwa_link(links, "phoneDialInInformation", prefix,
                                  NGX_MOBILITY_UCWA_MEETINGS_PATH
                                  "/phoneDialInInformation");

    json_object_set_new(obj, "rel", json_string("onlineMeetings"));

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


/* the settings resources: fixed facts of this server */
static ngx_int_t
ngx_mobility_ucwa_mt_settings(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_str_t *prefix, ngx_str_t *what)
{
    u_char  path[64];
    json_t  *obj, *links, *a;

    obj = json_object();
    links = json_object();

    if (obj == NULL || links == NULL || what->len > 32) {
        json_decref(obj);
        json_decref(links);
        return NGX_ERROR;
    }

    ngx_sprintf(path, NGX_MOBILITY_UCWA_MEETINGS_PATH "%V%Z", what);

    json_object_set_new(obj, "_links", links);
    (void) ngx_mobility_ucwa_link(links, "self", prefix, (const char *) path);

    if (ngx_strncasecmp(what->data, (u_char *) "/defaultValues",
                        what->len) == 0)
    {
        json_object_set_new(obj, "rel",
                            json_string("onlineMeetingDefaultValues"));
        json_object_set_new(obj, "accessLevel",
                            json_string(ngx_mobility_ucwa_mt_name(
                                   ngx_mobility_ucwa_mt_access,
                                   NGX_MOBILITY_UCWA_MT_DEFAULT_ACCESS)));
        json_object_set_new(obj, "automaticLeaderAssignment",
                            json_string(ngx_mobility_ucwa_mt_leaders_name(
                                   NGX_MOBILITY_UCWA_MT_DEFAULT_FLAGS)));
        json_object_set_new(obj, "defaultOnlineMeetingRel",
                            json_string("myOnlineMeetings"));
        json_object_set_new(obj, "entryExitAnnouncement",
                            json_string("Disabled"));
        json_object_set_new(obj, "lobbyBypassForPhoneUsers",
                            json_string("Disabled"));

    } else if (ngx_strncasecmp(what->data, (u_char *) "/eligibleValues",
                               what->len) == 0)
    {
        json_object_set_new(obj, "rel",
                            json_string("onlineMeetingEligibleValues"));
        json_object_set_new(obj, "accessLevels",
                            ngx_mobility_ucwa_mt_enum_list(
                                ngx_mobility_ucwa_mt_access));
        json_object_set_new(obj, "automaticLeaderAssignments",
                            ngx_mobility_ucwa_mt_enum_list(
                                ngx_mobility_ucwa_mt_leaders));

        a = json_array();
        json_array_append_new(a, json_string("myOnlineMeetings"));
        json_object_set_new(obj, "eligibleOnlineMeetingRels", a);

        json_object_set_new(obj, "entryExitAnnouncements",
                            ngx_mobility_ucwa_mt_enum_list(
                                ngx_mobility_ucwa_mt_onoff));
        json_object_set_new(obj, "lobbyBypassForPhoneUsersSettings",
                            ngx_mobility_ucwa_mt_enum_list(
                                ngx_mobility_ucwa_mt_onoff));
        (void) ngx_mobility_ucwa_link(links, "myOnlineMeetings", prefix,
                                      NGX_MOBILITY_UCWA_MY_MEETINGS);
        (void) ngx_mobility_ucwa_link(links, "myAssignedOnlineMeeting",
                                      prefix,
                                      NGX_MOBILITY_UCWA_MEETINGS_PATH
                                      "/myAssignedOnlineMeeting");

    } else if (ngx_strncasecmp(what->data, (u_char *) "/customInvitation",
                               what->len) == 0)
    {
        /* footerText, helpUrl, legalUrl, logoUrl: none configured */
        json_object_set_new(obj, "rel",
                         json_string("onlineMeetingInvitationCustomization"));

    } else if (ngx_strncasecmp(what->data, (u_char *) "/policies",
                               what->len) == 0)
    {
        /* instant messaging only: no audio, no recording, no dial-in */
        json_object_set_new(obj, "rel", json_string("onlineMeetingPolicies"));
        json_object_set_new(obj, "entryExitAnnouncement",
                            json_string("Disabled"));
        json_object_set_new(obj, "externalUserMeetingRecording",
                            json_string("Disabled"));
        json_object_set_new(obj, "meetingRecording", json_string("Disabled"));
        json_object_set_new(obj, "phoneUserAdmission",
                            json_string("Disabled"));
        json_object_set_new(obj, "voipAudio", json_string("Disabled"));

    } else {
        /* phoneDialInInformation: no audio conferencing provider */
        json_object_set_new(obj, "rel", json_string("phoneDialInInformation"));
        json_object_set_new(obj, "isAudioConferenceProviderEnabled",
                            json_false());
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


typedef struct {
    ngx_mobility_ucwa_req_t  *rq;
    ngx_str_t                *prefix;
    json_t                   *assigned;
    json_t                   *list;
    ngx_uint_t                failed;
} ngx_mobility_ucwa_mt_list_t;


static int
ngx_mobility_ucwa_mt_list_one(ngx_mobility_meeting_t *m, void *data)
{
    ngx_mobility_ucwa_mt_list_t  *l = data;

    json_t  *j;

    j = ngx_mobility_ucwa_mt_json(l->rq, l->prefix, m);
    if (j == NULL) {
        l->failed = 1;
        return 1;
    }

    json_array_append_new((m->flags & NGX_MOBILITY_MEETING_F_ASSIGNED)
                          ? l->assigned : l->list, j);

    return 0;
}


static ngx_int_t
ngx_mobility_ucwa_mt_list(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs, ngx_mobility_ucwa_tx_t *tx,
    ngx_str_t *prefix, ngx_str_t *sip)
{
    json_t                       *obj, *links, *emb;
    ngx_mobility_ucwa_mt_list_t   l;

    obj = json_object();
    links = json_object();
    emb = json_object();
    l.assigned = json_array();
    l.list = json_array();

    if (obj == NULL || links == NULL || emb == NULL || l.assigned == NULL
        || l.list == NULL)
    {
        json_decref(obj);
        json_decref(links);
        json_decref(emb);
        json_decref(l.assigned);
        json_decref(l.list);
        return NGX_ERROR;
    }

    json_object_set_new(obj, "rel", json_string("myOnlineMeetings"));
    json_object_set_new(obj, "_links", links);
    json_object_set_new(obj, "_embedded", emb);
    json_object_set_new(emb, "myAssignedOnlineMeeting", l.assigned);
    json_object_set_new(emb, "myOnlineMeeting", l.list);

    (void) ngx_mobility_ucwa_link(links, "self", prefix,
                                  NGX_MOBILITY_UCWA_MY_MEETINGS);
    (void) ngx_mobility_ucwa_link(links, "myAssignedOnlineMeeting", prefix,
                                  NGX_MOBILITY_UCWA_MEETINGS_PATH
                                  "/myAssignedOnlineMeeting");

    l.rq = rq;
    l.prefix = prefix;
    l.failed = 0;

    if (ngx_mobility_meeting_list(tx->st, tx->txn, sip->data, sip->len,
                                  ngx_mobility_ucwa_mt_list_one, &l, NULL)
        != NGX_MOBILITY_OK
        || l.failed)
    {
        json_decref(obj);
        return NGX_ERROR;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}


ngx_int_t
ngx_mobility_ucwa_meetings(ngx_mobility_ucwa_req_t *rq,
    ngx_mobility_ucwa_resp_t *rs)
{
    int                       rc;
    json_t                   *obj;
    ngx_int_t                 irc;
    ngx_str_t                 sub, id, sip, prefix, location;
    ngx_uint_t                write, assigned;
    ngx_mobility_ucwa_tx_t    tx;
    ngx_mobility_ucwa_app_t   app;
    ngx_mobility_meeting_t    m;

    sub.data = rq->rest.data + sizeof(NGX_MOBILITY_UCWA_MEETINGS_PATH) - 1;
    sub.len = rq->rest.len - (sizeof(NGX_MOBILITY_UCWA_MEETINGS_PATH) - 1);

    if (sub.len && sub.data[sub.len - 1] == '/') {
        sub.len--;
    }

    assigned = (sub.len == sizeof("/myAssignedOnlineMeeting") - 1
                && ngx_strncasecmp(sub.data,
                                   (u_char *) "/myAssignedOnlineMeeting",
                                   sub.len) == 0);

    write = (rq->method != NGX_HTTP_GET || assigned);

    irc = ngx_mobility_ucwa_tx_app(rq, rs, &tx, &app, write, NULL);

    if (irc != NGX_OK) {
        return (irc == NGX_DONE) ? NGX_OK : NGX_ERROR;
    }

    if (app.anonymous || rq->identity->anonymous) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                       "Forbidden", "AnonymousNotAllowed",
                                       "Anonymous users cannot do this.");
    }

    if (ngx_mobility_ucwa_prefix(rq->pool, &app, &prefix) != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    sip.data = rq->identity->sip;
    sip.len = rq->identity->sip_len;

    ngx_memzero(&m, sizeof(ngx_mobility_meeting_t));

    /* the onlineMeetings resource and the settings */

    if (sub.len == 0 || (sub.len == 1 && sub.data[0] == '/')) {
        ngx_mobility_ucwa_tx_abort(&tx);

        if (rq->method != NGX_HTTP_GET) {
            return ngx_mobility_ucwa_mt_allow(rq, rs, "GET");
        }

        return ngx_mobility_ucwa_mt_links(rq, rs, &prefix);
    }

#define ngx_mt_is(s)                                                          \
    (sub.len == sizeof(s) - 1                                                 \
     && ngx_strncasecmp(sub.data, (u_char *) s, sub.len) == 0)

    if (ngx_mt_is("/defaultValues") || ngx_mt_is("/eligibleValues")
        || ngx_mt_is("/customInvitation") || ngx_mt_is("/policies")
        || ngx_mt_is("/phoneDialInInformation"))
    {
        ngx_mobility_ucwa_tx_abort(&tx);

        if (rq->method != NGX_HTTP_GET) {
            return ngx_mobility_ucwa_mt_allow(rq, rs, "GET");
        }

        return ngx_mobility_ucwa_mt_settings(rq, rs, &prefix, &sub);
    }

    if (assigned) {
        if (rq->method != NGX_HTTP_GET) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_mt_allow(rq, rs, "GET");
        }

        m.flags = NGX_MOBILITY_UCWA_MT_DEFAULT_FLAGS;

        rc = ngx_mobility_meeting_assigned(tx.st, tx.txn, sip.data, sip.len,
                                           1, tx.now, &m);
        if (rc != NGX_MOBILITY_OK) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        obj = ngx_mobility_ucwa_mt_json(rq, &prefix, &m);

        if (obj == NULL
            || ngx_mobility_ucwa_mt_etag(rq, rs, m.version) != NGX_OK)
        {
            json_decref(obj);
            ngx_mobility_ucwa_tx_abort(&tx);
            return NGX_ERROR;
        }

        if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
            json_decref(obj);
            return ngx_mobility_ucwa_store_error(rq, rs, NULL);
        }

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
    }

    if (ngx_mt_is("/myOnlineMeetings")) {

        if (rq->method == NGX_HTTP_GET) {
            irc = ngx_mobility_ucwa_mt_list(rq, rs, &tx, &prefix, &sip);
            ngx_mobility_ucwa_tx_abort(&tx);

            if (irc != NGX_OK) {
                return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
            }

            return NGX_OK;
        }

        if (rq->method != NGX_HTTP_POST) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_mt_allow(rq, rs, "GET, POST");
        }

        /* create */

        m.organizer.data = sip.data;
        m.organizer.len = sip.len;
        m.access_level = NGX_MOBILITY_UCWA_MT_DEFAULT_ACCESS;
        m.flags = NGX_MOBILITY_UCWA_MT_DEFAULT_FLAGS;

        irc = ngx_mobility_ucwa_mt_input(rq, rs, tx.now, &m);

        if (irc != NGX_OK) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return (irc == NGX_ABORT) ? NGX_OK : NGX_ERROR;
        }

        rc = ngx_mobility_meeting_create(tx.st, tx.txn, &m, tx.now,
                                         rq->umcf->max_meetings);

        if (rc == NGX_MOBILITY_MEETING_FULL) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_CONFLICT,
                                           "Conflict",
                                           "TooManyOnlineMeetings",
                                           "The user has too many online "
                                           "meetings.");
        }

        if (rc != NGX_MOBILITY_OK) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        obj = ngx_mobility_ucwa_mt_json(rq, &prefix, &m);

        location.len = prefix.len + sizeof(NGX_MOBILITY_UCWA_MY_MEETINGS "/")
                       - 1 + m.id.len;
        location.data = ngx_pnalloc(rq->pool, location.len);

        if (obj == NULL || location.data == NULL
            || ngx_mobility_ucwa_mt_etag(rq, rs, m.version) != NGX_OK)
        {
            json_decref(obj);
            ngx_mobility_ucwa_tx_abort(&tx);
            return NGX_ERROR;
        }

        ngx_sprintf(location.data, "%V" NGX_MOBILITY_UCWA_MY_MEETINGS "/%*s",
                    &prefix, m.id.len, m.id.data);

        if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
            json_decref(obj);
            return ngx_mobility_ucwa_store_error(rq, rs, NULL);
        }

        ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                      "mobility ucwa: meeting %*s created by \"%V\"",
                      m.id.len, m.id.data, &sip);

        rs->location = location;

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_CREATED, obj);
    }

#undef ngx_mt_is

    /* /myOnlineMeetings/<id> */

    if (sub.len != sizeof("/myOnlineMeetings/") - 1
                   + NGX_MOBILITY_MEETING_ID_LEN
        || ngx_strncasecmp(sub.data, (u_char *) "/myOnlineMeetings/",
                           sizeof("/myOnlineMeetings/") - 1)
           != 0)
    {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_NOT_FOUND,
                                       "NotFound", NULL,
                                       "The resource does not exist.");
    }

    if (rq->method != NGX_HTTP_GET && rq->method != NGX_HTTP_PUT
        && rq->method != NGX_HTTP_DELETE)
    {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_mt_allow(rq, rs, "GET, PUT, DELETE");
    }

    id.data = sub.data + sizeof("/myOnlineMeetings/") - 1;
    id.len = NGX_MOBILITY_MEETING_ID_LEN;

    rc = ngx_mobility_meeting_get(tx.st, tx.txn, sip.data, sip.len, id.data,
                                  id.len, &m);

    if (rc == NGX_MOBILITY_ERROR) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    if (rc == NGX_MOBILITY_NOTFOUND) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_mt_not_found(rq, rs);
    }

    if (rq->method == NGX_HTTP_GET) {
        obj = ngx_mobility_ucwa_mt_json(rq, &prefix, &m);

        if (obj == NULL
            || ngx_mobility_ucwa_mt_etag(rq, rs, m.version) != NGX_OK)
        {
            json_decref(obj);
            ngx_mobility_ucwa_tx_abort(&tx);
            return NGX_ERROR;
        }

        ngx_mobility_ucwa_tx_abort(&tx);

        return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
    }

    if (rq->method == NGX_HTTP_DELETE) {
        if (m.flags & NGX_MOBILITY_MEETING_F_ASSIGNED) {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_FORBIDDEN,
                                           "Forbidden", NULL,
                                           "The assigned meeting cannot be "
                                           "deleted.");
        }

        if (ngx_mobility_meeting_delete(tx.st, tx.txn, sip.data, sip.len,
                                        id.data, id.len)
            != NGX_MOBILITY_OK)
        {
            ngx_mobility_ucwa_tx_abort(&tx);
            return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
        }

        if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
            return ngx_mobility_ucwa_store_error(rq, rs, NULL);
        }

        ngx_log_error(NGX_LOG_INFO, rq->log, 0,
                      "mobility ucwa: meeting %V removed by \"%V\"",
                      &id, &sip);

        rs->status = NGX_HTTP_NO_CONTENT;

        return NGX_OK;
    }

    /* PUT: guarded by the ETag */

    if (rq->if_match.len == 0) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_error(rq, rs,
                                       NGX_MOBILITY_UCWA_PRECONDITION_REQUIRED,
                                       "PreConditionRequired", NULL,
                                       "The request needs If-Match.");
    }

    if (ngx_mobility_ucwa_mt_etag(rq, rs, m.version) != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    if (!ngx_mobility_ucwa_etag_match(&rq->if_match, &rs->etag)) {
        ngx_mobility_ucwa_tx_abort(&tx);
        ngx_str_null(&rs->etag);
        return ngx_mobility_ucwa_error(rq, rs, NGX_HTTP_PRECONDITION_FAILED,
                                       "PreConditionFailed", NULL,
                                       "The meeting changed meanwhile.");
    }

    ngx_str_null(&rs->etag);

    irc = ngx_mobility_ucwa_mt_input(rq, rs, tx.now, &m);

    if (irc != NGX_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return (irc == NGX_ABORT) ? NGX_OK : NGX_ERROR;
    }

    if (ngx_mobility_meeting_update(tx.st, tx.txn, &m) != NGX_MOBILITY_OK) {
        ngx_mobility_ucwa_tx_abort(&tx);
        return ngx_mobility_ucwa_store_error(rq, rs, tx.st);
    }

    obj = ngx_mobility_ucwa_mt_json(rq, &prefix, &m);

    if (obj == NULL || ngx_mobility_ucwa_mt_etag(rq, rs, m.version) != NGX_OK)
    {
        json_decref(obj);
        ngx_mobility_ucwa_tx_abort(&tx);
        return NGX_ERROR;
    }

    if (ngx_mobility_ucwa_tx_commit(&tx) != NGX_OK) {
        json_decref(obj);
        return ngx_mobility_ucwa_store_error(rq, rs, NULL);
    }

    if (rq->r) {
        /* the new ETag differs from If-Match: no 412 from nginx's filter */
        rq->r->disable_not_modified = 1;
    }

    return ngx_mobility_ucwa_resource(rq, rs, NGX_HTTP_OK, obj);
}
