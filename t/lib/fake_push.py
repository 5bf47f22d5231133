#!/usr/bin/python3
"""A fake push provider for the tests: APNs, FCM (with its OAuth token
endpoint) and Web Push on one TLS port, HTTP/2 (ALPN h2) or HTTP/1.1.

It answers by the device token, registration token or subscription id
found in the request, so that a test chooses the provider's behaviour:

    gone / dead      APNs 410 Unregistered, FCM 404 UNREGISTERED, Web Push 410
    bad / bad0       APNs 400 BadDeviceToken, FCM 400 INVALID_ARGUMENT
    busy / beef      429 with Retry-After: 2
    flaky / fade     503 the first two times, then success
    hang / c0ffee    never answers
    otherwise        success

(the second words are for APNs device tokens, which are hexadecimal)

Every request is appended to the log as one JSON line (method, path,
headers, body in base64, connection and stream numbers, the answer), so
the test checks what our sender sent, independently of our code.
"""

import argparse
import asyncio
import base64
import json
import os
import ssl
import sys
import time
import urllib.parse

import h2.config
import h2.connection
import h2.events

state = {"flaky": {}, "conns": 0, "tokens": 0}
args = None


def log(entry):
    with open(args.log, "a") as f:
        f.write(json.dumps(entry) + "\n")


def rule(ident):
    if "hang" in ident or "c0ffee" in ident:
        return "hang"
    for r, hexword in (("gone", "dead"), ("bad", "bad0"), ("busy", "beef")):
        if r in ident or hexword in ident:
            return r
    if "flaky" in ident or "fade" in ident:
        n = state["flaky"].get(ident, 0)
        state["flaky"][ident] = n + 1
        return "flaky" if n < 2 else "ok"
    return "ok"


def answer(method, path, headers, body):
    """(status, headers, body) or None to hang"""
    if method != "POST":
        return 405, [], b'{"reason":"MethodNotAllowed"}'

    if path == "/token":
        form = urllib.parse.parse_qs(body.decode())
        if form.get("grant_type") != [
                "urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return 400, [("content-type", "application/json")], \
                b'{"error":"unsupported_grant_type"}'
        state["tokens"] += 1
        tok = {"access_token": "ya29.fake-%d" % state["tokens"],
               "expires_in": 3600, "token_type": "Bearer"}
        return 200, [("content-type", "application/json")], \
            json.dumps(tok).encode()

    if path.startswith("/3/device/"):
        r = rule(path[len("/3/device/"):])
        if r == "hang":
            return None
        apns_id = headers.get("apns-id", "00000000-0000-0000-0000-000000000000")
        if r == "ok":
            return 200, [("apns-id", apns_id)], b""
        reasons = {"gone": (410, "Unregistered"),
                   "bad": (400, "BadDeviceToken"),
                   "busy": (429, "TooManyRequests"),
                   "flaky": (503, "ServiceUnavailable")}
        status, reason = reasons[r]
        doc = {"reason": reason}
        if status == 410:
            doc["timestamp"] = int(time.time() * 1000)
        hdrs = [("apns-id", apns_id), ("content-type", "application/json")]
        if r == "busy":
            hdrs.append(("retry-after", "2"))
        return status, hdrs, json.dumps(doc).encode()

    if path.startswith("/v1/projects/") and path.endswith("/messages:send"):
        if headers.get("authorization", "").find("ya29.fake-") < 0:
            return 401, [("content-type", "application/json")], \
                b'{"error":{"code":401,"status":"UNAUTHENTICATED"}}'
        try:
            token = json.loads(body)["message"]["token"]
        except Exception:
            return 400, [("content-type", "application/json")], \
                b'{"error":{"code":400,"status":"INVALID_ARGUMENT"}}'
        r = rule(token)
        if r == "hang":
            return None
        if r == "ok":
            return 200, [("content-type", "application/json")], \
                json.dumps({"name": "projects/p/messages/%d"
                            % int(time.time() * 1e6)}).encode()
        codes = {"gone": (404, "NOT_FOUND", "UNREGISTERED"),
                 "bad": (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
                 "busy": (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
                 "flaky": (503, "UNAVAILABLE", "UNAVAILABLE")}
        status, st, code = codes[r]
        doc = {"error": {"code": status, "message": code, "status": st,
                         "details": [{
                             "@type": "type.googleapis.com/"
                                      "google.firebase.fcm.v1.FcmError",
                             "errorCode": code}]}}
        hdrs = [("content-type", "application/json")]
        if r == "busy":
            hdrs.append(("retry-after", "2"))
        return status, hdrs, json.dumps(doc).encode()

    if path.startswith("/wp/"):
        r = rule(path[len("/wp/"):])
        if r == "hang":
            return None
        if r == "ok":
            return 201, [("location", "/m/%d" % int(time.time() * 1e6)),
                         ("ttl", headers.get("ttl", "0"))], b""
        status = {"gone": 410, "bad": 400, "busy": 429, "flaky": 503}[r]
        hdrs = [("retry-after", "2")] if r == "busy" else []
        return status, hdrs, b""

    return 404, [], b'{"reason":"BadPath"}'


def record(conn, stream, method, path, headers, body, res, proto):
    log({"time": time.time(), "conn": conn, "stream": stream,
         "proto": proto, "method": method, "path": path,
         "headers": headers, "body": base64.b64encode(body).decode(),
         "status": res[0] if res else None})


class H2Conn:
    def __init__(self, reader, writer, conn_id):
        self.reader, self.writer, self.id = reader, writer, conn_id
        cfg = h2.config.H2Configuration(client_side=False,
                                        header_encoding="utf-8")
        self.h2 = h2.connection.H2Connection(config=cfg)
        self.streams = {}

    async def run(self):
        self.h2.initiate_connection()
        self.h2.update_settings({
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000})
        self.writer.write(self.h2.data_to_send())
        while True:
            data = await self.reader.read(65536)
            if not data:
                return
            try:
                events = self.h2.receive_data(data)
            except Exception:
                return
            for ev in events:
                if isinstance(ev, h2.events.RequestReceived):
                    self.streams[ev.stream_id] = [dict(ev.headers), b""]
                elif isinstance(ev, h2.events.DataReceived):
                    self.streams[ev.stream_id][1] += ev.data
                    self.h2.acknowledge_received_data(
                        ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    self.respond(ev.stream_id)
            self.writer.write(self.h2.data_to_send())
            await self.writer.drain()

    def respond(self, sid):
        hdrs, body = self.streams.pop(sid)
        method, path = hdrs.pop(":method"), hdrs.pop(":path")
        for k in (":scheme", ":authority"):
            hdrs.pop(k, None)
        res = answer(method, path, hdrs, body)
        record(self.id, sid, method, path, hdrs, body, res, "h2")
        if res is None:
            return
        status, rh, rb = res
        out = [(":status", str(status)), ("content-length", str(len(rb)))]
        self.h2.send_headers(sid, out + rh, end_stream=not rb)
        if rb:
            self.h2.send_data(sid, rb, end_stream=True)


async def h1(reader, writer, conn_id):
    n = 0
    while True:
        line = await reader.readline()
        if not line:
            return
        method, target, _ = line.decode().split(" ", 2)
        hdrs = {}
        while True:
            h = await reader.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, v = h.decode().split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
        body = b""
        if "content-length" in hdrs:
            body = await reader.readexactly(int(hdrs["content-length"]))
        n += 1
        res = answer(method, target, hdrs, body)
        record(conn_id, n, method, target, hdrs, body, res, "http/1.1")
        if res is None:
            await asyncio.sleep(3600)
            return
        status, rh, rb = res
        head = "HTTP/1.1 %d X\r\ncontent-length: %d\r\n" % (status, len(rb))
        head += "".join("%s: %s\r\n" % kv for kv in rh) + "\r\n"
        writer.write(head.encode() + rb)
        await writer.drain()


async def serve(reader, writer):
    state["conns"] += 1
    conn_id = state["conns"]
    sslobj = writer.get_extra_info("ssl_object")
    proto = sslobj.selected_alpn_protocol() if sslobj else None
    try:
        if proto == "h2":
            await H2Conn(reader, writer, conn_id).run()
        else:
            await h1(reader, writer, conn_id)
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(args.alpn.split(","))
    server = await asyncio.start_server(serve, "127.0.0.1", args.port,
                                        ssl=ctx)
    with open(args.log + ".ready", "w") as f:
        f.write(str(os.getpid()))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--alpn", default="h2,http/1.1")
    args = p.parse_args()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
