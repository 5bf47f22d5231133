/*
 * w6_load: the load generator of the W6 user-model soak (bench/w6-soak.sh,
 * guides/performance.md W6).  Plain C, epoll, one thread; the script runs
 * several processes (the open-files limit is 20 000 per process), each
 * owning a slice of the applications.
 *
 *   w6_load batch PORT CONNS FILE
 *       setup: one request per line of FILE, "METHOD URL TOKEN [BODY]"
 *       (BODY, the rest of the line, is sent as application/json); prints
 *       "LINE STATUS LOCATION" per line (LOCATION "-" when none), in
 *       completion order
 *
 *   w6_load run PORT NSRC APPS_FILE LO HI SECONDS OUT
 *       the soak for applications LO..HI-1 of APPS_FILE ("href token sip
 *       subscription-href" per line).  Every application keeps one P-GET
 *       parked (its own connection, from 127.0.0.2 .. 127.0.0.(1+NSRC)),
 *       re-issued with its ack as soon as it answers; the first one has a
 *       timeout spread over 60..180 s, every later one 180 s (so the
 *       channels recycle every 180 s, spread out).  Over W6_CONNS command
 *       connections, at rates given per second for this process:
 *         W6_R_PRESENCE  POST me/presence (Online, Busy, BeRightBack, Away
 *                        in turn) of a random application
 *         W6_R_POLL      GET of me, me/presence, people/contacts,
 *                        communication, policies, people/groups or
 *                        communication/missedItems of a random application
 *         W6_R_IM        instant messages: conversations between two idle
 *                        applications of the slice (invite, accept, then
 *                        W6_MSGS messages alternating sides, each after a
 *                        setIsTyping W6_TYPING_MS before it, W6_GAP_MS
 *                        apart, then terminate); conversations start at
 *                        W6_R_IM / W6_MSGS per second
 *       and each application's presence subscription is extended
 *       (?duration=30) every 10 min, spread out.  Requests wait in one
 *       queue for a free command connection; when W6_QUEUE_MAX (2 000)
 *       wait, a new poll, presence, extension or conversation is shed
 *       (counted as shed_<kind>, not sent), so the offered load stays
 *       open-loop and the queue bounded when nginx cannot keep up.
 *
 *   Checks: every response must be 2xx (counted by status otherwise);
 *   every message must reach the other application's P-GET exactly once
 *   (latency from just before the POST is written to when the P-GET
 *   response carrying it has been read); a P-GET must answer within its
 *   timeout + 2 s ("late" otherwise); no connection may close with a
 *   request in flight.  A message counts as lost when its POST was
 *   answered 2xx and no P-GET delivered it.  After SECONDS no new
 *   conversation starts, the running ones finish and the queue drains;
 *   undelivered messages get 60 s more (120 s at most in all).
 *
 *   Output: OUT.min (one line per W6_INTERVAL, default 60 s: counters of
 *   that interval), OUT.lat ("interval latency_us" per delivered
 *   message), OUT.sum (totals, key value pairs).  Times are
 *   CLOCK_MONOTONIC.
 */

#define BENCH_PROG  "w6_load"
#include "bench_http.h"
#include <sys/resource.h>

#define SCRATCH   (4 * 1024 * 1024)
#define LATE_US   2e6

static char *scratch;


/* CPU time of this process (user + system), us */
static double
cpu_us(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec
           + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}


static double
env_num(const char *name, double def)
{
    const char *v = getenv(name);

    return v && *v ? atof(v) : def;
}


/* ------------------------------------------------------------------ */
/* connections: a partial response is kept in a heap buffer only while
   it is partial; whole responses are parsed in the shared scratch      */

typedef struct {
    int      fd;
    char    *part;
    size_t   plen;
} conn_t;


typedef void (*on_resp_pt)(void *data, resp_t *r);

/*
 * reads what is there and calls on for every whole response;
 * returns -1 when the peer closed (after the responses before it), else 0
 */
static int
conn_read(conn_t *c, on_resp_pt on, void *data)
{
    size_t   len, off;
    ssize_t  n;
    resp_t   r;
    int      closed = 0;

    len = 0;
    if (c->plen) {
        memcpy(scratch, c->part, c->plen);
        len = c->plen;
        free(c->part);
        c->part = NULL;
        c->plen = 0;
    }

    for ( ;; ) {
        if (len == SCRATCH) {
            die("response larger than %d bytes", SCRATCH);
        }
        n = recv(c->fd, scratch + len, SCRATCH - len, MSG_DONTWAIT);
        if (n > 0) {
            len += n;
            continue;
        }
        if (n == 0) {
            closed = 1;
        } else if (errno != EAGAIN && errno != EINTR) {
            closed = 1;
        }
        break;
    }

    off = 0;
    while (off < len && resp_parse(scratch + off, len - off, &r)) {
        off += r.total;
        on(data, &r);
        if (header_is_close(&r)) {
            closed = 1;
            break;
        }
    }

    if (!closed && off < len) {
        c->plen = len - off;
        c->part = malloc(c->plen);
        memcpy(c->part, scratch + off, c->plen);
    }

    return closed ? -1 : 0;
}


/* ------------------------------------------------------------------ */
/* batch                                                              */

typedef struct {
    conn_t  c;
    long    job;
} bconn_t;

static lines_t  bl;


static void
batch_done(void *data, resp_t *r)
{
    bconn_t     *b = data;
    const char  *loc, *e;

    if (b->job < 0) {
        die("unexpected response");
    }

    loc = header_find(r->head, r->hlen, "Location");
    if (loc) {
        e = strchr(loc, '\r');
        printf("%ld %d %.*s\n", b->job, r->status, (int) (e - loc), loc);
    } else {
        printf("%ld %d -\n", b->job, r->status);
    }

    b->job = -1;
}


static int
batch_make(long job, char *buf, size_t size)
{
    const char *body = bl.f[3][job];

    if (body) {
        return snprintf(buf, size,
                        "%s %s HTTP/1.1\r\nHost: bench\r\n"
                        "Authorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n%s",
                        bl.f[0][job], bl.f[1][job], bl.f[2][job],
                        strlen(body), body);
    }

    return snprintf(buf, size,
                    "%s %s HTTP/1.1\r\nHost: bench\r\n"
                    "Authorization: Bearer %s\r\n%s\r\n",
                    bl.f[0][job], bl.f[1][job], bl.f[2][job],
                    strcmp(bl.f[0][job], "GET") ? "Content-Length: 0\r\n"
                                                : "");
}


static int
cmd_batch(int argc, char **argv)
{
    int             nconns, i, n;
    long            next = 0, finished = 0;
    char            req[8192];
    bconn_t        *bs;
    struct pollfd  *ps;

    if (argc != 2) {
        die("batch PORT CONNS FILE");
    }

    nconns = atoi(argv[0]);
    lines_read(argv[1], &bl, 4);

    bs = calloc(nconns, sizeof(bconn_t));
    ps = calloc(nconns, sizeof(struct pollfd));

    for (i = 0; i < nconns; i++) {
        bs[i].c.fd = conn_open(NULL);
        bs[i].job = -1;
    }

    while (finished < (long) bl.n) {
        for (i = 0; i < nconns; i++) {
            if (bs[i].job < 0 && next < (long) bl.n) {
                n = batch_make(next, req, sizeof(req));
                bs[i].job = next++;
                if (write_all(bs[i].c.fd, req, n) < 0) {
                    die("write: %s", strerror(errno));
                }
            }
            ps[i].fd = bs[i].c.fd;
            ps[i].events = POLLIN;
            ps[i].revents = 0;
        }

        if (poll(ps, nconns, 30000) <= 0) {
            die("no response for 30 s");
        }

        for (i = 0; i < nconns; i++) {
            long was;

            if (!ps[i].revents) {
                continue;
            }
            was = bs[i].job;
            if (conn_read(&bs[i].c, batch_done, &bs[i]) < 0) {
                if (bs[i].job >= 0) {
                    die("connection closed with request %ld in flight",
                        bs[i].job);
                }
                close(bs[i].c.fd);
                free(bs[i].c.part);
                bs[i].c.part = NULL;
                bs[i].c.plen = 0;
                bs[i].c.fd = conn_open(NULL);
            }
            if (was >= 0 && bs[i].job < 0) {
                finished++;
            }
        }
    }

    return 0;
}


/* ------------------------------------------------------------------ */
/* run                                                                */

enum {
    R_POLL, R_PRESENCE, R_INVITE, R_ACCEPT, R_TYPING, R_MESSAGE,
    R_TERMINATE, R_EXTEND, R_NTYPES
};

static const char *type_name[] = {
    "poll", "presence", "invite", "accept", "typing", "message",
    "terminate", "extend"
};

typedef struct req_s  req_t;

struct req_s {
    req_t   *next;
    int      type;
    int      app;
    int      conv;
    long     msg;
    int      len;
    char     data[];
};

typedef struct {
    char    *href;
    char    *tok;
    char    *sip;
    char    *sub;
    conn_t   c;
    int      ack;
    int      busy;          /* in a conversation */
    int      timeout;       /* of the P-GET in flight, s */
    double   sent;          /* of the P-GET in flight */
} app_t;

enum { C_FREE, C_INVITING, C_ACCEPTING, C_CONNECTED, C_ENDING };

typedef struct {
    int      state;
    int      a, b;
    int      sent;          /* messages so far */
    int      typed;         /* the next message's typing was sent */
    double   next;
    char     id[64];
} conv_t;

typedef struct {
    double   t0;
    int      from, to;
    int      delivered;
    int      posted;        /* its POST answered 2xx */
} msg_t;

typedef struct {
    conn_t   c;
    req_t   *req;           /* in flight */
    double   sent;
} cconn_t;

/* counters of one interval, and the totals */
typedef struct {
    long     req[R_NTYPES];
    long     ok[R_NTYPES];
    long     status[600];
    long     pget;          /* P-GET answers */
    long     pget_empty;    /* answered at their timeout, no events */
    long     late;
    long     closed;
    long     im_sent;
    long     im_delivered;
    long     dup;
    long     bad;           /* a message at an application it was not for */
    long     lost;
    long     convs;
    long     queued_max;
    long     shed[R_NTYPES];    /* not sent: the queue was full */
    double   cmd_lat_max;
    double   cpu;           /* us of this process's CPU */
} stats_t;

static app_t    *apps;
static int       napps, app_lo;
static conv_t   *convs;
static int       nconvs_max, nconvs_live;
static msg_t    *msgs;
static long      nmsgs, msgs_cap;
static cconn_t  *cc;
static int       ncc;
static req_t    *q_head, *q_tail;
static long      q_len, q_max;
static int       efd;
static stats_t   iv, tot;
static FILE     *lat_f;
static long      interval_no;
static int       nsrc;

#define EV_PGET   0x40000000
#define EV_CMD    0x20000000


static void
stat_status(int type, int status)
{
    iv.req[type]++;
    if (status >= 200 && status < 300) {
        iv.ok[type]++;
    } else if (status > 0 && status < 600) {
        iv.status[status]++;
    } else {
        iv.status[0]++;
    }
}


/* a new poll, presence, extension or conversation when the queue is full
   is shed (counted, not sent): the generator stays open-loop and bounded */
static int
q_full(int type)
{
    if (q_len < q_max) {
        return 0;
    }
    iv.shed[type]++;
    return 1;
}


static void
q_push(int type, int app, int conv, long msg, const char *fmt, ...)
{
    va_list  ap;
    char     buf[4096];
    int      n;
    req_t   *r;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    r = malloc(sizeof(req_t) + n + 1);
    r->next = NULL;
    r->type = type;
    r->app = app;
    r->conv = conv;
    r->msg = msg;
    r->len = n;
    memcpy(r->data, buf, n + 1);

    if (q_tail) {
        q_tail->next = r;
    } else {
        q_head = r;
    }
    q_tail = r;
    q_len++;
    if (q_len > iv.queued_max) {
        iv.queued_max = q_len;
    }
}


static void
req_post(int type, int app, int conv, long msg, const char *path,
    const char *ctype, const char *body)
{
    app_t *a = &apps[app];

    q_push(type, app, conv, msg,
           "POST %s%s HTTP/1.1\r\nHost: bench\r\n"
           "Authorization: Bearer %s\r\n"
           "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
           a->href, path, a->tok, ctype, strlen(body), body);
}


static void
pget_send(int i, int timeout)
{
    app_t  *a = &apps[i];
    char    req[4096];
    int     n;

    a->timeout = timeout;
    n = snprintf(req, sizeof(req),
                 "GET %s/events?ack=%d&timeout=%d HTTP/1.1\r\n"
                 "Host: bench\r\nAuthorization: Bearer %s\r\n\r\n",
                 a->href, a->ack, timeout, a->tok);
    a->sent = now_us();
    if (write_all(a->c.fd, req, n) < 0) {
        die("P-GET write: %s", strerror(errno));
    }
}


static int  in_run;
static int  cur_app;


static void
pget_done(void *data, resp_t *r)
{
    app_t   *a = data;
    int      i = a - apps;
    char    *p, *e;
    long     id, seen[64];
    int      nseen = 0, j, again;
    double   t = now_us();
    msg_t   *m;

    (void) i;

    iv.pget++;
    if (r->status != 200) {
        iv.status[r->status < 600 ? r->status : 0]++;
        if (iv.bad + iv.status[r->status < 600 ? r->status : 0] < 5) {
            fprintf(stderr, "w6_load: P-GET of %s: HTTP %d %.*s\n", a->href,
                    r->status, (int) (r->body_len > 200 ? 200 : r->body_len),
                    r->body);
        }
    }

    if (in_run && t - a->sent > a->timeout * 1e6 + LATE_US) {
        iv.late++;
    }

    if (memmem(r->body, r->body_len, "\"sender\"", 8) == NULL) {
        iv.pget_empty++;
    }

    /* messages: "charset=utf-8,w6m<id>\"" */
    e = r->body + r->body_len;
    for (p = r->body;
         (p = memmem(p, e - p, "charset=utf-8,w6m", 17)) != NULL; )
    {
        p += 17;
        id = strtol(p, &p, 10);
        if (p >= e || *p != '"' || id < 0 || id >= nmsgs) {
            iv.bad++;
            continue;
        }
        for (again = 0, j = 0; j < nseen; j++) {
            again |= seen[j] == id;
        }
        if (again) {
            continue;       /* the same message twice in one package */
        }
        if (nseen < 64) {
            seen[nseen++] = id;
        }
        m = &msgs[id];
        if (m->from == i) {
            continue;       /* the sender's own "message completed" */
        }
        if (m->to != i) {
            iv.bad++;
            continue;
        }
        if (m->delivered++) {
            iv.dup++;
            continue;
        }
        iv.im_delivered++;
        fprintf(lat_f, "%ld %.0f\n", interval_no, t - m->t0);
    }

    a->ack = parse_next_ack(r, a->ack);
    cur_app = i;
}


static void
pget_readable(int i)
{
    app_t  *a = &apps[i];
    int     before = a->ack, rc;
    long    answers = iv.pget;
    char    src[32];
    struct epoll_event  ev;

    (void) before;

    rc = conn_read(&a->c, pget_done, a);

    if (rc < 0) {
        /* the P-GET's connection closed: a new connection, the same ack */
        if (iv.pget == answers) {
            iv.closed++;
        }
        epoll_ctl(efd, EPOLL_CTL_DEL, a->c.fd, NULL);
        close(a->c.fd);
        free(a->c.part);
        a->c.part = NULL;
        a->c.plen = 0;
        snprintf(src, sizeof(src), "127.0.0.%d", 2 + (i + app_lo) % nsrc);
        a->c.fd = conn_open(src);
        ev.events = EPOLLIN;
        ev.data.u32 = EV_PGET | i;
        epoll_ctl(efd, EPOLL_CTL_ADD, a->c.fd, &ev);
        pget_send(i, 180);
        return;
    }

    if (iv.pget != answers) {
        pget_send(i, 180);
    }
}


/* ---- command connections ---- */

static void conv_on(req_t *rq, resp_t *r);


static void
cmd_done(void *data, resp_t *r)
{
    cconn_t  *c = data;
    req_t    *rq = c->req;
    double    lat;

    if (rq == NULL) {
        die("unexpected response on a command connection");
    }

    lat = now_us() - c->sent;
    if (lat > iv.cmd_lat_max) {
        iv.cmd_lat_max = lat;
    }

    stat_status(rq->type, r->status);

    if (!(r->status >= 200 && r->status < 300)
        && iv.req[rq->type] - iv.ok[rq->type] <= 3)
    {
        fprintf(stderr, "w6_load: %s: HTTP %d %.*s\n", type_name[rq->type],
                r->status, (int) (r->body_len > 300 ? 300 : r->body_len),
                r->body);
    }

    if (rq->type == R_MESSAGE && r->status >= 200 && r->status < 300) {
        msgs[rq->msg].posted = 1;
    }

    if (rq->type >= R_INVITE && rq->type <= R_TERMINATE) {
        conv_on(rq, r);
    }

    free(rq);
    c->req = NULL;
}


static void
cmd_pump(void)
{
    int     i;
    req_t  *rq;

    for (i = 0; i < ncc && q_head; i++) {
        if (cc[i].req) {
            continue;
        }
        rq = q_head;
        q_head = rq->next;
        if (q_head == NULL) {
            q_tail = NULL;
        }
        q_len--;
        cc[i].req = rq;
        cc[i].sent = now_us();
        if (rq->type == R_MESSAGE) {
            msgs[rq->msg].t0 = cc[i].sent;
        }
        if (write_all(cc[i].c.fd, rq->data, rq->len) < 0) {
            die("command write: %s", strerror(errno));
        }
    }
}


static void
cmd_readable(int i)
{
    struct epoll_event  ev;
    cconn_t            *c = &cc[i];

    if (conn_read(&c->c, cmd_done, c) < 0) {
        if (c->req) {
            iv.closed++;
            stat_status(c->req->type, 0);
            if (c->req->type >= R_INVITE && c->req->type <= R_TERMINATE) {
                resp_t r;
                memset(&r, 0, sizeof(r));
                conv_on(c->req, &r);
            }
            free(c->req);
            c->req = NULL;
        }
        epoll_ctl(efd, EPOLL_CTL_DEL, c->c.fd, NULL);
        close(c->c.fd);
        free(c->c.part);
        c->c.part = NULL;
        c->c.plen = 0;
        c->c.fd = conn_open(NULL);
        ev.events = EPOLLIN;
        ev.data.u32 = EV_CMD | i;
        epoll_ctl(efd, EPOLL_CTL_ADD, c->c.fd, &ev);
    }
}


/* ---- conversations ---- */

static double  typing_us, gap_us;
static int     msgs_per_conv;
static long    conv_serial;
static int     conv_hw;         /* convs[conv_hw..] were never used */


static void
conv_free(conv_t *cv)
{
    apps[cv->a].busy = 0;
    apps[cv->b].busy = 0;
    cv->state = C_FREE;
    nconvs_live--;
}


static void
conv_start(void)
{
    int      k, a = -1, b = -1, tries;
    conv_t  *cv = NULL;
    char     body[512];

    if (nconvs_live >= nconvs_max || napps < 2 || q_full(R_INVITE)) {
        return;
    }

    for (tries = 0; tries < 50; tries++) {
        a = random() % napps;
        if (!apps[a].busy) {
            break;
        }
    }
    for (tries = 0; tries < 50; tries++) {
        b = random() % napps;
        if (b != a && !apps[b].busy) {
            break;
        }
    }
    if (apps[a].busy || apps[b].busy || a == b) {
        return;
    }

    for (k = 0; k < nconvs_max; k++) {
        if (convs[k].state == C_FREE) {
            cv = &convs[k];
            break;
        }
    }
    if (k >= conv_hw) {
        conv_hw = k + 1;
    }

    cv->state = C_INVITING;
    cv->a = a;
    cv->b = b;
    cv->sent = 0;
    cv->typed = 0;
    cv->id[0] = '\0';
    apps[a].busy = apps[b].busy = 1;
    nconvs_live++;
    iv.convs++;

    snprintf(body, sizeof(body),
             "{\"to\":\"sip:%s\",\"operationId\":\"w6-%d-%ld\"}",
             apps[b].sip, getpid(), conv_serial++);
    req_post(R_INVITE, a, k, -1, "/communication/messagingInvitations",
             "application/json", body);
}


static void
conv_on(req_t *rq, resp_t *r)
{
    conv_t      *cv = &convs[rq->conv];
    const char  *loc, *p;
    char         path[256];
    int          ok = r->status >= 200 && r->status < 300;

    switch (rq->type) {

    case R_INVITE:
        loc = ok ? header_find(r->head, r->hlen, "Location") : NULL;
        p = loc ? strstr(loc, "/messagingInvitations/") : NULL;
        if (p == NULL
            || sscanf(p, "/messagingInvitations/%63[0-9a-zA-Z]", cv->id)
               != 1)
        {
            conv_free(cv);
            return;
        }
        cv->state = C_ACCEPTING;
        snprintf(path, sizeof(path),
                 "/communication/messagingInvitations/%s/accept", cv->id);
        req_post(R_ACCEPT, cv->b, rq->conv, -1, path, "application/json",
                 "");
        return;

    case R_ACCEPT:
        if (!ok) {
            conv_free(cv);
            return;
        }
        cv->state = C_CONNECTED;
        cv->next = now_us() + gap_us / 2;
        return;

    case R_TERMINATE:
        conv_free(cv);
        return;

    default:
        /* typing and messages: counted; the conversation goes on */
        return;
    }
}


static void
conv_tick(double t, int stopping)
{
    int      k, from, to;
    conv_t  *cv;
    char     path[256], text[64];

    for (k = 0; k < conv_hw; k++) {
        cv = &convs[k];
        if (cv->state != C_CONNECTED || t < cv->next) {
            continue;
        }

        from = cv->sent % 2 ? cv->b : cv->a;
        to = cv->sent % 2 ? cv->a : cv->b;

        if (cv->sent >= msgs_per_conv || (stopping && !cv->typed)) {
            cv->state = C_ENDING;
            snprintf(path, sizeof(path),
                     "/communication/conversations/%s/messaging/terminate",
                     cv->id);
            req_post(R_TERMINATE, cv->a, k, -1, path, "application/json",
                     "");
            continue;
        }

        if (!cv->typed) {
            snprintf(path, sizeof(path),
                     "/communication/conversations/%s/messaging/typing",
                     cv->id);
            req_post(R_TYPING, from, k, -1, path, "application/json", "");
            cv->typed = 1;
            cv->next = t + typing_us;
            continue;
        }

        if (nmsgs == msgs_cap) {
            msgs_cap *= 2;
            msgs = realloc(msgs, msgs_cap * sizeof(msg_t));
        }
        msgs[nmsgs].from = from;
        msgs[nmsgs].to = to;
        msgs[nmsgs].delivered = 0;
        msgs[nmsgs].posted = 0;
        msgs[nmsgs].t0 = t;
        snprintf(path, sizeof(path),
                 "/communication/conversations/%s/messaging/messages",
                 cv->id);
        snprintf(text, sizeof(text), "w6m%ld", nmsgs);
        req_post(R_MESSAGE, from, k, nmsgs, path, "text/plain", text);
        nmsgs++;
        iv.im_sent++;
        cv->sent++;
        cv->typed = 0;
        cv->next = t + gap_us - typing_us;
    }
}


/* ---- pacing ---- */

typedef struct {
    double  every;          /* us between two, 0: never */
    double  next;
} pace_t;


static void
pace_init(pace_t *p, double rate, double t)
{
    p->every = rate > 0 ? 1e6 / rate : 0;
    p->next = t + (p->every ? (random() % 1000) * p->every / 1000 : 0);
}


static int
pace_due(pace_t *p, double t)
{
    if (p->every == 0 || t < p->next) {
        return 0;
    }
    p->next += p->every;
    if (t - p->next > 1e6) {
        /* more than a second behind (a stall of this process): skip */
        p->next = t;
    }
    return 1;
}


static const char *poll_paths[] = {
    "/me", "/me/presence", "/people/contacts", "/communication",
    "/policies", "/people/groups", "/communication/missedItems"
};

static const char *avail[] = { "Online", "Busy", "BeRightBack", "Away" };


static void
stats_add(stats_t *t, stats_t *s)
{
    int i;

    for (i = 0; i < R_NTYPES; i++) {
        t->req[i] += s->req[i];
        t->ok[i] += s->ok[i];
    }
    for (i = 0; i < 600; i++) {
        t->status[i] += s->status[i];
    }
    t->pget += s->pget;
    t->pget_empty += s->pget_empty;
    t->late += s->late;
    t->closed += s->closed;
    t->im_sent += s->im_sent;
    t->im_delivered += s->im_delivered;
    t->dup += s->dup;
    t->bad += s->bad;
    t->lost += s->lost;
    t->convs += s->convs;
    if (s->queued_max > t->queued_max) {
        t->queued_max = s->queued_max;
    }
    if (s->cmd_lat_max > t->cmd_lat_max) {
        t->cmd_lat_max = s->cmd_lat_max;
    }
    t->cpu += s->cpu;
    for (i = 0; i < R_NTYPES; i++) {
        t->shed[i] += s->shed[i];
    }
}


static void
stats_print(FILE *f, const char *tag, stats_t *s, double secs)
{
    int   i;
    long  reqs = 0, ok = 0;

    for (i = 0; i < R_NTYPES; i++) {
        reqs += s->req[i];
        ok += s->ok[i];
    }

    fprintf(f, "%s seconds %.1f requests %ld ok %ld pget %ld pget_empty %ld"
            " late %ld closed %ld im_sent %ld im_delivered %ld dup %ld"
            " bad %ld lost %ld convs %ld queued_max %ld cmd_lat_max_ms %.1f"
            " cpu_ms %.0f",
            tag, secs, reqs + s->pget, ok, s->pget, s->pget_empty, s->late,
            s->closed, s->im_sent, s->im_delivered, s->dup, s->bad, s->lost,
            s->convs, s->queued_max, s->cmd_lat_max / 1000, s->cpu / 1000);
    for (i = 0; i < R_NTYPES; i++) {
        fprintf(f, " %s %ld/%ld", type_name[i], s->ok[i], s->req[i]);
    }
    for (i = 0; i < R_NTYPES; i++) {
        if (s->shed[i]) {
            fprintf(f, " shed_%s %ld", type_name[i], s->shed[i]);
        }
    }
    for (i = 0; i < 600; i++) {
        if (s->status[i]) {
            fprintf(f, " s%d %ld", i, s->status[i]);
        }
    }
    fprintf(f, "\n");
    fflush(f);
}


static int
cmd_run(int argc, char **argv)
{
    int                 i, n, k, hi, sub_every_s;
    char                src[32], path[512];
    double              dur, t, start, t_iv, interval, end_wait, t_last;
    double              t_tick = 0, cpu_iv;
    double              r_presence, r_poll, r_im;
    pace_t              p_presence, p_poll, p_conv, p_extend;
    long                ext_next = 0, pres_serial = 0;
    lines_t             l;
    FILE               *min_f, *sum_f;
    struct epoll_event  ev, evs[512];

    if (argc != 6) {
        die("run PORT NSRC APPS_FILE LO HI SECONDS OUT");
    }

    nsrc = atoi(argv[0]);
    lines_read(argv[1], &l, 4);
    app_lo = atoi(argv[2]);
    hi = atoi(argv[3]);
    dur = atof(argv[4]);

    if (app_lo < 0 || hi > (int) l.n || hi - app_lo < 2) {
        die("applications %d..%d of %zu", app_lo, hi, l.n);
    }

    snprintf(path, sizeof(path), "%s.min", argv[5]);
    min_f = fopen(path, "w");
    snprintf(path, sizeof(path), "%s.lat", argv[5]);
    lat_f = fopen(path, "w");
    snprintf(path, sizeof(path), "%s.sum", argv[5]);
    sum_f = fopen(path, "w");
    if (!min_f || !lat_f || !sum_f) {
        die("%s.*: %s", argv[5], strerror(errno));
    }

    r_presence = env_num("W6_R_PRESENCE", 0);
    r_poll = env_num("W6_R_POLL", 0);
    r_im = env_num("W6_R_IM", 0);
    msgs_per_conv = (int) env_num("W6_MSGS", 6);
    typing_us = env_num("W6_TYPING_MS", 500) * 1000;
    gap_us = env_num("W6_GAP_MS", 2000) * 1000;
    ncc = (int) env_num("W6_CONNS", 64);
    q_max = (long) env_num("W6_QUEUE_MAX", 2000);
    interval = env_num("W6_INTERVAL", 60) * 1e6;
    sub_every_s = (int) env_num("W6_EXTEND_S", 600);
    srandom((unsigned) env_num("W6_SEED", 1) + app_lo);

    if (gap_us <= typing_us) {
        die("W6_GAP_MS must be more than W6_TYPING_MS");
    }

    napps = hi - app_lo;
    apps = calloc(napps, sizeof(app_t));
    for (i = 0; i < napps; i++) {
        apps[i].href = l.f[0][app_lo + i];
        apps[i].tok = l.f[1][app_lo + i];
        apps[i].sip = l.f[2][app_lo + i];
        apps[i].sub = l.f[3][app_lo + i];
        if (apps[i].sip == NULL) {
            die("%s line %d: want \"href token sip [subscription]\"",
                argv[1], app_lo + i + 1);
        }
        apps[i].ack = 1;
    }

    nconvs_max = napps / 4 < 8192 ? napps / 4 : 8192;
    convs = calloc(nconvs_max, sizeof(conv_t));
    msgs_cap = 65536;
    msgs = malloc(msgs_cap * sizeof(msg_t));
    scratch = malloc(SCRATCH);
    cc = calloc(ncc, sizeof(cconn_t));

    efd = epoll_create1(0);

    for (i = 0; i < ncc; i++) {
        cc[i].c.fd = conn_open(NULL);
        ev.events = EPOLLIN;
        ev.data.u32 = EV_CMD | i;
        epoll_ctl(efd, EPOLL_CTL_ADD, cc[i].c.fd, &ev);
    }

    /*
     * warm-up: park every P-GET (ack=1), then drain what setup queued
     * (sign-in, contact and subscription events) until the P-GETs stay
     * parked; not counted
     */
    for (i = 0; i < napps; i++) {
        snprintf(src, sizeof(src), "127.0.0.%d", 2 + (i + app_lo) % nsrc);
        apps[i].c.fd = conn_open(src);
        ev.events = EPOLLIN;
        ev.data.u32 = EV_PGET | i;
        epoll_ctl(efd, EPOLL_CTL_ADD, apps[i].c.fd, &ev);
        pget_send(i, 1800);
    }

    t_last = now_us();
    while (now_us() - t_last < 8e6) {
        n = epoll_wait(efd, evs, 512, 200);
        for (k = 0; k < n; k++) {
            if (evs[k].data.u32 & EV_PGET) {
                i = evs[k].data.u32 & ~EV_PGET;
                {
                    long before = iv.pget;
                    conn_read(&apps[i].c, pget_done, &apps[i]);
                    if (iv.pget != before) {
                        /* spread: the first measured timeouts 60..180 s */
                        pget_send(i, 60 + random() % 121);
                        t_last = now_us();
                    }
                }
            } else {
                cmd_readable(evs[k].data.u32 & ~EV_CMD);
            }
        }
    }

    {
        long  other = 0;

        for (i = 0; i < 600; i++) {
            other += i == 200 ? 0 : iv.status[i];
        }
        fprintf(stderr, "w6_load: %d applications parked (warm-up answers "
                "%ld, statuses other than 200: %ld)\n", napps, iv.pget,
                other);
    }
    memset(&iv, 0, sizeof(iv));
    memset(&tot, 0, sizeof(tot));

    printf("ready %d\n", napps);
    fflush(stdout);

    start = now_us();
    t_iv = start;
    cpu_iv = cpu_us();
    in_run = 1;

    pace_init(&p_presence, r_presence, start);
    pace_init(&p_poll, r_poll, start);
    pace_init(&p_conv, r_im / msgs_per_conv, start);
    pace_init(&p_extend, sub_every_s > 0 ? (double) napps / sub_every_s : 0,
              start);

    end_wait = 0;

    for ( ;; ) {
        t = now_us();

        if (t - start < dur * 1e6) {
            while (pace_due(&p_presence, t)) {
                if (q_full(R_PRESENCE)) {
                    continue;
                }
                i = random() % napps;
                snprintf(path, sizeof(path), "{\"availability\":\"%s\"}",
                         avail[pres_serial++ % 4]);
                req_post(R_PRESENCE, i, -1, -1, "/me/presence",
                         "application/json", path);
            }
            while (pace_due(&p_poll, t)) {
                if (q_full(R_POLL)) {
                    continue;
                }
                i = random() % napps;
                q_push(R_POLL, i, -1, -1,
                       "GET %s%s HTTP/1.1\r\nHost: bench\r\n"
                       "Authorization: Bearer %s\r\n\r\n",
                       apps[i].href,
                       poll_paths[random() % (sizeof(poll_paths)
                                              / sizeof(poll_paths[0]))],
                       apps[i].tok);
            }
            while (pace_due(&p_conv, t)) {
                conv_start();
            }
            while (pace_due(&p_extend, t)) {
                i = ext_next++ % napps;
                if (q_full(R_EXTEND)) {
                    continue;
                }
                if (apps[i].sub && strcmp(apps[i].sub, "-") != 0) {
                    q_push(R_EXTEND, i, -1, -1,
                           "POST %s?duration=30 HTTP/1.1\r\nHost: bench\r\n"
                           "Authorization: Bearer %s\r\n"
                           "Content-Length: 0\r\n\r\n",
                           apps[i].sub, apps[i].tok);
                }
            }
            if (t - t_tick >= 2000) {
                conv_tick(t, 0);
                t_tick = t;
            }

        } else {
            if (end_wait == 0) {
                end_wait = t;
            }
            conv_tick(t, 1);

            /* conversations finished and every message delivered (or
               15 s after the last conversation ended) */
            {
                long  undelivered = 0, j;

                if (nconvs_live == 0 && q_head == NULL) {
                    for (j = 0; j < nmsgs; j++) {
                        undelivered += msgs[j].posted
                                       && msgs[j].delivered == 0;
                    }
                    if (undelivered == 0 || t - end_wait > 60e6) {
                        break;
                    }
                }
                if (t - end_wait > 120e6) {
                    break;
                }
            }
        }

        cmd_pump();

        n = epoll_wait(efd, evs, 512, 5);
        for (k = 0; k < n; k++) {
            if (evs[k].data.u32 & EV_PGET) {
                pget_readable(evs[k].data.u32 & ~EV_PGET);
            } else {
                cmd_readable(evs[k].data.u32 & ~EV_CMD);
            }
        }
        cmd_pump();

        t = now_us();
        if (t - t_iv >= interval) {
            iv.cpu = cpu_us() - cpu_iv;
            cpu_iv += iv.cpu;
            fprintf(min_f, "%ld ", interval_no);
            stats_print(min_f, "interval", &iv, (t - t_iv) / 1e6);
            stats_add(&tot, &iv);
            memset(&iv, 0, sizeof(iv));
            interval_no++;
            t_iv = t;
            fflush(lat_f);
        }
    }

    t = now_us();
    iv.cpu = cpu_us() - cpu_iv;
    fprintf(min_f, "%ld ", interval_no);
    stats_print(min_f, "interval", &iv, (t - t_iv) / 1e6);
    stats_add(&tot, &iv);

    for (i = 0; i < nmsgs; i++) {
        tot.lost += msgs[i].posted && msgs[i].delivered == 0;
    }

    stats_print(sum_f, "total", &tot, (t - start) / 1e6);
    fprintf(sum_f, "apps %d messages %ld conns %d unsent %ld\n", napps,
            nmsgs, ncc, q_len);
    fclose(sum_f);
    fclose(min_f);
    fclose(lat_f);

    return 0;
}


int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (argc < 3) {
        die("usage: see the comment at the top of w6_load.c");
    }

    port = atoi(argv[2]);

    if (strcmp(argv[1], "batch") == 0) {
        scratch = malloc(SCRATCH);
        return cmd_batch(argc - 3, argv + 3);
    }

    if (strcmp(argv[1], "run") == 0) {
        return cmd_run(argc - 3, argv + 3);
    }

    die("usage: see the comment at the top of w6_load.c");
    return 2;
}
