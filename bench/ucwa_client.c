/*
 * ucwa_client: the HTTP/1.1 client of the UCWA benchmarks
 * (bench/w2-ucwa-get.sh, bench/w4-pget-park.sh, bench/wake-latency.sh,
 * bench/w5-fanout.sh, bench/im-roundtrip.sh).  Plain C, no dependencies;
 * the scripts build it with gcc.
 *
 *   ucwa_client tokens  PORT CONNS USERS_FILE PASSWORD     > "sip token"
 *       password grant for every user (one per line)
 *   ucwa_client create  PORT CONNS TOKENS_FILE APPS_PER_USER > "href token"
 *       POST /ucwa/oauth/v1/applications APPS_PER_USER times per token
 *   ucwa_client call    PORT CONNS APPS_FILE METHOD SUFFIX [JSON]
 *       METHOD href+SUFFIX for every application; prints status counts
 *   ucwa_client park    PORT NSRC APPS_FILE N
 *       N P-GETs (href/events?ack=1) on N connections from 127.0.0.2 ..
 *       127.0.0.(1+NSRC); prints "parked N S" (S: seconds to send them all),
 *       then holds them until standard input closes and prints
 *       "answered A closed C" (both should be 0)
 *   ucwa_client wake    PORT ACCESS_LOG MODE APPS_FILE SAMPLES [LANES]
 *       MODE delete : P-GET parked in worker A, DELETE of its application
 *                     from a connection in worker B (APP_WAKE, answers 404)
 *       MODE replace: P-GET parked in worker A, a second P-GET of the same
 *                     channel from worker B (APP_PARKED, the first answers 409)
 *       MODE note   : P-GET parked in worker A, POST me/note from worker B,
 *                     a medium event (released after the 5 s hold); LANES
 *                     applications in parallel, staggered
 *       delete and replace alternate cross-worker and same-worker samples.
 *       One line per sample on stdout:
 *         "<n> <cross|same> <latency us> <pget status> <event status>
 *          <pget pid> <event pid> <app>"
 *       Which worker serves a connection is learnt from the access log
 *       ("$pid ... $request_uri"): each connection first sends
 *       GET /probe?c=<serial>, then the log is read for that line.
 *
 *   ucwa_client fanout  PORT NSRC ucwa|nchan WATCHERS_FILE M ROUNDS PUB_FILE
 *                       RAW_OUT [BYTES]
 *       W5: M watchers parked from NSRC source addresses, ROUNDS publishes
 *       (a presence change of PUB_FILE's application, or an nchan
 *       publish of BYTES bytes); one line per round (see cmd_fanout),
 *       every delivery latency appended to RAW_OUT
 *   ucwa_client im      PORT ACCESS_LOG PAIRS_FILE LANES SECONDS
 *       IM round trips between two applications on different workers,
 *       closed loop on LANES conversations (see cmd_im)
 *
 * Times are CLOCK_MONOTONIC; a latency is from just before the
 * event-causing request is written to when the whole P-GET response has
 * been read.
 */

#define BENCH_PROG  "ucwa_client"
#include "bench_http.h"

#define RBUF 65536

/* ------------------------------------------------------------------ */
/* connections and responses                                          */

typedef struct {
    int     fd;
    int     pid;        /* worker serving it, when probed */
    char    rbuf[RBUF];
    size_t  rlen;
    long    job;        /* request in flight, -1 none */
    double  sent;
} conn_t;

static void
conn_init(conn_t *c)
{
    c->fd = conn_open(NULL);
    c->rlen = 0;
    c->job = -1;
    c->pid = 0;
}

/* write_all() or die */
static void
send_all(int fd, const char *buf, size_t len)
{
    if (write_all(fd, buf, len) < 0) {
        die("write: %s", strerror(errno));
    }
}

/*
 * reads what is there; 1 a response is complete, 0 not yet, -1 closed.
 * r->head is then a NUL-terminated copy of the header that outlives
 * conn_consume() (freed by the next response read into r)
 */
static int
conn_read(conn_t *c, resp_t *r)
{
    char    *head;
    ssize_t  n;

    for ( ;; ) {
        head = r->head;

        if (c->rlen && resp_parse(c->rbuf, c->rlen, r)) {
            free(head);
            r->head = strndup(r->head, r->hlen);
            return 1;
        }

        if (c->rlen == RBUF) {
            die("response larger than %d bytes", RBUF);
        }

        n = recv(c->fd, c->rbuf + c->rlen, RBUF - c->rlen, MSG_DONTWAIT);

        if (n == 0) {
            return -1;
        }

        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return 0;
            }
            return -1;
        }

        c->rlen += n;
    }
}

static void
conn_consume(conn_t *c, resp_t *r)
{
    memmove(c->rbuf, c->rbuf + r->total, c->rlen - r->total);
    c->rlen -= r->total;
}

/* blocking: waits up to ms for a whole response */
static int
conn_wait(conn_t *c, resp_t *r, int ms)
{
    int            rc;
    double         deadline = now_us() + ms * 1000.0;
    struct pollfd  p;

    for ( ;; ) {
        rc = conn_read(c, r);
        if (rc != 0) {
            return rc;
        }
        p.fd = c->fd;
        p.events = POLLIN;
        int left = (int) ((deadline - now_us()) / 1000.0);
        if (left <= 0) {
            return 0;
        }
        poll(&p, 1, left);
    }
}

/* ------------------------------------------------------------------ */
/* many requests over CONNS connections                               */

typedef int (*make_pt)(long job, char *buf, size_t size);
typedef void (*done_pt)(long job, resp_t *r);

static void
run_jobs(int nconns, long njobs, make_pt make, done_pt done)
{
    int            i, rc;
    long           next = 0, finished = 0;
    char           req[8192];
    conn_t        *cs;
    resp_t         r;
    struct pollfd *ps;

    memset(&r, 0, sizeof(r));
    cs = calloc(nconns, sizeof(conn_t));
    ps = calloc(nconns, sizeof(struct pollfd));

    for (i = 0; i < nconns; i++) {
        conn_init(&cs[i]);
    }

    while (finished < njobs) {
        for (i = 0; i < nconns; i++) {
            if (cs[i].job < 0 && next < njobs) {
                int len = make(next, req, sizeof(req));
                cs[i].job = next++;
                send_all(cs[i].fd, req, len);
            }
            ps[i].fd = cs[i].fd;
            ps[i].events = POLLIN;
            ps[i].revents = 0;
        }

        if (poll(ps, nconns, 10000) <= 0) {
            die("no response for 10 s");
        }

        for (i = 0; i < nconns; i++) {
            if (!ps[i].revents) {
                continue;
            }
            while ((rc = conn_read(&cs[i], &r)) == 1) {
                if (cs[i].job < 0) {
                    die("unexpected response");
                }
                done(cs[i].job, &r);
                conn_consume(&cs[i], &r);
                cs[i].job = -1;
                finished++;
                if (header_is_close(&r)) {
                    rc = -1;
                    break;
                }
            }
            if (rc < 0) {
                close(cs[i].fd);
                if (cs[i].job >= 0) {
                    die("connection closed with request %ld in flight",
                        cs[i].job);
                }
                conn_init(&cs[i]);
            }
        }
    }

    for (i = 0; i < nconns; i++) {
        close(cs[i].fd);
    }
    free(cs);
    free(ps);
    free(r.head);
}

static lines_t  in;
static int      per_user;
static const char *password, *method, *suffix, *json_body;
static long     status_count[600];

static void
url_encode(const char *s, char *out)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
            || (*s >= '0' && *s <= '9') || strchr("-._~@", *s))
        {
            *out++ = *s;
        } else {
            *out++ = '%';
            *out++ = hex[(unsigned char) *s >> 4];
            *out++ = hex[*s & 15];
        }
    }
    *out = '\0';
}

static int
make_token(long job, char *buf, size_t size)
{
    char user[512], pw[512], body[1200];

    url_encode(in.f[0][job], user);
    url_encode(password, pw);
    snprintf(body, sizeof(body),
             "grant_type=password&username=%s&password=%s", user, pw);
    return snprintf(buf, size,
                    "POST /WebTicket/oauthtoken HTTP/1.1\r\nHost: bench\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
}

static void
done_token(long job, resp_t *r)
{
    char *p, *e;

    if (r->status != 200) {
        die("token for %s: HTTP %d", in.f[0][job], r->status);
    }
    p = memmem(r->body, r->body_len, "\"access_token\":\"", 16);
    if (p == NULL) {
        die("token for %s: no access_token", in.f[0][job]);
    }
    p += 16;
    e = memchr(p, '"', r->body + r->body_len - p);
    printf("%s %.*s\n", in.f[0][job], (int) (e - p), p);
}

static int
make_create(long job, char *buf, size_t size)
{
    long  u = job / per_user, j = job % per_user;
    char  body[256];

    snprintf(body, sizeof(body),
             "{\"UserAgent\":\"ucwa-bench/1.0\",\"EndpointId\":"
             "\"ep-%06ld-%03ld\",\"Culture\":\"en-US\"}", u, j);
    return snprintf(buf, size,
                    "POST /ucwa/oauth/v1/applications HTTP/1.1\r\n"
                    "Host: bench\r\nAuthorization: Bearer %s\r\n"
                    "Content-Type: application/json\r\n"
                    "Content-Length: %zu\r\n\r\n%s",
                    in.f[1][u], strlen(body), body);
}

static void
done_create(long job, resp_t *r)
{
    const char *loc, *e;

    if (r->status != 201) {
        die("creating application %ld: HTTP %d %.*s", job, r->status,
            (int) r->body_len, r->body);
    }
    loc = header_find(r->head, r->hlen, "Location");
    if (loc == NULL) {
        die("creating application %ld: no Location", job);
    }
    e = strchr(loc, '\r');
    printf("%.*s %s\n", (int) (e - loc), loc, in.f[1][job / per_user]);
}

static int
make_call(long job, char *buf, size_t size)
{
    if (json_body) {
        return snprintf(buf, size,
                        "%s %s%s HTTP/1.1\r\nHost: bench\r\n"
                        "Authorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n%s",
                        method, in.f[0][job], suffix, in.f[1][job],
                        strlen(json_body), json_body);
    }
    return snprintf(buf, size,
                    "%s %s%s HTTP/1.1\r\nHost: bench\r\n"
                    "Authorization: Bearer %s\r\n\r\n",
                    method, in.f[0][job], suffix, in.f[1][job]);
}

static void
done_call(long job, resp_t *r)
{
    (void) job;
    if (r->status > 0 && r->status < 600) {
        status_count[r->status]++;
    }
}

/* ------------------------------------------------------------------ */
/* park                                                               */

static int
cmd_park(int argc, char **argv)
{
    int                 nsrc, efd, n, i, k, answered = 0, closed = 0;
    long                want;
    char                req[4096], src[32], buf[4096];
    double              t0;
    struct epoll_event  ev, evs[256];

    if (argc < 4) {
        die("park PORT NSRC APPS_FILE N");
    }

    nsrc = atoi(argv[1]);
    lines_read(argv[2], &in, 2);
    want = atol(argv[3]);

    if ((size_t) want > in.n) {
        die("%ld P-GETs need %ld applications, %s has %zu", want, want,
            argv[2], in.n);
    }

    efd = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.fd = 0;
    epoll_ctl(efd, EPOLL_CTL_ADD, 0, &ev);

    t0 = now_us();

    for (i = 0; i < want; i++) {
        snprintf(src, sizeof(src), "127.0.0.%d", 2 + i % nsrc);
        int fd = conn_open(src);
        n = snprintf(req, sizeof(req),
                     "GET %s/events?ack=1 HTTP/1.1\r\nHost: bench\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     in.f[0][i], in.f[1][i]);
        send_all(fd, req, n);
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev);
    }

    printf("parked %ld %.3f\n", want, (now_us() - t0) / 1e6);
    fflush(stdout);

    for ( ;; ) {
        n = epoll_wait(efd, evs, 256, -1);
        for (k = 0; k < n; k++) {
            int fd = evs[k].data.fd;
            if (fd == 0) {
                ssize_t r = read(0, buf, sizeof(buf));
                if (r <= 0) {
                    printf("answered %d closed %d\n", answered, closed);
                    fflush(stdout);
                    return 0;
                }
                continue;
            }
            ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (r > 0) {
                if (answered < 3) {
                    fprintf(stderr, "ucwa_client: a parked request was "
                            "answered: %.*s\n", (int) (r > 200 ? 200 : r),
                            buf);
                }
                answered++;
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                closed++;
                epoll_ctl(efd, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* wake                                                               */

static const char *access_log;
static long        probe_serial;
static int         run_id;

/* the pid of the worker that logged "/probe?c=<serial>&r=<run>" */
static int
log_pid(long serial)
{
    int    tries;
    char   needle[64], *line = NULL;
    size_t cap = 0;
    FILE  *f;

    snprintf(needle, sizeof(needle), " /probe?c=%ld&r=%d", serial, run_id);

    for (tries = 0; tries < 200; tries++) {
        f = fopen(access_log, "r");
        if (f) {
            while (getline(&line, &cap, f) > 0) {
                char *m = strstr(line, needle);
                if (m && (m[strlen(needle)] == ' '
                          || m[strlen(needle)] == '\n'))
                {
                    int pid = atoi(line);
                    fclose(f);
                    free(line);
                    return pid;
                }
            }
            fclose(f);
        }
        usleep(5000);
    }

    die("probe %ld not in %s", serial, access_log);
    return 0;
}

static void
conn_probe(conn_t *c)
{
    int    n;
    char   req[256];
    long   serial = ++probe_serial;
    resp_t r;

    memset(&r, 0, sizeof(r));
    n = snprintf(req, sizeof(req),
                 "GET /probe?c=%ld&r=%d HTTP/1.1\r\nHost: bench\r\n\r\n",
                 serial, run_id);
    send_all(c->fd, req, n);
    if (conn_wait(c, &r, 5000) != 1) {
        die("probe: no answer");
    }
    conn_consume(c, &r);
    free(r.head);
    c->pid = log_pid(serial);
}

/* a connection served by worker "pid" (0: any), found by trying */
static void
conn_on(conn_t *c, int pid)
{
    int i;

    for (i = 0; i < 200; i++) {
        conn_init(c);
        conn_probe(c);
        if (pid == 0 || c->pid == pid) {
            return;
        }
        close(c->fd);
    }

    die("no connection reached worker %d in 200 tries", pid);
}

/* stub_status "Writing" (requests being processed, parked ones included) */
static int
writing(conn_t *s)
{
    int         n;
    const char *w;
    resp_t      r;

    memset(&r, 0, sizeof(r));
    static const char req[] = "GET /status HTTP/1.1\r\nHost: bench\r\n\r\n";

    send_all(s->fd, req, sizeof(req) - 1);
    /* 30 s: a worker re-parking 10 000 P-GETs, each with its own
       durable commit, answers the status request late */
    if (conn_wait(s, &r, 30000) != 1) {
        die("stub_status: no answer in 30 s");
    }
    w = memmem(r.body, r.body_len, "Writing: ", 9);
    n = w ? atoi(w + 9) : -1;
    conn_consume(s, &r);
    free(r.head);
    return n;
}

/*
 * Waits until "Writing" is want: with want = base + 1 the P-GET is parked
 * (the count grows once its header is parsed, and the handler runs to the
 * park without yielding: a status request served by the same worker
 * after that means the P-GET is held), with want = base the previous one
 * is finished.  P-GETs are parked by a batch at the end of the worker's
 * event-loop iteration (one write transaction for all of them): a status
 * request answered in the same iteration may see the count before the
 * batch has committed, so one more status request, served in a later
 * iteration, confirms it.
 */
static void
wait_writing(conn_t *s, int want)
{
    int i;

    for (i = 0; i < 20000; i++) {
        if (writing(s) == want) {
            (void) writing(s);
            return;
        }
        usleep(100);
    }
    die("stub_status Writing never reached %d", want);
}

static int
wake_delete(long samples)
{
    int     pid_a, pid_b, n, cross, base;
    long    i;
    char    req[4096];
    double  t0, t1;
    conn_t *p, *e_cross, *e_same, *s, *e;
    resp_t  rp, re;

    memset(&rp, 0, sizeof(rp));
    memset(&re, 0, sizeof(re));
    p = calloc(1, sizeof(conn_t));
    e_cross = calloc(1, sizeof(conn_t));
    e_same = calloc(1, sizeof(conn_t));
    s = calloc(1, sizeof(conn_t));

    if ((size_t) samples > in.n) {
        die("%ld samples need as many applications", samples);
    }

    conn_on(p, 0);
    pid_a = p->pid;
    conn_on(s, pid_a);
    conn_on(e_same, pid_a);
    for (pid_b = 0, n = 0; n < 200; n++) {
        conn_init(e_cross);
        conn_probe(e_cross);
        if (e_cross->pid != pid_a) {
            pid_b = e_cross->pid;
            break;
        }
        close(e_cross->fd);
    }
    if (pid_b == 0) {
        die("all connections went to worker %d", pid_a);
    }

    base = writing(s);

    for (i = 0; i < samples; i++) {
        cross = !(i & 1);
        e = cross ? e_cross : e_same;

        n = snprintf(req, sizeof(req),
                     "GET %s/events?ack=1 HTTP/1.1\r\nHost: bench\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     in.f[0][i], in.f[1][i]);
        wait_writing(s, base);
        send_all(p->fd, req, n);
        wait_writing(s, base + 1);

        n = snprintf(req, sizeof(req),
                     "DELETE %s HTTP/1.1\r\nHost: bench\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     in.f[0][i], in.f[1][i]);
        t0 = now_us();
        send_all(e->fd, req, n);
        if (conn_wait(p, &rp, 10000) != 1) {
            die("sample %ld: the P-GET was not answered", i);
        }
        t1 = now_us();
        conn_consume(p, &rp);
        if (conn_wait(e, &re, 10000) != 1) {
            die("sample %ld: the DELETE was not answered", i);
        }
        conn_consume(e, &re);

        printf("%ld %s %.1f %d %d %d %d %s\n", i, cross ? "cross" : "same",
               t1 - t0, rp.status, re.status, p->pid, e->pid, in.f[0][i]);
    }

    return 0;
}

static int
wake_replace(long samples)
{
    int     n, k, base;
    long    i;
    char    req[4096];
    double  t0, t1;
    conn_t *c[2], *c3, *s[2], *holder, *taker, *sh;
    resp_t  r;

    memset(&r, 0, sizeof(r));
    for (k = 0; k < 2; k++) {
        c[k] = calloc(1, sizeof(conn_t));
        s[k] = calloc(1, sizeof(conn_t));
    }
    c3 = calloc(1, sizeof(conn_t));

    conn_on(c[0], 0);
    for (n = 0; n < 200; n++) {
        conn_init(c[1]);
        conn_probe(c[1]);
        if (c[1]->pid != c[0]->pid) {
            break;
        }
        close(c[1]->fd);
    }
    if (c[1]->pid == c[0]->pid) {
        die("all connections went to worker %d", c[0]->pid);
    }
    conn_on(s[0], c[0]->pid);
    conn_on(s[1], c[1]->pid);
    conn_on(c3, c[0]->pid);    /* same-worker taker of c[0]'s P-GET */

    base = writing(s[0]);

    n = snprintf(req, sizeof(req),
                 "GET %s/events?ack=1 HTTP/1.1\r\nHost: bench\r\n"
                 "Authorization: Bearer %s\r\n\r\n", in.f[0][0], in.f[1][0]);

    /* c[0] holds; even samples: c[1] takes (cross), then c[0] takes back
       (cross); every fourth pair a same-worker take: c3 takes from c[0],
       then c[0] takes back from c3 (same) */

    send_all(c[0]->fd, req, n);
    wait_writing(s[0], base + 1);
    holder = c[0];

    for (i = 0; i < samples; i++) {
        int same = (i % 4) >= 2;

        if (holder == c[0]) {
            taker = same ? c3 : c[1];
        } else {
            taker = c[0];
        }

        sh = (taker->pid == c[0]->pid) ? s[0] : s[1];

        t0 = now_us();
        send_all(taker->fd, req, n);
        if (conn_wait(holder, &r, 10000) != 1) {
            die("sample %ld: the held P-GET was not answered", i);
        }
        t1 = now_us();
        conn_consume(holder, &r);

        printf("%ld %s %.1f %d 0 %d %d %s\n", i,
               holder->pid != taker->pid ? "cross" : "same", t1 - t0,
               r.status, holder->pid, taker->pid, in.f[0][0]);

        holder = taker;
        /* the taker is parked once its worker counts it alone */
        wait_writing(sh, base + 1);
    }

    return 0;
}

/* note: lanes of (P-GET connection in one worker, event connection in
   the other) cycling park -> event -> release, staggered */

enum { L_DRAIN, L_IDLE, L_PARKING, L_WAIT };

typedef struct {
    conn_t  p, e;
    int     state, ack, p_done, e_done, p_status, e_status, seq;
    double  next_at, t0, t1;
    long    app;
} lane_t;

static int
wake_note(long samples, int nlanes)
{
    int            k, n, rc, w0, w1;
    long           got = 0, unparked = 0;
    char           req[4096], body[256];
    double         t;
    lane_t        *ls, *l;
    resp_t         r;
    struct pollfd *ps;

    memset(&r, 0, sizeof(r));
    if ((size_t) nlanes > in.n) {
        die("%d lanes need as many applications", nlanes);
    }

    ls = calloc(nlanes, sizeof(lane_t));
    ps = calloc(2 * nlanes, sizeof(struct pollfd));

    conn_on(&ls[0].p, 0);
    w0 = ls[0].p.pid;
    conn_on(&ls[0].e, 0);
    for (n = 0; n < 200 && ls[0].e.pid == w0; n++) {
        close(ls[0].e.fd);
        conn_on(&ls[0].e, 0);
    }
    w1 = ls[0].e.pid;
    if (w1 == w0) {
        die("all connections went to worker %d", w0);
    }

    for (k = 0; k < nlanes; k++) {
        l = &ls[k];
        if (k) {
            conn_on(&l->p, (k & 1) ? w1 : w0);
            conn_on(&l->e, (k & 1) ? w0 : w1);
        }
        l->app = k;
        l->ack = 1;
        l->state = L_DRAIN;
        n = snprintf(req, sizeof(req),
                     "GET %s/events?ack=1 HTTP/1.1\r\nHost: bench\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     in.f[0][k], in.f[1][k]);
        send_all(l->p.fd, req, n);
    }

    fprintf(stderr, "ucwa_client: %d lanes, draining the sign-in events "
            "(up to 5 s)\n", nlanes);

    t = now_us();

    while (got < samples) {
        double now = now_us();

        for (k = 0; k < nlanes; k++) {
            l = &ls[k];
            if (l->state == L_IDLE && now >= l->next_at) {
                n = snprintf(req, sizeof(req),
                             "GET %s/events?ack=%d HTTP/1.1\r\nHost: bench\r\n"
                             "Authorization: Bearer %s\r\n\r\n",
                             in.f[0][l->app], l->ack, in.f[1][l->app]);
                send_all(l->p.fd, req, n);
                l->state = L_PARKING;
                l->next_at = now + 10000;
            } else if (l->state == L_PARKING && now >= l->next_at) {
                int blen = snprintf(body, sizeof(body),
                                    "{\"message\":\"bench %d/%d\"}", k,
                                    ++l->seq);
                n = snprintf(req, sizeof(req),
                             "POST %s/me/note HTTP/1.1\r\nHost: bench\r\n"
                             "Authorization: Bearer %s\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: %d\r\n\r\n%s",
                             in.f[0][l->app], in.f[1][l->app], blen, body);
                l->t0 = now_us();
                send_all(l->e.fd, req, n);
                l->state = L_WAIT;
                l->p_done = l->e_done = 0;
            }
            ps[2 * k].fd = l->p.fd;
            ps[2 * k].events = POLLIN;
            ps[2 * k + 1].fd = l->e.fd;
            ps[2 * k + 1].events = POLLIN;
        }

        if (poll(ps, 2 * nlanes, 1) < 0 && errno != EINTR) {
            die("poll: %s", strerror(errno));
        }

        for (k = 0; k < nlanes; k++) {
            l = &ls[k];

            if (ps[2 * k].revents) {
                rc = conn_read(&l->p, &r);
                if (rc < 0) {
                    die("lane %d: P-GET connection closed", k);
                }
                if (rc == 1) {
                    double t1 = now_us();
                    l->ack = parse_next_ack(&r, l->ack + 1);
                    if (l->state == L_DRAIN) {
                        /* stagger the lanes over the hold time */
                        l->state = L_IDLE;
                        l->next_at = t1 + (5000000.0 / nlanes) * k;
                    } else if (l->state == L_PARKING) {
                        /* answered before any event (something was
                           pending): park again with the next ack */
                        l->state = L_IDLE;
                        l->next_at = t1;
                        unparked++;
                    } else {
                        l->p_done = 1;
                        l->t1 = t1;
                        l->p_status = r.status;
                    }
                    conn_consume(&l->p, &r);
                }
            }

            if (ps[2 * k + 1].revents) {
                rc = conn_read(&l->e, &r);
                if (rc < 0) {
                    die("lane %d: event connection closed", k);
                }
                if (rc == 1) {
                    l->e_done = 1;
                    l->e_status = r.status;
                    conn_consume(&l->e, &r);
                }
            }

            if (l->state == L_WAIT && l->p_done && l->e_done) {
                printf("%ld cross %.1f %d %d %d %d %s\n", got, l->t1 - l->t0,
                       l->p_status, l->e_status, l->p.pid, l->e.pid,
                       in.f[0][l->app]);
                got++;
                l->state = L_IDLE;
                l->next_at = now_us();
            }
        }

        if (now_us() - t > (samples / (double) nlanes * 6 + 60) * 1e6) {
            die("too slow: %ld samples", got);
        }
    }

    if (unparked) {
        fprintf(stderr, "ucwa_client: %ld P-GETs were answered before their "
                "event (not counted)\n", unparked);
    }

    return 0;
}

static int
cmd_wake(int argc, char **argv)
{
    long samples;

    if (argc < 5) {
        die("wake PORT ACCESS_LOG MODE APPS_FILE SAMPLES [LANES]");
    }

    access_log = argv[1];
    lines_read(argv[3], &in, 2);
    samples = atol(argv[4]);
    run_id = getpid();
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(argv[2], "delete") == 0) {
        return wake_delete(samples);
    }
    if (strcmp(argv[2], "replace") == 0) {
        return wake_replace(samples);
    }
    if (strcmp(argv[2], "note") == 0) {
        return wake_note(samples, argc > 5 ? atoi(argv[5]) : 100);
    }

    die("unknown wake mode %s", argv[2]);
    return 2;
}

/* ------------------------------------------------------------------ */
/* fanout (W5)                                                        */

/*
 * One publisher, M long-poll watchers parked on one harness process (from
 * NSRC loopback source addresses), ROUNDS publishes; after each delivery
 * the watcher re-issues its request at once.
 *
 * ucwa : watcher i sends GET <href>/events?ack=<next>&timeout=1800 with
 *        its token; the publisher POSTs <pub href>/me/presence with the
 *        availability alternating Busy / Online; a delivery is a 200
 *        package naming contactPresence.
 * nchan: watcher i sends the same request line and headers (the location
 *        maps every application to one channel), with If-Modified-Since /
 *        If-None-Match from its last message; the publisher POSTs
 *        /pub/w5 a BYTES-long body "round=<r>;xxx..."; a delivery is a
 *        200 whose body names the round.
 */

typedef struct {
    conn_t  c;
    int     ack;
    long    got;            /* round of the last delivery */
    char    etag[96];
    char    lastmod[64];
} fo_sub_t;

static int       fo_nchan;
static long      fo_bytes = 700;
static size_t    fo_body_len;       /* of the last delivery */
static fo_sub_t *fo_subs;

static void
header_copy(resp_t *r, const char *name, char *dst, size_t size)
{
    const char *h, *e;

    h = header_find(r->head, r->hlen, name);
    if (h == NULL) {
        return;
    }
    e = strchr(h, '\r');
    if (e == NULL || (size_t) (e - h) >= size) {
        return;
    }
    memcpy(dst, h, e - h);
    dst[e - h] = '\0';
}

static void
fo_request(long i)
{
    int        n;
    char       req[4096];
    fo_sub_t  *s = &fo_subs[i];

    if (fo_nchan) {
        n = snprintf(req, sizeof(req),
                     "GET %s/events?ack=1 HTTP/1.1\r\nHost: bench\r\n"
                     "Authorization: Bearer %s\r\n%s%s%s%s%s%s\r\n",
                     in.f[0][i], in.f[1][i],
                     s->lastmod[0] ? "If-Modified-Since: " : "", s->lastmod,
                     s->lastmod[0] ? "\r\n" : "",
                     s->etag[0] ? "If-None-Match: " : "", s->etag,
                     s->etag[0] ? "\r\n" : "");
    } else {
        n = snprintf(req, sizeof(req),
                     "GET %s/events?ack=%d&timeout=1800 HTTP/1.1\r\n"
                     "Host: bench\r\nAuthorization: Bearer %s\r\n\r\n",
                     in.f[0][i], s->ack, in.f[1][i]);
    }

    send_all(s->c.fd, req, n);
}

/* 1: the response delivers round "round" */
static int
fo_response(long i, resp_t *r, long round)
{
    char      mark[64];
    fo_sub_t *s = &fo_subs[i];

    if (fo_nchan) {
        header_copy(r, "Last-Modified", s->lastmod, sizeof(s->lastmod));
        header_copy(r, "Etag", s->etag, sizeof(s->etag));
        snprintf(mark, sizeof(mark), "round=%ld;", round);
        fo_body_len = r->body_len;
        return r->status == 200
               && memmem(r->body, r->body_len, mark, strlen(mark)) != NULL;
    }

    s->ack = parse_next_ack(r, s->ack);
    fo_body_len = r->body_len;

    return r->status == 200
           && memmem(r->body, r->body_len, "contactPresence", 15) != NULL;
}

static int
fo_publish_request(long round, const char *href, const char *token,
    char *buf, size_t size)
{
    int   n;
    char *body;

    if (fo_nchan) {
        body = malloc(fo_bytes + 1);
        n = snprintf(body, fo_bytes + 1, "round=%ld;", round);
        memset(body + n, 'x', fo_bytes - n);
        body[fo_bytes] = '\0';
        n = snprintf(buf, size,
                     "POST /pub/w5 HTTP/1.1\r\nHost: bench\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %ld\r\n\r\n%s", fo_bytes, body);
        free(body);
        return n;
    }

    body = (round & 1) ? "{\"availability\":\"Busy\"}"
                       : "{\"availability\":\"Online\"}";

    return snprintf(buf, size,
                    "POST %s/me/presence HTTP/1.1\r\nHost: bench\r\n"
                    "Authorization: Bearer %s\r\n"
                    "Content-Type: application/json\r\n"
                    "Content-Length: %zu\r\n\r\n%s",
                    href, token, strlen(body), body);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

static double
pctl(double *v, long n, double p)
{
    long k = (long) (p * n);

    if (n == 0) {
        return 0;
    }
    return v[k >= n ? n - 1 : k];
}

/*
 * Reads every response of the readable watchers; each is answered by a
 * new request at once.  Returns how many deliveries of "round" (first
 * ones) it saw; lat[i] gets the latency of watcher i (us from t0).
 */
static long  fo_dup, fo_bad, fo_spurious;
static double fo_last_io;

static long
fo_poll(int efd, long m, int ms, long round, double t0, double *lat,
    conn_t *pub, int *pub_status, double *pub_us)
{
    int                 n, k, rc;
    long                i, got = 0;
    double              t;
    resp_t              r;
    struct epoll_event  evs[512];

    memset(&r, 0, sizeof(r));
    n = epoll_wait(efd, evs, 512, ms);

    for (k = 0; k < n; k++) {
        i = (long) evs[k].data.u64;

        if (i == m) {
            while ((rc = conn_read(pub, &r)) == 1) {
                *pub_status = r.status;
                *pub_us = now_us() - t0;
                conn_consume(pub, &r);
            }
            if (rc < 0) {
                die("publisher connection closed");
            }
            continue;
        }

        while ((rc = conn_read(&fo_subs[i].c, &r)) == 1) {
            t = now_us();
            fo_last_io = t;
            if (round == 0) {
                (void) fo_response(i, &r, 0);
                fo_spurious++;
            } else if (fo_response(i, &r, round)) {
                if (fo_subs[i].got == round) {
                    fo_dup++;
                } else {
                    fo_subs[i].got = round;
                    lat[i] = t - t0;
                    got++;
                }
            } else {
                if (fo_bad < 3) {
                    fprintf(stderr, "ucwa_client: watcher %ld round %ld: "
                            "HTTP %d %.*s\n", i, round, r.status,
                            (int) (r.body_len > 300 ? 300 : r.body_len),
                            r.body);
                }
                fo_bad++;
            }
            conn_consume(&fo_subs[i].c, &r);
            fo_request(i);
        }

        if (rc < 0) {
            die("watcher %ld: connection closed", i);
        }
    }

    free(r.head);
    return got;
}

/* waits until all m requests are parked and nothing arrived for quiet_ms */
static void
fo_settle(int efd, long m, conn_t *st, int quiet_ms, double limit_s)
{
    int     w;
    double  start = now_us(), last_check = 0;
    conn_t  dummy;

    memset(&dummy, 0, sizeof(dummy));

    for ( ;; ) {
        int ps = 0;
        double ph = 0;

        (void) fo_poll(efd, m, 20, 0, 0, NULL, &dummy, &ps, &ph);

        if (now_us() - last_check > 50000) {
            last_check = now_us();
            w = writing(st);
            if (w == m + 1 && now_us() - fo_last_io > quiet_ms * 1000.0) {
                return;
            }
        }

        if (now_us() - start > limit_s * 1e6) {
            die("watchers not settled after %.0f s (Writing %d, want %ld)",
                limit_s, writing(st), m + 1);
        }
    }
}

/* the CPU time (ns) used so far by the processes in W5_PIDS (nginx's
   workers), 0 without them: what a publish costs the server */
static double
fo_server_cpu_ns(void)
{
    char        path[64], *list, *p, *end;
    long        pid;
    FILE       *f;
    double      t;
    long long   ns;

    list = getenv("W5_PIDS");
    t = 0;

    for (p = list; p && *p; p = end) {
        pid = strtol(p, &end, 10);
        if (end == p) {
            break;
        }
        snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
        f = fopen(path, "r");
        if (f == NULL) {
            continue;
        }
        if (fscanf(f, "%lld", &ns) == 1) {
            t += (double) ns;
        }
        fclose(f);
    }

    return t;
}


static int
cmd_fanout(int argc, char **argv)
{
    int                 nsrc, efd, n, pub_status;
    long                m, rounds, round, i, got, lost;
    char                src[32], req[8192];
    double              t0, *lat, *sorted, limit, pub_us, hold, cpu;
    FILE               *raw;
    lines_t             pub;
    conn_t              pubc, st;
    struct epoll_event  ev;

    if (argc < 7) {
        die("fanout PORT NSRC ucwa|nchan WATCHERS_FILE M ROUNDS PUB_FILE "
            "RAW_OUT [BYTES]");
    }

    nsrc = atoi(argv[1]);
    fo_nchan = strcmp(argv[2], "nchan") == 0;
    lines_read(argv[3], &in, 2);
    m = atol(argv[4]);
    rounds = atol(argv[5]);
    lines_read(argv[6], &pub, 2);
    raw = fopen(argv[7], "a");
    if (argc > 8) {
        fo_bytes = atol(argv[8]);
    }
    if (raw == NULL) {
        die("%s: %s", argv[7], strerror(errno));
    }
    if ((size_t) m > in.n || pub.n < 1) {
        die("%ld watchers need as many applications, %s has %zu", m,
            argv[3], in.n);
    }
    if (fo_bytes < 32 || fo_bytes > 4000) {
        die("BYTES must be 32..4000");
    }

    hold = fo_nchan ? 0 : 5e6;
    setvbuf(stdout, NULL, _IOLBF, 0);

    fo_subs = calloc(m, sizeof(fo_sub_t));
    lat = calloc(m, sizeof(double));
    sorted = calloc(m, sizeof(double));
    efd = epoll_create1(0);

    conn_init(&st);
    conn_init(&pubc);
    ev.events = EPOLLIN;
    ev.data.u64 = m;
    epoll_ctl(efd, EPOLL_CTL_ADD, pubc.fd, &ev);

    if (!fo_nchan) {
        /* a known state: Online, so that round 1 (Busy) is a change
           whatever an earlier run left; a change made here reaches the
           watchers before the first publish and is drained below */
        resp_t  r;

        memset(&r, 0, sizeof(r));
        n = fo_publish_request(0, pub.f[0][0], pub.f[1][0], req, sizeof(req));
        send_all(pubc.fd, req, n);
        if (conn_wait(&pubc, &r, 10000) != 1 || r.status != 204) {
            die("setting the publisher Online: HTTP %d", r.status);
        }
        conn_consume(&pubc, &r);
        free(r.head);
    }

    t0 = now_us();
    for (i = 0; i < m; i++) {
        snprintf(src, sizeof(src), "127.0.0.%d", 2 + (int) (i % nsrc));
        fo_subs[i].c.fd = conn_open(src);
        fo_subs[i].c.job = -1;
        fo_subs[i].ack = 1;
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(efd, EPOLL_CTL_ADD, fo_subs[i].c.fd, &ev);
        fo_request(i);
    }

    /* the first requests may be answered at once with what was pending
       (sign-in events, a resync), or within the 5 s medium hold (a
       presence change made when nginx started): those are re-issued
       until nothing came for longer than the hold */
    fo_last_io = now_us();
    fo_settle(efd, m, &st, fo_nchan ? 1000 : 6000, 120 + m / 50);
    printf("parked %ld %.3f drained %ld\n", m, (now_us() - t0) / 1e6,
           fo_spurious);

    for (round = 1; round <= rounds; round++) {
        fo_spurious = 0;
        if (round > 1) {
            fo_settle(efd, m, &st, 200, 60 + m / 100);
        }

        for (i = 0; i < m; i++) {
            lat[i] = -1;
        }
        fo_dup = fo_bad = 0;
        pub_status = 0;
        pub_us = 0;

        n = fo_publish_request(round, pub.f[0][0], pub.f[1][0], req,
                               sizeof(req));
        limit = hold + 30e6 + m * 1000.0;
        cpu = fo_server_cpu_ns();
        t0 = now_us();
        send_all(pubc.fd, req, n);

        for (got = 0; got < m && now_us() - t0 < limit; ) {
            got += fo_poll(efd, m, 10, round, t0, lat, &pubc, &pub_status,
                           &pub_us);
        }

        /* duplicates or late answers right after the last delivery */
        while (pub_status == 0 && now_us() - t0 < limit) {
            (void) fo_poll(efd, m, 10, round, t0, lat, &pubc, &pub_status,
                           &pub_us);
        }
        {
            double until = now_us() + 100000;
            while (now_us() < until) {
                (void) fo_poll(efd, m, 10, round, t0, lat, &pubc,
                               &pub_status, &pub_us);
            }
        }

        cpu = fo_server_cpu_ns() - cpu;

        for (i = 0, n = 0; i < m; i++) {
            if (lat[i] >= 0) {
                sorted[n++] = lat[i];
                fprintf(raw, "%s %ld %ld %.1f\n", argv[2], m, round, lat[i]);
            }
        }
        lost = m - n;
        qsort(sorted, n, sizeof(double), cmp_double);

        printf("round %ld m %ld delivered %d lost %ld dup %ld bad %ld "
               "early %ld pub_status %d pub_ms %.3f p50_ms %.3f p99_ms %.3f "
               "last_ms %.3f bytes %zu cpu_us %.0f\n", round, m, n, lost,
               fo_dup, fo_bad, fo_spurious, pub_status, pub_us / 1000,
               pctl(sorted, n, .5) / 1000, pctl(sorted, n, .99) / 1000,
               n ? sorted[n - 1] / 1000 : 0, fo_body_len, cpu / 1000);
    }

    fclose(raw);
    return 0;
}


/* ------------------------------------------------------------------ */
/* im (IM round trip)                                                 */

/*
 * LANES conversations, each between application A (P-GET and commands on
 * worker w0) and application B (on worker w1), so that every message
 * crosses workers.  PAIRS_FILE: "hrefA tokenA hrefB tokenB sipB" lines.
 * Set-up: A invites B, B accepts (by the conversation id, which both
 * sides share), both channels are drained.  Then, closed loop per lane
 * for DURATION seconds: A posts "a<lane>x<seq>", B's P-GET delivers it
 * (one-way latency), B posts "b<lane>x<seq>" at once, A's P-GET delivers
 * it (round trip).  A message not delivered within 5 s is lost (the lane
 * goes on with the next one); a marker seen twice is a duplicate.
 * Output: one line per round trip "rtt <us> <one-way us> <lane>" and a
 * summary "im lanes L seconds S sent N delivered D lost X dup Y bad Z".
 */

enum { IM_IDLE, IM_PING, IM_PONG };

typedef struct {
    conn_t   pa, pb, ca, cb;         /* P-GETs and command connections */
    char    *href_a, *tok_a, *href_b, *tok_b, *sip_b;
    char     conv[64];
    int      ack_a, ack_b, state, a_ok, b_ok;
    long     seq;
    double   t0, t_one, deadline;
} im_lane_t;

static long im_sent, im_delivered, im_lost, im_dup, im_bad;

static void
im_pget(conn_t *c, const char *href, int ack, const char *tok)
{
    int  n;
    char req[4096];

    n = snprintf(req, sizeof(req),
                 "GET %s/events?ack=%d&timeout=1800 HTTP/1.1\r\n"
                 "Host: bench\r\nAuthorization: Bearer %s\r\n\r\n",
                 href, ack, tok);
    send_all(c->fd, req, n);
}

static void
im_post(conn_t *c, const char *href, const char *tok, const char *path,
    const char *type, const char *body)
{
    int  n;
    char req[4096];

    n = snprintf(req, sizeof(req),
                 "POST %s%s HTTP/1.1\r\nHost: bench\r\n"
                 "Authorization: Bearer %s\r\n"
                 "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
                 href, path, tok, type, strlen(body), body);
    send_all(c->fd, req, n);
}

static void
im_send(im_lane_t *l, int k, int from_a)
{
    char path[256], text[64];

    snprintf(path, sizeof(path),
             "/communication/conversations/%s/messaging/messages", l->conv);
    snprintf(text, sizeof(text), "%c%dx%ld", from_a ? 'a' : 'b', k, l->seq);

    if (from_a) {
        l->t0 = now_us();
        im_post(&l->ca, l->href_a, l->tok_a, path, "text/plain", text);
        l->state = IM_PING;
        im_sent++;
    } else {
        im_post(&l->cb, l->href_b, l->tok_b, path, "text/plain", text);
        l->state = IM_PONG;
        im_sent++;
    }
    l->deadline = now_us() + 5e6;
}

/* does the body carry text as a whole word of a plainMessage data URI? */
static int
im_has(resp_t *r, const char *text)
{
    char  mark[96];

    snprintf(mark, sizeof(mark), "charset=utf-8,%s\"", text);
    return memmem(r->body, r->body_len, mark, strlen(mark)) != NULL;
}

static int
cmd_im(int argc, char **argv)
{
    int            k, n, rc, nl, w0, w1, lanes, hit;
    long           i;
    char          *p, body[512], text[64], prev[64];
    double         dur, start, t;
    resp_t         r;
    lines_t        pl;
    im_lane_t     *ls, *l;
    struct pollfd *ps;

    if (argc < 5) {
        die("im PORT ACCESS_LOG PAIRS_FILE LANES SECONDS");
    }

    access_log = argv[1];
    lines_read(argv[2], &pl, 2);
    lanes = atoi(argv[3]);
    dur = atof(argv[4]);
    run_id = getpid();
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&r, 0, sizeof(r));

    if (lanes < 1 || (size_t) lanes > pl.n) {
        die("%d lanes need as many pairs, %s has %zu", lanes, argv[2], pl.n);
    }

    ls = calloc(lanes, sizeof(im_lane_t));
    ps = calloc(4 * lanes, sizeof(struct pollfd));

    /* two workers: w0 serves A's side, w1 B's side */
    conn_on(&ls[0].pa, 0);
    w0 = ls[0].pa.pid;
    for (n = 0, w1 = w0; n < 200 && w1 == w0; n++) {
        conn_init(&ls[0].pb);
        conn_probe(&ls[0].pb);
        w1 = ls[0].pb.pid;
        if (w1 == w0) {
            close(ls[0].pb.fd);
        }
    }
    if (w1 == w0) {
        die("all connections went to worker %d", w0);
    }

    for (k = 0; k < lanes; k++) {
        l = &ls[k];
        if (k) {
            conn_on(&l->pa, w0);
            conn_on(&l->pb, w1);
        }
        conn_on(&l->ca, w0);
        conn_on(&l->cb, w1);

        l->href_a = pl.f[0][k];
        l->tok_a = strtok(pl.f[1][k], " ");
        l->href_b = strtok(NULL, " ");
        l->tok_b = strtok(NULL, " ");
        l->sip_b = strtok(NULL, " ");
        if (l->sip_b == NULL) {
            die("%s line %d: want \"hrefA tokenA hrefB tokenB sipB\"",
                argv[2], k + 1);
        }

        /* the conversation: A invites, B accepts by id */
        n = snprintf(body, sizeof(body),
                     "{\"to\":\"sip:%s\",\"operationId\":\"bench-%d-%d\"}",
                     l->sip_b, run_id, k);
        im_post(&l->ca, l->href_a, l->tok_a,
                "/communication/messagingInvitations", "application/json",
                body);
        if (conn_wait(&l->ca, &r, 10000) != 1 || r.status != 201) {
            die("lane %d: invitation: HTTP %d", k, r.status);
        }
        p = strstr(r.head, "/messagingInvitations/");
        if (p == NULL || sscanf(p, "/messagingInvitations/%63[0-9a-f]",
                                l->conv) != 1)
        {
            die("lane %d: invitation without a Location", k);
        }
        conn_consume(&l->ca, &r);

        snprintf(body, sizeof(body),
                 "/communication/messagingInvitations/%s/accept", l->conv);
        im_post(&l->cb, l->href_b, l->tok_b, body, "application/json", "");
        if (conn_wait(&l->cb, &r, 10000) != 1 || r.status != 204) {
            die("lane %d: accept: HTTP %d", k, r.status);
        }
        conn_consume(&l->cb, &r);

        l->ack_a = l->ack_b = 1;
        im_pget(&l->pa, l->href_a, 1, l->tok_a);
        im_pget(&l->pb, l->href_b, 1, l->tok_b);
    }

    /* drain: re-issue the P-GETs until none answers for 1.5 s (the
       sign-in events are overdue medium ones, released at once) */
    for (t = now_us(); now_us() - t < 1.5e6; ) {
        for (k = 0; k < lanes; k++) {
            ps[2 * k].fd = ls[k].pa.fd;
            ps[2 * k].events = POLLIN;
            ps[2 * k + 1].fd = ls[k].pb.fd;
            ps[2 * k + 1].events = POLLIN;
        }
        if (poll(ps, 2 * lanes, 100) <= 0) {
            continue;
        }
        for (k = 0; k < lanes; k++) {
            l = &ls[k];
            if (ps[2 * k].revents) {
                while ((rc = conn_read(&l->pa, &r)) == 1) {
                    l->ack_a = parse_next_ack(&r, l->ack_a);
                    conn_consume(&l->pa, &r);
                    im_pget(&l->pa, l->href_a, l->ack_a, l->tok_a);
                    t = now_us();
                }
                if (rc < 0) {
                    die("lane %d: P-GET of A closed", k);
                }
            }
            if (ps[2 * k + 1].revents) {
                while ((rc = conn_read(&l->pb, &r)) == 1) {
                    l->ack_b = parse_next_ack(&r, l->ack_b);
                    conn_consume(&l->pb, &r);
                    im_pget(&l->pb, l->href_b, l->ack_b, l->tok_b);
                    t = now_us();
                }
                if (rc < 0) {
                    die("lane %d: P-GET of B closed", k);
                }
            }
        }
    }

    fprintf(stderr, "ucwa_client: %d lanes set up (workers %d and %d)\n",
            lanes, w0, w1);

    start = now_us();
    for (k = 0; k < lanes; k++) {
        ls[k].seq = 1;
        im_send(&ls[k], k, 1);
    }

    nl = 4 * lanes;

    while (now_us() - start < dur * 1e6) {
        for (k = 0; k < lanes; k++) {
            ps[4 * k].fd = ls[k].pa.fd;
            ps[4 * k + 1].fd = ls[k].pb.fd;
            ps[4 * k + 2].fd = ls[k].ca.fd;
            ps[4 * k + 3].fd = ls[k].cb.fd;
            for (n = 0; n < 4; n++) {
                ps[4 * k + n].events = POLLIN;
                ps[4 * k + n].revents = 0;
            }
        }

        if (poll(ps, nl, 10) < 0 && errno != EINTR) {
            die("poll: %s", strerror(errno));
        }

        for (k = 0; k < lanes; k++) {
            l = &ls[k];

            /* command responses: 201 for every message */
            for (n = 2; n < 4; n++) {
                conn_t *c = n == 2 ? &l->ca : &l->cb;
                if (!ps[4 * k + n].revents) {
                    continue;
                }
                while ((rc = conn_read(c, &r)) == 1) {
                    if (r.status != 201) {
                        if (im_bad < 3) {
                            fprintf(stderr, "ucwa_client: lane %d: message "
                                    "POST: HTTP %d %.*s\n", k, r.status,
                                    (int) (r.body_len > 200 ? 200
                                           : r.body_len), r.body);
                        }
                        im_bad++;
                    }
                    conn_consume(c, &r);
                }
                if (rc < 0) {
                    die("lane %d: command connection closed", k);
                }
            }

            /* B's P-GET: A's message */
            if (ps[4 * k + 1].revents) {
                while ((rc = conn_read(&l->pb, &r)) == 1) {
                    t = now_us();
                    l->ack_b = parse_next_ack(&r, l->ack_b);
                    snprintf(text, sizeof(text), "a%dx%ld", k, l->seq);
                    snprintf(prev, sizeof(prev), "a%dx%ld", k, l->seq - 1);
                    if (l->seq > 1 && im_has(&r, prev)) {
                        im_dup++;
                    }
                    if (r.status != 200) {
                        im_bad++;
                    }
                    if (l->state == IM_PING && im_has(&r, text)) {
                        im_delivered++;
                        l->t_one = t - l->t0;
                        conn_consume(&l->pb, &r);
                        im_pget(&l->pb, l->href_b, l->ack_b, l->tok_b);
                        im_send(l, k, 0);
                        continue;
                    }
                    conn_consume(&l->pb, &r);
                    im_pget(&l->pb, l->href_b, l->ack_b, l->tok_b);
                }
                if (rc < 0) {
                    die("lane %d: P-GET of B closed", k);
                }
            }

            /* A's P-GET: B's reply (or A's own outgoing completion) */
            if (ps[4 * k].revents) {
                while ((rc = conn_read(&l->pa, &r)) == 1) {
                    t = now_us();
                    l->ack_a = parse_next_ack(&r, l->ack_a);
                    snprintf(text, sizeof(text), "b%dx%ld", k, l->seq);
                    snprintf(prev, sizeof(prev), "b%dx%ld", k, l->seq - 1);
                    if (l->seq > 1 && im_has(&r, prev)) {
                        im_dup++;
                    }
                    if (r.status != 200) {
                        im_bad++;
                    }
                    hit = l->state == IM_PONG && im_has(&r, text);
                    conn_consume(&l->pa, &r);
                    im_pget(&l->pa, l->href_a, l->ack_a, l->tok_a);
                    if (hit) {
                        im_delivered++;
                        printf("rtt %.1f %.1f %d\n", t - l->t0, l->t_one, k);
                        l->seq++;
                        im_send(l, k, 1);
                    }
                }
                if (rc < 0) {
                    die("lane %d: P-GET of A closed", k);
                }
            }

            if (now_us() > l->deadline) {
                im_lost++;
                fprintf(stderr, "ucwa_client: lane %d: message %ld (%s) "
                        "not delivered in 5 s\n", k, l->seq,
                        l->state == IM_PING ? "ping" : "pong");
                l->seq++;
                im_send(l, k, 1);
            }
        }
    }

    t = now_us();

    /* the messages still in flight when the time is up are waited for */
    for (i = 0; i < 500; i++) {
        int busy = 0;
        for (k = 0; k < lanes; k++) {
            busy += ls[k].state != IM_IDLE;
        }
        if (!busy) {
            break;
        }
        for (k = 0; k < lanes; k++) {
            l = &ls[k];
            if (l->state == IM_PING) {
                rc = conn_wait(&l->pb, &r, 10);
                if (rc == 1) {
                    snprintf(text, sizeof(text), "a%dx%ld", k, l->seq);
                    if (im_has(&r, text)) {
                        im_delivered++;
                        l->state = IM_IDLE;
                    }
                    conn_consume(&l->pb, &r);
                    l->ack_b = parse_next_ack(&r, l->ack_b);
                    im_pget(&l->pb, l->href_b, l->ack_b, l->tok_b);
                }
            } else if (l->state == IM_PONG) {
                rc = conn_wait(&l->pa, &r, 10);
                if (rc == 1) {
                    snprintf(text, sizeof(text), "b%dx%ld", k, l->seq);
                    if (im_has(&r, text)) {
                        im_delivered++;
                        l->state = IM_IDLE;
                    }
                    conn_consume(&l->pa, &r);
                    l->ack_a = parse_next_ack(&r, l->ack_a);
                    im_pget(&l->pa, l->href_a, l->ack_a, l->tok_a);
                }
            }
            if (l->state != IM_IDLE && now_us() > l->deadline) {
                im_lost++;
                l->state = IM_IDLE;
            }
        }
    }

    printf("im lanes %d seconds %.3f sent %ld delivered %ld lost %ld dup %ld "
           "bad %ld\n", lanes, (t - start) / 1e6, im_sent, im_delivered,
           im_lost, im_dup, im_bad);

    free(r.head);
    return 0;
}


/* ------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
    int i;

    signal(SIGPIPE, SIG_IGN);

    if (argc < 3) {
        die("usage: see the comment at the top of ucwa_client.c");
    }

    port = atoi(argv[2]);

    if (strcmp(argv[1], "tokens") == 0 && argc == 6) {
        lines_read(argv[4], &in, 2);
        password = argv[5];
        run_jobs(atoi(argv[3]), in.n, make_token, done_token);
        return 0;
    }

    if (strcmp(argv[1], "create") == 0 && argc == 6) {
        lines_read(argv[4], &in, 2);
        per_user = atoi(argv[5]);
        run_jobs(atoi(argv[3]), (long) in.n * per_user, make_create,
                 done_create);
        return 0;
    }

    if (strcmp(argv[1], "call") == 0 && (argc == 7 || argc == 8)) {
        lines_read(argv[4], &in, 2);
        method = argv[5];
        suffix = argv[6];
        json_body = argc == 8 ? argv[7] : NULL;
        run_jobs(atoi(argv[3]), in.n, make_call, done_call);
        for (i = 0; i < 600; i++) {
            if (status_count[i]) {
                printf("%d %ld\n", i, status_count[i]);
            }
        }
        return 0;
    }

    if (strcmp(argv[1], "park") == 0) {
        return cmd_park(argc - 2, argv + 2);
    }

    if (strcmp(argv[1], "wake") == 0) {
        return cmd_wake(argc - 2, argv + 2);
    }

    if (strcmp(argv[1], "fanout") == 0) {
        return cmd_fanout(argc - 2, argv + 2);
    }

    if (strcmp(argv[1], "im") == 0) {
        return cmd_im(argc - 2, argv + 2);
    }

    die("usage: see the comment at the top of ucwa_client.c");
    return 2;
}
