/*
 * ucwa_client: the HTTP/1.1 client of the UCWA benchmarks (bench/w2-ucwa-get.sh,
 * bench/w4-pget-park.sh, bench/wake-latency.sh).  Plain C, no dependencies;
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
 * Times are CLOCK_MONOTONIC; a latency is from just before the
 * event-causing request is written to when the whole P-GET response has
 * been read.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define RBUF 65536

static int port;

static void
die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "ucwa_client: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static double
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ------------------------------------------------------------------ */
/* input files                                                        */

typedef struct {
    char  **a;      /* first field */
    char  **b;      /* second field (or NULL) */
    size_t  n;
} lines_t;

static void
lines_read(const char *path, lines_t *l)
{
    FILE    *f;
    char    *line = NULL, *sp;
    size_t   cap = 0, alloc = 0;
    ssize_t  len;

    f = fopen(path, "r");
    if (f == NULL) {
        die("%s: %s", path, strerror(errno));
    }

    memset(l, 0, sizeof(*l));

    while ((len = getline(&line, &cap, f)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        if (l->n == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            l->a = realloc(l->a, alloc * sizeof(char *));
            l->b = realloc(l->b, alloc * sizeof(char *));
        }
        sp = strchr(line, ' ');
        if (sp) {
            *sp = '\0';
            l->b[l->n] = strdup(sp + 1);
        } else {
            l->b[l->n] = NULL;
        }
        l->a[l->n] = strdup(line);
        l->n++;
    }

    free(line);
    fclose(f);
}

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

typedef struct {
    int     status;
    size_t  total;      /* bytes of the whole response */
    char   *head;       /* NUL-terminated copy of the header */
    char   *body;
    size_t  body_len;
} resp_t;

static int
conn_open_from(const char *src)
{
    int                 fd, one = 1;
    struct sockaddr_in  sa;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        die("socket: %s", strerror(errno));
    }

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (src) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        inet_pton(AF_INET, src, &sa.sin_addr);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
            die("bind %s: %s", src, strerror(errno));
        }
    }

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        die("connect to port %d: %s", port, strerror(errno));
    }

    return fd;
}

static void
conn_init(conn_t *c)
{
    c->fd = conn_open_from(NULL);
    c->rlen = 0;
    c->job = -1;
    c->pid = 0;
}

static void
write_all(int fd, const char *buf, size_t len)
{
    ssize_t n;

    while (len) {
        n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                struct pollfd p = { fd, POLLOUT, 0 };
                poll(&p, 1, 1000);
                continue;
            }
            die("write: %s", strerror(errno));
        }
        buf += n;
        len -= n;
    }
}

static const char *
header_find(const char *head, const char *name)
{
    size_t      nl = strlen(name);
    const char *p = head;

    while ((p = strchr(p, '\n')) != NULL) {
        p++;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ') {
                p++;
            }
            return p;
        }
    }

    return NULL;
}

/* 1: a whole response is in buf (r filled), 0: need more */
static int
resp_parse(char *buf, size_t len, resp_t *r)
{
    char       *end, *p;
    const char *h;
    size_t      hlen, clen;

    end = memmem(buf, len, "\r\n\r\n", 4);
    if (end == NULL) {
        return 0;
    }

    hlen = end + 4 - buf;

    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0) {
        die("not an HTTP response: %.40s", buf);
    }

    free(r->head);
    r->head = strndup(buf, hlen);
    r->status = atoi(buf + 9);

    if (r->status == 204 || r->status == 304 || r->status / 100 == 1) {
        clen = 0;

    } else if ((h = header_find(r->head, "Content-Length")) != NULL) {
        clen = strtoul(h, NULL, 10);

    } else if ((h = header_find(r->head, "Transfer-Encoding")) != NULL
               && strncasecmp(h, "chunked", 7) == 0)
    {
        p = memmem(buf + hlen, len - hlen, "0\r\n\r\n", 5);
        if (p == NULL) {
            return 0;
        }
        r->body = buf + hlen;
        r->body_len = p - r->body;
        r->total = p + 5 - buf;
        return 1;

    } else {
        die("response without a length: %s", r->head);
    }

    if (len < hlen + clen) {
        return 0;
    }

    r->body = buf + hlen;
    r->body_len = clen;
    r->total = hlen + clen;

    return 1;
}

/* reads what is there; 1 a response is complete, 0 not yet, -1 closed */
static int
conn_read(conn_t *c, resp_t *r)
{
    ssize_t n;

    for ( ;; ) {
        if (c->rlen && resp_parse(c->rbuf, c->rlen, r)) {
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
                write_all(cs[i].fd, req, len);
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
                const char *h = header_find(r.head, "Connection");
                if (h && strncasecmp(h, "close", 5) == 0) {
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

    url_encode(in.a[job], user);
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
        die("token for %s: HTTP %d", in.a[job], r->status);
    }
    p = memmem(r->body, r->body_len, "\"access_token\":\"", 16);
    if (p == NULL) {
        die("token for %s: no access_token", in.a[job]);
    }
    p += 16;
    e = memchr(p, '"', r->body + r->body_len - p);
    printf("%s %.*s\n", in.a[job], (int) (e - p), p);
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
                    in.b[u], strlen(body), body);
}

static void
done_create(long job, resp_t *r)
{
    const char *loc, *e;

    if (r->status != 201) {
        die("creating application %ld: HTTP %d %.*s", job, r->status,
            (int) r->body_len, r->body);
    }
    loc = header_find(r->head, "Location");
    if (loc == NULL) {
        die("creating application %ld: no Location", job);
    }
    e = strchr(loc, '\r');
    printf("%.*s %s\n", (int) (e - loc), loc, in.b[job / per_user]);
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
                        method, in.a[job], suffix, in.b[job],
                        strlen(json_body), json_body);
    }
    return snprintf(buf, size,
                    "%s %s%s HTTP/1.1\r\nHost: bench\r\n"
                    "Authorization: Bearer %s\r\n\r\n",
                    method, in.a[job], suffix, in.b[job]);
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
    lines_read(argv[2], &in);
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
        int fd = conn_open_from(src);
        n = snprintf(req, sizeof(req),
                     "GET %s/events?ack=1 HTTP/1.1\r\nHost: bench\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     in.a[i], in.b[i]);
        write_all(fd, req, n);
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
    write_all(c->fd, req, n);
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

    write_all(s->fd, req, sizeof(req) - 1);
    if (conn_wait(s, &r, 5000) != 1) {
        die("stub_status: no answer");
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
 * is finished.
 */
static void
wait_writing(conn_t *s, int want)
{
    int i;

    for (i = 0; i < 20000; i++) {
        if (writing(s) == want) {
            return;
        }
        usleep(100);
    }
    die("stub_status Writing never reached %d", want);
}

static int
parse_next_ack(resp_t *r, int cur)
{
    char *p;

    p = memmem(r->body, r->body_len, "\"next\":{\"href\":\"", 16);
    if (p == NULL) {
        p = memmem(r->body, r->body_len, "\"resume\":{\"href\":\"", 18);
    }
    if (p == NULL) {
        p = memmem(r->body, r->body_len, "\"resync\":{\"href\":\"", 18);
    }
    if (p == NULL) {
        return cur;
    }
    p = memmem(p, r->body + r->body_len - p, "ack=", 4);
    return p ? atoi(p + 4) : cur;
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
                     "Authorization: Bearer %s\r\n\r\n", in.a[i], in.b[i]);
        wait_writing(s, base);
        write_all(p->fd, req, n);
        wait_writing(s, base + 1);

        n = snprintf(req, sizeof(req),
                     "DELETE %s HTTP/1.1\r\nHost: bench\r\n"
                     "Authorization: Bearer %s\r\n\r\n", in.a[i], in.b[i]);
        t0 = now_us();
        write_all(e->fd, req, n);
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
               t1 - t0, rp.status, re.status, p->pid, e->pid, in.a[i]);
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
                 "Authorization: Bearer %s\r\n\r\n", in.a[0], in.b[0]);

    /* c[0] holds; even samples: c[1] takes (cross), then c[0] takes back
       (cross); every fourth pair a same-worker take: c3 takes from c[0],
       then c[0] takes back from c3 (same) */

    write_all(c[0]->fd, req, n);
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
        write_all(taker->fd, req, n);
        if (conn_wait(holder, &r, 10000) != 1) {
            die("sample %ld: the held P-GET was not answered", i);
        }
        t1 = now_us();
        conn_consume(holder, &r);

        printf("%ld %s %.1f %d 0 %d %d %s\n", i,
               holder->pid != taker->pid ? "cross" : "same", t1 - t0,
               r.status, holder->pid, taker->pid, in.a[0]);

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
                     "Authorization: Bearer %s\r\n\r\n", in.a[k], in.b[k]);
        write_all(l->p.fd, req, n);
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
                             in.a[l->app], l->ack, in.b[l->app]);
                write_all(l->p.fd, req, n);
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
                             in.a[l->app], in.b[l->app], blen, body);
                l->t0 = now_us();
                write_all(l->e.fd, req, n);
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
                       in.a[l->app]);
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
    lines_read(argv[3], &in);
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
        lines_read(argv[4], &in);
        password = argv[5];
        run_jobs(atoi(argv[3]), in.n, make_token, done_token);
        return 0;
    }

    if (strcmp(argv[1], "create") == 0 && argc == 6) {
        lines_read(argv[4], &in);
        per_user = atoi(argv[5]);
        run_jobs(atoi(argv[3]), (long) in.n * per_user, make_create,
                 done_create);
        return 0;
    }

    if (strcmp(argv[1], "call") == 0 && (argc == 7 || argc == 8)) {
        lines_read(argv[4], &in);
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

    die("usage: see the comment at the top of ucwa_client.c");
    return 2;
}
