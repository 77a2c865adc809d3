"""One small case per client bug of shared/research/s3-compat.md §3 that applies to this gateway,
named after the bug. Most use boto3; the ones that need exact bytes on the wire (aws-chunked
bodies, chosen headers, skewed clocks) use rawhttp.py."""

import base64
import datetime
import hashlib
import os
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

import common
import rawhttp
from common import MiB


def code(exc_info):
    return exc_info.value.response["Error"]["Code"]


def keys_of(s3, bucket, **kw):
    return [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, **kw)
            for o in p.get("Contents", [])]


def assert_absent(s3, bucket, key):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert code(e) == "404", f"{key!r} was stored by a rejected request"


# ---------------------------------------------------------------- §3.1-3: aws-chunked bodies

CHUNK_SIZES = {"0B": 0, "1B": 1, "8KiB-1": 8 * 1024 - 1, "8KiB+1": 8 * 1024 + 1, "64KiB": 64 * 1024, "1MiB+3": MiB + 3}


@pytest.mark.parametrize("size", list(CHUNK_SIZES))
def test_chunked_trailer_not_stored_in_object(s3, bucket, size):
    """§3.1/§3.2: STREAMING-UNSIGNED-PAYLOAD-TRAILER (aws-cli >= 2.23, boto3 >= 1.36 over HTTPS):
    the chunk framing and the trailer must not end up in the object (boto3#4435, seaweedfs#7623)."""
    data = os.urandom(CHUNK_SIZES[size])
    r = rawhttp.chunked_put(bucket, "chunked/unsigned-trailer", data, "unsigned-trailer", chunk_size=8 * 1024)
    assert r.status == 200, r
    got = s3.get_object(Bucket=bucket, Key="chunked/unsigned-trailer", ChecksumMode="ENABLED")
    common.assert_same_bytes(got["Body"].read(), data)
    assert got.get("ChecksumCRC32") == rawhttp.crc32_b64(data)
    assert got["ContentLength"] == len(data) and "ContentEncoding" not in got


@pytest.mark.parametrize("size", ["0B", "1B", "64KiB", "1MiB+3"])
def test_chunked_signed_not_stored_in_object(s3, bucket, size):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD (minio-go and the Java SDK v1 over HTTP)."""
    data = os.urandom(CHUNK_SIZES[size])
    r = rawhttp.chunked_put(bucket, "chunked/signed", data, "signed")
    assert r.status == 200, r
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="chunked/signed")["Body"].read(), data)


@pytest.mark.parametrize("size", ["0B", "1B", "64KiB", "1MiB+3"])
def test_chunked_signed_trailer_not_stored_in_object(s3, bucket, size):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (seaweedfs#7623)."""
    data = os.urandom(CHUNK_SIZES[size])
    r = rawhttp.chunked_put(bucket, "chunked/signed-trailer", data, "signed-trailer")
    assert r.status == 200, r
    got = s3.get_object(Bucket=bucket, Key="chunked/signed-trailer", ChecksumMode="ENABLED")
    common.assert_same_bytes(got["Body"].read(), data)
    assert got.get("ChecksumCRC32") == rawhttp.crc32_b64(data)


def test_chunked_bad_trailer_checksum_rejected(s3, bucket):
    """§3.3: a trailer checksum that does not match is a 400 (BadDigest), not a 200 or a 500."""
    r = rawhttp.chunked_put(bucket, "bad-trailer", os.urandom(10_000), "unsigned-trailer", bad_trailer=True)
    assert r.status == 400 and r.code() in ("BadDigest", "InvalidRequest"), r
    assert_absent(s3, bucket, "bad-trailer")


def test_chunked_bad_chunk_signature_rejected(s3, bucket):
    r = rawhttp.chunked_put(bucket, "bad-sig", os.urandom(100_000), "signed", corrupt_chunk=1)
    assert r.status == 403 and r.code() == "SignatureDoesNotMatch", r
    assert_absent(s3, bucket, "bad-sig")


def test_unknown_content_sha256_rejected(s3, bucket):
    """§3.2: an x-amz-content-sha256 value the gateway does not know is refused, never stored."""
    r = rawhttp.request("PUT", bucket, "unknown-mode", body=b"5\r\nhello\r\n0\r\n\r\n",
                        payload_hash="STREAMING-SOMETHING-NEW", headers={"content-encoding": "aws-chunked"})
    assert r.status == 400, r
    assert_absent(s3, bucket, "unknown-mode")


def test_upload_part_chunked_trailer(s3, bucket):
    """UploadPart gets the same default aws-chunked trailer body as PutObject."""
    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etags = []
    for n, data in enumerate(parts, 1):
        r = rawhttp.chunked_put(bucket, "mp", data, "unsigned-trailer",
                                query=[("partNumber", str(n)), ("uploadId", uid)])
        assert r.status == 200, r
        assert r.header("etag") == '"' + hashlib.md5(data).hexdigest() + '"'
        etags.append(r.header("etag"))
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="mp")["Body"].read(), b"".join(parts))


# ---------------------------------------------------------------- §3.4-5: Content-MD5, checksums

DELETE_XML = b'<Delete><Object><Key>%s</Key></Object></Delete>'


@pytest.mark.parametrize("integrity", ["content-md5", "crc32-only", "neither"])
def test_delete_objects_without_content_md5(s3, bucket, integrity):
    """§3.4: SDKs >= 2025 send x-amz-checksum-crc32 instead of Content-MD5 on DeleteObjects;
    a gateway demanding MD5 answers MissingContentMD5 (karton#269, s3fs-fuse#2639)."""
    s3.put_object(Bucket=bucket, Key="victim", Body=b"x")
    body = DELETE_XML % b"victim"
    headers = {"content-type": "application/xml"}
    if integrity == "content-md5":
        headers["content-md5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    elif integrity == "crc32-only":
        headers["x-amz-checksum-crc32"] = rawhttp.crc32_b64(body)
        headers["x-amz-sdk-checksum-algorithm"] = "CRC32"
    r = rawhttp.request("POST", bucket, query=[("delete", "")], headers=headers, body=body)
    if integrity == "neither":
        # AWS: 400 InvalidRequest (Content-MD5 OR x-amz-checksum-* required); accepting is
        # lenient but harmless. Never a 5xx, never MissingContentMD5's wording for the others.
        assert r.status in (200, 400), r
        if r.status == 400:
            assert r.code() == "InvalidRequest", r
            return
    else:
        assert r.status == 200, r
    assert b"<Deleted><Key>victim</Key>" in r.body, r
    assert keys_of(s3, bucket) == []


def test_delete_objects_bad_crc32_rejected(s3, bucket):
    s3.put_object(Bucket=bucket, Key="victim", Body=b"x")
    body = DELETE_XML % b"victim"
    r = rawhttp.request("POST", bucket, query=[("delete", "")], body=body,
                        headers={"x-amz-checksum-crc32": rawhttp.crc32_b64(b"other"), "x-amz-sdk-checksum-algorithm": "CRC32"})
    assert r.status == 400 and r.code() in ("BadDigest", "InvalidRequest"), r
    assert keys_of(s3, bucket) == ["victim"]


def test_content_md5_mismatch_bad_digest(s3, bucket):
    """§3.5: a wrong Content-MD5 is 400 BadDigest (PR#8367: silently accepted elsewhere)."""
    r = rawhttp.request("PUT", bucket, "m", body=b"data",
                        headers={"content-md5": base64.b64encode(hashlib.md5(b"other").digest()).decode()})
    assert r.status == 400 and r.code() == "BadDigest", r
    assert_absent(s3, bucket, "m")


@pytest.mark.parametrize("value", ["not-base64!", base64.b64encode(b"short").decode(), ""])
def test_content_md5_invalid_invalid_digest(s3, bucket, value):
    """s3-tests test_object_create_bad_md5_{invalid_short,empty}: 400 InvalidDigest."""
    r = rawhttp.request("PUT", bucket, "m", body=b"data", headers={"content-md5": value})
    assert r.status == 400 and r.code() == "InvalidDigest", r
    assert_absent(s3, bucket, "m")


def test_presigned_put_bad_md5_is_400(s3, bucket):
    """seaweedfs#7305: an MD5 mismatch through a presigned URL was a 500."""
    v4 = common.boto3_client(signature_version="s3v4")
    md5 = base64.b64encode(hashlib.md5(b"expected").digest()).decode()
    url = v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p", "ContentMD5": md5}, ExpiresIn=60)
    req = urllib.request.Request(url, data=b"something else", method="PUT", headers={"Content-MD5": md5})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 400 and b"<Code>BadDigest</Code>" in e.value.read()
    assert_absent(s3, bucket, "p")


@pytest.mark.parametrize("algorithm", ["crc32", "crc32c", "sha1", "sha256", "crc64nvme"])
def test_checksum_header_mismatch_bad_digest(s3, bucket, algorithm):
    lengths = {"crc32": 4, "crc32c": 4, "sha1": 20, "sha256": 32, "crc64nvme": 8}
    wrong = base64.b64encode(b"\x01" * lengths[algorithm]).decode()
    r = rawhttp.request("PUT", bucket, "c", body=b"data", headers={f"x-amz-checksum-{algorithm}": wrong})
    assert r.status == 400 and r.code() in ("BadDigest", "InvalidRequest"), r
    assert_absent(s3, bucket, "c")


# ---------------------------------------------------------------- §3.6-7: ETags and multipart checksums


def test_etag_quoted_md5(s3, bucket):
    """§3.7: ETags are quoted hex MD5s everywhere (rustfs#611: unquoted)."""
    data = b"etag me"
    want = '"' + hashlib.md5(data).hexdigest() + '"'
    r = rawhttp.request("PUT", bucket, "e", body=data)
    assert r.header("etag") == want, r.headers
    assert rawhttp.request("HEAD", bucket, "e").header("etag") == want
    assert rawhttp.request("GET", bucket, "e").header("etag") == want
    listing = rawhttp.request("GET", bucket, query=[("list-type", "2")]).body.decode()
    assert "<ETag>&quot;" + want[1:-1] + "&quot;</ETag>" in listing or f"<ETag>{want}</ETag>" in listing, listing


def test_multipart_etag_md5_of_md5s(s3, bucket):
    """§3.7: md5(concat(part md5s))-N (s3s#550; rclone compares it)."""
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(10)]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=n, Body=p)["ETag"]
             for n, p in enumerate(parts, 1)]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    want = '"' + hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + '-3"'
    assert done["ETag"] == want
    assert s3.head_object(Bucket=bucket, Key="mp")["ETag"] == want
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["ETag"] == want


def test_multipart_checksum_composite(s3, bucket):
    """§3.6: a CRC32 multipart upload's checksum is COMPOSITE, `<b64>-N` (floci#3083)."""
    parts = [os.urandom(5 * MiB), os.urandom(100)]
    uid = s3.create_multipart_upload(Bucket=bucket, Key="ck", ChecksumAlgorithm="CRC32")["UploadId"]
    done_parts = []
    for n, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="ck", UploadId=uid, PartNumber=n, Body=p, ChecksumAlgorithm="CRC32")
        assert r["ChecksumCRC32"] == rawhttp.crc32_b64(p)
        done_parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="ck", UploadId=uid, MultipartUpload={"Parts": done_parts})
    raw = b"".join(base64.b64decode(p["ChecksumCRC32"]) for p in done_parts)
    want = rawhttp.crc32_b64(raw) + "-2"
    h = s3.head_object(Bucket=bucket, Key="ck", ChecksumMode="ENABLED")
    assert h.get("ChecksumCRC32") == want, h
    assert h.get("ChecksumType", "COMPOSITE") == "COMPOSITE"
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="ck")["Body"].read(), b"".join(parts))


# ---------------------------------------------------------------- §3.8: copy onto itself


def test_copy_self_replace_keeps_data(s3, bucket):
    """§3.8: self-copy with REPLACE keeps the bytes (S3Mock#569 truncated to 0) and replaces
    metadata and Content-Type (versitygw#787, #998; s3s#584)."""
    data = os.urandom(200_000)
    s3.put_object(Bucket=bucket, Key="self", Body=data, ContentType="text/plain", Metadata={"old": "1"})
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"new": "2"}, ContentType="application/json")
    got = s3.get_object(Bucket=bucket, Key="self")
    common.assert_same_bytes(got["Body"].read(), data)
    assert got["Metadata"] == {"new": "2"} and got["ContentType"] == "application/json"


def test_copy_self_without_replace_rejected(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"data")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert code(e) == "InvalidRequest"
    assert s3.get_object(Bucket=bucket, Key="self")["Body"].read() == b"data"


# ---------------------------------------------------------------- §3.9: listings


def _put_keys(s3, bucket, keys):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b""), keys))


def test_list_prefix_partial_segment(s3, bucket):
    """§3.9: prefix `data/a` also matches `data/ab/...` (seaweedfs PR#10656)."""
    _put_keys(s3, bucket, ["data/a/x", "data/ab/1", "data/abc", "data/b", "data/a"])
    assert keys_of(s3, bucket, Prefix="data/a") == ["data/a", "data/a/x", "data/ab/1", "data/abc"]
    r = s3.list_objects_v2(Bucket=bucket, Prefix="data/a", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["data/a", "data/abc"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["data/a/", "data/ab/"]


MODEL_KEYS = ["a", "a-b", "a.b", "a/", "a/b", "a0", "a+1/x", "a/b/c", "b", "foo/1", "foo+1/2", "foo-/3"]


@pytest.mark.parametrize("delimiter", ["", "/", "-", "b"])
def test_list_byte_order_model(s3, bucket, delimiter):
    """§3.9/§3.10: listings equal a model of S3 (byte order, prefixes by full key bytes incl. the
    delimiter), page by page, with any delimiter, and no token repeats (minio#20682)."""
    _put_keys(s3, bucket, MODEL_KEYS)
    want_keys, want_prefixes = [], []
    for k in sorted(MODEL_KEYS, key=str.encode):
        if delimiter and delimiter in k:
            p = k[: k.index(delimiter) + len(delimiter)]
            if p not in want_prefixes:
                want_prefixes.append(p)
        else:
            want_keys.append(k)
    for max_keys in (1, 2, 1000):
        _check_listing(s3, bucket, delimiter, max_keys, want_keys, want_prefixes)


def _check_listing(s3, bucket, delimiter, max_keys, want_keys, want_prefixes):
    kw = {"Delimiter": delimiter} if delimiter else {}
    got_keys, got_prefixes, tokens = [], [], []
    token = None
    for _ in range(100):
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=max_keys, **kw, **({"ContinuationToken": token} if token else {}))
        got_keys += [o["Key"] for o in page.get("Contents", [])]
        got_prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert page["KeyCount"] <= max_keys
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
        assert token not in tokens, "the same continuation token twice"
        tokens.append(token)
    assert got_keys == want_keys, f"max-keys {max_keys}"
    assert got_prefixes == want_prefixes, f"max-keys {max_keys}"
    # ListObjects v1 with markers agrees.
    v1 = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": max_keys}, **kw))
    assert [o["Key"] for p in v1 for o in p.get("Contents", [])] == want_keys
    assert [c["Prefix"] for p in v1 for c in p.get("CommonPrefixes", [])] == want_prefixes


def test_common_prefixes_byte_order(s3, bucket):
    """§3.10: `foo+1/` sorts before `foo/` ('+' < '/'), not by directory-entry name."""
    _put_keys(s3, bucket, ["foo/a", "foo+1/b", "foo0"])
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["foo+1/", "foo/"]


def test_max_keys_zero_not_truncated(s3, bucket):
    """§3.9: max-keys=0 is IsTruncated=false, else paginators loop forever (InsForge#1959)."""
    _put_keys(s3, bucket, ["a", "b"])
    r2 = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert r2["IsTruncated"] is False and r2["KeyCount"] == 0 and "Contents" not in r2
    r1 = s3.list_objects(Bucket=bucket, MaxKeys=0)
    assert r1["IsTruncated"] is False and "Contents" not in r1


def test_encoding_type_url_round_trip(s3, bucket):
    """§3.10: with encoding-type=url, keys and prefixes come back encoded as AWS does
    (backlot#178), and the response echoes <EncodingType> so botocore decodes them. A space is
    %20 (percent- and form-decoders both read it back); ListObjects v1 returns Prefix as sent,
    since botocore does not decode it there."""
    keys = ["a b.txt", "a+b.txt", "100%.csv", "&x=1", "dir one/f", "é"]
    _put_keys(s3, bucket, keys)
    assert keys_of(s3, bucket) == sorted(keys, key=str.encode)  # botocore adds and decodes
    r = rawhttp.request("GET", bucket, query=[("list-type", "2"), ("encoding-type", "url"), ("delimiter", "/")])
    body = r.body.decode()
    assert r.status == 200 and "<EncodingType>url</EncodingType>" in body, r
    for raw in ("<Key>a%20b.txt</Key>", "<Key>a%2Bb.txt</Key>", "<Key>100%25.csv</Key>", "<Key>%26x%3D1</Key>",
                "<Prefix>dir%20one/</Prefix>", "<Key>%C3%A9</Key>"):
        assert raw in body, (raw, body)
    v1p = s3.list_objects(Bucket=bucket, Prefix="dir one/")
    assert v1p["Prefix"] == "dir one/" and [o["Key"] for o in v1p["Contents"]] == ["dir one/f"], v1p
    raw_v1p = rawhttp.request("GET", bucket, query=[("encoding-type", "url"), ("prefix", "dir one/")]).body.decode()
    assert "<Prefix>dir one/</Prefix>" in raw_v1p and "<Key>dir%20one/f</Key>" in raw_v1p, raw_v1p
    v1 = rawhttp.request("GET", bucket, query=[("encoding-type", "url"), ("max-keys", "1"), ("delimiter", "/")]).body.decode()
    assert "<EncodingType>url</EncodingType>" in v1, v1
    versions = [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    assert versions == sorted(keys, key=str.encode)
    ver_raw = rawhttp.request("GET", bucket, query=[("versions", ""), ("encoding-type", "url")]).body.decode()
    assert "<Key>100%25.csv</Key>" in ver_raw, ver_raw


def test_encoding_type_invalid_rejected(s3, bucket):
    """versitygw#1984: any other encoding-type is 400 InvalidArgument."""
    r = rawhttp.request("GET", bucket, query=[("list-type", "2"), ("encoding-type", "base64")])
    assert r.status == 400 and r.code() == "InvalidArgument", r


def test_odd_keys_round_trip(s3, bucket):
    """§3.10: control characters, CR LF, NFC and NFD forms (distinct keys), through XML listings."""
    nfc = unicodedata.normalize("NFC", "café")
    nfd = unicodedata.normalize("NFD", "café")
    keys = ["ctl\x01char", "line\r\nbreak", "tab\there", nfc, nfd, "quote'\"<&>"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    assert keys_of(s3, bucket) == sorted(keys, key=str.encode)
    for k in keys:
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == k.encode()


def test_key_too_long_rejected(s3, bucket):
    """S3's limit is 1024 bytes of UTF-8: 1025 is 400 KeyTooLongError; 1024 and a 300-byte
    segment (ENAMETOOLONG on a file system) are fine."""
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key=common.LONG_KEY + "x", Body=b"x")
    assert code(e) == "KeyTooLongError"
    for k in (common.LONG_KEY, "s" * 300, "日" * 341):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    assert sorted(keys_of(s3, bucket)) == sorted([common.LONG_KEY, "s" * 300, "日" * 341])


# ---------------------------------------------------------------- §3.11: directories


def test_dir_marker_and_children(s3, bucket):
    """§3.11: `dir/` markers (s3fs, rclone, Nextcloud) coexist with `dir/f` and `dir`."""
    s3.put_object(Bucket=bucket, Key="dir/", Body=b"", ContentType="application/x-directory")
    s3.put_object(Bucket=bucket, Key="dir/f", Body=b"child")
    assert s3.head_object(Bucket=bucket, Key="dir/")["ContentType"] == "application/x-directory"
    assert_absent(s3, bucket, "dir")
    r = s3.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["dir/", "dir/f"]
    s3.put_object(Bucket=bucket, Key="dir", Body=b"a file named dir")
    s3.delete_object(Bucket=bucket, Key="dir/")
    assert keys_of(s3, bucket) == ["dir", "dir/f"]
    s3.put_object(Bucket=bucket, Key="withbody/", Body=b"a marker with bytes")  # AWS allows it
    assert s3.get_object(Bucket=bucket, Key="withbody/")["Body"].read() == b"a marker with bytes"


# ---------------------------------------------------------------- §3.12: multipart completion


def test_complete_multipart_retry_same_etag(s3, bucket):
    """§3.12: Complete retried (client timeout) and raced 3x: one object, same ETag, no
    NoSuchUpload for the retries (noobaa#7348). Four rounds: the race is timing-dependent."""
    part = os.urandom(5 * MiB)
    for round_ in range(4):
        key = f"mp{round_}"
        uid = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        e1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=part)["ETag"]
        e2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=2, Body=b"tail")["ETag"]
        doc = {"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}
        barrier = threading.Barrier(3)

        def complete(_):
            barrier.wait()
            try:
                return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload=doc)["ETag"]
            except ClientError as e:
                return f"{e.response['ResponseMetadata']['HTTPStatusCode']} {e.response['Error']['Code']}"

        with ThreadPoolExecutor(3) as pool:
            etags = list(pool.map(complete, range(3)))
        again = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload=doc)["ETag"]
        assert len(set(etags + [again])) == 1, f"round {round_}: 3 racing Completes then a retry gave {etags + [again]}"
        common.assert_same_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read(), part + b"tail")
    assert keys_of(s3, bucket) == [f"mp{i}" for i in range(4)]


# ---------------------------------------------------------------- §3.13: clocks and expiry


def test_clock_skew_request_time_too_skewed(s3, bucket):
    """§3.13: SDKs correct their clock only from RequestTimeTooSkewed + ServerTime + Date."""
    now = datetime.datetime.now(datetime.timezone.utc)
    r = rawhttp.request("GET", bucket, query=[("list-type", "2")],
                        signer=rawhttp.Signer(now=now - datetime.timedelta(minutes=16)))
    assert r.status == 403 and r.code() == "RequestTimeTooSkewed", r
    assert b"<ServerTime>" in r.body and r.header("date"), r
    r = rawhttp.request("GET", bucket, query=[("list-type", "2")],
                        signer=rawhttp.Signer(now=now + datetime.timedelta(minutes=14)))
    assert r.status == 200, r


def test_presign_expiry_limits(s3, bucket):
    """§3.13: X-Amz-Expires above 604800 is 400 AuthorizationQueryParametersError; 604800 works;
    an expired URL is 403 AccessDenied."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    path = rawhttp.object_path(bucket, "k")
    for expires, status, code_ in ((604801, 400, "AuthorizationQueryParametersError"), (604800, 200, None)):
        target = rawhttp.Signer().presign("GET", path, common.HOST_PORT, expires)
        r = rawhttp.send("GET", target)
        assert r.status == status and (code_ is None or r.code() == code_), r
    old = rawhttp.Signer(now=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=120))
    r = rawhttp.send("GET", old.presign("GET", path, common.HOST_PORT, 60))
    assert r.status == 403 and r.code() == "AccessDenied" and b"expired" in r.body, r


# ---------------------------------------------------------------- §3.14-15: hosts and regions


def test_virtual_host_dotted_bucket_and_port(s3, bucket_name):
    """§3.14: virtual-host style with a dotted bucket name and a port in Host."""
    dotted = bucket_name.replace("-", ".", 1)
    s3.create_bucket(Bucket=dotted)
    try:
        host = f"{dotted}.localhost:{common.PORT}"
        r = rawhttp.request("PUT", None, path="/a%20b.txt", host=host, body=b"vhost")
        assert r.status == 200, r
        r = rawhttp.request("GET", None, path="/a%20b.txt", host=host)
        assert r.status == 200 and r.body == b"vhost", r
        assert s3.get_object(Bucket=dotted, Key="a b.txt")["Body"].read() == b"vhost"
        r = rawhttp.request("GET", None, path="/", query=[("list-type", "2")], host=host)
        assert b"<Key>a b.txt</Key>" in r.body, r
    finally:
        common.cleanup_bucket(s3, dotted)


def test_get_bucket_location_us_east_1_empty(s3, bucket):
    """§3.15: mc and minio-go ask ?location first; AWS answers us-east-1 as an empty element."""
    r = rawhttp.request("GET", bucket, query=[("location", "")])
    assert r.status == 200, r
    body = r.body.decode()
    assert "<LocationConstraint" in body and "us-east-1" not in body, body


def test_authorization_header_malformed_region(s3, bucket):
    """§3.15: signed for another region: 400 AuthorizationHeaderMalformed naming the right
    <Region> (s3cmd and minio-go correct themselves from it; minio#2521)."""
    r = rawhttp.request("GET", bucket, query=[("list-type", "2")], signer=rawhttp.Signer(region="eu-west-1"))
    assert r.status == 400 and r.code() == "AuthorizationHeaderMalformed", r
    assert b"<Region>us-east-1</Region>" in r.body, r


# ---------------------------------------------------------------- also seen


def test_sigv4_plus_in_key_canonicalised_once(s3, bucket):
    """`+` vs `%2B` vs `%20` (minio-dart#114/#115, minio-java#261): a literal `+` or `(` in the
    path means itself, and the canonical URI is the path decoded then UriEncoded once, as S3
    does: `/b/x+y` on the wire is signed as `/b/x%2By`."""
    for wire, key, body in (("x+y", "x+y", b"literal plus"), ("x%20y", "x y", b"space"), ("p(1)", "p(1)", b"parens")):
        r = rawhttp.request("PUT", bucket, path=f"/{bucket}/{wire}", sign_path=rawhttp.object_path(bucket, key), body=body)
        assert r.status == 200, (wire, r)
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    r = rawhttp.request("GET", bucket, path=f"/{bucket}/x%2By")
    assert r.status == 200 and r.body == b"literal plus", r
    # Signed over the raw `+` (no canonicalisation): refused, as S3 does.
    r = rawhttp.request("GET", bucket, path=f"/{bucket}/x+y")
    assert r.status == 403 and r.code() == "SignatureDoesNotMatch", r


def test_conditional_write_race_one_winner(s3, bucket):
    """s3-tests test_atomic_conditional_write: 8 racing If-None-Match:* PUTs, one winner."""
    barrier = threading.Barrier(8)

    def put(i):
        barrier.wait()
        try:
            s3.put_object(Bucket=bucket, Key="race", Body=f"writer {i}".encode(), IfNoneMatch="*")
            return i
        except ClientError as e:
            assert e.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict"), e.response["Error"]
            return None

    with ThreadPoolExecutor(8) as pool:
        winners = [w for w in pool.map(put, range(8)) if w is not None]
    assert len(winners) == 1, winners
    assert s3.get_object(Bucket=bucket, Key="race")["Body"].read() == f"writer {winners[0]}".encode()


def test_expired_presign_wait(s3, bucket):
    """A presigned URL used after its expiry (1 s) is refused."""
    v4 = common.boto3_client(signature_version="s3v4")
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=30)
    assert e.value.code == 403
