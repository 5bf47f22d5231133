/*
 * Copyright (C) The nginx mobility authors
 *
 * mobilityctl: "user import", users from an RFC 4180 CSV file whose
 * header row names the columns.  All or nothing: the rows are checked,
 * then checked against the store, then the passwords are hashed (slowly,
 * outside any write transaction), and then everything is written in one
 * write transaction that checks again.
 */


#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mobilityctl.h"


#define MOBILITYCTL_I_UPDATE      1
#define MOBILITYCTL_I_PW_COLUMN   2

#define MOBILITYCTL_COLS_MAX      64

/* column kinds besides a field index (>= 0) */
#define MOBILITYCTL_COL_SIP       -1
#define MOBILITYCTL_COL_ENABLED   -2
#define MOBILITYCTL_COL_PASSWORD  -3


typedef struct {
    u_char               *pos;
    u_char               *last;
    size_t                line;
    const char           *err;
} mobilityctl_csv_t;


typedef struct {
    size_t                line;
    char                 *err;
    int                   created;
    mobilityctl_edit_t    edit;
} mobilityctl_row_t;


typedef struct {
    const char           *file;
    mobilityctl_row_t    *rows;
    size_t                nrows;
    size_t                nalloc;
    size_t                bad;
} mobilityctl_import_t;


typedef struct {
    const u_char         *key;
    size_t                len;
    mobilityctl_row_t    *row;
} mobilityctl_key_t;


/*
 * Parses the next record in place: quotes are removed and the fields
 * are left in the buffer.  Returns the number of fields, which may be
 * more than n (only n are stored), 0 at the end of the input, or -1 if a
 * quoted field is not closed.  *line gets the line the record starts on;
 * csv->err a syntax error the record has.
 */

static int
mobilityctl_csv_record(mobilityctl_csv_t *csv, ngx_mobility_bytes_t *f,
    int n, size_t *line)
{
    int      count;
    u_char  *p, *w, *start, *last;

    csv->err = NULL;
    p = csv->pos;
    last = csv->last;

    if (p == last) {
        return 0;
    }

    *line = csv->line;
    count = 0;

    for ( ;; ) {
        start = p;
        w = p;

        if (p < last && *p == '"') {
            p++;

            for ( ;; ) {
                if (p == last) {
                    csv->err = "a quoted field is not closed";
                    csv->pos = p;
                    return -1;
                }

                if (*p == '"') {
                    if (p + 1 < last && p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }

                    p++;
                    break;
                }

                if (*p == '\n') {
                    csv->line++;
                }

                *w++ = *p++;
            }

            if (p < last && *p == '\r' && p + 1 < last && p[1] == '\n') {
                p++;
            }

            while (p < last && *p != ',' && *p != '\n') {
                if (csv->err == NULL) {
                    csv->err = "text after the closing quote of a field";
                }

                *w++ = *p++;
            }

        } else {
            while (p < last && *p != ',' && *p != '\n') {
                if (*p == '"' && csv->err == NULL) {
                    csv->err = "a quote inside an unquoted field (quote the "
                               "field and double the quote)";
                }

                *w++ = *p++;
            }

            if (w > start && w[-1] == '\r' && (p == last || *p == '\n')) {
                w--;
            }
        }

        if (count < n) {
            f[count].data = start;
            f[count].len = w - start;
        }

        count++;

        if (p == last) {
            break;
        }

        if (*p++ == ',') {
            continue;
        }

        /* '\n' */
        csv->line++;
        break;
    }

    csv->pos = p;

    return count;
}


static void
mobilityctl_row_error(mobilityctl_import_t *im, mobilityctl_row_t *row,
    const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));


static void
mobilityctl_row_error(mobilityctl_import_t *im, mobilityctl_row_t *row,
    const char *fmt, ...)
{
    char     buf[MOBILITYCTL_ERRLEN];
    va_list  args;

    if (row->err) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    row->err = strdup(buf);
    if (row->err == NULL) {
        mobilityctl_oom();
    }

    im->bad++;
}


/* prints the errors in file order, then forgets them */

static int
mobilityctl_import_report(mobilityctl_import_t *im)
{
    size_t  i;

    if (im->bad == 0) {
        return MOBILITYCTL_OK;
    }

    for (i = 0; i < im->nrows; i++) {
        if (im->rows[i].err) {
            mobilityctl_error("%s:%zu: %s", im->file, im->rows[i].line,
                              im->rows[i].err);
        }
    }

    mobilityctl_error("%s: %zu bad row%s, nothing imported", im->file,
                      im->bad, im->bad == 1 ? "" : "s");

    return MOBILITYCTL_EINPUT;
}


int
mobilityctl_read_file(const char *name, u_char **data, size_t *len)
{
    FILE    *f;
    u_char  *buf, *p;
    size_t   n, size;

    f = (strcmp(name, "-") == 0) ? stdin : fopen(name, "r");

    if (f == NULL) {
        mobilityctl_error("cannot open \"%s\": %s", name, strerror(errno));
        return MOBILITYCTL_EINPUT;
    }

    buf = NULL;
    size = 0;
    *len = 0;

    for ( ;; ) {
        if (*len == size) {
            size = size ? size * 2 : 65536;
            p = realloc(buf, size);
            if (p == NULL) {
                mobilityctl_oom();
            }

            buf = p;
        }

        n = fread(buf + *len, 1, size - *len, f);
        *len += n;

        if (n == 0) {
            break;
        }
    }

    if (ferror(f)) {
        mobilityctl_error("reading \"%s\": %s", name, strerror(errno));

        if (f != stdin) {
            fclose(f);
        }

        mobilityctl_cleanse(buf, size);
        free(buf);
        return MOBILITYCTL_EINPUT;
    }

    if (f != stdin) {
        fclose(f);
    }

    *data = buf;

    return MOBILITYCTL_OK;
}


static int
mobilityctl_import_header(mobilityctl_import_t *im, mobilityctl_csv_t *csv,
    int *cols, int *ncols, int pw_column)
{
    int                   n, i, j, have_sip, have_pw;
    char                  q[MOBILITYCTL_ERRLEN];
    size_t                line;
    ngx_mobility_bytes_t  f[MOBILITYCTL_COLS_MAX];

    do {
        n = mobilityctl_csv_record(csv, f, MOBILITYCTL_COLS_MAX, &line);
    } while (n == 1 && f[0].len == 0);

    if (n == 0) {
        mobilityctl_error("%s: no header row (sip,name,email,...)",
                          im->file);
        return MOBILITYCTL_EINPUT;
    }

    if (n < 0 || csv->err) {
        mobilityctl_error("%s:%zu: %s", im->file, line, csv->err);
        return MOBILITYCTL_EINPUT;
    }

    if (n > MOBILITYCTL_COLS_MAX) {
        mobilityctl_error("%s:%zu: more than %d columns", im->file, line,
                          MOBILITYCTL_COLS_MAX);
        return MOBILITYCTL_EINPUT;
    }

    have_sip = 0;
    have_pw = 0;

    for (i = 0; i < n; i++) {
        mobilityctl_trim(&f[i]);

        if (f[i].len == 3 && strncasecmp((char *) f[i].data, "sip", 3) == 0)
        {
            cols[i] = MOBILITYCTL_COL_SIP;
            have_sip = 1;

        } else if (f[i].len == 7
                   && strncasecmp((char *) f[i].data, "enabled", 7) == 0)
        {
            cols[i] = MOBILITYCTL_COL_ENABLED;

        } else if (f[i].len == 8
                   && strncasecmp((char *) f[i].data, "password", 8) == 0)
        {
            cols[i] = MOBILITYCTL_COL_PASSWORD;
            have_pw = 1;

        } else {
            cols[i] = mobilityctl_field_index(f[i].data, f[i].len);

            if (cols[i] < 0) {
                mobilityctl_error("%s:%zu: unknown column \"%s\"", im->file,
                                  line,
                                  mobilityctl_quote(f[i].data, f[i].len, q,
                                                    sizeof(q)));
                return MOBILITYCTL_EINPUT;
            }
        }

        for (j = 0; j < i; j++) {
            if (cols[j] == cols[i]) {
                mobilityctl_error("%s:%zu: column \"%s\" given twice",
                                  im->file, line,
                                  mobilityctl_quote(f[i].data, f[i].len, q,
                                                    sizeof(q)));
                return MOBILITYCTL_EINPUT;
            }
        }
    }

    if (!have_sip) {
        mobilityctl_error("%s:%zu: no \"sip\" column in the header row",
                          im->file, line);
        return MOBILITYCTL_EINPUT;
    }

    if (have_pw && !pw_column) {
        mobilityctl_error("%s:%zu: the \"password\" column holds clear-text "
                          "passwords; import it with --password-column, or "
                          "remove it", im->file, line);
        return MOBILITYCTL_EINPUT;
    }

    if (!have_pw && pw_column) {
        mobilityctl_error("%s:%zu: --password-column given, but the header "
                          "row has no \"password\" column", im->file, line);
        return MOBILITYCTL_EINPUT;
    }

    *ncols = n;

    return MOBILITYCTL_OK;
}


/* a data row: its syntax and the fields, nothing against the store */

static void
mobilityctl_import_row(mobilityctl_import_t *im, mobilityctl_row_t *row,
    ngx_mobility_bytes_t *f, int n, int *cols, int ncols)
{
    int                  i, c, b;
    char                 err[MOBILITYCTL_ERRLEN], q[MOBILITYCTL_ERRLEN];
    mobilityctl_edit_t  *e;

    e = &row->edit;

    if (n != ncols) {
        mobilityctl_row_error(im, row, "%d field%s, but the header row has "
                              "%d", n, n == 1 ? "" : "s", ncols);
        return;
    }

    for (i = 0; i < ncols; i++) {
        c = cols[i];

        if (c == MOBILITYCTL_COL_SIP) {
            if (mobilityctl_sip(f[i].data, f[i].len, e, err, sizeof(err))
                != 0)
            {
                mobilityctl_row_error(im, row, "%s", err);
                return;
            }

        } else if (c == MOBILITYCTL_COL_ENABLED) {
            mobilityctl_trim(&f[i]);

            if (f[i].len == 0) {
                continue;
            }

            b = mobilityctl_bool(f[i].data, f[i].len);

            if (b < 0) {
                mobilityctl_row_error(im, row, "enabled \"%s\" is neither "
                                      "yes nor no",
                                      mobilityctl_quote(f[i].data, f[i].len,
                                                        q, sizeof(q)));
                return;
            }

            e->enabled = b;

        } else if (c == MOBILITYCTL_COL_PASSWORD) {
            if (f[i].len == 0) {
                continue;
            }

            if (f[i].len > NGX_MOBILITY_PW_MAX_LEN) {
                mobilityctl_row_error(im, row, "the password is longer "
                                      "than %d bytes",
                                      NGX_MOBILITY_PW_MAX_LEN);
                return;
            }

            e->password = MOBILITYCTL_PW_SET;
            e->plain = f[i];

        } else {
            if (mobilityctl_field_check(c, &f[i], err, sizeof(err)) != 0) {
                mobilityctl_row_error(im, row, "%s", err);
                return;
            }

            e->value[c] = f[i];
            e->set |= 1u << c;
        }
    }
}


static int
mobilityctl_key_cmp(const void *one, const void *two)
{
    int                       rc;
    size_t                    i, n;
    u_char                    a, b;
    const mobilityctl_key_t  *x, *y;

    x = one;
    y = two;

    n = x->len < y->len ? x->len : y->len;

    /* ASCII case-insensitive, as the e-mail index */

    for (i = 0; i < n; i++) {
        a = x->key[i];
        b = y->key[i];
        a = (a >= 'A' && a <= 'Z') ? (u_char) (a | 0x20) : a;
        b = (b >= 'A' && b <= 'Z') ? (u_char) (b | 0x20) : b;

        if (a != b) {
            return a - b;
        }
    }

    rc = (x->len > y->len) - (x->len < y->len);

    if (rc) {
        return rc;
    }

    return (x->row->line > y->row->line) - (x->row->line < y->row->line);
}


/* the same user, or e-mail address, twice in the file */

static void
mobilityctl_import_dups(mobilityctl_import_t *im)
{
    int                 email, pass;
    size_t              i, n;
    mobilityctl_key_t  *keys;
    mobilityctl_row_t  *row;

    keys = malloc((im->nrows + 1) * sizeof(mobilityctl_key_t));
    if (keys == NULL) {
        mobilityctl_oom();
    }

    email = mobilityctl_field_index((u_char *) "email", 5);

    for (pass = 0; pass < 2; pass++) {
        n = 0;

        for (i = 0; i < im->nrows; i++) {
            row = &im->rows[i];

            if (row->err) {
                continue;
            }

            if (pass == 0) {
                keys[n].key = row->edit.sip;
                keys[n].len = row->edit.sip_len;

            } else if ((row->edit.set & (1u << email))
                       && row->edit.value[email].len)
            {
                keys[n].key = row->edit.value[email].data;
                keys[n].len = row->edit.value[email].len;

            } else {
                continue;
            }

            keys[n++].row = row;
        }

        qsort(keys, n, sizeof(mobilityctl_key_t), mobilityctl_key_cmp);

        for (i = 1; i < n; i++) {
            if (keys[i].len != keys[i - 1].len
                || strncasecmp((char *) keys[i].key,
                               (char *) keys[i - 1].key, keys[i].len)
                   != 0)
            {
                continue;
            }

            if (pass == 0) {
                mobilityctl_row_error(im, keys[i].row, "sip:%s is also on "
                                      "line %zu", keys[i].row->edit.sip,
                                      keys[i - 1].row->line);

            } else {
                mobilityctl_row_error(im, keys[i].row, "e-mail address "
                                      "\"%.*s\" is also on line %zu",
                                      (int) keys[i].len, keys[i].key,
                                      keys[i - 1].row->line);
            }

            /* later duplicates name the first line */
            keys[i].row = keys[i - 1].row;
        }
    }

    free(keys);
}


static int
mobilityctl_import_parse(mobilityctl_import_t *im, u_char *data, size_t len,
    int pw_column)
{
    int                   n, rc, ncols, cols[MOBILITYCTL_COLS_MAX];
    size_t                line;
    mobilityctl_csv_t     csv;
    mobilityctl_row_t    *row;
    ngx_mobility_bytes_t  f[MOBILITYCTL_COLS_MAX];

    csv.pos = data;
    csv.last = data + len;
    csv.line = 1;

    /* a byte order mark, as spreadsheets write */
    if (len >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) {
        csv.pos += 3;
    }

    rc = mobilityctl_import_header(im, &csv, cols, &ncols, pw_column);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    for ( ;; ) {
        n = mobilityctl_csv_record(&csv, f, MOBILITYCTL_COLS_MAX, &line);

        if (n == 0) {
            break;
        }

        if (n == 1 && f[0].len == 0 && csv.err == NULL) {
            continue;   /* an empty line */
        }

        if (im->nrows == im->nalloc) {
            im->nalloc = im->nalloc ? im->nalloc * 2 : 64;
            row = realloc(im->rows, im->nalloc * sizeof(mobilityctl_row_t));
            if (row == NULL) {
                mobilityctl_oom();
            }

            im->rows = row;
        }

        row = &im->rows[im->nrows++];
        row->line = line;
        row->err = NULL;
        row->created = 0;
        mobilityctl_edit_init(&row->edit);

        if (n < 0) {
            mobilityctl_row_error(im, row, "%s", csv.err);
            break;
        }

        if (csv.err) {
            mobilityctl_row_error(im, row, "%s", csv.err);
            continue;
        }

        mobilityctl_import_row(im, row, f, n, cols, ncols);
    }

    mobilityctl_import_dups(im);

    return MOBILITYCTL_OK;
}


/*
 * Every good row against the store in txn: dry in a read transaction
 * before the passwords are hashed, for real in the write transaction.
 */

static int
mobilityctl_import_apply(mobilityctl_t *ctx, mobilityctl_import_t *im,
    MDB_txn *txn, int mode, int dry)
{
    int                 rc;
    char                err[MOBILITYCTL_ERRLEN];
    size_t              i;
    time_t              now;
    mobilityctl_row_t  *row;

    now = time(NULL);

    for (i = 0; i < im->nrows; i++) {
        row = &im->rows[i];

        if (row->err) {
            continue;
        }

        rc = mobilityctl_user_apply(ctx, txn, &row->edit, mode, dry, now,
                                    &row->created, err, sizeof(err));

        if (rc == MOBILITYCTL_EINPUT) {
            mobilityctl_row_error(im, row, "%s%s", err,
                                  (mode == MOBILITYCTL_CREATE
                                   && strstr(err, "already exists"))
                                  ? " (update existing users with --update)"
                                  : "");
            continue;
        }

        if (rc != MOBILITYCTL_OK) {
            return mobilityctl_store_error(ctx);
        }
    }

    return mobilityctl_import_report(im);
}


static void
mobilityctl_import_free(mobilityctl_import_t *im)
{
    size_t  i;

    for (i = 0; i < im->nrows; i++) {
        free(im->rows[i].err);
        mobilityctl_cleanse(im->rows[i].edit.hash,
                            sizeof(im->rows[i].edit.hash));
    }

    free(im->rows);
}


int
mobilityctl_user_import(mobilityctl_t *ctx, mobilityctl_args_t *a)
{
    int                   rc, id, mode, pw_column;
    char                 *v, *file;
    u_char               *data;
    json_t               *j;
    size_t                len, i, added;
    unsigned              changed;
    MDB_txn              *txn;
    uint32_t              iterations;
    mobilityctl_row_t    *row;
    mobilityctl_import_t  im;

    static const mobilityctl_opt_t  opts[] = {
        { "update", MOBILITYCTL_I_UPDATE, 0 },
        { "password-column", MOBILITYCTL_I_PW_COLUMN, 0 },
        { NULL, 0, 0 }
    };

    file = NULL;
    mode = MOBILITYCTL_CREATE;
    pw_column = 0;

    while ((id = mobilityctl_arg(ctx, a, opts, &v)) != MOBILITYCTL_ARG_END) {

        switch (id) {

        case MOBILITYCTL_ARG_ERROR:
            return MOBILITYCTL_EUSAGE;

        case MOBILITYCTL_ARG_POS:
            if (file) {
                return mobilityctl_usage_error(a, "unexpected argument "
                                               "\"%s\"", v);
            }

            file = v;
            break;

        case MOBILITYCTL_I_UPDATE:
            mode = MOBILITYCTL_UPSERT;
            break;

        default: /* MOBILITYCTL_I_PW_COLUMN */
            pw_column = 1;
            break;
        }
    }

    if (file == NULL) {
        return mobilityctl_usage_error(a, "missing CSV file name (or \"-\" "
                                       "for standard input)");
    }

    if (mobilityctl_nfields() > MOBILITYCTL_FIELDS_MAX) {
        mobilityctl_error("too many user fields");
        return MOBILITYCTL_ESTORE;
    }

    rc = mobilityctl_read_file(file, &data, &len);
    if (rc != MOBILITYCTL_OK) {
        return rc;
    }

    memset(&im, 0, sizeof(mobilityctl_import_t));
    im.file = (strcmp(file, "-") == 0) ? "(stdin)" : file;

    rc = mobilityctl_import_parse(&im, data, len, pw_column);
    if (rc != MOBILITYCTL_OK) {
        goto done;
    }

    rc = mobilityctl_open(ctx);
    if (rc != MOBILITYCTL_OK) {
        goto done;
    }

    /*
     * Check the rows against the store before the slow part, and report
     * every bad row, whatever is wrong with it.
     */

    rc = mobilityctl_begin(ctx, &txn, 0);
    if (rc != MOBILITYCTL_OK) {
        goto done;
    }

    rc = mobilityctl_import_apply(ctx, &im, txn, mode, 1);

    if (rc == MOBILITYCTL_OK && pw_column) {
        rc = mobilityctl_password_iterations(ctx, txn, &iterations);
    }

    mdb_txn_abort(txn);

    if (rc != MOBILITYCTL_OK) {
        goto done;
    }

    for (i = 0; i < im.nrows; i++) {
        row = &im.rows[i];

        if (row->edit.password != MOBILITYCTL_PW_SET) {
            continue;
        }

        rc = mobilityctl_password_hash(row->edit.plain.data,
                                       row->edit.plain.len, iterations,
                                       row->edit.hash);
        if (rc != MOBILITYCTL_OK) {
            goto done;
        }
    }

    rc = mobilityctl_begin(ctx, &txn, 1);
    if (rc != MOBILITYCTL_OK) {
        goto done;
    }

    rc = mobilityctl_import_apply(ctx, &im, txn, mode, 0);

    if (rc != MOBILITYCTL_OK) {
        mdb_txn_abort(txn);
        goto done;
    }

    rc = mobilityctl_commit(ctx, txn);
    if (rc != MOBILITYCTL_OK) {
        goto done;
    }

    added = 0;
    changed = 0;

    for (i = 0; i < im.nrows; i++) {
        added += im.rows[i].created ? 1 : 0;
        changed |= im.rows[i].edit.policy_changed;
    }

    if (changed) {
        /* sites or grants changed: nginx's workers re-read everybody's */
        mobilityctl_notify(ctx, (u_char *) "policies\n*", 10);
    }

    if (ctx->json) {
        j = json_object();
        if (j == NULL) {
            mobilityctl_oom();
        }

        mobilityctl_json_set(j, "users", json_integer(im.nrows));
        mobilityctl_json_set(j, "added", json_integer(added));
        mobilityctl_json_set(j, "updated", json_integer(im.nrows - added));
        mobilityctl_json_print(j);

    } else {
        printf("imported %zu user%s from %s (%zu added, %zu updated)\n",
               im.nrows, im.nrows == 1 ? "" : "s", im.file, added,
               im.nrows - added);
    }

done:

    mobilityctl_import_free(&im);

    /* the buffer may hold clear-text passwords */
    mobilityctl_cleanse(data, len);
    free(data);

    return rc;
}
