#!/usr/bin/perl
#
# The push cryptography of shared/ (ngx_mobility_jose.c, ngx_mobility_webpush.c)
# and "mobilityctl vapid", checked against an independent implementation:
# python3 with python3-cryptography verifies the JWS signatures (ES256 raw
# r||s, RS256) and decrypts the Web Push bodies as the user agent would
# (RFC 8291 / RFC 8188, written out below).  The C side is driven by
# t/tools/push_crypto.c, compiled here with cc.
#
#   MOBILITYCTL=build/mobilityctl prove -v t/070-push-crypto.t

use strict;
use warnings;

use Test::More;
use File::Temp qw(tempdir);
use FindBin;
use JSON::PP;
use MIME::Base64 qw(encode_base64url decode_base64url);
use POSIX qw(WIFEXITED WEXITSTATUS);

my $root = "$FindBin::Bin/..";
my $bin = $ENV{MOBILITYCTL} // "$root/build/mobilityctl";

-x $bin or die "$bin is not executable; build it with: make cli\n";

delete $ENV{MOBILITY_STORE};

my $tmp = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->utf8->canonical;
my $driver = "$tmp/push_crypto";
my $py = "$tmp/ua.py";


sub slurp {
    my ($file) = @_;

    open my $fh, '<:raw', $file or return '';
    local $/;
    my $s = <$fh>;
    close $fh;

    return $s // '';
}


sub spew {
    my ($file, $data) = @_;

    open my $fh, '>:raw', $file or die "$file: $!";
    print $fh $data;
    close $fh;
}


# run(PROGRAM, ARGS...): { rc, out, err }

sub run {
    my @cmd = @_;

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        open STDIN, '<', '/dev/null' or die;
        open STDOUT, '>', "$tmp/stdout" or die;
        open STDERR, '>', "$tmp/stderr" or die;
        exec @cmd or exit 127;
    }

    waitpid $pid, 0;

    return {
        rc  => WIFEXITED($?) ? WEXITSTATUS($?) : 128 + ($? & 127),
        out => slurp("$tmp/stdout"),
        err => slurp("$tmp/stderr"),
    };
}


sub ctl { return run($bin, '--store', "$tmp/store", @_) }
sub drv { return run($driver, @_) }
sub py  { return run('python3', $py, @_) }


# python's answer as JSON, or a failed test and undef

sub pyjson {
    my ($name, @args) = @_;

    my $r = py(@args);

    if ($r->{rc} != 0) {
        fail($name);
        diag("python3 @args: $r->{err}");
        return undef;
    }

    return $json->decode($r->{out});
}


sub chomped { my ($s) = @_; $s =~ s/\n\z//; return $s }


# ---------------------------------------------------------------------------
# the user agent and the verifier, independent of our C code

spew($py, <<'PY');
import base64, json, os, struct, sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric import rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand


def b64d(s):
    s = s.strip()
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def raw(pub):
    return pub.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def load(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def hmac256(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def expand(prk, info, n):
    return HKDFExpand(hashes.SHA256(), n, info).derive(prk)


def die(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


def verify_jws(jws, pub):
    parts = jws.strip().split(".")
    if len(parts) != 3:
        die("not a compact JWS")
    signing_input = (parts[0] + "." + parts[1]).encode()
    header = json.loads(b64d(parts[0]))
    claims = json.loads(b64d(parts[1]))
    sig = b64d(parts[2])
    try:
        if header["alg"] == "ES256":
            if len(sig) != 64:
                die("ES256 signature of %d bytes" % len(sig))
            der = utils.encode_dss_signature(
                int.from_bytes(sig[:32], "big"),
                int.from_bytes(sig[32:], "big"))
            pub.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        elif header["alg"] == "RS256":
            pub.verify(sig, signing_input, padding.PKCS1v15(),
                       hashes.SHA256())
        else:
            die("unexpected alg " + header["alg"])
    except InvalidSignature:
        die("invalid signature")
    return {"header": header, "claims": claims, "siglen": len(sig)}


cmd, args = sys.argv[1], sys.argv[2:]

if cmd == "genkey":
    kind, path = args
    enc = serialization.NoEncryption()
    fmt = serialization.PrivateFormat.PKCS8
    if kind in ("ec-pkcs8", "ec-sec1", "ec-encrypted"):
        key = ec.generate_private_key(ec.SECP256R1())
        if kind == "ec-sec1":
            fmt = serialization.PrivateFormat.TraditionalOpenSSL
        if kind == "ec-encrypted":
            enc = serialization.BestAvailableEncryption(b"secret")
    elif kind == "p384":
        key = ec.generate_private_key(ec.SECP384R1())
    elif kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    elif kind in ("rsa2048-pkcs1", "rsa2048-pkcs8", "rsa1024"):
        key = rsa.generate_private_key(65537,
                                       1024 if kind == "rsa1024" else 2048)
        if kind == "rsa2048-pkcs1":
            fmt = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        die("unknown kind")
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, fmt, enc))

elif cmd == "public":
    print(b64e(raw(load(args[0]).public_key())))

elif cmd == "verify":
    jws, path = args
    print(json.dumps(verify_jws(jws, load(path).public_key())))

elif cmd == "verify-vapid":
    value = args[0].strip()
    if not value.startswith("vapid t="):
        die("not a vapid authorization")
    t, sep, k = value[len("vapid t="):].partition(", k=")
    if not sep:
        die("no k=")
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                       b64d(k))
    r = verify_jws(t, pub)
    r["k"] = k
    print(json.dumps(r))

elif cmd == "ua":
    # the user agent's subscription: a P-256 key pair and an auth secret
    key = ec.generate_private_key(ec.SECP256R1())
    with open(args[0], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    print(json.dumps({"p256dh": b64e(raw(key.public_key())),
                      "auth": b64e(os.urandom(16))}))

elif cmd == "decrypt":
    # RFC 8291 section 3.4 and RFC 8188 section 2, receiving side
    path, auth, body_file = args
    ua = load(path)
    ua_pub = raw(ua.public_key())
    auth = b64d(auth)
    with open(body_file, "rb") as f:
        body = f.read()
    salt = body[:16]
    rs = struct.unpack(">I", body[16:20])[0]
    idlen = body[20]
    keyid = body[21:21 + idlen]
    ct = body[21 + idlen:]
    if len(ct) > rs:
        die("more than one record")
    as_pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                          keyid)
    ecdh = ua.exchange(ec.ECDH(), as_pub)
    prk_key = hmac256(auth, ecdh)
    ikm = expand(prk_key, b"WebPush: info\x00" + ua_pub + keyid, 32)
    prk = hmac256(salt, ikm)
    cek = expand(prk, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = expand(prk, b"Content-Encoding: nonce\x00", 12)
    pt = AESGCM(cek).decrypt(nonce, ct, None)
    pt = pt.rstrip(b"\x00")
    if not pt or pt[-1] != 2:
        die("no last-record padding delimiter 0x02")
    print(json.dumps({"plaintext": pt[:-1].hex(), "rs": rs, "idlen": idlen,
                      "keyid": b64e(keyid), "salt": b64e(salt),
                      "length": len(body)}))

elif cmd == "offcurve":
    # a valid point with its y coordinate changed: 0x04, 65 bytes, off P-256
    p = bytearray(raw(ec.generate_private_key(ec.SECP256R1()).public_key()))
    p[64] ^= 1
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                     bytes(p))
        die("still on the curve")
    except ValueError:
        pass
    print(b64e(bytes(p)))

else:
    die("unknown command " + cmd)
PY


my $r = run('python3', '-c', 'import cryptography');
is($r->{rc}, 0, 'python3-cryptography is installed')
    or BAIL_OUT('python3-cryptography is needed: apt-get install '
                . 'python3-cryptography');

$r = run($ENV{CC} // 'cc', qw(-O1 -Wall -Wextra -Wno-unused-parameter
         -Werror), "-I$root/shared", '-o', $driver,
         "$root/t/tools/push_crypto.c", "$root/shared/ngx_mobility_jose.c",
         "$root/shared/ngx_mobility_webpush.c",
         "$root/shared/ngx_mobility_codec.c", '-lcrypto');
is($r->{rc}, 0, 'the test driver builds') or diag($r->{err});
-x $driver or BAIL_OUT('cannot build t/tools/push_crypto.c');


# ---------------------------------------------------------------------------
# mobilityctl vapid generate | show

my $vapid = "$tmp/vapid.pem";

$r = ctl('vapid', 'generate', $vapid);
is($r->{rc}, 0, 'vapid generate: exit 0') or diag($r->{err});
like($r->{out}, qr/\A[A-Za-z0-9_-]{87}\n\z/,
     'vapid generate: prints an unpadded base64url 65-byte key');
my $vapid_pub = chomped($r->{out});

is((stat $vapid)[2] & 07777, 0600, 'vapid generate: the file is mode 0600');
like(slurp($vapid), qr/\A-----BEGIN PRIVATE KEY-----\n/,
     'vapid generate: PEM PKCS#8');
ok(!-e "$tmp/store", 'vapid generate: no store is created');

$r = py('public', $vapid);
is(chomped($r->{out}), $vapid_pub,
   'vapid generate: the printed key is the one python derives from the PEM');
like($vapid_pub, qr/\AB/, 'the public key is an uncompressed point (0x04)');

$r = ctl('vapid', 'show', $vapid);
is($r->{rc}, 0, 'vapid show: exit 0');
is(chomped($r->{out}), $vapid_pub, 'vapid show: the same public key');

$r = ctl('--json', 'vapid', 'show', $vapid);
is_deeply($r->{rc} == 0 ? $json->decode($r->{out}) : undef,
          { publicKey => $vapid_pub }, 'vapid show --json: {"publicKey"}');

$r = ctl('vapid', 'show', $vapid, '--json');
is_deeply($r->{rc} == 0 ? $json->decode($r->{out}) : undef,
          { publicKey => $vapid_pub }, 'vapid show FILE --json');

my $before = slurp($vapid);
$r = ctl('vapid', 'generate', $vapid);
is($r->{rc}, 1, 'vapid generate: an existing file is refused (exit 1)');
like($r->{err}, qr/already exists; not overwritten/,
     'vapid generate: says why');
is($r->{out}, '', 'vapid generate: nothing on stdout when refused');
is(slurp($vapid), $before, 'vapid generate: the existing key is untouched');

$r = ctl('vapid', 'generate');
is($r->{rc}, 2, 'vapid generate without FILE: usage error');
like($r->{err}, qr/missing key FILE/, 'vapid generate without FILE: message');

$r = ctl('vapid', 'generate', "$tmp/a.pem", "$tmp/b.pem");
is($r->{rc}, 2, 'vapid generate with two files: usage error');
ok(!-e "$tmp/a.pem", 'vapid generate: nothing written on a usage error');

$r = ctl('vapid', 'generate', "$tmp/no/such/dir.pem");
is($r->{rc}, 1, 'vapid generate into a missing directory: exit 1');
like($r->{err}, qr/No such file or directory/, '... with the reason');

$r = ctl('vapid', 'show', "$tmp/missing.pem");
is($r->{rc}, 1, 'vapid show of a missing file: exit 1');
like($r->{err}, qr/missing\.pem: No such file or directory/,
     'vapid show of a missing file: message');

py('genkey', 'rsa2048-pkcs8', "$tmp/rsa2048.pem");
$r = ctl('vapid', 'show', "$tmp/rsa2048.pem");
is($r->{rc}, 1, 'vapid show of an RSA key: exit 1');
like($r->{err}, qr/not a P-256 key/, 'vapid show of an RSA key: message');

$r = ctl('vapid', 'frobnicate', $vapid);
is($r->{rc}, 2, 'vapid: unknown subcommand is a usage error');

$r = ctl('--help');
like($r->{out}, qr/vapid generate FILE/, 'usage text lists vapid generate');

# a second key is a different key
$r = ctl('vapid', 'generate', "$tmp/vapid2.pem");
isnt(chomped($r->{out}), $vapid_pub, 'vapid generate: a new key each time');


# ---------------------------------------------------------------------------
# reading keys

for my $k (['ec-pkcs8', 'ES256'], ['ec-sec1', 'ES256'],
           ['rsa2048-pkcs1', 'RS256'], ['rsa2048-pkcs8', 'RS256'])
{
    py('genkey', $k->[0], "$tmp/$k->[0].pem");
    $r = drv('load', "$tmp/$k->[0].pem");
    is(chomped($r->{out}), $k->[1], "$k->[0] key: read, alg $k->[1]")
        or diag($r->{err});
}

spew("$tmp/garbage.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                         . "-----END PRIVATE KEY-----\n");
spew("$tmp/empty.pem", '');

for my $k (['rsa1024', qr/RSA key of 1024 bits is too small \(at least 2048\)/],
           ['p384', qr/unsupported EC curve \(only P-256/],
           ['ed25519', qr/unsupported key type ED25519/],
           ['ec-encrypted', qr/no usable private key.*unencrypted/],
           ['garbage', qr/no usable private key/],
           ['empty', qr/the PEM data is empty/],
           ['missing', qr/missing\.pem: No such file or directory/])
{
    my $file = "$tmp/$k->[0].pem";

    py('genkey', $k->[0], $file) unless -e $file || $k->[0] eq 'missing';

    $r = drv('load', $file);
    is($r->{rc}, 1, "$k->[0] key: refused");
    like($r->{err}, $k->[1], "$k->[0] key: clear message");

    my @body = grep { length > 20 && !/^-----/ } split /\n/, slurp($file);
    ok(!grep({ index($r->{err}, substr($_, 0, 16)) >= 0 } @body),
       "$k->[0] key: the message holds no key material");
}

$r = drv('public', "$tmp/ec-sec1.pem");
is(chomped($r->{out}), chomped(py('public', "$tmp/ec-sec1.pem")->{out}),
   'ec_public_raw: the point python derives');

$r = drv('public', "$tmp/rsa2048-pkcs1.pem");
is($r->{rc}, 1, 'ec_public_raw: refuses an RSA key');


# ---------------------------------------------------------------------------
# JWS: the APNs provider token (ES256) and the FCM assertion (RS256)

my $now = time;

for my $k ('ec-pkcs8', 'ec-sec1') {
    my $h = '{"alg":"ES256","kid":"ABC123DEFG"}';
    my $c = qq({"iss":"DEF123GHIJ","iat":$now});

    $r = drv('sign', "$tmp/$k.pem", $h, $c);
    is($r->{rc}, 0, "ES256 ($k): signed") or diag($r->{err});
    my $jws = chomped($r->{out});
    like($jws, qr/\A[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}\z/,
         "ES256 ($k): compact JWS, 64-byte signature, no padding");

    my $v = pyjson("ES256 ($k): verified", 'verify', $jws, "$tmp/$k.pem");
    is_deeply($v, { header => { alg => 'ES256', kid => 'ABC123DEFG' },
                    claims => { iss => 'DEF123GHIJ', iat => $now },
                    siglen => 64 },
              "ES256 ($k): python verifies r||s; header and claims intact");

    # the verifier can say no: another key, or changed claims
    $r = py('verify', $jws, "$tmp/vapid.pem");
    is($r->{rc}, 1, "ES256 ($k): another key does not verify");
    like($r->{err}, qr/invalid signature/, '... invalid signature');

    my @p = split /\./, $jws;
    my $forged = encode_base64url(
                     qq({"iss":"DEF123GHIJ","iat":) . ($now + 1) . '}');
    $r = py('verify', "$p[0].$forged.$p[2]", "$tmp/$k.pem");
    is($r->{rc}, 1, "ES256 ($k): changed claims do not verify");
}

{
    my $h = '{"alg":"RS256","typ":"JWT"}';
    my $exp = $now + 3600;
    my $c = qq({"iss":"push\@example.iam.gserviceaccount.com",)
            . qq("scope":"https://www.googleapis.com/auth/firebase.messaging",)
            . qq("aud":"https://oauth2.googleapis.com/token",)
            . qq("iat":$now,"exp":$exp});

    for my $k ('rsa2048-pkcs1', 'rsa2048-pkcs8') {
        $r = drv('sign', "$tmp/$k.pem", $h, $c);
        is($r->{rc}, 0, "RS256 ($k): signed") or diag($r->{err});
        my $jws = chomped($r->{out});

        my $v = pyjson("RS256 ($k): verified", 'verify', $jws,
                       "$tmp/$k.pem");
        is($v && $v->{siglen}, 256, "RS256 ($k): 256-byte signature");
        is_deeply($v && $v->{claims},
                  { iss => 'push@example.iam.gserviceaccount.com',
                    scope => 'https://www.googleapis.com/auth/'
                             . 'firebase.messaging',
                    aud => 'https://oauth2.googleapis.com/token',
                    iat => $now, exp => $exp },
                  "RS256 ($k): python verifies PKCS#1 v1.5; claims intact");
    }

    $r = py('verify', chomped(drv('sign', "$tmp/rsa2048-pkcs1.pem", $h,
                                  $c)->{out}),
            "$tmp/rsa2048-pkcs8.pem");
    is($r->{rc}, 1, 'RS256: another key does not verify');
}


# ---------------------------------------------------------------------------
# Web Push encryption, decrypted by the python user agent

my $ua = pyjson('ua keys', 'ua', "$tmp/ua.pem");

sub push_roundtrip {
    my ($name, $plain, $p256dh, $auth) = @_;

    spew("$tmp/plain", $plain);
    unlink "$tmp/body";

    my $r = drv('encrypt', $p256dh // $ua->{p256dh}, $auth // $ua->{auth},
                "$tmp/plain", "$tmp/body");
    is($r->{rc}, 0, "$name: encrypted") or diag($r->{err});

    my $d = pyjson("$name: decrypted", 'decrypt', "$tmp/ua.pem", $ua->{auth},
                   "$tmp/body");
    return undef unless $d;

    is(pack('H*', $d->{plaintext}), $plain,
       "$name: python decrypts the plaintext");
    is($d->{rs}, 4096, "$name: record size 4096");
    is($d->{idlen}, 65, "$name: idlen 65");
    is($d->{length}, 16 + 4 + 1 + 65 + length($plain) + 1 + 16,
       "$name: body = header + plaintext + delimiter + tag");
    is(chomped($r->{out}), $d->{length}, "$name: the length returned");

    return $d;
}

my $msg = '{"type":"im","from":"sip:alice@example.com",'
          . '"text":"caf' . "\xc3\xa9" . ' at 10?"}';

my $d1 = push_roundtrip('web push', $msg);
my $d2 = push_roundtrip('web push again', $msg);

isnt($d1 && $d1->{keyid}, $d2 && $d2->{keyid},
     'web push: a fresh ephemeral key per message');
isnt($d1 && $d1->{salt}, $d2 && $d2->{salt},
     'web push: a fresh salt per message');
isnt($d1 && $d1->{keyid}, $ua->{p256dh},
     'web push: the key id is the server key, not the subscription key');

(my $padded_key = $ua->{p256dh}) .= '=' x (-length($ua->{p256dh}) % 4);
(my $padded_auth = $ua->{auth}) .= '=' x (-length($ua->{auth}) % 4);
isnt($padded_auth, $ua->{auth}, 'the padded auth has padding');
push_roundtrip('padded base64url keys', $msg, $padded_key, $padded_auth);

push_roundtrip('empty plaintext', '');

my $max = 4096 - (16 + 4 + 1 + 65 + 16 + 1);
my $d = push_roundtrip('largest plaintext', 'x' x $max);
is($d && $d->{length}, 4096, 'largest plaintext: a 4096-byte body');

spew("$tmp/plain", 'x' x ($max + 1));
$r = drv('encrypt', $ua->{p256dh}, $ua->{auth}, "$tmp/plain", "$tmp/big");
is($r->{rc}, 1, 'a plaintext one byte too large for 4096 is refused');
like($r->{err}, qr/encryption refused/, '... with no body');

spew("$tmp/plain", 'x' x 200);
$r = drv('encrypt', $ua->{p256dh}, $ua->{auth}, "$tmp/plain", "$tmp/small",
         200);
is($r->{rc}, 1, 'a body larger than the output buffer is refused');

# the subscription keys

my $raw_key = decode_base64url($ua->{p256dh});
my $raw_auth = decode_base64url($ua->{auth});
my $offcurve = chomped(py('offcurve')->{out});

for my $bad (
    [ 'p256dh of 64 bytes',
      encode_base64url(substr($raw_key, 0, 64)), $ua->{auth},
      qr/p256dh key must be 65 bytes \(an uncompressed P-256 point\), not 64/ ],
    [ 'p256dh of 66 bytes',
      encode_base64url($raw_key . "\0"), $ua->{auth},
      qr/the p256dh key must be 65 bytes .*not 66/ ],
    [ 'p256dh not uncompressed',
      encode_base64url("\x05" . substr($raw_key, 1)),
      $ua->{auth}, qr/not an uncompressed point \(first byte 0x05/ ],
    [ 'p256dh off the curve', $offcurve, $ua->{auth},
      qr/the p256dh key is not a point on the P-256 curve/ ],
    [ 'p256dh in standard base64 (+/)',
      do { (my $s = $ua->{p256dh}) =~ tr/-_/+\//; $s =~ /[+\/]/ ? $s
                                                  : "+$s" },
      $ua->{auth}, qr/the p256dh key is not valid base64url/ ],
    [ 'p256dh with a bad character', '*' . substr($ua->{p256dh}, 1),
      $ua->{auth}, qr/the p256dh key is not valid base64url/ ],
    [ 'p256dh far too long', 'A' x 400, $ua->{auth},
      qr/not valid base64url \(too long\)/ ],
    [ 'auth of 15 bytes', $ua->{p256dh},
      encode_base64url(substr($raw_auth, 0, 15)),
      qr/the auth secret must be 16 bytes, not 15/ ],
    [ 'auth of 17 bytes', $ua->{p256dh},
      encode_base64url($raw_auth . "\0"),
      qr/the auth secret must be 16 bytes, not 17/ ],
    [ 'auth with a bad character', $ua->{p256dh}, 'abc.defghijklmnopqrstu',
      qr/the auth secret is not valid base64url/ ],
)
{
    my ($name, $key, $auth, $re) = @$bad;

    $r = drv('keys', $key, $auth);
    is($r->{rc}, 1, "$name: refused");
    like($r->{err}, $re, "$name: clear message");

    spew("$tmp/plain", 'hello');
    $r = drv('encrypt', $key, $auth, "$tmp/plain", "$tmp/refused");
    ok($r->{rc} == 1 && !-e "$tmp/refused", "$name: nothing encrypted");
}

$r = drv('keys', $ua->{p256dh}, $ua->{auth});
is($r->{rc}, 0, 'good subscription keys are accepted') or diag($r->{err});


# ---------------------------------------------------------------------------
# VAPID

{
    my $exp = $now + 12 * 3600;

    $r = drv('vapid', $vapid, 'https://fcm.googleapis.com', $exp,
             'mailto:push-admin@example.com');
    is($r->{rc}, 0, 'vapid: header built') or diag($r->{err});
    my $value = chomped($r->{out});
    like($value, qr/\Avapid\ t=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+,
                    \ k=[A-Za-z0-9_-]{87}\z/x,
         'vapid: "vapid t=<JWT>, k=<key>"');

    my $v = pyjson('vapid: verified', 'verify-vapid', $value);
    is_deeply($v, { header => { typ => 'JWT', alg => 'ES256' },
                    claims => { aud => 'https://fcm.googleapis.com',
                                exp => $exp,
                                sub => 'mailto:push-admin@example.com' },
                    siglen => 64, k => $vapid_pub },
              'vapid: the JWT verifies with k; aud, exp, sub; k is the key '
              . 'mobilityctl printed');

    $r = drv('vapid', $vapid, 'https://push.example.com:8443', $exp,
             'https://example.com/contact');
    $v = pyjson('vapid (port, https sub): verified', 'verify-vapid',
                chomped($r->{out}));
    is($v && $v->{claims}{aud}, 'https://push.example.com:8443',
       'vapid: aud with a port');

    # another key's k does not verify this JWT
    my $other = chomped(ctl('vapid', 'show', "$tmp/vapid2.pem")->{out});
    (my $swapped = chomped(drv('vapid', $vapid, 'https://fcm.googleapis.com',
                               $exp, 'mailto:a@example.com')->{out}))
        =~ s/k=.*/k=$other/;
    $r = py('verify-vapid', $swapped);
    is($r->{rc}, 1, 'vapid: a JWT does not verify with another k');

    $r = drv('vapid', $vapid, 'fcm.googleapis.com', $exp, 'mailto:a@b.c');
    is($r->{rc}, 1, 'vapid: an aud that is not an origin is refused');

    $r = drv('vapid', $vapid, 'https://fcm.googleapis.com', $exp,
             'admin@example.com');
    is($r->{rc}, 1, 'vapid: a sub that is neither mailto: nor https: '
                    . 'is refused');

    $r = drv('vapid', "$tmp/rsa2048-pkcs8.pem", 'https://fcm.googleapis.com',
             $exp, 'mailto:a@b.c');
    is($r->{rc}, 1, 'vapid: an RSA key is refused');
}

done_testing();

