#!/usr/bin/python3
"""Independent checks of what the push sender sent (python3-cryptography,
not our C code):

    push_check.py jws <compact JWS> <PEM key file>
        verifies an ES256 or RS256 signature with the key's public half
        and prints {"header":..., "claims":...}
    push_check.py ua-keys
        a Web Push subscription's keys, as a browser makes them:
        {"private": <PEM>, "p256dh": <b64url>, "auth": <b64url>}
    push_check.py decrypt <body base64> <private PEM file> <auth b64url>
        decrypts an RFC 8291 aes128gcm body and prints the plaintext
    push_check.py pub <PEM key file>
        the raw public point, base64url
"""

import base64
import json
import sys

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def load(path):
    data = open(path, "rb").read()
    try:
        return serialization.load_pem_private_key(data, None).public_key()
    except ValueError:
        return serialization.load_pem_public_key(data)


def jws(token, path):
    key = load(path)
    h, c, s = token.split(".")
    header, claims, sig = json.loads(b64d(h)), json.loads(b64d(c)), b64d(s)
    signed = (h + "." + c).encode()
    if header["alg"] == "ES256":
        assert len(sig) == 64, "ES256 signature is not raw r||s"
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                   int.from_bytes(sig[32:], "big"))
        key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    elif header["alg"] == "RS256":
        key.verify(sig, signed, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise SystemExit("unexpected alg " + header["alg"])
    print(json.dumps({"header": header, "claims": claims}))


def raw(pub):
    return pub.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def ua_keys():
    k = ec.generate_private_key(ec.SECP256R1())
    pem = k.private_bytes(serialization.Encoding.PEM,
                          serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()).decode()
    import os
    print(json.dumps({"private": pem, "p256dh": b64e(raw(k.public_key())),
                      "auth": b64e(os.urandom(16))}))


def hkdf_expand(prk, info, n):
    h = hmac.HMAC(prk, hashes.SHA256())
    h.update(info + b"\x01")
    return h.finalize()[:n]


def hmac256(key, data):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def decrypt(body_b64, path, auth):
    body = base64.b64decode(body_b64)
    ua = serialization.load_pem_private_key(open(path, "rb").read(), None)
    auth = b64d(auth)
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    as_pub = body[21:21 + idlen]
    ct = body[21 + idlen:]
    assert idlen == 65 and len(ct) <= rs
    ecdh = ua.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), as_pub))
    ikm = hkdf_expand(hmac256(auth, ecdh),
                      b"WebPush: info\x00" + raw(ua.public_key()) + as_pub, 32)
    prk = hmac256(salt, ikm)
    cek = hkdf_expand(prk, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = hkdf_expand(prk, b"Content-Encoding: nonce\x00", 12)
    pt = AESGCM(cek).decrypt(nonce, ct, None)
    pt = pt.rstrip(b"\x00")
    assert pt.endswith(b"\x02"), "no last-record padding delimiter"
    sys.stdout.write(pt[:-1].decode())


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "jws":
        jws(sys.argv[2], sys.argv[3])
    elif cmd == "ua-keys":
        ua_keys()
    elif cmd == "decrypt":
        decrypt(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "pub":
        print(b64e(raw(load(sys.argv[2]))))
