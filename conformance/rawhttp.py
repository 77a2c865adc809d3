"""A small SigV4 client over http.client for the regression cases that need exact bytes on the
wire: aws-chunked bodies (signed and unsigned, with trailers), chosen headers, skewed clocks,
other regions, virtual-host Host headers. Written from the SigV4 specification; stdlib only."""

import base64
import datetime
import hashlib
import hmac
import http.client
import urllib.parse
import zlib

import common

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    def code(self):
        """The <Code> of an S3 error body, or ''."""
        b = self.body.decode("utf-8", "replace")
        if "<Code>" in b:
            return b.split("<Code>", 1)[1].split("</Code>", 1)[0]
        return ""

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:400]!r}"


def uri_encode(s, keep_slash):
    """SigV4's UriEncode: every byte but the unreserved characters is %XX (uppercase)."""
    return urllib.parse.quote(s, safe="-_.~" + ("/" if keep_slash else ""))


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region):
    k = _hmac(("AWS4" + secret).encode(), date)
    for part in (region, "s3", "aws4_request"):
        k = _hmac(k, part)
    return k


class Signer:
    def __init__(self, access_key=common.AK, secret_key=common.SK, region=common.REGION, now=None):
        self.ak, self.sk, self.region = access_key, secret_key, region
        now = now or datetime.datetime.now(datetime.timezone.utc)
        self.amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        self.date = self.amz_date[:8]
        self.scope = f"{self.date}/{region}/s3/aws4_request"
        self.key = signing_key(self.sk, self.date, region)

    def sign(self, string_to_sign):
        return hmac.new(self.key, string_to_sign.encode(), hashlib.sha256).hexdigest()

    def string_to_sign(self, canonical_request):
        return "\n".join([
            "AWS4-HMAC-SHA256", self.amz_date, self.scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ])

    def authorize(self, method, path, query, headers, payload_hash):
        """Adds x-amz-date, x-amz-content-sha256 and Authorization to `headers` (a dict of
        lowercase names). Returns the seed signature (for chunk signing)."""
        headers["x-amz-date"] = self.amz_date
        headers["x-amz-content-sha256"] = payload_hash
        names = sorted(headers)
        canonical_headers = "".join(f"{n}:{' '.join(str(headers[n]).split())}\n" for n in names)
        signed = ";".join(names)
        cq = "&".join(
            f"{uri_encode(k, False)}={uri_encode(v, False)}" for k, v in sorted(query)
        )
        creq = "\n".join([method, path, cq, canonical_headers, signed, payload_hash])
        sig = self.sign(self.string_to_sign(creq))
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.ak}/{self.scope}, SignedHeaders={signed}, Signature={sig}"
        )
        return sig

    def presign(self, method, path, host, expires, extra_query=()):
        q = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", f"{self.ak}/{self.scope}"),
            ("X-Amz-Date", self.amz_date),
            ("X-Amz-Expires", str(expires)),
            ("X-Amz-SignedHeaders", "host"),
            *extra_query,
        ]
        cq = "&".join(f"{uri_encode(k, False)}={uri_encode(v, False)}" for k, v in sorted(q))
        creq = "\n".join([method, path, cq, f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"])
        sig = self.sign(self.string_to_sign(creq))
        return f"{path}?{cq}&X-Amz-Signature={sig}"


def object_path(bucket, key=None):
    p = f"/{bucket}" if bucket else "/"
    if key is not None:
        p += "/" + uri_encode(key, True)
    return p


def send(method, path, query=(), headers=None, body=b"", host=None):
    """Sends exactly these bytes (path already encoded) and reads the whole response."""
    conn = http.client.HTTPConnection("127.0.0.1", common.PORT, timeout=60)
    try:
        target = path + ("?" + "&".join(
            f"{uri_encode(k, False)}={uri_encode(v, False)}" if v != "" else uri_encode(k, False)
            for k, v in query) if query else "")
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        h = dict(headers or {})
        h.setdefault("host", host or common.HOST_PORT)
        if body or method in ("PUT", "POST"):
            h.setdefault("content-length", str(len(body)))
        for k, v in h.items():
            conn.putheader(k, v)
        conn.endheaders()
        if body:
            conn.send(body)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def request(method, bucket, key=None, query=(), headers=None, body=b"", payload_hash=None,
            signer=None, host=None, path=None, sign_path=None):
    """A signed request. query: (name, value) pairs; a value of "" signs `name=`. `path` is sent
    as is; `sign_path` (default: `path`) is the canonical URI signed."""
    signer = signer or Signer()
    h = {k.lower(): v for k, v in (headers or {}).items()}
    h["host"] = host or common.HOST_PORT
    path = path or object_path(bucket, key)
    if payload_hash is None:
        payload_hash = hashlib.sha256(body).hexdigest()
    signer.authorize(method, sign_path or path, list(query), h, payload_hash)
    return send(method, path, query, h, body)


# ------------------------------------------------------------------ aws-chunked bodies


def chunks_of(data, size):
    return [data[i : i + size] for i in range(0, len(data), size)]


def unsigned_trailer_body(data, chunk_size=64 * 1024, trailer=None):
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER, as aws-cli >= 2.23 / boto3 >= 1.36 send it."""
    out = b""
    for c in chunks_of(data, chunk_size):
        out += f"{len(c):x}\r\n".encode() + c + b"\r\n"
    trailer = trailer if trailer is not None else f"x-amz-checksum-crc32:{crc32_b64(data)}"
    return out + b"0\r\n" + trailer.encode() + b"\r\n\r\n"


def signed_body(signer, seed, data, chunk_size=64 * 1024, trailer=None, corrupt_chunk=None):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD (trailer None) or ...-PAYLOAD-TRAILER (trailer given)."""
    prev = seed
    out = b""
    for i, c in enumerate(chunks_of(data, chunk_size) + [b""]):
        sts = "\n".join([
            "AWS4-HMAC-SHA256-PAYLOAD", signer.amz_date, signer.scope, prev, EMPTY_SHA256,
            hashlib.sha256(c).hexdigest(),
        ])
        prev = signer.sign(sts)
        sig = prev if corrupt_chunk != i else "0" * 64
        out += f"{len(c):x};chunk-signature={sig}\r\n".encode() + c
        if c or trailer is None:
            out += b"\r\n"
    if trailer is not None:
        line = trailer + "\n"
        sts = "\n".join([
            "AWS4-HMAC-SHA256-TRAILER", signer.amz_date, signer.scope, prev,
            hashlib.sha256(line.encode()).hexdigest(),
        ])
        out += trailer.encode() + b"\r\n" + f"x-amz-trailer-signature:{signer.sign(sts)}\r\n\r\n".encode()
    return out


def chunked_put(bucket, key, data, mode, chunk_size=64 * 1024, query=(), bad_trailer=False,
                corrupt_chunk=None, extra_headers=None):
    """PUT `data` as an aws-chunked body. mode: unsigned-trailer, signed, signed-trailer."""
    signer = Signer()
    path = object_path(bucket, key)
    h = {
        "host": common.HOST_PORT,
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
    }
    h.update(extra_headers or {})
    crc = crc32_b64(b"wrong" + data) if bad_trailer else crc32_b64(data)
    trailer = f"x-amz-checksum-crc32:{crc}"
    if mode == "unsigned-trailer":
        h["x-amz-trailer"] = "x-amz-checksum-crc32"
        h["x-amz-sdk-checksum-algorithm"] = "CRC32"
        body = unsigned_trailer_body(data, chunk_size, trailer)
        h["content-length"] = str(len(body))
        signer.authorize("PUT", path, list(query), h, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    else:
        with_trailer = mode == "signed-trailer"
        if with_trailer:
            h["x-amz-trailer"] = "x-amz-checksum-crc32"
        # The length is signed, so it is computed from a dry run of the framing.
        dry = signed_body(signer, "0" * 64, data, chunk_size, trailer if with_trailer else None)
        h["content-length"] = str(len(dry))
        payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if with_trailer else "")
        seed = signer.authorize("PUT", path, list(query), h, payload)
        body = signed_body(signer, seed, data, chunk_size, trailer if with_trailer else None, corrupt_chunk)
        assert len(body) == len(dry)
    return send("PUT", path, query, h, body)
