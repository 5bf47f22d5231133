/*
 * Copyright (C) The nginx mobility authors
 *
 * The test driver of t/064-meetings-store.t: the meetings store of
 * shared/ngx_mobility_meetings.c, built plain (-DNGX_MOBILITY_PLAIN_C)
 * as the CLI builds it.  Commands print what the functions answer; the
 * Perl side compares.
 *
 *     meetings_check parse URI           organizer id joinurl | DECLINED
 *     meetings_check admit ACCESS ORGANIZER LEADERS ATTENDEES USER
 *                                        ADMIT | LOBBY | DENY
 *         (LEADERS, ATTENDEES: comma-separated sip: URIs or "-";
 *          USER "-" for an anonymous joiner)
 *     meetings_check leader ORGANIZER LEADERS USER     1 | 0
 *     meetings_check anon                an identity, and whether it is one
 *     meetings_check store DIR           a scripted session, one line a step
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_mobility_meetings.h"
#include "ngx_mobility_directory.h"


/* "a,b" -> "a" NUL "b" */
static void
list(const char *in, u_char *buf, ngx_mobility_bytes_t *out)
{
    size_t  i, n;

    out->data = buf;
    out->len = 0;

    if (strcmp(in, "-") == 0) {
        return;
    }

    n = strlen(in);

    for (i = 0; i < n; i++) {
        buf[i] = (in[i] == ',') ? '\0' : (u_char) in[i];
    }

    out->len = n;
}


static void
meeting(ngx_mobility_meeting_t *m, const char *access, const char *org,
    const char *leaders, const char *attendees, u_char *lb, u_char *ab)
{
    memset(m, 0, sizeof(ngx_mobility_meeting_t));

    m->access_level = strcmp(access, "Everyone") == 0
                      ? NGX_MOBILITY_MEETING_EVERYONE
                      : strcmp(access, "SameEnterprise") == 0
                      ? NGX_MOBILITY_MEETING_SAME_ENTERPRISE
                      : strcmp(access, "Invited") == 0
                      ? NGX_MOBILITY_MEETING_INVITED
                      : strcmp(access, "Locked") == 0
                      ? NGX_MOBILITY_MEETING_LOCKED : 99;
    m->organizer.data = (const u_char *) org;
    m->organizer.len = strlen(org);
    list(leaders, lb, &m->leaders);
    list(attendees, ab, &m->attendees);
}


static int
count(ngx_mobility_meeting_t *m, void *data)
{
    int  *n = data;

    (*n)++;

    return 0;
}


static int
fail(ngx_mobility_store_t *st, const char *what)
{
    printf("FAILED %s: %s\n", what, st->err);
    return 1;
}


static int
store(const char *dir)
{
    int                     rc, n, i;
    u_char                  ids[3][NGX_MOBILITY_MEETING_ID_LEN + 1];
    u_char                  key[NGX_MOBILITY_MEETING_KEY_LEN + 1];
    u_char                  anon[NGX_MOBILITY_MEETING_ANON_MAX];
    size_t                  alen;
    MDB_txn                *txn;
    uint64_t                conf[3], now;
    ngx_str_t               org, id;
    ngx_uint_t              seen;
    ngx_mobility_store_t    st;
    ngx_mobility_meeting_t  m, a;

    static const char       alice[] = "alice@contoso.com";

    now = 1700000000000ULL;

    if (ngx_mobility_store_open(&st, dir, 16 * 1024 * 1024,
                                NGX_MOBILITY_DURABLE_FULL, 0)
        != 0)
    {
        return fail(&st, "open");
    }

    if (ngx_mobility_store_begin(&st, &txn, 1) != 0) {
        return fail(&st, "begin");
    }

    for (i = 0; i < 3; i++) {
        memset(&m, 0, sizeof(ngx_mobility_meeting_t));
        m.organizer.data = (const u_char *) alice;
        m.organizer.len = sizeof(alice) - 1;
        m.subject.data = (const u_char *) "Subject";
        m.subject.len = 7;
        m.access_level = NGX_MOBILITY_MEETING_EVERYONE;

        rc = ngx_mobility_meeting_create(&st, txn, &m, now, 3);
        if (rc != NGX_MOBILITY_OK) {
            return fail(&st, "create");
        }

        memcpy(ids[i], m.id.data, m.id.len);
        ids[i][m.id.len] = '\0';
        conf[i] = m.conference_id;

        printf("created %s version %llu key %zu conf %s\n", ids[i],
               (unsigned long long) m.version, m.key.len,
               (conf[i] >= 1000000 && conf[i] <= 9999999) ? "7digits" : "bad");
    }

    printf("distinct ids %d\n", strcmp((char *) ids[0], (char *) ids[1]) != 0
                                && strcmp((char *) ids[1], (char *) ids[2]) != 0
                                && strcmp((char *) ids[0], (char *) ids[2])
                                   != 0);
    printf("distinct conference ids %d\n", conf[0] != conf[1]
                                           && conf[1] != conf[2]
                                           && conf[0] != conf[2]);

    memset(&m, 0, sizeof(ngx_mobility_meeting_t));
    m.organizer.data = (const u_char *) alice;
    m.organizer.len = sizeof(alice) - 1;
    rc = ngx_mobility_meeting_create(&st, txn, &m, now, 3);
    printf("fourth over the limit %s\n",
           rc == NGX_MOBILITY_MEETING_FULL ? "FULL" : "not full");

    /* update: version up, key and conference id kept */

    rc = ngx_mobility_meeting_get(&st, txn, (u_char *) alice,
                                  sizeof(alice) - 1, ids[0],
                                  NGX_MOBILITY_MEETING_ID_LEN, &m);
    if (rc != NGX_MOBILITY_OK) {
        return fail(&st, "get");
    }

    memcpy(key, m.key.data, m.key.len);
    key[m.key.len] = '\0';

    m.subject.data = (const u_char *) "Renamed";
    m.subject.len = 7;
    m.access_level = NGX_MOBILITY_MEETING_LOCKED;
    m.flags = NGX_MOBILITY_MEETING_F_ASSIGNED;   /* not taken from the caller */

    if (ngx_mobility_meeting_update(&st, txn, &m) != NGX_MOBILITY_OK) {
        return fail(&st, "update");
    }

    printf("updated version %llu subject %.*s key kept %d conf kept %d "
           "assigned %d\n", (unsigned long long) m.version,
           (int) m.subject.len, m.subject.data,
           m.key.len == NGX_MOBILITY_MEETING_KEY_LEN
           && memcmp(m.key.data, key, m.key.len) == 0,
           m.conference_id == conf[0],
           (m.flags & NGX_MOBILITY_MEETING_F_ASSIGNED) != 0);

    printf("key match %d wrong key %d short key %d\n",
           (int) ngx_mobility_meeting_key_match(&m, key,
                                                NGX_MOBILITY_MEETING_KEY_LEN),
           (int) ngx_mobility_meeting_key_match(&m, (u_char *)
                                                "AAAAAAAAAAAAAAAA", 16),
           (int) ngx_mobility_meeting_key_match(&m, key, 8));

    /* the assigned meeting: made once */

    memset(&a, 0, sizeof(ngx_mobility_meeting_t));
    rc = ngx_mobility_meeting_assigned(&st, txn, (u_char *) "bob@contoso.com",
                                       15, 0, now, &a);
    printf("assigned before %s\n",
           rc == NGX_MOBILITY_NOTFOUND ? "NOTFOUND" : "found");

    rc = ngx_mobility_meeting_assigned(&st, txn, (u_char *) "bob@contoso.com",
                                       15, 1, now, &a);
    if (rc != NGX_MOBILITY_OK) {
        return fail(&st, "assigned");
    }

    memcpy(ids[2], a.id.data, a.id.len);

    rc = ngx_mobility_meeting_assigned(&st, txn, (u_char *) "bob@contoso.com",
                                       15, 1, now, &a);
    printf("assigned again same %d access %llu flag %d\n",
           rc == NGX_MOBILITY_OK
           && memcmp(a.id.data, ids[2], NGX_MOBILITY_MEETING_ID_LEN) == 0,
           (unsigned long long) a.access_level,
           (a.flags & NGX_MOBILITY_MEETING_F_ASSIGNED) != 0);

    /* delete one, list */

    rc = ngx_mobility_meeting_delete(&st, txn, (u_char *) alice,
                                     sizeof(alice) - 1, ids[1],
                                     NGX_MOBILITY_MEETING_ID_LEN);
    printf("delete %s\n", rc == NGX_MOBILITY_OK ? "OK" : "failed");
    rc = ngx_mobility_meeting_delete(&st, txn, (u_char *) alice,
                                     sizeof(alice) - 1, ids[1],
                                     NGX_MOBILITY_MEETING_ID_LEN);
    printf("delete again %s\n", rc == NGX_MOBILITY_NOTFOUND ? "NOTFOUND"
                                                           : "found");

    n = 0;
    (void) ngx_mobility_meeting_list(&st, txn, (u_char *) alice,
                                     sizeof(alice) - 1, count, &n, &seen);
    printf("alice has %d (%u)\n", n, (unsigned) seen);

    n = 0;
    (void) ngx_mobility_meeting_list(&st, txn, (u_char *) "alice@contoso.co",
                                     16, count, &n, NULL);
    printf("a prefix of alice has %d\n", n);

    /* grants: written, read, expired, pruned */

    alen = ngx_mobility_meeting_anon_identity(anon);

    if (ngx_mobility_meeting_anon_grant(&st, txn, (u_char *) "anon-old", 8,
                                        (u_char *) alice, sizeof(alice) - 1,
                                        ids[0], NGX_MOBILITY_MEETING_ID_LEN,
                                        now + 1000, now)
        != NGX_MOBILITY_OK
        || ngx_mobility_meeting_anon_grant(&st, txn, anon, alen,
                                           (u_char *) alice,
                                           sizeof(alice) - 1, ids[0],
                                           NGX_MOBILITY_MEETING_ID_LEN,
                                           now + 3600000, now)
           != NGX_MOBILITY_OK)
    {
        return fail(&st, "grant");
    }

    rc = ngx_mobility_meeting_anon_get(&st, txn, anon, alen, now, &org, &id);
    printf("grant %s %.*s %d\n", rc == NGX_MOBILITY_OK ? "OK" : "missing",
           (int) org.len, rc == NGX_MOBILITY_OK ? org.data : (u_char *) "",
           rc == NGX_MOBILITY_OK && id.len == NGX_MOBILITY_MEETING_ID_LEN
           && memcmp(id.data, ids[0], id.len) == 0);

    rc = ngx_mobility_meeting_anon_get(&st, txn, anon, alen, now + 3600000,
                                       &org, &id);
    printf("grant at expiry %s\n",
           rc == NGX_MOBILITY_NOTFOUND ? "NOTFOUND" : "found");

    rc = ngx_mobility_meeting_anon_get(&st, txn, (u_char *) "anon-old", 8,
                                       now, &org, &id);
    printf("old grant before prune %s\n", rc == NGX_MOBILITY_OK ? "OK" : "-");

    /* a later grant prunes the expired one */

    if (ngx_mobility_meeting_anon_grant(&st, txn, (u_char *) "anon-new", 8,
                                        (u_char *) alice, sizeof(alice) - 1,
                                        ids[0], NGX_MOBILITY_MEETING_ID_LEN,
                                        now + 10000000, now + 5000)
        != NGX_MOBILITY_OK)
    {
        return fail(&st, "grant");
    }

    rc = ngx_mobility_meeting_anon_get(&st, txn, (u_char *) "anon-old", 8, 0,
                                       &org, &id);
    printf("old grant after prune %s\n",
           rc == NGX_MOBILITY_NOTFOUND ? "NOTFOUND" : "kept");
    rc = ngx_mobility_meeting_anon_get(&st, txn, anon, alen, 0, &org, &id);
    printf("live grant after prune %s\n",
           rc == NGX_MOBILITY_OK ? "kept" : "NOTFOUND");

    /* everything of an organizer */

    if (ngx_mobility_meeting_delete_all(&st, txn, (u_char *) alice,
                                        sizeof(alice) - 1)
        != NGX_MOBILITY_OK)
    {
        return fail(&st, "delete_all");
    }

    n = 0;
    (void) ngx_mobility_meeting_list(&st, txn, (u_char *) alice,
                                     sizeof(alice) - 1, count, &n, NULL);
    printf("alice after delete_all %d\n", n);

    n = 0;
    (void) ngx_mobility_meeting_list(&st, txn, (u_char *) "bob@contoso.com",
                                     15, count, &n, NULL);
    printf("bob after delete_all of alice %d\n", n);

    if (ngx_mobility_store_commit(&st, txn) != 0) {
        return fail(&st, "commit");
    }

    ngx_mobility_store_close(&st);

    return 0;
}


int
main(int argc, char **argv)
{
    int                     rc;
    u_char                  lb[1024], ab[1024];
    u_char                  anon[NGX_MOBILITY_MEETING_ANON_MAX];
    size_t                  n;
    ngx_str_t               org, id;
    ngx_uint_t              joinurl;
    ngx_mobility_meeting_t  m;

    if (argc == 3 && strcmp(argv[1], "parse") == 0) {
        rc = ngx_mobility_meeting_parse_uri((u_char *) argv[2],
                                            strlen(argv[2]), &org, &id,
                                            &joinurl);
        if (rc != NGX_OK) {
            printf("DECLINED\n");
            return 0;
        }

        printf("%.*s %.*s %d\n", (int) org.len, org.data, (int) id.len,
               id.data, (int) joinurl);
        return 0;
    }

    if (argc == 7 && strcmp(argv[1], "admit") == 0) {
        meeting(&m, argv[2], argv[3], argv[4], argv[5], lb, ab);

        rc = (int) (strcmp(argv[6], "-") == 0
             ? ngx_mobility_meeting_admission(&m, NULL, 0)
             : ngx_mobility_meeting_admission(&m, (u_char *) argv[6],
                                              strlen(argv[6])));

        printf("%s\n", rc == NGX_MOBILITY_MEETING_ADMIT ? "ADMIT"
                       : rc == NGX_MOBILITY_MEETING_LOBBY ? "LOBBY"
                       : rc == NGX_MOBILITY_MEETING_DENY ? "DENY" : "?");
        return 0;
    }

    if (argc == 5 && strcmp(argv[1], "leader") == 0) {
        meeting(&m, "Everyone", argv[2], argv[3], "-", lb, ab);
        printf("%d\n", (int) ngx_mobility_meeting_is_leader(&m,
                                         (u_char *) argv[4], strlen(argv[4])));
        return 0;
    }

    if (argc == 2 && strcmp(argv[1], "anon") == 0) {
        n = ngx_mobility_meeting_anon_identity(anon);
        printf("%.*s %d %d\n", (int) n, anon,
               (int) ngx_mobility_meeting_is_anon(anon, n),
               (int) ngx_mobility_meeting_is_anon((u_char *)
                                                  "alice@contoso.com", 17));
        return 0;
    }

    if (argc == 3 && strcmp(argv[1], "store") == 0) {
        return store(argv[2]);
    }

    fprintf(stderr, "usage: meetings_check parse|admit|leader|anon|store\n");

    return 2;
}
