/*
 * Copyright (C) The nginx mobility authors
 *
 * A test driver for shared/ngx_mobility_jose.c and ngx_mobility_webpush.c,
 * built by t/070-push-crypto.t:
 *
 *   cc -Ishared -o push_crypto t/tools/push_crypto.c \
 *      shared/ngx_mobility_jose.c shared/ngx_mobility_webpush.c \
 *      shared/ngx_mobility_codec.c -lcrypto
 *
 *   push_crypto load KEYFILE               prints the JWS alg of the key
 *   push_crypto sign KEYFILE HEADER CLAIMS prints the compact JWS
 *   push_crypto public KEYFILE             prints the raw public point,
 *                                          base64url
 *   push_crypto keys P256DH AUTH           checks subscription keys
 *   push_crypto encrypt P256DH AUTH IN OUT [SIZE]
 *                                          encrypts the file IN into OUT
 *   push_crypto vapid KEYFILE AUD EXP SUB  prints the Authorization value
 *
 * Errors: the message on stderr, exit status 1.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_mobility_codec.h"
#include "ngx_mobility_jose.h"
#include "ngx_mobility_webpush.h"


#define PUSH_CRYPTO_OUT_MAX  (64 * 1024)


static int
fail(const char *msg)
{
    fprintf(stderr, "%s\n", msg);
    return 1;
}


static EVP_PKEY *
load(const char *file)
{
    char       err[NGX_MOBILITY_JOSE_ERR_MAX];
    EVP_PKEY  *key;

    key = ngx_mobility_pkey_read_file(file, err, sizeof(err));

    if (key == NULL) {
        fprintf(stderr, "%s\n", err);
    }

    return key;
}


static int
keys(const char *p256dh, const char *auth, unsigned char *ua,
    unsigned char *secret)
{
    char  err[NGX_MOBILITY_JOSE_ERR_MAX];

    if (!ngx_mobility_webpush_keys(p256dh, strlen(p256dh), auth,
                                   strlen(auth), ua, secret, err,
                                   sizeof(err)))
    {
        fprintf(stderr, "%s\n", err);
        return 0;
    }

    return 1;
}


int
main(int argc, char **argv)
{
    FILE           *f;
    size_t          n, size;
    EVP_PKEY       *key;
    const char     *cmd, *alg;
    unsigned char   ua[NGX_MOBILITY_WEBPUSH_P256DH_LEN];
    unsigned char   secret[NGX_MOBILITY_WEBPUSH_AUTH_LEN], raw[65];

    static char           out[PUSH_CRYPTO_OUT_MAX];
    static unsigned char  in[PUSH_CRYPTO_OUT_MAX];

    if (argc < 2) {
        return fail("usage: push_crypto load|sign|public|keys|encrypt|vapid "
                    "...");
    }

    cmd = argv[1];

    if (strcmp(cmd, "load") == 0 && argc == 3) {
        key = load(argv[2]);
        if (key == NULL) {
            return 1;
        }

        alg = ngx_mobility_jws_alg(key);
        printf("%s\n", alg ? alg : "none");
        EVP_PKEY_free(key);

        return 0;
    }

    if (strcmp(cmd, "sign") == 0 && argc == 5) {
        key = load(argv[2]);
        if (key == NULL) {
            return 1;
        }

        n = ngx_mobility_jws_sign(key, argv[3], strlen(argv[3]), argv[4],
                                  strlen(argv[4]), out, PUSH_CRYPTO_OUT_MAX);
        EVP_PKEY_free(key);

        if (n == 0) {
            return fail("signing failed");
        }

        printf("%.*s\n", (int) n, out);

        return 0;
    }

    if (strcmp(cmd, "public") == 0 && argc == 3) {
        key = load(argv[2]);
        if (key == NULL) {
            return 1;
        }

        if (!ngx_mobility_ec_public_raw(key, raw)) {
            EVP_PKEY_free(key);
            return fail("not a P-256 key");
        }

        EVP_PKEY_free(key);

        n = ngx_mobility_b64url_encode((u_char *) out, raw, sizeof(raw));
        printf("%.*s\n", (int) n, out);

        return 0;
    }

    if (strcmp(cmd, "keys") == 0 && argc == 4) {
        if (!keys(argv[2], argv[3], ua, secret)) {
            return 1;
        }

        printf("ok\n");

        return 0;
    }

    if (strcmp(cmd, "encrypt") == 0 && (argc == 6 || argc == 7)) {
        if (!keys(argv[2], argv[3], ua, secret)) {
            return 1;
        }

        f = fopen(argv[4], "rb");
        if (f == NULL) {
            return fail("cannot open the plaintext file");
        }

        n = fread(in, 1, PUSH_CRYPTO_OUT_MAX, f);
        fclose(f);

        size = (argc == 7) ? (size_t) strtoul(argv[6], NULL, 10)
                           : PUSH_CRYPTO_OUT_MAX;

        n = ngx_mobility_webpush_encrypt(ua, secret, in, n,
                                         (unsigned char *) out, size);
        if (n == 0) {
            return fail("encryption refused");
        }

        f = fopen(argv[5], "wb");
        if (f == NULL || fwrite(out, 1, n, f) != n || fclose(f) != 0) {
            return fail("cannot write the body file");
        }

        printf("%zu\n", n);

        return 0;
    }

    if (strcmp(cmd, "vapid") == 0 && argc == 6) {
        key = load(argv[2]);
        if (key == NULL) {
            return 1;
        }

        n = ngx_mobility_vapid_authorization(key, argv[3], strlen(argv[3]),
                                             strtoull(argv[4], NULL, 10),
                                             argv[5], strlen(argv[5]), out,
                                             PUSH_CRYPTO_OUT_MAX);
        EVP_PKEY_free(key);

        if (n == 0) {
            return fail("VAPID header refused");
        }

        printf("%.*s\n", (int) n, out);

        return 0;
    }

    return fail("usage: push_crypto load|sign|public|keys|encrypt|vapid ...");
}
