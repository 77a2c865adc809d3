"""boto3 the way its users write it: a client with endpoint_url, the transfer manager
(upload_file/download_file with a TransferConfig), paginators, presigned URLs used with urllib,
presigned POST, and errors read from ClientError.response['Error']['Code'].

Bucket versioning has a section of its own (test_versioning_*, test_*_version*), so do object
lock (test_object_lock_*), bucket lifecycle (test_lifecycle_*, which need the run's 2 s lifecycle
days), GetObjectAttributes and server-side encryption (test_sse_*, SSE-S3 needing the run's
sse_master_key_file): the cases there follow AWS's documented semantics with boto3's default
settings.

The cases marked old_boto3 also run in the boto3 1.35.x venv (before default checksums), so both
payload modes are covered. Everything else needs current botocore."""

import base64
import datetime
import hashlib
import io
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import botocore
import botocore.handlers
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

import common
from common import HOSTILE_KEYS, MiB, SIZES

old_boto3 = pytest.mark.old_boto3
BOTOCORE = tuple(int(x) for x in botocore.__version__.split(".")[:2])


def code(exc_info):
    return exc_info.value.response["Error"]["Code"]


def status(exc_info):
    return exc_info.value.response["ResponseMetadata"]["HTTPStatusCode"]


# ------------------------------------------------------------------ buckets


@old_boto3
def test_bucket_lifecycle(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    s3.head_bucket(Bucket=bucket_name)
    assert bucket_name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_location(Bucket=bucket_name).get("LocationConstraint") is None
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket_name)
    # us-east-1: re-creating one's own bucket is 200 and changes nothing (AWS's legacy behaviour).
    s3.create_bucket(Bucket=bucket_name)
    s3.put_object(Bucket=bucket_name, Key="x", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket_name)
    assert code(e) == "BucketNotEmpty" and status(e) == 409
    s3.delete_object(Bucket=bucket_name, Key="x")
    s3.delete_bucket(Bucket=bucket_name)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket_name)
    assert code(e) == "404"
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=bucket_name)
    assert code(e) == "NoSuchBucket"


def test_create_bucket_with_configuration(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    s3.head_bucket(Bucket=bucket_name)
    other = common.bucket_name("boto3")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=other, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    assert code(e) == "IllegalLocationConstraintException"
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Bad_Bucket_Name")
    assert code(e) == "InvalidBucketName"


def test_list_buckets_paginated(s3):
    prefix = common.bucket_name("lb")[:-4]
    names = sorted(f"{prefix}{i}{uuid.uuid4().hex[:3]}" for i in range(3))
    try:
        for n in names:
            s3.create_bucket(Bucket=n)
        pages = list(s3.get_paginator("list_buckets").paginate(Prefix=prefix, PaginationConfig={"PageSize": 1}))
        got = [b["Name"] for p in pages for b in p.get("Buckets", [])]
        assert got == names
        assert len([p for p in pages if p.get("Buckets")]) == 3
        assert all(p.get("Owner", {}).get("ID") for p in pages)
    finally:
        for n in names:
            common.cleanup_bucket(s3, n)


def test_other_users_bucket(s3, bucket):
    other = common.boto3_client(common.AK2, common.SK2)
    s3.put_object(Bucket=bucket, Key="secret", Body=b"s")
    for call in (
        lambda: other.list_objects_v2(Bucket=bucket),
        lambda: other.get_object(Bucket=bucket, Key="secret"),
        lambda: other.put_object(Bucket=bucket, Key="x", Body=b"x"),
        lambda: other.delete_bucket(Bucket=bucket),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "AccessDenied" and status(e) == 403
    with pytest.raises(ClientError) as e:
        other.create_bucket(Bucket=bucket)
    assert code(e) == "BucketAlreadyExists"
    assert bucket not in [b["Name"] for b in other.list_buckets()["Buckets"]]


@old_boto3
def test_auth_errors(bucket):
    with pytest.raises(ClientError) as e:
        common.boto3_client(common.AK, "not-the-secret").list_objects_v2(Bucket=bucket)
    assert code(e) == "SignatureDoesNotMatch" and status(e) == 403
    with pytest.raises(ClientError) as e:
        common.boto3_client("NOSUCHACCESSKEY", "x").list_objects_v2(Bucket=bucket)
    assert code(e) == "InvalidAccessKeyId" and status(e) == 403


def test_virtual_host_style(bucket):
    """addressing_style=virtual: requests go to http://<bucket>.localhost:<port>/key."""
    real = common.resolve_localhost_subdomains()
    try:
        v = common.boto3_client(
            endpoint=f"http://localhost:{common.PORT}", s3={"addressing_style": "virtual"}
        )
        seen = []
        v.meta.events.register("before-send.s3", lambda request, **kw: seen.append(request.url))
        body = common.body_for("vhost a+b")
        v.put_object(Bucket=bucket, Key="vhost/a+b c.txt", Body=body)
        got = v.get_object(Bucket=bucket, Key="vhost/a+b c.txt")
        common.assert_same_bytes(got["Body"].read(), body)
        assert got["ContentType"] == "text/plain"
        assert [o["Key"] for o in v.list_objects_v2(Bucket=bucket)["Contents"]] == ["vhost/a+b c.txt"]
        assert all(urllib.parse.urlsplit(u).hostname == f"{bucket}.localhost" for u in seen), seen
    finally:
        import socket

        socket.getaddrinfo = real


def test_not_implemented_operations(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=bucket)
    assert code(e) in ("NotImplemented", "NoSuchBucketPolicy"), e.value.response["Error"]
    if code(e) == "NotImplemented":
        assert status(e) == 501


# ------------------------------------------------------------------ objects


@old_boto3
@pytest.mark.parametrize("size", list(SIZES))
def test_put_get_object(s3, bucket, size):
    path = common.data_file(size)
    key = f"put/{size}"
    with open(path, "rb") as f:
        put = s3.put_object(Bucket=bucket, Key=key, Body=f)
    md5 = hashlib.md5(open(path, "rb").read()).hexdigest()
    assert put["ETag"] == f'"{md5}"'
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["ContentLength"] == SIZES[size] and got["ETag"] == put["ETag"]
    common.check_content_type(got["ContentType"], key, None)
    common.assert_same_bytes(got["Body"].read(), open(path, "rb").read(), key)


@old_boto3
@pytest.mark.parametrize("size", list(SIZES))
def test_upload_download_file(s3, bucket, tmp_path, size):
    """The transfer manager: multipart above 5 MiB with 5 MiB parts, ranged parallel download."""
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    src = common.data_file(size)
    key = f"transfer/{size}.json"
    s3.upload_file(src, bucket, key, Config=cfg)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == SIZES[size]
    common.check_content_type(head["ContentType"], key, None)
    parts = -(-SIZES[size] // (5 * MiB)) if SIZES[size] >= 5 * MiB else 1
    if parts > 1:
        assert head["ETag"].endswith(f'-{parts}"'), head["ETag"]
    dst = tmp_path / "down"
    s3.download_file(bucket, key, str(dst), Config=cfg)
    common.assert_same_file(dst, src)
    buf = io.BytesIO()
    s3.download_fileobj(bucket, key, buf, Config=cfg)
    assert hashlib.sha256(buf.getvalue()).hexdigest() == common.file_digest(src)


@old_boto3
@pytest.mark.parametrize("name", list(HOSTILE_KEYS))
def test_hostile_key(s3, bucket, name):
    key = HOSTILE_KEYS[name]
    body = common.body_for(key)
    # A neighbour sharing the key as a prefix (the 1024-byte key: the other way round).
    short = len(key.encode()) < 1000
    neighbour = key + ".neighbour.txt" if short else key[:-1]
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    s3.put_object(Bucket=bucket, Key=neighbour, Body=b"n")
    both = sorted([key, neighbour], key=str.encode)
    got = s3.get_object(Bucket=bucket, Key=key)
    common.assert_same_bytes(got["Body"].read(), body, key)
    common.check_content_type(got["ContentType"], key, None)
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(body)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=both[0])["Contents"]]
    assert listed == both
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == both
    s3.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert code(e) == "404"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [neighbour]


@old_boto3
def test_key_and_prefix_coexist(s3, bucket):
    for first, second in (("a", "a/b"), ("z/y", "z")):
        s3.put_object(Bucket=bucket, Key=first, Body=first.encode())
        s3.put_object(Bucket=bucket, Key=second, Body=second.encode())
    for k in ("a", "a/b", "z", "z/y"):
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == k.encode()
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["a", "z"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "z/"]
    s3.delete_object(Bucket=bucket, Key="a")
    assert s3.get_object(Bucket=bucket, Key="a/b")["Body"].read() == b"a/b"


def test_metadata_and_standard_headers(s3, bucket):
    expires = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    s3.put_object(
        Bucket=bucket, Key="meta.txt", Body=b"hello",
        ContentType="text/markdown; charset=utf-8", CacheControl="no-cache",
        ContentDisposition='attachment; filename="e.txt"', ContentEncoding="identity",
        ContentLanguage="fr", Expires=expires,
        Metadata={"color": "blue", "with-dash": "a b"},
    )
    for r in (s3.head_object(Bucket=bucket, Key="meta.txt"), s3.get_object(Bucket=bucket, Key="meta.txt")):
        assert r["ContentType"] == "text/markdown; charset=utf-8"
        assert r["CacheControl"] == "no-cache"
        assert r["ContentDisposition"] == 'attachment; filename="e.txt"'
        assert r["ContentEncoding"] == "identity"
        assert r["ContentLanguage"] == "fr"
        assert r["ExpiresString"] == "Wed, 02 Jan 2030 03:04:05 GMT"
        assert r["Metadata"]["color"] == "blue" and r["Metadata"]["with-dash"] == "a b"
        assert r["ContentLength"] == 5


def test_content_type_served(s3, bucket):
    cases = [
        ("page.html", None),
        ("data.json", "application/octet-stream"),  # generic: the gateway guesses
        ("photo.png", "binary/octet-stream"),
        ("notes.txt", "image/png"),  # explicit: served as stored
        ("noext", None),
        ("noext-generic", "application/octet-stream"),
    ]
    for key, sent in cases:
        extra = {"ContentType": sent} if sent else {}
        s3.put_object(Bucket=bucket, Key=key, Body=b"x", **extra)
        common.check_content_type(s3.head_object(Bucket=bucket, Key=key)["ContentType"], key, sent)
        common.check_content_type(s3.get_object(Bucket=bucket, Key=key)["ContentType"], key, sent)


def test_ranges(s3, bucket):
    data = os.urandom(1000)
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    for rng, want, cr in (
        ("bytes=0-9", data[:10], "bytes 0-9/1000"),
        ("bytes=990-", data[990:], "bytes 990-999/1000"),
        ("bytes=-5", data[-5:], "bytes 995-999/1000"),
        ("bytes=500-5000", data[500:], "bytes 500-999/1000"),
    ):
        r = s3.get_object(Bucket=bucket, Key="r", Range=rng)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert r["ContentRange"] == cr and r["Body"].read() == want
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=1000-")
    assert code(e) == "InvalidRange" and status(e) == 416


def test_conditional_get(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"cond")["ETag"]
    lm = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"cond"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert code(e) == "PreconditionFailed" and status(e) == 412
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert status(e) == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=lm + datetime.timedelta(seconds=60))
    assert status(e) == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=lm - datetime.timedelta(days=1))
    assert status(e) == 412
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="c", IfMatch='"nope"')
    assert status(e) == 412


def test_conditional_put(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="w", Body=b"one", IfNoneMatch="*")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="w", Body=b"two", IfNoneMatch="*")
    assert code(e) == "PreconditionFailed" and status(e) == 412
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="w", Body=b"two", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert code(e) == "PreconditionFailed"
    s3.put_object(Bucket=bucket, Key="w", Body=b"three", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="w")["Body"].read() == b"three"


def test_response_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o.txt", Body=b"override")
    r = s3.get_object(
        Bucket=bucket, Key="o.txt", ResponseContentType="application/x-test",
        ResponseContentDisposition='attachment; filename="x y.txt"', ResponseCacheControl="max-age=5",
        ResponseContentLanguage="de", ResponseContentEncoding="identity",
        ResponseExpires=datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc),
    )
    assert r["ContentType"] == "application/x-test"
    assert r["ContentDisposition"] == 'attachment; filename="x y.txt"'
    assert r["CacheControl"] == "max-age=5" and r["ContentLanguage"] == "de"
    assert r["ContentEncoding"] == "identity"
    assert r["ExpiresString"] == "Wed, 01 Jan 2031 00:00:00 GMT"


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"])
def test_flexible_checksums(s3, bucket, algorithm):
    data = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key=f"ck/{algorithm}", Body=data, ChecksumAlgorithm=algorithm)
    assert put.get(f"Checksum{algorithm}"), put
    got = s3.get_object(Bucket=bucket, Key=f"ck/{algorithm}", ChecksumMode="ENABLED")
    assert got.get(f"Checksum{algorithm}") == put[f"Checksum{algorithm}"]
    common.assert_same_bytes(got["Body"].read(), data)


@old_boto3
def test_content_md5(s3, bucket):
    data = b"integrity"
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    s3.put_object(Bucket=bucket, Key="m", Body=data, ContentMD5=md5)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="m2", Body=data, ContentMD5=base64.b64encode(b"0" * 16).decode())
    assert code(e) == "BadDigest" and status(e) == 400
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="m2")
    assert code(e) == "404"


@old_boto3
def test_delete_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="d", Body=b"d")
    r = s3.delete_object(Bucket=bucket, Key="d")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    r = s3.delete_object(Bucket=bucket, Key="d")  # deleting a missing key succeeds
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="d")
    assert code(e) == "NoSuchKey" and status(e) == 404


@old_boto3
def test_delete_objects(s3, bucket):
    keys = list(HOSTILE_KEYS.values()) + [f"n/{i}" for i in range(20)]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[:15]] + [{"Key": "missing"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == sorted(keys[:15] + ["missing"])
    assert not r.get("Errors")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[15:]], "Quiet": True})
    assert not r.get("Deleted") and not r.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# ------------------------------------------------------------------ listings


def _put_many(s3, bucket, keys):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b""), keys))


@old_boto3
def test_paginate_2500_keys(s3, bucket):
    keys = [f"dir/{i:04d}" for i in range(2000)] + [f"top-{i:03d}" for i in range(500)]
    _put_many(s3, bucket, keys)
    pag = s3.get_paginator("list_objects_v2")
    # Everything, 1,000 a page: three pages, byte order, no duplicates.
    pages = list(pag.paginate(Bucket=bucket))
    got = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert got == sorted(keys) and len(pages) == 3
    # A delimiter: 500 objects and one common prefix.
    pages = list(pag.paginate(Bucket=bucket, Delimiter="/"))
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == sorted(keys[2000:])
    assert [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])] == ["dir/"]
    # Prefix and delimiter, odd page size.
    pages = list(pag.paginate(Bucket=bucket, Prefix="dir/", Delimiter="/", PaginationConfig={"PageSize": 333}))
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == sorted(keys[:2000])
    assert len(pages) == 7 and all(p["KeyCount"] <= 333 for p in pages)
    # ListObjects v1 pages with markers.
    v1 = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 700}))
    assert [o["Key"] for p in v1 for o in p.get("Contents", [])] == sorted(keys)
    # StartAfter.
    r = s3.list_objects_v2(Bucket=bucket, StartAfter="dir/1999", MaxKeys=3)
    assert [o["Key"] for o in r["Contents"]] == ["top-000", "top-001", "top-002"] and r["IsTruncated"]


def test_list_v2_options(s3, bucket):
    keys = ["a b", "a+b", "100%", "x/1", "x/2", "y/z/1"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"12")
    r = s3.list_objects_v2(Bucket=bucket, FetchOwner=True, MaxKeys=2)
    assert r["IsTruncated"] and r["KeyCount"] == 2 and r["MaxKeys"] == 2
    assert all(o["Owner"]["ID"] for o in r["Contents"])
    assert "Owner" not in s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    # botocore asks for encoding-type=url by itself and decodes: keys come back as stored.
    r = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in r["Contents"]] == ["100%", "a b", "a+b"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["x/", "y/"]
    # Asked for explicitly, botocore leaves the decoding to the caller.
    r = s3.list_objects_v2(Bucket=bucket, EncodingType="url", Delimiter="/")
    assert r["EncodingType"] == "url"
    assert [o["Key"] for o in r["Contents"]] == ["100%25", "a%20b", "a%2Bb"]  # a space is %20
    r = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert r["KeyCount"] == 0 and not r["IsTruncated"]
    obj = s3.list_objects_v2(Bucket=bucket, Prefix="x/1")["Contents"][0]
    assert obj["Size"] == 2 and obj["ETag"] == '"' + hashlib.md5(b"12").hexdigest() + '"'
    assert obj["StorageClass"] == "STANDARD" and obj["LastModified"].tzinfo is not None


def test_list_object_versions(s3, bucket):
    for k in ("v/1", "v/2", "w"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
    versions = [v for p in pages for v in p.get("Versions", [])]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions] == [
        ("v/1", "null", True), ("v/2", "null", True), ("w", "null", True)]
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["v/"]


# ------------------------------------------------------------------ presigned


@pytest.fixture
def s3v4():
    """botocore presigns with SigV2 in us-east-1 unless told; users of a non-AWS endpoint often
    set signature_version='s3v4' (test_presigned_default_sigv2 covers the default)."""
    return common.boto3_client(signature_version="s3v4")


@old_boto3
def test_presigned_default_sigv2(s3, bucket):
    """boto3's DEFAULT generate_presigned_url (custom endpoint, us-east-1, no signature_version)
    is SigV2 (AWSAccessKeyId, Expires, Signature): its URLs work through a plain HTTP client."""
    key = "v2/a b+c%&=\u00e9.bin"
    body = os.urandom(3000)
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": "application/x-v2"}, ExpiresIn=300)
    assert "Signature=" in url and "AWSAccessKeyId=" in url and "X-Amz-Signature" not in url, url
    req = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "application/x-v2"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200 and r.headers["ETag"] == '"' + hashlib.md5(body).hexdigest() + '"'
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    assert "Signature=" in url and "X-Amz-Signature" not in url, url
    with urllib.request.urlopen(url, timeout=30) as r:
        common.assert_same_bytes(r.read(), body, key)
        assert r.headers["Content-Type"] == "application/x-v2"
    # A sub-resource override is part of the signed resource.
    url = s3.generate_presigned_url(
        "get_object", ExpiresIn=60,
        Params={"Bucket": bucket, "Key": key, "ResponseContentDisposition": 'attachment; filename="v 2.bin"'})
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.headers["Content-Disposition"] == 'attachment; filename="v 2.bin"'
    # Tampered with, or expired: 403.
    tampered = url.replace("v2/", "v3/")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered, timeout=30)
    assert e.value.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in e.value.read()
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=-10)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(expired, timeout=30)
    body = e.value.read()
    assert e.value.code == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body, body


@old_boto3
def test_non_ascii_metadata_round_trip(s3, bucket):
    """botocore signs a non-ASCII metadata value as UTF-8, and sends it UTF-8 (urllib3 2) or Latin-1
    (urllib3 1, http.client) encoded: the gateway verifies either and stores the bytes sent, returned
    byte for byte. RFC 2047 encoded words are stored and returned as sent."""
    # botocore refuses non-ASCII metadata before sending unless its check is unregistered, which
    # is what its users do (and what clients without that check, such as s3fs, always do).
    raw = common.boto3_client()
    raw.meta.events.unregister("before-parameter-build.s3.PutObject", botocore.handlers.validate_ascii_metadata)
    meta = {"latin": "Hello World\xe9", "encoded": "=?UTF-8?B?w6k=?=", "plain": "ascii"}
    raw.put_object(Bucket=bucket, Key="m", Body=b"x", Metadata=meta)
    for got in (s3.head_object(Bucket=bucket, Key="m")["Metadata"], s3.get_object(Bucket=bucket, Key="m")["Metadata"]):
        assert {k: v for k, v in got.items() if k != "latin"} == {"encoded": meta["encoded"], "plain": "ascii"}
        # http.client reads response headers as Latin-1, so this is the value's bytes as returned:
        # the bytes botocore sent, UTF-8 with urllib3 2 or Latin-1 with urllib3 1.
        returned = got["latin"].encode("latin-1")
        assert returned in (meta["latin"].encode("utf-8"), meta["latin"].encode("latin-1")), returned


@old_boto3
def test_presigned_get_put(s3v4, bucket):
    s3 = s3v4
    for key in ("pre/plain.txt", "pre/a b+c%&=é.json", "日本語/ファイル", "a/b/../c"):
        body = common.body_for(key)
        url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
        # (urllib would send Content-Type: application/x-www-form-urlencoded by default.)
        req = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200 and r.headers["ETag"] == '"' + hashlib.md5(body).hexdigest() + '"'
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
        with urllib.request.urlopen(url, timeout=30) as r:
            common.assert_same_bytes(r.read(), body, key)
            common.check_content_type(r.headers["Content-Type"], key, "application/octet-stream")
    url = s3.generate_presigned_url(
        "get_object", ExpiresIn=60,
        Params={"Bucket": bucket, "Key": "pre/plain.txt", "ResponseContentDisposition": 'attachment; filename="d l.txt"'})
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.headers["Content-Disposition"] == 'attachment; filename="d l.txt"'
    tampered = url.replace("pre/plain.txt", "pre/other.txt")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered, timeout=30)
    assert e.value.code == 403 and b"SignatureDoesNotMatch" in e.value.read()


def _multipart_form(fields, file_name, content):
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    out.write(content + f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def test_presigned_post(s3, s3v4, bucket):
    body = os.urandom(5000)
    post = s3v4.generate_presigned_post(
        bucket, "uploads/${filename}",
        Fields={"Content-Type": "image/png", "success_action_status": "201"},
        Conditions=[{"Content-Type": "image/png"}, {"success_action_status": "201"},
                    ["starts-with", "$key", "uploads/"], ["content-length-range", 1, 10 * MiB]],
        ExpiresIn=300,
    )
    data, ctype = _multipart_form(post["fields"], "my photo.png", body)
    req = urllib.request.Request(post["url"], data=data, method="POST", headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 201
        assert b"<Key>uploads/my photo.png</Key>" in r.read()
    got = s3.get_object(Bucket=bucket, Key="uploads/my photo.png")
    assert got["ContentType"] == "image/png"
    common.assert_same_bytes(got["Body"].read(), body)
    # A policy condition broken: 403 AccessDenied, nothing stored.
    bad = dict(post["fields"], **{"Content-Type": "text/html"})
    data, ctype = _multipart_form(bad, "evil.html", b"<script>")
    req = urllib.request.Request(post["url"], data=data, method="POST", headers={"Content-Type": ctype})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 403
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["uploads/my photo.png"]


# ------------------------------------------------------------------ multipart and copy


@old_boto3
def test_multipart_api(s3, bucket):
    key = "mp/a b+ü"
    part1, part2, part3 = os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(777)
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-mp", Metadata={"m": "1"})
    uid = up["UploadId"]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(key, uid)]
    # Out of order, and part 2 sent twice: the last one wins.
    e3 = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=3, Body=part3)["ETag"]
    s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=2, Body=os.urandom(5 * MiB))
    e2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=2, Body=part2)["ETag"]
    e1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=part1)["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, e1, 5 * MiB), (2, e2, 5 * MiB), (3, e3, 777)]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in ((1, e1), (2, e2), (3, e3))]})
    want_etag = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in (part1, part2, part3))).hexdigest() + "-3"
    assert done["ETag"] == f'"{want_etag}"'
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["ETag"] == done["ETag"] and got["ContentType"] == "application/x-mp" and got["Metadata"] == {"m": "1"}
    common.assert_same_bytes(got["Body"].read(), part1 + part2 + part3)
    assert s3.get_object(Bucket=bucket, Key=key, PartNumber=3)["Body"].read() == part3
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    # Abort; a part too small in the middle; an unknown upload id.
    uid2 = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    ea = s3.upload_part(Bucket=bucket, Key="small", UploadId=uid2, PartNumber=1, Body=b"tiny")["ETag"]
    eb = s3.upload_part(Bucket=bucket, Key="small", UploadId=uid2, PartNumber=2, Body=b"tiny")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=uid2, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": ea}, {"PartNumber": 2, "ETag": eb}]})
    assert code(e) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket=bucket, Key="small", UploadId=uid2)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="small", UploadId=uid2, PartNumber=3, Body=b"x")
    assert code(e) == "NoSuchUpload" and status(e) == 404
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]


def test_copy_object(s3, bucket):
    src_key = "src/a b+c%.txt"
    body = os.urandom(10_000)
    etag = s3.put_object(Bucket=bucket, Key=src_key, Body=body, Metadata={"k": "v"}, ContentType="text/x-src")["ETag"]
    r = s3.copy_object(Bucket=bucket, Key="dst/copy", CopySource={"Bucket": bucket, "Key": src_key})
    assert r["CopyObjectResult"]["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key="dst/copy")
    assert got["Metadata"] == {"k": "v"} and got["ContentType"] == "text/x-src"
    common.assert_same_bytes(got["Body"].read(), body)
    s3.copy_object(Bucket=bucket, Key="dst/replaced", CopySource={"Bucket": bucket, "Key": src_key},
                   MetadataDirective="REPLACE", Metadata={"new": "1"}, ContentType="application/json")
    h = s3.head_object(Bucket=bucket, Key="dst/replaced")
    assert h["Metadata"] == {"new": "1"} and h["ContentType"] == "application/json"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst/x", CopySource={"Bucket": bucket, "Key": src_key},
                       CopySourceIfMatch='"0123456789abcdef0123456789abcdef"')
    assert code(e) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst/x", CopySource={"Bucket": bucket, "Key": "missing"})
    assert code(e) == "NoSuchKey"
    # boto3's managed copy (CopyObject below its threshold).
    s3.copy({"Bucket": bucket, "Key": src_key}, bucket, "dst/managed")
    assert s3.get_object(Bucket=bucket, Key="dst/managed")["Body"].read() == body


def _tags(resp):
    return [(t["Key"], t["Value"]) for t in resp["TagSet"]]


def test_object_tagging(s3, bucket):
    # x-amz-tagging on PutObject; GetObjectTagging; TagCount on GET/HEAD; ETag untouched.
    put = s3.put_object(Bucket=bucket, Key="t", Body=b"tagged", Tagging="a=1&b%20c=d%2Be&empty=")
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="t")) == [("a", "1"), ("b c", "d+e"), ("empty", "")]
    assert s3.head_object(Bucket=bucket, Key="t")["TagCount"] == 3
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "文"}]})
    got = s3.get_object(Bucket=bucket, Key="t")
    assert got["TagCount"] == 1 and got["ETag"] == put["ETag"] and got["Body"].read() == b"tagged"
    # CopyObject: COPY (default) keeps the source's tags, REPLACE takes the header's.
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "t"})
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="copy")) == [("k", "文")]
    s3.copy_object(
        Bucket=bucket, Key="repl", CopySource={"Bucket": bucket, "Key": "t"},
        TaggingDirective="REPLACE", Tagging="x=y",
    )
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="repl")) == [("x", "y")]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="t")) == []
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="t")
    # The transfer manager's multipart upload carries the tags to Complete.
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_fileobj(io.BytesIO(os.urandom(6 * MiB)), bucket, "mp", ExtraArgs={"Tagging": "m=1"}, Config=cfg)
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="mp")) == [("m", "1")]
    # AWS's limits and answers.
    for tagset, want in [
        ([{"Key": f"k{i}", "Value": ""} for i in range(11)], "BadRequest"),
        ([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}], "InvalidTag"),
        ([{"Key": "aws:x", "Value": "1"}], "InvalidTag"),
        ([{"Key": "k" * 129, "Value": ""}], "InvalidTag"),
    ]:
        with pytest.raises(ClientError) as e:
            s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": tagset})
        assert (status(e), code(e)) == (400, want), e.value.response["Error"]
    with pytest.raises(ClientError) as e:
        s3.get_object_tagging(Bucket=bucket, Key="missing")
    assert code(e) == "NoSuchKey"


def test_bucket_tagging(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert (status(e), code(e)) == (404, "NoSuchTagSet")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
    assert _tags(s3.get_bucket_tagging(Bucket=bucket)) == [("team", "data")]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert code(e) == "NoSuchTagSet"


def test_upload_part_copy(s3, bucket):
    src = os.urandom(6 * MiB)
    s3.put_object(Bucket=bucket, Key="big-src", Body=src)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    p1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "big-src"}, CopySourceRange="bytes=0-5242879")
    p2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "big-src"}, CopySourceRange=f"bytes=5242880-{6 * MiB - 1}")
    s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="assembled")["Body"].read(), src)


# ------------------------------------------------------------------ versioning

# The gateway's version ids: 24 hex digits, ordered like their creation (AWS's are opaque).
VERSION_ID = re.compile(r"[0-9a-f]{24}")
# Well-formed for the gateway, names no version: NoSuchVersion (a malformed one: InvalidArgument).
UNKNOWN_VERSION = "0000000000000001deadbeef"


def _set_versioning(s3, bucket, status="Enabled"):
    r = s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") == status


def _vid(resp, what="the write"):
    """The new version id of a write's answer (x-amz-version-id), checked."""
    vid = resp.get("VersionId")
    assert vid and VERSION_ID.fullmatch(vid), f"{what}: VersionId {vid!r}, want 24 hex digits"
    return vid


def _hdrs(e):
    return e.value.response["ResponseMetadata"]["HTTPHeaders"]


def _etag(body):
    return '"' + hashlib.md5(body).hexdigest() + '"'


class Versions:
    """What ListObjectVersions must show: each key's versions and delete markers, newest first."""

    def __init__(self):
        self.keys = {}

    def add(self, key, vid, marker=False):
        self.keys.setdefault(key, []).insert(0, (vid, marker))

    def remove(self, key, vid):
        self.keys[key] = [e for e in self.keys[key] if e[0] != vid]
        if not self.keys[key]:
            del self.keys[key]

    def entries(self, prefix="", after_key=None):
        """(key, version id, is marker, is latest), keys in byte order, each newest first."""
        out = []
        for key in sorted(self.keys, key=str.encode):
            if key.startswith(prefix) and (after_key is None or key.encode() > after_key.encode()):
                out += [(key, vid, marker, i == 0) for i, (vid, marker) in enumerate(self.keys[key])]
        return out


def _split(page):
    """A ListObjectVersions answer's versions and markers as Versions.entries() tuples (boto3
    parses <Version> and <DeleteMarker> into two lists, so each keeps its own order)."""
    versions = [(v["Key"], v["VersionId"], False, v["IsLatest"]) for v in page.get("Versions", [])]
    markers = [(m["Key"], m["VersionId"], True, m["IsLatest"]) for m in page.get("DeleteMarkers", [])]
    return versions, markers


def _assert_listing(page, want, what="listing"):
    versions, markers = _split(page)
    assert versions == [e for e in want if not e[2]], f"{what}: Versions"
    assert markers == [e for e in want if e[2]], f"{what}: DeleteMarkers"


def _walk_versions(s3, bucket, max_keys, **kwargs):
    """ListObjectVersions page by page, as a user's loop does: KeyMarker and VersionIdMarker from
    the previous page's NextKeyMarker and NextVersionIdMarker."""
    pages, markers = [], {}
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=max_keys, **markers, **kwargs)
        pages.append(page)
        if not page["IsTruncated"]:
            return pages
        assert page.get("NextKeyMarker"), f"page {len(pages)} is truncated but has no NextKeyMarker"
        markers = {"KeyMarker": page["NextKeyMarker"]}
        if page.get("NextVersionIdMarker"):
            markers["VersionIdMarker"] = page["NextVersionIdMarker"]
        assert len(pages) < 500, "ListObjectVersions paging does not end"


def _assert_pages(pages, want, max_keys):
    """Pages without a delimiter are consecutive slices of `want`, each full but the last, each
    truncated one naming its last entry as the next markers."""
    pos = 0
    for n, page in enumerate(pages):
        versions, markers = _split(page)
        size = len(versions) + len(markers)
        chunk = want[pos : pos + size]
        _assert_listing(page, chunk, f"MaxKeys={max_keys} page {n}")
        pos += size
        assert page["MaxKeys"] == max_keys
        if n < len(pages) - 1:
            assert page["IsTruncated"] and size == max_keys, f"MaxKeys={max_keys} page {n}: {size} entries"
            assert (page["NextKeyMarker"], page["NextVersionIdMarker"]) == chunk[-1][:2], f"page {n}"
        else:
            assert not page["IsTruncated"]
    assert pos == len(want), f"MaxKeys={max_keys}: {pos} entries listed, want {len(want)}"


def test_versioning_configuration(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    _set_versioning(s3, bucket, "Enabled")
    _set_versioning(s3, bucket, "Suspended")
    _set_versioning(s3, bucket, "Enabled")
    # botocore does not check the enum: the gateway gets the document as written.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Bogus"})
    assert (status(e), code(e)) == (400, "MalformedXML")
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    assert (status(e), code(e)) == (501, "NotImplemented")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=bucket + "-nope", VersioningConfiguration={"Status": "Enabled"})
    assert code(e) == "NoSuchBucket"
    other = common.boto3_client(common.AK2, common.SK2)
    for call in (
        lambda: other.get_bucket_versioning(Bucket=bucket),
        lambda: other.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert (status(e), code(e)) == (403, "AccessDenied")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


@old_boto3
def test_versioning_round_trip(s3, bucket):
    key = "v/a b+ü.txt"
    bodies = {"null": os.urandom(100)}
    s3.put_object(Bucket=bucket, Key=key, Body=bodies["null"])  # before versioning: version null
    _set_versioning(s3, bucket)
    order = ["null"]  # newest first
    for size in (0, 1, 1000, 70_000):
        body = os.urandom(size)
        put = s3.put_object(Bucket=bucket, Key=key, Body=body)
        vid = _vid(put, f"PutObject of {size} bytes")
        assert put["ETag"] == _etag(body)
        bodies[vid] = body
        order.insert(0, vid)
    assert len(set(order)) == 5
    assert order[:-1] == sorted(order[:-1], reverse=True), "version ids are not in creation order"
    for vid, body in bodies.items():
        got = s3.get_object(Bucket=bucket, Key=key, VersionId=vid)
        assert got["VersionId"] == vid and got["ETag"] == _etag(body)
        common.assert_same_bytes(got["Body"].read(), body, f"{key} version {vid}")
        h = s3.head_object(Bucket=bucket, Key=key, VersionId=vid)
        assert (h["VersionId"], h["ContentLength"], h["ETag"]) == (vid, len(body), _etag(body))
    # Without a VersionId: the latest.
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["VersionId"] == order[0]
    common.assert_same_bytes(got["Body"].read(), bodies[order[0]])
    assert s3.head_object(Bucket=bucket, Key=key)["VersionId"] == order[0]
    # A range of an older version.
    r = s3.get_object(Bucket=bucket, Key=key, VersionId=order[1], Range="bytes=10-19")
    assert r["ContentRange"] == "bytes 10-19/1000" and r["Body"].read() == bodies[order[1]][10:20]
    # Listings of current objects show the latest only.
    (obj,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert (obj["Key"], obj["Size"], obj["ETag"]) == (key, 70_000, _etag(bodies[order[0]]))
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == [key]
    # Every version, newest first, the latest marked.
    r = s3.list_object_versions(Bucket=bucket)
    assert not r.get("DeleteMarkers") and not r["IsTruncated"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in r["Versions"]] == [
        (key, vid, i == 0) for i, vid in enumerate(order)]
    assert [(v["Size"], v["ETag"]) for v in r["Versions"]] == [(len(bodies[v]), _etag(bodies[v])) for v in order]
    # A well-formed id of no version: 404 NoSuchVersion; a malformed one: 400 InvalidArgument.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, VersionId=UNKNOWN_VERSION)
    assert (status(e), code(e)) == (404, "NoSuchVersion")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key, VersionId=UNKNOWN_VERSION)
    assert status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, VersionId="abc")
    assert (status(e), code(e)) == (400, "InvalidArgument")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key, VersionId="abc")
    assert status(e) == 400
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="v/other", VersionId=order[0])  # another key's version
    assert (status(e), code(e)) == (404, "NoSuchVersion")


def _post_form(s3v4, bucket, key, body):
    post = s3v4.generate_presigned_post(bucket, key, ExpiresIn=300)
    data, ctype = _multipart_form(post["fields"], "f.bin", body)
    req = urllib.request.Request(post["url"], data=data, method="POST", headers={"Content-Type": ctype})
    with common.urlopen_ok(req) as r:
        assert r.status == 204
        return r.headers.get("x-amz-version-id")


def test_versioning_multipart_copy_post(s3, s3v4, bucket):
    """CompleteMultipartUpload, CopyObject and POST uploads create versions too."""
    _set_versioning(s3, bucket)
    key = "w/all writes"
    want = Versions()
    bodies = {}
    body = os.urandom(1000)
    vid = _vid(s3.put_object(Bucket=bucket, Key=key, Body=body))
    bodies[vid] = body
    want.add(key, vid)
    # Multipart.
    parts = [os.urandom(5 * MiB), os.urandom(321)]
    uid = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=p)["ETag"]
             for n, p in enumerate(parts, 1)]
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    vid = _vid(done, "CompleteMultipartUpload")
    bodies[vid] = b"".join(parts)
    want.add(key, vid)
    # Copy from another key.
    other = os.urandom(777)
    src_vid = _vid(s3.put_object(Bucket=bucket, Key="w/src", Body=other))
    want.add("w/src", src_vid)
    c = s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": "w/src"})
    vid = _vid(c, "CopyObject")
    assert c["CopySourceVersionId"] == src_vid
    bodies[vid] = other
    want.add(key, vid)
    # A browser's POST upload.
    body = os.urandom(2000)
    vid = _post_form(s3v4, bucket, key, body)
    assert vid and VERSION_ID.fullmatch(vid), f"POST: x-amz-version-id {vid!r}"
    bodies[vid] = body
    want.add(key, vid)
    assert len(bodies) == 4
    for vid, body in bodies.items():
        got = s3.get_object(Bucket=bucket, Key=key, VersionId=vid)
        assert got["VersionId"] == vid
        common.assert_same_bytes(got["Body"].read(), body, f"version {vid}")
    assert s3.get_object(Bucket=bucket, Key=key)["VersionId"] == vid
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries())


@old_boto3
def test_versioning_delete_marker(s3, bucket):
    _set_versioning(s3, bucket)
    key = "dm/日本語 key"
    b1, b2 = os.urandom(100), os.urandom(200)
    v1 = _vid(s3.put_object(Bucket=bucket, Key=key, Body=b1))
    v2 = _vid(s3.put_object(Bucket=bucket, Key=key, Body=b2))
    d = s3.delete_object(Bucket=bucket, Key=key)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204 and d.get("DeleteMarker") is True, d
    marker = _vid(d, "DeleteObject")
    assert marker not in (v1, v2)
    # The key is gone for GET and HEAD: 404, with the marker named in the headers.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key)
    assert (status(e), code(e)) == (404, "NoSuchKey")
    assert _hdrs(e).get("x-amz-delete-marker") == "true", _hdrs(e)
    assert _hdrs(e).get("x-amz-version-id") == marker, _hdrs(e)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert status(e) == 404 and _hdrs(e).get("x-amz-delete-marker") == "true", _hdrs(e)
    # The marker named by its id: 405.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, VersionId=marker)
    assert (status(e), code(e)) == (405, "MethodNotAllowed")
    assert _hdrs(e).get("x-amz-delete-marker") == "true", _hdrs(e)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key, VersionId=marker)
    assert status(e) == 405 and _hdrs(e).get("x-amz-delete-marker") == "true", _hdrs(e)
    # The versions are still there.
    for vid, body in ((v1, b1), (v2, b2)):
        common.assert_same_bytes(s3.get_object(Bucket=bucket, Key=key, VersionId=vid)["Body"].read(), body)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert not s3.list_objects(Bucket=bucket).get("Contents")
    want = Versions()
    for vid, m in ((v1, False), (v2, False), (marker, True)):
        want.add(key, vid, m)
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries())
    # Deleting again adds a second marker.
    d2 = s3.delete_object(Bucket=bucket, Key=key)
    marker2 = _vid(d2)
    assert d2.get("DeleteMarker") is True and marker2 != marker
    want.add(key, marker2, True)
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries())
    # Deleting a marker by its id: the answer says it was a marker.
    r = s3.delete_object(Bucket=bucket, Key=key, VersionId=marker2)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert (r.get("VersionId"), r.get("DeleteMarker")) == (marker2, True), r
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key)
    assert code(e) == "NoSuchKey"
    # ...and the last one brings the previous version back.
    r = s3.delete_object(Bucket=bucket, Key=key, VersionId=marker)
    assert (r.get("VersionId"), r.get("DeleteMarker")) == (marker, True), r
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["VersionId"] == v2
    common.assert_same_bytes(got["Body"].read(), b2)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    want.remove(key, marker2)
    want.remove(key, marker)
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries())
    # A key that never existed gets a marker all the same.
    d = s3.delete_object(Bucket=bucket, Key="never")
    assert d.get("DeleteMarker") is True
    want.add("never", _vid(d), True)
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries())


def test_versioning_delete_version(s3, bucket):
    _set_versioning(s3, bucket)
    key = "dv/k"
    bodies = [os.urandom(n) for n in (10, 20, 30)]
    v1, v2, v3 = (_vid(s3.put_object(Bucket=bucket, Key=key, Body=b)) for b in bodies)
    # A noncurrent version goes for good: no marker.
    r = s3.delete_object(Bucket=bucket, Key=key, VersionId=v2)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert r.get("VersionId") == v2 and not r.get("DeleteMarker"), r
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, VersionId=v2)
    assert (status(e), code(e)) == (404, "NoSuchVersion")
    assert s3.get_object(Bucket=bucket, Key=key, VersionId=v1)["Body"].read() == bodies[0]
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["VersionId"] == v3 and got["Body"].read() == bodies[2]
    # The current version: the previous one becomes current.
    r = s3.delete_object(Bucket=bucket, Key=key, VersionId=v3)
    assert r.get("VersionId") == v3 and not r.get("DeleteMarker"), r
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["VersionId"] == v1 and got["Body"].read() == bodies[0]
    h = s3.head_object(Bucket=bucket, Key=key)
    assert (h["VersionId"], h["ContentLength"]) == (v1, 10)
    (obj,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert (obj["Key"], obj["Size"]) == (key, 10)
    r = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in r["Versions"]] == [(v1, True)]
    # The last version: the key is gone, without a marker.
    s3.delete_object(Bucket=bucket, Key=key, VersionId=v1)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key)
    assert code(e) == "NoSuchKey" and "x-amz-delete-marker" not in _hdrs(e)
    r = s3.list_object_versions(Bucket=bucket)
    assert not r.get("Versions") and not r.get("DeleteMarkers")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    # Deleting a version that is gone already succeeds (AWS's deletes are idempotent).
    r = s3.delete_object(Bucket=bucket, Key=key, VersionId=v1)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=bucket, Key=key, VersionId="abc")
    assert (status(e), code(e)) == (400, "InvalidArgument")


def test_versioning_suspended(s3, bucket):
    """Suspended: writes are the null version and replace it; versions with ids stay."""
    key = "s/k"
    want = Versions()
    s3.put_object(Bucket=bucket, Key=key, Body=b"pre")  # unversioned: the null version
    want.add(key, "null")
    _set_versioning(s3, bucket, "Enabled")
    v1 = _vid(s3.put_object(Bucket=bucket, Key=key, Body=b"one"))
    want.add(key, v1)
    _set_versioning(s3, bucket, "Suspended")
    for body in (b"two", b"three"):
        put = s3.put_object(Bucket=bucket, Key=key, Body=body)
        assert put.get("VersionId") in (None, "null"), put.get("VersionId")
        want.remove(key, "null")
        want.add(key, "null")
        h = s3.head_object(Bucket=bucket, Key=key)
        assert (h["VersionId"], h["ContentLength"]) == ("null", len(body))
        got = s3.get_object(Bucket=bucket, Key=key, VersionId="null")
        assert got["VersionId"] == "null" and got["Body"].read() == body
        _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries(), f"after {body}")
    assert s3.get_object(Bucket=bucket, Key=key, VersionId=v1)["Body"].read() == b"one"
    # A delete: a null marker replaces the null version.
    d = s3.delete_object(Bucket=bucket, Key=key)
    assert d.get("DeleteMarker") is True and d.get("VersionId") in (None, "null"), d
    want.remove(key, "null")
    want.add(key, "null", True)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key)
    assert code(e) == "NoSuchKey" and _hdrs(e).get("x-amz-delete-marker") == "true"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, VersionId="null")
    assert status(e) == 405
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries(), "after the delete")
    # Another key written while suspended, then copied over while suspended: still one null.
    s3.put_object(Bucket=bucket, Key="s/other", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="s/other", CopySource={"Bucket": bucket, "Key": key, "VersionId": v1})
    want.add("s/other", "null")
    got = s3.get_object(Bucket=bucket, Key="s/other")
    assert got["VersionId"] == "null" and got["Body"].read() == b"one"
    # Enabled again: new writes get ids, the null marker stays behind them.
    _set_versioning(s3, bucket, "Enabled")
    v4 = _vid(s3.put_object(Bucket=bucket, Key=key, Body=b"four"))
    want.add(key, v4)
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries(), "enabled again")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"four"


def _fill_versions(s3, bucket):
    """Several keys (hostile ones too) with versions, null versions and delete markers; returns
    the model of what ListObjectVersions must show."""
    want = Versions()
    for key in ("a b", "dir/x"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())  # before versioning: null
        want.add(key, "null")
    _set_versioning(s3, bucket)

    def put(key):
        want.add(key, _vid(s3.put_object(Bucket=bucket, Key=key, Body=common.body_for(key))))

    def delete(key):
        d = s3.delete_object(Bucket=bucket, Key=key)
        assert d.get("DeleteMarker") is True
        want.add(key, _vid(d), True)

    for op, key in [
        (put, "a b"), (put, "a b"),
        (put, "a+b"), (put, "a+b"), (put, "a+b"), (delete, "a+b"),
        (put, "100%"), (delete, "100%"), (put, "100%"),
        (put, "dir/x"),
        (put, "dir/y/z"), (put, "dir/y/z"),
        (put, "日本語/ファイル"),
        (delete, "zz"),
    ]:
        op(key)
    return want


def test_list_object_versions_paging(s3, bucket):
    want = _fill_versions(s3, bucket)
    everything = want.entries()
    assert len(everything) == 16
    full = s3.list_object_versions(Bucket=bucket)
    assert not full["IsTruncated"] and "NextKeyMarker" not in full
    _assert_listing(full, everything, "one page")
    # Manual paging, as a user's loop does it, page sizes splitting keys' versions every way.
    for max_keys in (1, 2, 3, 5, 16):
        _assert_pages(_walk_versions(s3, bucket, max_keys), everything, max_keys)
    # boto3's paginator: everything exactly once, in order.
    for page_size in (1, 2, 7):
        pages = list(s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": page_size}))
        assert len(pages) == -(-16 // page_size)
        versions = [e for p in pages for e in _split(p)[0]]
        markers = [e for p in pages for e in _split(p)[1]]
        assert versions == [e for e in everything if not e[2]], f"PageSize={page_size}"
        assert markers == [e for e in everything if e[2]], f"PageSize={page_size}"
    merged = s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 3}).build_full_result()
    _assert_listing(merged, everything, "build_full_result")
    # MaxItems and StartingToken (a token over KeyMarker and VersionIdMarker): every version
    # exactly once. (botocore counts and resumes MaxItems on the first result key, Versions,
    # and drops the other keys' entries of a resumed page, DeleteMarkers included, whatever the
    # server: only Versions are compared.)
    versions, token = [], None
    for _ in range(20):
        cfg = {"MaxItems": 3, "PageSize": 2, **({"StartingToken": token} if token else {})}
        r = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig=cfg).build_full_result()
        versions += _split(r)[0]
        token = r.get("NextToken")
        if not token:
            break
    assert versions == [e for e in everything if not e[2]]
    # Prefix.
    for max_keys in (1, 1000):
        _assert_pages(_walk_versions(s3, bucket, max_keys, Prefix="dir/"), want.entries("dir/"), max_keys)
    # KeyMarker alone: the keys after it.
    r = s3.list_object_versions(Bucket=bucket, KeyMarker="a+b")
    _assert_listing(r, want.entries(after_key="a+b"), "KeyMarker")
    # KeyMarker and VersionIdMarker: what follows that version.
    aplusb = [e for e in everything if e[0] == "a+b"]
    r = s3.list_object_versions(Bucket=bucket, KeyMarker="a+b", VersionIdMarker=aplusb[1][1])
    _assert_listing(r, aplusb[2:] + want.entries(after_key="a+b"), "KeyMarker+VersionIdMarker")
    r = s3.list_object_versions(Bucket=bucket, KeyMarker="a b", VersionIdMarker="null")
    _assert_listing(r, want.entries(after_key="a b"), "VersionIdMarker=null")
    with pytest.raises(ClientError) as e:
        s3.list_object_versions(Bucket=bucket, VersionIdMarker=aplusb[1][1])
    assert (status(e), code(e)) == (400, "InvalidArgument")
    assert s3.list_object_versions(Bucket=bucket, MaxKeys=0).get("Versions") is None


def test_list_object_versions_delimiter(s3, bucket):
    want = _fill_versions(s3, bucket)
    top = [e for e in want.entries() if "/" not in e[0]]
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir/", "日本語/"]
    _assert_listing(r, top, "Delimiter=/")
    # Paged: each common prefix once, counted in MaxKeys.
    for max_keys in (1, 2, 3):
        pages = _walk_versions(s3, bucket, max_keys, Delimiter="/")
        assert [p["Prefix"] for pg in pages for p in pg.get("CommonPrefixes", [])] == ["dir/", "日本語/"], max_keys
        assert [e for pg in pages for e in _split(pg)[0]] == [e for e in top if not e[2]], max_keys
        assert [e for pg in pages for e in _split(pg)[1]] == [e for e in top if e[2]], max_keys
        for pg in pages:
            n = len(pg.get("Versions", [])) + len(pg.get("DeleteMarkers", [])) + len(pg.get("CommonPrefixes", []))
            assert n <= max_keys and (n == max_keys or not pg["IsTruncated"]), (max_keys, n)
        paginated = list(s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": max_keys}))
        assert [p["Prefix"] for pg in paginated for p in pg.get("CommonPrefixes", [])] == ["dir/", "日本語/"]
        assert [e for pg in paginated for e in _split(pg)[0]] == [e for e in top if not e[2]], max_keys
    r = s3.list_object_versions(Bucket=bucket, Prefix="dir/", Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir/y/"]
    _assert_listing(r, want.entries("dir/x"), "Prefix=dir/ Delimiter=/")


@old_boto3
def test_delete_objects_versions(s3, bucket):
    _set_versioning(s3, bucket)
    want = Versions()
    ids = {}
    for key in ("k1", "k2", "k3", "m"):
        for n in (1, 2):
            ids[key, n] = _vid(s3.put_object(Bucket=bucket, Key=key, Body=f"{key} {n}".encode()))
            want.add(key, ids[key, n])
    d = s3.delete_object(Bucket=bucket, Key="m")
    marker = _vid(d)
    want.add("m", marker, True)
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "k1", "VersionId": ids["k1", 1]},  # a noncurrent version
        {"Key": "k2", "VersionId": ids["k2", 2]},  # the current version: k2's first is current again
        {"Key": "m", "VersionId": marker},  # a delete marker: m's second is current again
        {"Key": "k3"},  # no VersionId: a new delete marker
    ]})
    assert not r.get("Errors"), r["Errors"]
    got = {d["Key"]: d for d in r["Deleted"]}
    assert sorted(got) == ["k1", "k2", "k3", "m"]
    assert got["k1"]["VersionId"] == ids["k1", 1] and not got["k1"].get("DeleteMarker"), got["k1"]
    assert got["k2"]["VersionId"] == ids["k2", 2] and not got["k2"].get("DeleteMarker"), got["k2"]
    assert got["m"].get("VersionId") == marker, got["m"]
    assert got["m"].get("DeleteMarker") is True and got["m"].get("DeleteMarkerVersionId") == marker, got["m"]
    assert "VersionId" not in got["k3"] and got["k3"].get("DeleteMarker") is True, got["k3"]
    k3_marker = got["k3"].get("DeleteMarkerVersionId")
    assert k3_marker and VERSION_ID.fullmatch(k3_marker), got["k3"]
    want.remove("k1", ids["k1", 1])
    want.remove("k2", ids["k2", 2])
    want.remove("m", marker)
    want.add("k3", k3_marker, True)
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries())
    for key, body in (("k1", b"k1 2"), ("k2", b"k2 1"), ("m", b"m 2")):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k3")
    assert code(e) == "NoSuchKey"
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["k1", "k2", "m"]
    # Versions deleted already: deleted again, no error (AWS's deletes are idempotent).
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "k1", "VersionId": ids["k1", 1]}, {"Key": "m", "VersionId": marker}]})
    assert not r.get("Errors") and sorted(d["Key"] for d in r["Deleted"]) == ["k1", "m"], r
    # Everything left, by version, quietly: the bucket is empty and can go.
    left = common.all_versions(s3, bucket)
    assert len(left) == len(want.entries()) == 7
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": left, "Quiet": True})
    assert not r.get("Deleted") and not r.get("Errors"), r
    r = s3.list_object_versions(Bucket=bucket)
    assert not r.get("Versions") and not r.get("DeleteMarkers")


def test_copy_object_version(s3, bucket):
    _set_versioning(s3, bucket)
    src = "src/a b+c.txt"
    b1, b2 = os.urandom(3000), os.urandom(4000)
    v1 = _vid(s3.put_object(Bucket=bucket, Key=src, Body=b1, Metadata={"n": "1"}, ContentType="text/x-one"))
    v2 = _vid(s3.put_object(Bucket=bucket, Key=src, Body=b2, Metadata={"n": "2"}))
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": src, "VersionId": v1})
    assert r["CopySourceVersionId"] == v1 and r["CopyObjectResult"]["ETag"] == _etag(b1)
    dst1 = _vid(r, "CopyObject")
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["VersionId"] == dst1 and got["Metadata"] == {"n": "1"} and got["ContentType"] == "text/x-one"
    common.assert_same_bytes(got["Body"].read(), b1)
    # Without a VersionId: the latest, and the answer names it.
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": src})
    assert r["CopySourceVersionId"] == v2 and _vid(r) not in (dst1, v2)
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="dst")["Body"].read(), b2)
    # Restore: an older version copied onto its own key becomes the newest.
    r = s3.copy_object(Bucket=bucket, Key=src, CopySource={"Bucket": bucket, "Key": src, "VersionId": v1})
    assert r["CopySourceVersionId"] == v1
    v3 = _vid(r, "restore")
    got = s3.get_object(Bucket=bucket, Key=src)
    assert got["VersionId"] == v3 and got["Metadata"] == {"n": "1"}
    common.assert_same_bytes(got["Body"].read(), b1)
    r = s3.list_object_versions(Bucket=bucket, Prefix=src)
    assert [(v["VersionId"], v["IsLatest"]) for v in r["Versions"]] == [(v3, True), (v2, False), (v1, False)]
    # boto3's managed copy with a VersionId (HeadObject of that version, then CopyObject).
    s3.copy({"Bucket": bucket, "Key": src, "VersionId": v2}, bucket, "managed")
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="managed")["Body"].read(), b2)
    # No such version; a delete marker latest; a delete marker named by its id.
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": src, "VersionId": UNKNOWN_VERSION})
    assert (status(e), code(e)) == (404, "NoSuchVersion")
    marker = _vid(s3.delete_object(Bucket=bucket, Key=src))
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": src})
    assert (status(e), code(e)) == (404, "NoSuchKey")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": src, "VersionId": marker})
    assert (status(e), code(e)) == (400, "InvalidRequest")
    # A version of a key whose latest is a marker can still be copied.
    r = s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": src, "VersionId": v2})
    assert r["CopySourceVersionId"] == v2
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="x")["Body"].read(), b2)


def test_upload_part_copy_version(s3, bucket):
    _set_versioning(s3, bucket)
    b1, b2 = os.urandom(6 * MiB), os.urandom(100)
    v1 = _vid(s3.put_object(Bucket=bucket, Key="big", Body=b1))
    _vid(s3.put_object(Bucket=bucket, Key="big", Body=b2))
    uid = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    source = {"Bucket": bucket, "Key": "big", "VersionId": v1}
    p1 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=1,
                             CopySource=source, CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    p2 = s3.upload_part_copy(Bucket=bucket, Key="assembled", UploadId=uid, PartNumber=2,
                             CopySource=source, CopySourceRange=f"bytes={5 * MiB}-{6 * MiB - 1}")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="assembled", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]})
    _vid(done, "CompleteMultipartUpload")
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="assembled")["Body"].read(), b1)
    # AWS names the source version in UploadPartCopy's answer (x-amz-copy-source-version-id).
    assert p1.get("CopySourceVersionId") == v1, {k: v for k, v in p1.items() if k != "ResponseMetadata"}


def test_versioned_bucket_not_empty(s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    _set_versioning(s3, bucket_name)
    v1 = _vid(s3.put_object(Bucket=bucket_name, Key="x", Body=b"1"))
    v2 = _vid(s3.put_object(Bucket=bucket_name, Key="x", Body=b"2"))
    s3.delete_object(Bucket=bucket_name, Key="x")
    assert s3.list_objects_v2(Bucket=bucket_name)["KeyCount"] == 0
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket_name)
    assert (status(e), code(e)) == (409, "BucketNotEmpty")
    # Only a delete marker left: still not empty.
    for vid in (v1, v2):
        s3.delete_object(Bucket=bucket_name, Key="x", VersionId=vid)
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket_name)
    assert (status(e), code(e)) == (409, "BucketNotEmpty")
    # A suspended bucket's null version counts too.
    _set_versioning(s3, bucket_name, "Suspended")
    s3.put_object(Bucket=bucket_name, Key="y", Body=b"y")
    assert common.delete_all_versions(s3, bucket_name) == 2
    s3.delete_bucket(Bucket=bucket_name)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket_name)
    assert code(e) == "404"


def test_object_tagging_versions(s3, bucket):
    _set_versioning(s3, bucket)
    v1 = _vid(s3.put_object(Bucket=bucket, Key="t", Body=b"1", Tagging="a=1"))
    v2 = _vid(s3.put_object(Bucket=bucket, Key="t", Body=b"2", Tagging="b=2"))
    r = s3.get_object_tagging(Bucket=bucket, Key="t", VersionId=v1)
    assert _tags(r) == [("a", "1")] and r.get("VersionId") == v1
    r = s3.get_object_tagging(Bucket=bucket, Key="t")
    assert _tags(r) == [("b", "2")] and r.get("VersionId") == v2
    assert s3.head_object(Bucket=bucket, Key="t", VersionId=v1)["TagCount"] == 1
    # The current version, named.
    r = s3.put_object_tagging(Bucket=bucket, Key="t", VersionId=v2, Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    assert r.get("VersionId") == v2
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="t")) == [("c", "3")]
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="t", VersionId=v1)) == [("a", "1")]
    # A noncurrent version: its tags change, the current version's stay.
    r = s3.put_object_tagging(Bucket=bucket, Key="t", VersionId=v1, Tagging={"TagSet": [{"Key": "d", "Value": "4"}]})
    assert r.get("VersionId") == v1
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="t", VersionId=v1)) == [("d", "4")]
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="t")) == [("c", "3")]
    assert s3.head_object(Bucket=bucket, Key="t")["TagCount"] == 1
    r = s3.delete_object_tagging(Bucket=bucket, Key="t", VersionId=v1)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204 and r.get("VersionId") == v1
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="t", VersionId=v1)) == []
    assert "TagCount" not in s3.head_object(Bucket=bucket, Key="t", VersionId=v1)
    assert _tags(s3.get_object_tagging(Bucket=bucket, Key="t")) == [("c", "3")]
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="t", VersionId=v1)["Body"].read(), b"1")
    with pytest.raises(ClientError) as e:
        s3.get_object_tagging(Bucket=bucket, Key="t", VersionId=UNKNOWN_VERSION)
    assert (status(e), code(e)) == (404, "NoSuchVersion")
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="t", VersionId=UNKNOWN_VERSION, Tagging={"TagSet": []})
    assert (status(e), code(e)) == (404, "NoSuchVersion")


def test_versioning_latest_after_deletes(s3, bucket):
    """Which version is current after versions and markers in the middle or on top go."""
    _set_versioning(s3, bucket)
    v1 = _vid(s3.put_object(Bucket=bucket, Key="t", Body=b"1"))
    m1 = _vid(s3.delete_object(Bucket=bucket, Key="t"))
    v2 = _vid(s3.put_object(Bucket=bucket, Key="t", Body=b"2"))
    # The newest version goes: the marker under it is current, the key is gone.
    s3.delete_object(Bucket=bucket, Key="t", VersionId=v2)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="t")
    assert code(e) == "NoSuchKey" and _hdrs(e).get("x-amz-version-id") == m1, _hdrs(e)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    want = Versions()
    want.add("t", v1)
    want.add("t", m1, True)
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries())
    # A noncurrent marker goes: the current version stays current.
    v3 = _vid(s3.put_object(Bucket=bucket, Key="t", Body=b"3"))
    r = s3.delete_object(Bucket=bucket, Key="t", VersionId=m1)
    assert (r.get("VersionId"), r.get("DeleteMarker")) == (m1, True)
    got = s3.get_object(Bucket=bucket, Key="t")
    assert got["VersionId"] == v3 and got["Body"].read() == b"3"
    want.remove("t", m1)
    want.add("t", v3)
    _assert_listing(s3.list_object_versions(Bucket=bucket), want.entries())
    # A conditional create (If-None-Match: *) over a delete marker succeeds: there is no object.
    _vid(s3.delete_object(Bucket=bucket, Key="t"))
    _vid(s3.put_object(Bucket=bucket, Key="t", Body=b"4", IfNoneMatch="*"))
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="t", Body=b"5", IfNoneMatch="*")
    assert (status(e), code(e)) == (412, "PreconditionFailed")
    # The null version (written while suspended) deleted by its id once enabled again.
    vx = _vid(s3.put_object(Bucket=bucket, Key="n", Body=b"x"))
    _set_versioning(s3, bucket, "Suspended")
    s3.put_object(Bucket=bucket, Key="n", Body=b"null")
    _set_versioning(s3, bucket, "Enabled")
    vn = _vid(s3.put_object(Bucket=bucket, Key="n", Body=b"after"))
    r = s3.delete_object(Bucket=bucket, Key="n", VersionId="null")
    assert r.get("VersionId") == "null" and not r.get("DeleteMarker"), r
    r = s3.list_object_versions(Bucket=bucket, Prefix="n")
    assert [(v["VersionId"], v["IsLatest"]) for v in r["Versions"]] == [(vn, True), (vx, False)]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="n", VersionId="null")
    assert (status(e), code(e)) == (404, "NoSuchVersion")


def test_versioning_concurrent_puts(s3, bucket):
    _set_versioning(s3, bucket)
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(
            lambda i: _vid(s3.put_object(Bucket=bucket, Key="c", Body=f"body {i}".encode())), range(40)))
    assert len(set(ids)) == 40
    r = s3.list_object_versions(Bucket=bucket)
    assert sorted(v["VersionId"] for v in r["Versions"]) == sorted(ids)
    assert [v["IsLatest"] for v in r["Versions"]] == [True] + [False] * 39
    latest = r["Versions"][0]["VersionId"]
    assert latest == max(ids)  # the gateway's ids are ordered like the commits
    got = s3.get_object(Bucket=bucket, Key="c")
    assert got["VersionId"] == latest and got["Body"].read() == f"body {ids.index(latest)}".encode()


def test_versioning_listings_skip_delete_markers(s3, bucket):
    """ListObjects and ListObjectsV2 show current objects only: no marker, no prefix made of
    markers alone, and pages full of live keys."""
    _set_versioning(s3, bucket)
    for i in range(10):
        s3.put_object(Bucket=bucket, Key=f"p/{i}", Body=b"x")
        s3.put_object(Bucket=bucket, Key=f"p/{i}", Body=b"xy")
        if i % 2:
            s3.delete_object(Bucket=bucket, Key=f"p/{i}")
    s3.put_object(Bucket=bucket, Key="gone/x", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="gone/x")
    live = [f"p/{i}" for i in range(0, 10, 2)]
    for paginator in ("list_objects_v2", "list_objects"):
        pages = list(s3.get_paginator(paginator).paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
        assert [o["Key"] for p in pages for o in p.get("Contents", [])] == live, paginator
        assert all(o["Size"] == 2 for p in pages for o in p.get("Contents", []))
        r = getattr(s3, paginator)(Bucket=bucket, Delimiter="/")
        assert [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["p/"], paginator
    assert s3.list_objects_v2(Bucket=bucket, Prefix="gone/")["KeyCount"] == 0


# ------------------------------------------------------------------ object lock

# Object lock cases follow AWS's semantics. Explicit locks on PutObject carry ContentMD5 (AWS
# wants Content-MD5 or a checksum there; boto3 1.35 sends neither by itself). COMPLIANCE
# retentions are seconds long: nothing removes them early, and the cleanup waits them out.


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _md5_b64(body):
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def _lock_bucket(s3, name, mode=None, days=None):
    """A bucket made with ObjectLockEnabledForBucket (versioning Enabled, lock on), with a
    default retention when `mode` is given."""
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    if mode:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}}})
    return name


def _put_locked(s3, bucket, key, body, **lock):
    """PutObject with explicit lock parameters (and the Content-MD5 they need): the version id."""
    return _vid(s3.put_object(Bucket=bucket, Key=key, Body=body, ContentMD5=_md5_b64(body), **lock))


def _near(got, want, slack=5):
    """Two datetimes within `slack` seconds (dates on the wire have second or ms precision)."""
    return abs((got - want).total_seconds()) <= slack


def _locked(call):
    """`call` is refused as AWS refuses writes to a locked version: 403 AccessDenied."""
    with pytest.raises(ClientError) as e:
        call()
    assert (status(e), code(e)) == (403, "AccessDenied"), e.value.response["Error"]


def _delete_when_unlocked(s3, bucket, key, vid, what):
    """Polls DeleteObject of a version under a short COMPLIANCE retention until it is allowed."""

    def attempt():
        try:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=vid)
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied", e.response["Error"]
            return False

    common.wait_for(attempt, what)


@old_boto3
def test_object_lock_backup_repository(s3, bucket_name):
    """A restic/kopia-style repository: a lock bucket with a default GOVERNANCE retention, packs
    and a snapshot uploaded as plain PUTs; a prune (delete of a version) is refused, an admin may
    bypass GOVERNANCE; a short COMPLIANCE retention is waited out."""
    _lock_bucket(s3, bucket_name, "GOVERNANCE", 1)
    assert s3.get_bucket_versioning(Bucket=bucket_name)["Status"] == "Enabled"
    conf = s3.get_object_lock_configuration(Bucket=bucket_name)["ObjectLockConfiguration"]
    assert conf == {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    t0 = _now()
    pack, snap = os.urandom(70_000), b'{"tree": "abc", "paths": ["/home"]}'
    pack_vid = _vid(s3.put_object(Bucket=bucket_name, Key="data/3f/3f9a", Body=pack))
    snap_key = "snapshots/" + hashlib.sha256(snap).hexdigest()
    snap_vid = _vid(s3.put_object(Bucket=bucket_name, Key=snap_key, Body=snap))
    # Every new version gets the default retention.
    for key, vid in ((snap_key, snap_vid), ("data/3f/3f9a", pack_vid)):
        h = s3.head_object(Bucket=bucket_name, Key=key)
        assert (h["VersionId"], h["ObjectLockMode"]) == (vid, "GOVERNANCE")
        assert _near(h["ObjectLockRetainUntilDate"], t0 + datetime.timedelta(days=1), 60), h["ObjectLockRetainUntilDate"]
        assert "ObjectLockLegalHoldStatus" not in h
        r = s3.get_object_retention(Bucket=bucket_name, Key=key, VersionId=vid)["Retention"]
        assert r["Mode"] == "GOVERNANCE" and _near(r["RetainUntilDate"], h["ObjectLockRetainUntilDate"], 1)
    got = s3.get_object(Bucket=bucket_name, Key=snap_key)
    assert got["Body"].read() == snap and got["ObjectLockMode"] == "GOVERNANCE"
    # A prune: the version cannot go, by DeleteObject or DeleteObjects.
    _locked(lambda: s3.delete_object(Bucket=bucket_name, Key=snap_key, VersionId=snap_vid))
    r = s3.delete_objects(Bucket=bucket_name, Delete={"Objects": [
        {"Key": snap_key, "VersionId": snap_vid}, {"Key": "data/3f/3f9a", "VersionId": pack_vid}]})
    assert sorted((e["Key"], e["VersionId"], e["Code"]) for e in r["Errors"]) == sorted(
        [(snap_key, snap_vid, "AccessDenied"), ("data/3f/3f9a", pack_vid, "AccessDenied")])
    assert not r.get("Deleted")
    # A delete without a version only adds a marker: the locked version stays readable.
    d = s3.delete_object(Bucket=bucket_name, Key=snap_key)
    assert d["DeleteMarker"] is True
    assert s3.get_object(Bucket=bucket_name, Key=snap_key, VersionId=snap_vid)["Body"].read() == snap
    s3.delete_object(Bucket=bucket_name, Key=snap_key, VersionId=_vid(d))  # markers are not locked
    # GOVERNANCE yields to BypassGovernanceRetention.
    s3.delete_object(Bucket=bucket_name, Key=snap_key, VersionId=snap_vid, BypassGovernanceRetention=True)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket_name, Key=snap_key, VersionId=snap_vid)
    assert status(e) == 404
    r = s3.delete_objects(Bucket=bucket_name, BypassGovernanceRetention=True,
                          Delete={"Objects": [{"Key": "data/3f/3f9a", "VersionId": pack_vid}]})
    assert not r.get("Errors") and [d["VersionId"] for d in r["Deleted"]] == [pack_vid]
    # An explicit COMPLIANCE retention of a few seconds overrides the default; no bypass helps.
    until = _now() + datetime.timedelta(seconds=6)  # room for the calls below, under load too
    vid = _put_locked(s3, bucket_name, "index/01", b"index", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
    h = s3.head_object(Bucket=bucket_name, Key="index/01")
    assert h["ObjectLockMode"] == "COMPLIANCE" and _near(h["ObjectLockRetainUntilDate"], until, 1)
    _locked(lambda: s3.delete_object(Bucket=bucket_name, Key="index/01", VersionId=vid, BypassGovernanceRetention=True))
    _delete_when_unlocked(s3, bucket_name, "index/01", vid, "the COMPLIANCE retention of index/01 to end")
    assert common.all_versions(s3, bucket_name) == []


@old_boto3
def test_object_lock_configuration_errors(s3, bucket):
    # A bucket without lock.
    with pytest.raises(ClientError) as e:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert (status(e), code(e)) == (404, "ObjectLockConfigurationNotFoundError")
    with pytest.raises(ClientError) as e:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert (status(e), code(e)) == (409, "InvalidBucketState")
    until = _now() + datetime.timedelta(days=1)
    for lock in ({"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": until},
                 {"ObjectLockLegalHoldStatus": "ON"}):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="k", Body=b"k", ContentMD5=_md5_b64(b"k"), **lock)
        assert (status(e), code(e)) == (400, "InvalidRequest"), lock
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    with pytest.raises(ClientError) as e:
        s3.get_object_retention(Bucket=bucket, Key="k")
    assert (status(e), code(e)) == (400, "InvalidRequest")
    # A versioned bucket may turn lock on (without a default retention at first).
    _set_versioning(s3, bucket)
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as e:
        s3.get_object_retention(Bucket=bucket, Key="k")
    assert (status(e), code(e)) == (404, "NoSuchObjectLockConfiguration")
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}})
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]["Rule"] == {
        "DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}
    # Bad default retentions: Days and Years, a bad mode, 0 days.
    for retention, want in (
        ({"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, "MalformedXML"),
        ({"Mode": "BOGUS", "Days": 1}, "MalformedXML"),
        ({"Mode": "GOVERNANCE", "Days": 0}, "InvalidArgument"),
    ):
        with pytest.raises(ClientError) as e:
            s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}})
        assert (status(e), code(e)) == (400, want), retention
    # Back to no default retention (nothing written under the one-year COMPLIANCE default).
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert "Rule" not in s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    # Versioning cannot be suspended any more.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert (status(e), code(e)) == (409, "InvalidBucketState")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    # A retain-until date in the past.
    with pytest.raises(ClientError) as e:
        _put_locked(s3, bucket, "past", b"p", ObjectLockMode="GOVERNANCE",
                    ObjectLockRetainUntilDate=_now() - datetime.timedelta(days=1))
    assert (status(e), code(e)) == (400, "InvalidArgument")
    with pytest.raises(ClientError) as e:
        s3.put_object_retention(Bucket=bucket, Key="k", Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": _now() - datetime.timedelta(hours=1)})
    assert (status(e), code(e)) == (400, "InvalidArgument")


def test_object_lock_needs_checksum(s3, bucket_name):
    """An explicit lock on PutObject wants Content-MD5 or a checksum: current boto3 sends a
    CRC32 by itself; a client told to send checksums only when required sends none."""
    _lock_bucket(s3, bucket_name)
    until = _now() + datetime.timedelta(days=1)
    vid = _vid(s3.put_object(Bucket=bucket_name, Key="k", Body=b"k", ObjectLockMode="GOVERNANCE",
                             ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON"))
    h = s3.head_object(Bucket=bucket_name, Key="k")
    assert (h["VersionId"], h["ObjectLockMode"], h["ObjectLockLegalHoldStatus"]) == (vid, "GOVERNANCE", "ON")
    bare = common.boto3_client(request_checksum_calculation="when_required")
    with pytest.raises(ClientError) as e:
        bare.put_object(Bucket=bucket_name, Key="k2", Body=b"k", ObjectLockLegalHoldStatus="ON")
    assert (status(e), code(e)) == (400, "InvalidRequest")


def test_object_lock_retention_round_trip(s3, bucket_name):
    _lock_bucket(s3, bucket_name)
    key = "r/a b+ü"
    v1 = _put_locked(s3, bucket_name, key, b"one", ObjectLockMode="GOVERNANCE",
                     ObjectLockRetainUntilDate=_now() + datetime.timedelta(days=1))
    v2 = _vid(s3.put_object(Bucket=bucket_name, Key=key, Body=b"two"))

    def retention(vid=None):
        kw = {"VersionId": vid} if vid else {}
        return s3.get_object_retention(Bucket=bucket_name, Key=key, **kw)["Retention"]

    assert retention(v1)["Mode"] == "GOVERNANCE"
    with pytest.raises(ClientError) as e:
        retention()  # the latest, v2, has none
    assert (status(e), code(e)) == (404, "NoSuchObjectLockConfiguration")
    # GOVERNANCE: extending is free; shortening or removing needs the bypass.
    later = _now() + datetime.timedelta(days=2)
    s3.put_object_retention(Bucket=bucket_name, Key=key, VersionId=v1,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later})
    assert _near(retention(v1)["RetainUntilDate"], later, 1)
    sooner = {"Mode": "GOVERNANCE", "RetainUntilDate": _now() + datetime.timedelta(hours=1)}
    _locked(lambda: s3.put_object_retention(Bucket=bucket_name, Key=key, VersionId=v1, Retention=sooner))
    _locked(lambda: s3.put_object_retention(Bucket=bucket_name, Key=key, VersionId=v1, Retention={}))
    s3.put_object_retention(Bucket=bucket_name, Key=key, VersionId=v1, Retention=sooner, BypassGovernanceRetention=True)
    assert _near(retention(v1)["RetainUntilDate"], sooner["RetainUntilDate"], 1)
    s3.put_object_retention(Bucket=bucket_name, Key=key, VersionId=v1, Retention={}, BypassGovernanceRetention=True)
    with pytest.raises(ClientError) as e:
        retention(v1)
    assert (status(e), code(e)) == (404, "NoSuchObjectLockConfiguration")
    assert "ObjectLockMode" not in s3.head_object(Bucket=bucket_name, Key=key, VersionId=v1)
    s3.delete_object(Bucket=bucket_name, Key=key, VersionId=v1)  # unlocked: goes
    # COMPLIANCE on the latest (no VersionId): only extended, never shortened or weakened.
    until = _now() + datetime.timedelta(seconds=6)  # room for the calls below, under load too
    s3.put_object_retention(Bucket=bucket_name, Key=key, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    r = retention(v2)
    assert r["Mode"] == "COMPLIANCE" and _near(r["RetainUntilDate"], until, 1)
    for bad in ({"Mode": "COMPLIANCE", "RetainUntilDate": until - datetime.timedelta(seconds=2)},
                {"Mode": "GOVERNANCE", "RetainUntilDate": until + datetime.timedelta(seconds=2)},
                {}):
        _locked(lambda: s3.put_object_retention(Bucket=bucket_name, Key=key, VersionId=v2, Retention=bad,
                                                BypassGovernanceRetention=True))
    until = until + datetime.timedelta(seconds=1)
    s3.put_object_retention(Bucket=bucket_name, Key=key, VersionId=v2, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
    h = s3.head_object(Bucket=bucket_name, Key=key)
    assert h["ObjectLockMode"] == "COMPLIANCE" and _near(h["ObjectLockRetainUntilDate"], until, 1)
    _locked(lambda: s3.delete_object(Bucket=bucket_name, Key=key, VersionId=v2, BypassGovernanceRetention=True))
    _delete_when_unlocked(s3, bucket_name, key, v2, "the COMPLIANCE retention of v2 to end")
    with pytest.raises(ClientError) as e:
        s3.get_object_retention(Bucket=bucket_name, Key="nope")
    assert (status(e), code(e)) == (404, "NoSuchKey")


def test_object_lock_legal_hold(s3, bucket_name):
    _lock_bucket(s3, bucket_name)
    v1 = _vid(s3.put_object(Bucket=bucket_name, Key="k", Body=b"one"))
    assert s3.get_object_legal_hold(Bucket=bucket_name, Key="k")["LegalHold"] == {"Status": "OFF"}
    s3.put_object_legal_hold(Bucket=bucket_name, Key="k", LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=bucket_name, Key="k", VersionId=v1)["LegalHold"] == {"Status": "ON"}
    h = s3.head_object(Bucket=bucket_name, Key="k")
    assert h["ObjectLockLegalHoldStatus"] == "ON" and "ObjectLockMode" not in h
    assert s3.get_object(Bucket=bucket_name, Key="k")["ObjectLockLegalHoldStatus"] == "ON"
    # A newer version: the hold stays on v1 (by VersionId), the new one has none.
    v2 = _vid(s3.put_object(Bucket=bucket_name, Key="k", Body=b"two"))
    assert "ObjectLockLegalHoldStatus" not in s3.head_object(Bucket=bucket_name, Key="k")
    assert s3.head_object(Bucket=bucket_name, Key="k", VersionId=v1)["ObjectLockLegalHoldStatus"] == "ON"
    # A legal hold cannot be bypassed.
    _locked(lambda: s3.delete_object(Bucket=bucket_name, Key="k", VersionId=v1, BypassGovernanceRetention=True))
    r = s3.delete_objects(Bucket=bucket_name, BypassGovernanceRetention=True, Delete={"Objects": [
        {"Key": "k", "VersionId": v1}, {"Key": "k", "VersionId": v2}]})
    assert [(e["VersionId"], e["Code"]) for e in r["Errors"]] == [(v1, "AccessDenied")]
    assert [d["VersionId"] for d in r["Deleted"]] == [v2]
    s3.put_object_legal_hold(Bucket=bucket_name, Key="k", VersionId=v1, LegalHold={"Status": "OFF"})
    assert "ObjectLockLegalHoldStatus" not in s3.head_object(Bucket=bucket_name, Key="k", VersionId=v1)
    s3.delete_object(Bucket=bucket_name, Key="k", VersionId=v1)
    # Locks given on a write: CopyObject and CreateMultipartUpload take them too.
    until = _now() + datetime.timedelta(days=1)
    src = _put_locked(s3, bucket_name, "src", b"source", ObjectLockLegalHoldStatus="ON")
    c = s3.copy_object(Bucket=bucket_name, Key="copy", CopySource={"Bucket": bucket_name, "Key": "src"},
                       ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")
    assert c["CopySourceVersionId"] == src
    h = s3.head_object(Bucket=bucket_name, Key="copy")
    assert (h["VersionId"], h["ObjectLockMode"], h["ObjectLockLegalHoldStatus"]) == (_vid(c), "GOVERNANCE", "ON")
    assert _near(h["ObjectLockRetainUntilDate"], until, 1)
    up = s3.create_multipart_upload(Bucket=bucket_name, Key="mp", ObjectLockMode="GOVERNANCE",
                                    ObjectLockRetainUntilDate=until, ObjectLockLegalHoldStatus="ON")
    part = s3.upload_part(Bucket=bucket_name, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"part")
    done = s3.complete_multipart_upload(Bucket=bucket_name, Key="mp", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    got = s3.get_object(Bucket=bucket_name, Key="mp")
    assert got["Body"].read() == b"part" and got["VersionId"] == _vid(done)
    assert (got["ObjectLockMode"], got["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", "ON")
    _locked(lambda: s3.delete_object(Bucket=bucket_name, Key="mp", VersionId=got["VersionId"], BypassGovernanceRetention=True))
    with pytest.raises(ClientError) as e:
        s3.put_object_legal_hold(Bucket=bucket_name, Key="mp", LegalHold={"Status": "MAYBE"})
    assert (status(e), code(e)) == (400, "MalformedXML")


# ------------------------------------------------------------------ lifecycle

# The run's gateway has lifecycle_interval_secs = 1 and lifecycle_day_secs = 2: a rule's "day"
# is 2 s and the worker passes every second. Cases wait on conditions (common.wait_for: every
# 0.2 s, 60 s at most), and prove that something stays by a sentinel that a rule expires: once
# it is gone, a whole pass ran after the state was checked.

EXPIRATION = re.compile(r'expiry-date="([^"]+)", rule-id="([^"]+)"')
SENTINEL_RULE = {"ID": "sentinel", "Status": "Enabled", "Filter": {"Prefix": "sentinel/"}, "Expiration": {"Days": 1}}


def _lifecycle(s3, bucket, *rules):
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)})


def _expiration(resp):
    """(expiry date, rule id) of an answer's x-amz-expiration (boto3's Expiration), or None."""
    if "Expiration" not in resp:
        return None
    m = EXPIRATION.fullmatch(resp["Expiration"])
    assert m, resp["Expiration"]
    return datetime.datetime.strptime(m[1], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=datetime.timezone.utc), m[2]


def _keys(s3, bucket, prefix=""):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def _lifecycle_passes(s3, bucket, rounds=1):
    """Waits for `rounds` whole worker passes over `bucket` (whose rules hold SENTINEL_RULE): a
    sentinel is put and waited for until a pass expires it, `rounds` times, one after another."""
    for n in range(rounds):
        key = f"sentinel/{n}-{uuid.uuid4().hex[:8]}"
        s3.put_object(Bucket=bucket, Key=key, Body=b"s")
        common.wait_for(lambda: not _keys(s3, bucket, key), f"the lifecycle worker to expire {key}")


def _next_midnight():
    today = _now().replace(hour=0, minute=0, second=0, microsecond=0)
    return today + datetime.timedelta(days=1)


@old_boto3
def test_lifecycle_configuration_validation(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert (status(e), code(e)) == (404, "NoSuchLifecycleConfiguration")
    midnight = _next_midnight() + datetime.timedelta(days=30)
    rules = [
        {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
        {"ID": "dated", "Status": "Disabled", "Filter": {"Tag": {"Key": "t", "Value": "v"}}, "Expiration": {"Date": midnight}},
        {"ID": "and", "Status": "Enabled", "Filter": {"And": {
            "Prefix": "p/", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
            "ObjectSizeGreaterThan": 10, "ObjectSizeLessThan": 1000}},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 3}},
        {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
         "Expiration": {"ExpiredObjectDeleteMarker": True}},
    ]
    _lifecycle(s3, bucket, *rules)
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert got == rules
    # AWS's validation: values are InvalidArgument, structure MalformedXML, transitions (one
    # storage class here) NotImplemented.
    one = {"Status": "Enabled", "Filter": {"Prefix": "x/"}, "Expiration": {"Days": 1}}
    for bad, want in (
        ([dict(one, ID="same"), dict(one, ID="same")], (400, "InvalidArgument")),
        ([dict(one, Expiration={"Days": 0})], (400, "InvalidArgument")),
        ([dict(one, Expiration={"Date": midnight + datetime.timedelta(hours=12)})], (400, "InvalidArgument")),
        ([dict(one, Status="On")], (400, "MalformedXML")),
        ([dict(one, Filter={"Prefix": "x/", "Tag": {"Key": "t", "Value": "v"}})], (400, "MalformedXML")),
        ([dict(one, Transitions=[{"Days": 30, "StorageClass": "GLACIER"}])], (501, "NotImplemented")),
        ([dict(one, NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": "GLACIER"}])],
         (501, "NotImplemented")),
    ):
        with pytest.raises(ClientError) as e:
            _lifecycle(s3, bucket, *bad)
        assert (status(e), code(e)) == want, bad
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == rules  # unchanged
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert (status(e), code(e)) == (404, "NoSuchLifecycleConfiguration")


@old_boto3
def test_lifecycle_expires_prefix(s3, bucket):
    """Expiration Days 1 on logs/ (2 s here): logs/ goes, the rest stays; x-amz-expiration on
    PUT/HEAD/GET names the rule and the date."""
    later = _next_midnight()
    _lifecycle(s3, bucket,
               {"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 1}},
               {"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "archive/"}, "Expiration": {"Date": later}},
               SENTINEL_RULE)
    bodies = {k: common.body_for(k) for k in ("keep/a", "logs", "logsX/a", "archive/old", "Logs/a")}
    for key, body in bodies.items():
        assert _expiration(s3.put_object(Bucket=bucket, Key=key, Body=body)) in (None, (later, "archive")), key
    for key in ("logs/a", "logs/b/c d", "logs/日本語"):
        put = s3.put_object(Bucket=bucket, Key=key, Body=b"log line")
        date, rule = _expiration(put)
        assert rule == "expire-logs" and _near(date, _now() + datetime.timedelta(seconds=2), 5), put["Expiration"]
    # A Date rule (the next midnight, UTC): announced on HEAD and GET, nothing removed yet.
    assert _expiration(s3.head_object(Bucket=bucket, Key="archive/old")) == (later, "archive")
    assert _expiration(s3.get_object(Bucket=bucket, Key="archive/old")) == (later, "archive")
    assert _expiration(s3.head_object(Bucket=bucket, Key="keep/a")) is None
    common.wait_for(lambda: not _keys(s3, bucket, "logs/"), lambda: f"logs/ to expire: {_keys(s3, bucket)}")
    _lifecycle_passes(s3, bucket)
    assert _keys(s3, bucket) == sorted(bodies, key=str.encode)
    for key, body in bodies.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    # Without rules nothing is announced.
    s3.delete_bucket_lifecycle(Bucket=bucket)
    assert _expiration(s3.head_object(Bucket=bucket, Key="archive/old")) is None


def test_lifecycle_expired_date_and_filters(s3, bucket):
    """A Date in the past expires at once; Tag, And (prefix, tags, sizes) and size filters pick
    exactly their objects."""
    today = _next_midnight() - datetime.timedelta(days=1)
    _lifecycle(s3, bucket,
               {"ID": "past", "Status": "Enabled", "Filter": {"Prefix": "past/"}, "Expiration": {"Date": today}},
               {"ID": "tagged", "Status": "Enabled", "Expiration": {"Days": 1}, "Filter": {"And": {
                   "Prefix": "t/", "Tags": [{"Key": "expire", "Value": "yes"}], "ObjectSizeGreaterThan": 10}}},
               {"ID": "tag-only", "Status": "Enabled", "Expiration": {"Days": 1},
                "Filter": {"Tag": {"Key": "tmp", "Value": "1"}}},
               {"ID": "small", "Status": "Enabled", "Expiration": {"Days": 1},
                "Filter": {"And": {"Prefix": "s/", "ObjectSizeLessThan": 5}}},
               {"ID": "off", "Status": "Disabled", "Expiration": {"Days": 1}, "Filter": {"Prefix": "off/"}},
               SENTINEL_RULE)
    gone = {"past/a": (b"x" * 20, ""), "t/match": (b"x" * 100, "expire=yes"), "s/small": (b"abc", ""),
            "u/tmp": (b"x" * 20, "tmp=1&other=2")}
    stay = {"t/tiny": (b"x" * 10, "expire=yes"), "t/untagged": (b"x" * 100, ""), "t/other": (b"x" * 100, "expire=no"),
            "x/tagged": (b"x" * 100, "expire=yes"), "s/big": (b"x" * 5, ""), "off/a": (b"x" * 20, ""),
            "u/tmp0": (b"x" * 20, "tmp=0")}
    for key, (body, tags) in {**gone, **stay}.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body, Tagging=tags)
    for key in stay:
        assert _expiration(s3.head_object(Bucket=bucket, Key=key)) is None, key
    common.wait_for(lambda: not set(gone) & set(_keys(s3, bucket)), lambda: f"{sorted(gone)} to expire: {_keys(s3, bucket)}")
    _lifecycle_passes(s3, bucket)
    assert _keys(s3, bucket) == sorted(stay, key=str.encode)


def test_lifecycle_noncurrent_versions(s3, bucket):
    """NoncurrentVersionExpiration keeps NewerNoncurrentVersions; ExpiredObjectDeleteMarker
    removes a marker left alone; keys outside the filter keep every version."""
    _set_versioning(s3, bucket)
    _lifecycle(s3, bucket,
               {"ID": "docs", "Status": "Enabled", "Filter": {"Prefix": "docs/"},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 2}},
               {"ID": "gone", "Status": "Enabled", "Filter": {"Prefix": "gone/"},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 1}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
               SENTINEL_RULE)
    docs = [_vid(s3.put_object(Bucket=bucket, Key="docs/a", Body=f"v{n}".encode())) for n in range(5)]
    other = [_vid(s3.put_object(Bucket=bucket, Key="other/b", Body=f"v{n}".encode())) for n in range(3)]
    _vid(s3.put_object(Bucket=bucket, Key="gone/x", Body=b"x"))
    marker = _vid(s3.delete_object(Bucket=bucket, Key="gone/x"))

    def versions(prefix):
        return [v["VersionId"] for v in common.all_versions(s3, bucket, Prefix=prefix)]

    common.wait_for(lambda: versions("docs/") == docs[:1:-1], lambda: f"docs/a to keep 3 versions: {versions('docs/')}")
    common.wait_for(lambda: versions("gone/") == [], lambda: f"gone/x and its marker {marker} to go: {versions('gone/')}")
    _lifecycle_passes(s3, bucket, rounds=2)
    assert versions("docs/") == docs[:1:-1]
    assert versions("other/") == other[::-1]
    got = s3.get_object(Bucket=bucket, Key="docs/a")
    assert (got["VersionId"], got["Body"].read()) == (docs[-1], b"v4")


def test_lifecycle_abort_incomplete_uploads(s3, bucket):
    _lifecycle(s3, bucket,
               {"ID": "abort-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
               SENTINEL_RULE)
    old = s3.create_multipart_upload(Bucket=bucket, Key="tmp/big")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="tmp/big", UploadId=old, PartNumber=1, Body=b"part")
    keep = s3.create_multipart_upload(Bucket=bucket, Key="keep/big")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="keep/big", UploadId=keep, PartNumber=1, Body=b"part")["ETag"]

    def uploads():
        return [(u["Key"], u["UploadId"]) for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]

    common.wait_for(lambda: ("tmp/big", old) not in uploads(), lambda: f"tmp/big's upload to be aborted: {uploads()}")
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="tmp/big", UploadId=old)
    assert (status(e), code(e)) == (404, "NoSuchUpload")
    _lifecycle_passes(s3, bucket)
    assert uploads() == [("keep/big", keep)]
    s3.complete_multipart_upload(Bucket=bucket, Key="keep/big", UploadId=keep,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}]})
    assert s3.get_object(Bucket=bucket, Key="keep/big")["Body"].read() == b"part"


def test_lifecycle_skips_locked_versions(s3, bucket_name):
    """Lifecycle never removes a locked version: a legal hold or a retention keeps a
    noncurrent version that NoncurrentVersionExpiration would remove."""
    _lock_bucket(s3, bucket_name)
    _lifecycle(s3, bucket_name,
               {"ID": "all", "Status": "Enabled", "Filter": {"Prefix": "locked/"}, "Expiration": {"Days": 1},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
               SENTINEL_RULE)
    held = _put_locked(s3, bucket_name, "locked/a", b"held", ObjectLockLegalHoldStatus="ON")
    plain = _vid(s3.put_object(Bucket=bucket_name, Key="locked/a", Body=b"plain"))
    retained = _put_locked(s3, bucket_name, "locked/b", b"retained", ObjectLockMode="GOVERNANCE",
                           ObjectLockRetainUntilDate=_now() + datetime.timedelta(days=1))

    def listing():
        r = s3.list_object_versions(Bucket=bucket_name, Prefix="locked/")
        return ([(v["Key"], v["VersionId"]) for v in r.get("Versions", [])],
                sorted((m["Key"], m["IsLatest"]) for m in r.get("DeleteMarkers", [])))

    want = ([("locked/a", held), ("locked/b", retained)], [("locked/a", True), ("locked/b", True)])
    common.wait_for(lambda: listing() == want, lambda: f"{plain} to go and markers on top: {listing()}")
    _lifecycle_passes(s3, bucket_name, rounds=2)
    assert listing() == want
    assert s3.get_object(Bucket=bucket_name, Key="locked/a", VersionId=held)["Body"].read() == b"held"


# ------------------------------------------------------------------ GetObjectAttributes

ATTRIBUTES = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def test_get_object_attributes(s3, bucket):
    _set_versioning(s3, bucket)
    body = b"hello attributes"
    put = s3.put_object(Bucket=bucket, Key="a b+ü", Body=body, ChecksumAlgorithm="SHA256")
    v1 = _vid(put)
    a = s3.get_object_attributes(Bucket=bucket, Key="a b+ü", ObjectAttributes=ATTRIBUTES)
    # The ETag without quotes; no ObjectParts for an object not uploaded in parts.
    assert a["ETag"] == hashlib.md5(body).hexdigest() and put["ETag"] == f'"{a["ETag"]}"'
    assert (a["ObjectSize"], a["StorageClass"], a["VersionId"]) == (len(body), "STANDARD", v1)
    assert a["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert "ObjectParts" not in a
    assert a["LastModified"] == s3.head_object(Bucket=bucket, Key="a b+ü")["LastModified"]
    only = s3.get_object_attributes(Bucket=bucket, Key="a b+ü", ObjectAttributes=["ObjectSize"])
    assert only["ObjectSize"] == len(body) and not {"ETag", "Checksum", "StorageClass"} & set(only)
    # By VersionId, after a newer version.
    v2 = _vid(s3.put_object(Bucket=bucket, Key="a b+ü", Body=b"newer"))
    assert s3.get_object_attributes(Bucket=bucket, Key="a b+ü", ObjectAttributes=["ObjectSize"])["VersionId"] == v2
    old = s3.get_object_attributes(Bucket=bucket, Key="a b+ü", VersionId=v1, ObjectAttributes=["ObjectSize", "ETag"])
    assert (old["VersionId"], old["ObjectSize"], old["ETag"]) == (v1, len(body), a["ETag"])
    # A multipart object with CRC32 parts: ObjectParts paged with MaxParts and PartNumberMarker.
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")["UploadId"]
    parts, sizes = [], [5 * MiB, 5 * MiB, 5 * MiB, 123]
    for n, size in enumerate(sizes, 1):
        p = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=n, Body=os.urandom(size), ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": n, "ETag": p["ETag"], "ChecksumCRC32": p["ChecksumCRC32"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={"Parts": parts})
    a = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ATTRIBUTES)
    assert f'"{a["ETag"]}"' == done["ETag"] and a["ETag"].endswith("-4")
    assert a["ObjectSize"] == sum(sizes) and a["VersionId"] == _vid(done)
    assert a["Checksum"]["ChecksumCRC32"] == done["ChecksumCRC32"]
    op = a["ObjectParts"]
    assert op["TotalPartsCount"] == 4 and not op["IsTruncated"]
    want = [(p["PartNumber"], s, p["ChecksumCRC32"]) for p, s in zip(parts, sizes)]
    assert [(p["PartNumber"], p["Size"], p["ChecksumCRC32"]) for p in op["Parts"]] == want
    got, marker, pages = [], 0, 0
    while True:
        op = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=3,
                                      PartNumberMarker=marker)["ObjectParts"]
        pages += 1
        assert op["MaxParts"] == 3 and op["PartNumberMarker"] == marker and op["TotalPartsCount"] == 4
        got += [(p["PartNumber"], p["Size"], p["ChecksumCRC32"]) for p in op["Parts"]]
        if not op["IsTruncated"]:
            break
        marker = op["NextPartNumberMarker"]
        assert marker == got[-1][0] and pages < 10
    assert got == want and pages == 2
    # Errors: no such key, a bad attribute name, a delete marker.
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="nope", ObjectAttributes=["ETag"])
    assert (status(e), code(e)) == (404, "NoSuchKey")
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["Bogus"])
    assert (status(e), code(e)) == (400, "InvalidArgument")
    marker_vid = _vid(s3.delete_object(Bucket=bucket, Key="mp"))
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ETag"])
    assert (status(e), code(e)) == (404, "NoSuchKey")
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="mp", VersionId=marker_vid, ObjectAttributes=["ETag"])
    assert (status(e), code(e)) == (405, "MethodNotAllowed")


# ------------------------------------------------------------------ server-side encryption

# SSE-S3 (x-amz-server-side-encryption: AES256; the run's gateway has a random
# sse_master_key_file), bucket default encryption and SSE-C (the customer's key on every request
# that reads or writes the object; boto3 base64-encodes the raw 32-byte key and adds its MD5
# itself). SSE-KMS is not implemented: 501. The cases follow AWS's semantics, except that a bucket
# without a configuration answers GetBucketEncryption with 404 (AWS's answer before it encrypted
# every bucket by default in 2023).

SSE_S3 = {"ServerSideEncryption": "AES256"}
SSE_CHUNK = 64 * 1024  # the gateway encrypts in 64 KiB chunks: ranges must cross them


def _sse_c(key, prefix=""):
    """boto3's SSE-C parameters for a raw 32-byte key (prefix "CopySource" for a copy source)."""
    return {f"{prefix}SSECustomerAlgorithm": "AES256", f"{prefix}SSECustomerKey": key}


def _key_md5(key):
    return base64.b64encode(hashlib.md5(key).digest()).decode()


def _multipart_etag(data, part_size):
    parts = [data[i : i + part_size] for i in range(0, len(data), part_size)]
    return '"' + hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + f'-{len(parts)}"'


def _sse_of(resp):
    """(ServerSideEncryption, SSECustomerAlgorithm, SSECustomerKeyMD5) of an answer."""
    return resp.get("ServerSideEncryption"), resp.get("SSECustomerAlgorithm"), resp.get("SSECustomerKeyMD5")


def _record_sse(s3):
    """Collects (operation, x-amz-server-side-encryption, SSE-C algorithm) of the multipart
    answers of `s3` (the transfer manager hides its calls' answers; the client is shared with
    the bucket fixture's background calls); unregistered by the returned function."""
    seen = []

    def record(http_response, parsed, model, **kwargs):
        if model.name in ("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
            seen.append((model.name, parsed.get("ServerSideEncryption"), parsed.get("SSECustomerAlgorithm")))

    s3.meta.events.register("after-call.s3", record)
    return seen, lambda: s3.meta.events.unregister("after-call.s3", record)


@old_boto3
def test_sse_s3_put_get_head(s3, bucket):
    body = os.urandom(200_000)
    put = s3.put_object(Bucket=bucket, Key="s3/a b.bin", Body=body, **SSE_S3)
    # SSE-S3: the ETag is still the plaintext's MD5.
    assert put["ServerSideEncryption"] == "AES256" and put["ETag"] == _etag(body)
    got = s3.get_object(Bucket=bucket, Key="s3/a b.bin")
    assert _sse_of(got) == ("AES256", None, None) and got["ETag"] == put["ETag"]
    common.assert_same_bytes(got["Body"].read(), body)
    head = s3.head_object(Bucket=bucket, Key="s3/a b.bin")
    assert _sse_of(head) == ("AES256", None, None)
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    r = s3.get_object(Bucket=bucket, Key="s3/a b.bin", Range=f"bytes={SSE_CHUNK - 10}-{2 * SSE_CHUNK + 9}")
    assert r["ContentRange"] == f"bytes {SSE_CHUNK - 10}-{2 * SSE_CHUNK + 9}/{len(body)}"
    common.assert_same_bytes(r["Body"].read(), body[SSE_CHUNK - 10 : 2 * SSE_CHUNK + 10], "range")
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [("s3/a b.bin", len(body), put["ETag"])]
    # CopyObject keeps nothing implicit: the destination asks for SSE-S3 itself.
    c = s3.copy_object(Bucket=bucket, Key="s3/copy", CopySource={"Bucket": bucket, "Key": "s3/a b.bin"}, **SSE_S3)
    assert c["ServerSideEncryption"] == "AES256" and c["CopyObjectResult"]["ETag"] == put["ETag"]
    got = s3.get_object(Bucket=bucket, Key="s3/copy")
    assert got["ServerSideEncryption"] == "AES256"
    common.assert_same_bytes(got["Body"].read(), body, "copy")
    # A value other than AES256 and aws:kms: 400 InvalidArgument.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"x", ServerSideEncryption="AES128")
    assert (status(e), code(e)) == (400, "InvalidArgument"), e.value.response["Error"]


def test_sse_bucket_default_encryption(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_encryption(Bucket=bucket)
    assert (status(e), code(e)) == (404, "ServerSideEncryptionConfigurationNotFoundError")
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules] == ["AES256"]
    # Written without any encryption header: SSE-S3 all the same, reported on every answer.
    body = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="plain", Body=body)
    assert put["ServerSideEncryption"] == "AES256" and put["ETag"] == _etag(body)
    assert s3.head_object(Bucket=bucket, Key="plain")["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="plain")
    assert got["ServerSideEncryption"] == "AES256"
    common.assert_same_bytes(got["Body"].read(), body)
    c = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"})
    assert c["ServerSideEncryption"] == "AES256"
    # The multipart API: CreateMultipartUpload, UploadPart and Complete all say AES256.
    part1, part2 = os.urandom(5 * MiB), os.urandom(1000)
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert up["ServerSideEncryption"] == "AES256"
    parts = []
    for n, data in enumerate((part1, part2), 1):
        p = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=n, Body=data)
        assert p["ServerSideEncryption"] == "AES256" and p["ETag"] == _etag(data)
        parts.append({"PartNumber": n, "ETag": p["ETag"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": parts})
    assert done["ServerSideEncryption"] == "AES256" and done["ETag"] == _multipart_etag(part1 + part2, 5 * MiB)
    r = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={5 * MiB - 5}-{5 * MiB + 4}")
    assert r["ServerSideEncryption"] == "AES256" and r["Body"].read() == (part1 + part2)[5 * MiB - 5 : 5 * MiB + 5]
    # DeleteBucketEncryption: the configuration is gone, the objects stay encrypted.
    s3.delete_bucket_encryption(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_encryption(Bucket=bucket)
    assert (status(e), code(e)) == (404, "ServerSideEncryptionConfigurationNotFoundError")
    assert s3.head_object(Bucket=bucket, Key="plain")["ServerSideEncryption"] == "AES256"
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="copy")["Body"].read(), body, "copy")


def test_sse_kms_not_implemented(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"src")
    kms = {"ServerSideEncryption": "aws:kms"}
    for what, call in (
        ("PutObject", lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", **kms)),
        ("PutObject with a key id", lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", SSEKMSKeyId="alias/x", **kms)),
        ("CopyObject", lambda: s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "src"}, **kms)),
        ("CreateMultipartUpload", lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", **kms)),
        ("PutBucketEncryption", lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert (status(e), code(e)) == (501, "NotImplemented"), (what, e.value.response["Error"])
    # Nothing was written or configured.
    assert _keys(s3, bucket) == ["src"]
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    with pytest.raises(ClientError) as e:
        s3.get_bucket_encryption(Bucket=bucket)
    assert code(e) == "ServerSideEncryptionConfigurationNotFoundError"


@old_boto3
def test_sse_c_put_get_head(s3, bucket):
    key = os.urandom(32)
    ssec = _sse_c(key)
    body = os.urandom(200_000)
    put = s3.put_object(Bucket=bucket, Key="c/a b.bin", Body=body, ContentType="text/x-c", **ssec)
    assert _sse_of(put) == (None, "AES256", _key_md5(key))
    # AWS: the ETag of an SSE-C object is not the MD5 of its data.
    assert put["ETag"] != _etag(body)
    got = s3.get_object(Bucket=bucket, Key="c/a b.bin", **ssec)
    assert _sse_of(got) == (None, "AES256", _key_md5(key))
    assert got["ETag"] == put["ETag"] and got["ContentLength"] == len(body) and got["ContentType"] == "text/x-c"
    common.assert_same_bytes(got["Body"].read(), body)
    head = s3.head_object(Bucket=bucket, Key="c/a b.bin", **ssec)
    assert _sse_of(head) == (None, "AES256", _key_md5(key))
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    # The listing shows the plaintext's size.
    assert [(o["Key"], o["Size"]) for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [("c/a b.bin", len(body))]
    # A key as a str works too (boto3 encodes it as UTF-8 bytes).
    skey = "0123456789abcdef0123456789ABCDEF"
    s3.put_object(Bucket=bucket, Key="c/str", Body=b"with a str key", **_sse_c(skey))
    got = s3.get_object(Bucket=bucket, Key="c/str", **_sse_c(skey.encode()))
    assert got["SSECustomerKeyMD5"] == _key_md5(skey.encode()) and got["Body"].read() == b"with a str key"


def test_sse_c_ranges(s3, bucket):
    """Ranged GETs of an SSE-C object (the gateway decrypts only the 64 KiB chunks a range
    touches): within a chunk, across one and two boundaries, suffix and open-ended ranges, a
    part of a multipart object, and a range past the end."""
    key = os.urandom(32)
    body = os.urandom(200_000)
    s3.put_object(Bucket=bucket, Key="r", Body=body, **_sse_c(key))
    c = SSE_CHUNK
    for first, last in ((0, 0), (10, 99), (c - 1, c), (c - 100, c + 100), (c - 5, 2 * c + 5), (c, 2 * c - 1),
                        (3 * c, len(body) - 1), (0, len(body) - 1)):
        r = s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={first}-{last}", **_sse_c(key))
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert r["ContentRange"] == f"bytes {first}-{last}/{len(body)}" and r["ContentLength"] == last - first + 1
        common.assert_same_bytes(r["Body"].read(), body[first : last + 1], f"range {first}-{last}")
    for rng, want in ((f"bytes=-{c + 7}", body[-(c + 7):]), (f"bytes={2 * c + 1}-", body[2 * c + 1:]),
                      ("bytes=150000-999999", body[150000:])):
        r = s3.get_object(Bucket=bucket, Key="r", Range=rng, **_sse_c(key))
        common.assert_same_bytes(r["Body"].read(), want, rng)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(body)}-", **_sse_c(key))
    assert (status(e), code(e)) == (416, "InvalidRange")
    # Without the key, a range is refused like a whole GET.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=0-9")
    assert (status(e), code(e)) == (400, "InvalidRequest")


def test_sse_c_errors(s3, bucket):
    key, other = os.urandom(32), os.urandom(32)
    s3.put_object(Bucket=bucket, Key="c", Body=b"secret", **_sse_c(key))
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    # Without the key: 400 InvalidRequest (HEAD has no body: the status only).
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c")
    assert (status(e), code(e)) == (400, "InvalidRequest"), e.value.response["Error"]
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="c")
    assert status(e) == 400
    # Another key: 403 AccessDenied.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", **_sse_c(other))
    assert (status(e), code(e)) == (403, "AccessDenied"), e.value.response["Error"]
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="c", **_sse_c(other))
    assert status(e) == 403
    # SSE-C headers for an object stored without them: 400 InvalidRequest.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="plain", **_sse_c(key))
    assert (status(e), code(e)) == (400, "InvalidRequest"), e.value.response["Error"]
    # On PUT: a key-MD5 that is not the key's, a key of the wrong length, SSE-C and SSE-S3 at
    # once: 400 InvalidArgument; another algorithm: 400 (its code is not pinned: AWS documents
    # none). Nothing is stored. (An explicit SSECustomerKeyMD5 makes boto3 send the key as
    # given: base64 already.)
    b64 = base64.b64encode(key).decode()
    for what, params, want in (
        ("key-MD5 mismatch", {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": b64, "SSECustomerKeyMD5": _key_md5(other)},
         "InvalidArgument"),
        ("16-byte key", _sse_c(os.urandom(16)), "InvalidArgument"),
        ("with SSE-S3", {**_sse_c(key), **SSE_S3}, "InvalidArgument"),
        ("algorithm", {"SSECustomerAlgorithm": "AES128", "SSECustomerKey": key}, None),
    ):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="bad", Body=b"x", **params)
        assert status(e) == 400 and code(e) == (want or code(e)), (what, e.value.response["Error"])
    assert _keys(s3, bucket) == ["c", "plain"]
    # The right key still reads it.
    assert s3.get_object(Bucket=bucket, Key="c", **_sse_c(key))["Body"].read() == b"secret"


def test_sse_c_copy(s3, bucket):
    key, new_key = os.urandom(32), os.urandom(32)
    body = os.urandom(150_000)
    s3.put_object(Bucket=bucket, Key="src/a b", Body=body, Metadata={"m": "1"}, **_sse_c(key))
    src = {"Bucket": bucket, "Key": "src/a b"}
    # SSE-C source (its key in CopySourceSSECustomer*) to an SSE-S3 destination: the
    # destination's ETag is the plaintext's MD5 again, and it reads without a key.
    c = s3.copy_object(Bucket=bucket, Key="as-s3", CopySource=src, **_sse_c(key, "CopySource"), **SSE_S3)
    assert c["ServerSideEncryption"] == "AES256" and c["CopyObjectResult"]["ETag"] == _etag(body)
    got = s3.get_object(Bucket=bucket, Key="as-s3")
    assert got["ServerSideEncryption"] == "AES256" and got["Metadata"] == {"m": "1"}
    common.assert_same_bytes(got["Body"].read(), body, "as-s3")
    # To a plain destination, and to SSE-C under another key (a key rotation).
    s3.copy_object(Bucket=bucket, Key="plain", CopySource=src, **_sse_c(key, "CopySource"))
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="plain")["Body"].read(), body, "plain")
    r = s3.copy_object(Bucket=bucket, Key="rotated", CopySource=src, **_sse_c(key, "CopySource"), **_sse_c(new_key))
    assert _sse_of(r) == (None, "AES256", _key_md5(new_key))
    common.assert_same_bytes(s3.get_object(Bucket=bucket, Key="rotated", **_sse_c(new_key))["Body"].read(), body)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="rotated", **_sse_c(key))
    assert (status(e), code(e)) == (403, "AccessDenied")
    # The source's key missing: 400 InvalidRequest. Another key: refused (AWS documents no code
    # for a wrong copy-source key; the gateway answers as a GET with the wrong key, 403).
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource=src, **SSE_S3)
    assert (status(e), code(e)) == (400, "InvalidRequest"), e.value.response["Error"]
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource=src, **_sse_c(new_key, "CopySource"))
    assert (status(e), code(e)) in ((403, "AccessDenied"), (400, "InvalidRequest")), e.value.response["Error"]
    assert sorted(_keys(s3, bucket)) == ["as-s3", "plain", "rotated", "src/a b"]


def test_sse_c_multipart_transfer(s3, bucket, tmp_path):
    """The transfer manager with SSE-C: upload_file above the multipart threshold sends the key
    with CreateMultipartUpload, every UploadPart and Complete; download_file sends it with its
    HeadObject and ranged GETs."""
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    src = common.data_file("8MiB+1")
    key = os.urandom(32)
    extra = _sse_c(key)
    seen, stop = _record_sse(s3)
    try:
        s3.upload_file(src, bucket, "big.bin", ExtraArgs=extra, Config=cfg)
    finally:
        stop()
    ops = sorted({op for op, _, _ in seen})
    assert ops == ["CompleteMultipartUpload", "CreateMultipartUpload", "UploadPart"], seen
    assert all(alg == "AES256" for op, _, alg in seen if op in ("CreateMultipartUpload", "UploadPart")), seen
    head = s3.head_object(Bucket=bucket, Key="big.bin", **extra)
    assert head["ContentLength"] == SIZES["8MiB+1"] and head["ETag"].endswith('-2"'), head["ETag"]
    assert _sse_of(head) == (None, "AES256", _key_md5(key))
    dst = tmp_path / "down"
    s3.download_file(bucket, "big.bin", str(dst), ExtraArgs=extra, Config=cfg)
    common.assert_same_file(dst, src)
    # A range across the parts' boundary.
    data = open(src, "rb").read()
    r = s3.get_object(Bucket=bucket, Key="big.bin", Range=f"bytes={5 * MiB - 3}-{5 * MiB + 2}", **extra)
    assert r["Body"].read() == data[5 * MiB - 3 : 5 * MiB + 3]
    with pytest.raises(ClientError) as e:
        s3.download_file(bucket, "big.bin", str(tmp_path / "nokey"), Config=cfg)
    assert status(e) == 400
    # The multipart API by hand: an UploadPart without the key is refused (400 InvalidRequest).
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **extra)
    assert _sse_of(up) == (None, "AES256", _key_md5(key))
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"x")
    assert (status(e), code(e)) == (400, "InvalidRequest"), e.value.response["Error"]
    p = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"one part", **extra)
    assert _sse_of(p) == (None, "AES256", _key_md5(key))
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]}, **extra)
    assert s3.get_object(Bucket=bucket, Key="mp", **extra)["Body"].read() == b"one part"


def test_sse_s3_multipart_transfer(s3, bucket, tmp_path):
    """What `aws s3 cp --sse AES256` does: the transfer manager with ServerSideEncryption above
    the multipart threshold; every answer of the upload says AES256, the ETag is the usual
    multipart ETag of the plaintext, and the download needs nothing more."""
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    src = common.data_file("8MiB+1")
    seen, stop = _record_sse(s3)
    try:
        s3.upload_file(src, bucket, "big.bin", ExtraArgs=SSE_S3, Config=cfg)
    finally:
        stop()
    assert sorted({op for op, _, _ in seen}) == ["CompleteMultipartUpload", "CreateMultipartUpload", "UploadPart"], seen
    assert all(sse == "AES256" for _, sse, _ in seen), seen
    data = open(src, "rb").read()
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ServerSideEncryption"] == "AES256" and head["ETag"] == _multipart_etag(data, 5 * MiB)
    dst = tmp_path / "down"
    s3.download_file(bucket, "big.bin", str(dst), Config=cfg)
    common.assert_same_file(dst, src)
    # The transfer manager's managed copy keeps asking for SSE-S3 on the destination.
    s3.copy({"Bucket": bucket, "Key": "big.bin"}, bucket, "copied.bin", ExtraArgs=SSE_S3, Config=cfg)
    assert s3.head_object(Bucket=bucket, Key="copied.bin")["ServerSideEncryption"] == "AES256"
    s3.download_file(bucket, "copied.bin", str(dst), Config=cfg)
    common.assert_same_file(dst, src)


# ------------------------------------------------------------------ CORS


def _preflight(url, origin, method, headers=None):
    """A browser's preflight from urllib: (status, lowercased response headers)."""
    req = urllib.request.Request(url, method="OPTIONS")
    req.add_header("Origin", origin)
    req.add_header("Access-Control-Request-Method", method)
    if headers:
        req.add_header("Access-Control-Request-Headers", headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}


def test_cors_configuration_and_preflight(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket=bucket)
    assert (status(e), code(e)) == (404, "NoSuchCORSConfiguration")
    rules = [
        {
            "ID": "app",
            "AllowedOrigins": ["https://*.example.com"],
            "AllowedMethods": ["GET", "PUT"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 300,
        }
    ]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert got == rules
    # AWS's validation: an unsupported method is 400 InvalidRequest.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]},
        )
    assert (status(e), code(e)) == (400, "InvalidRequest")
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules

    url = f"{common.ENDPOINT}/{bucket}/k"
    st, h = _preflight(url, "https://app.example.com", "PUT", "content-type, x-amz-date")
    assert st == 200, h
    assert h["access-control-allow-origin"] == "https://app.example.com"
    assert "PUT" in h["access-control-allow-methods"]
    assert h["access-control-max-age"] == "300"
    # A presigned URL's query on the preflight (as a browser sends it) changes nothing.
    presigned = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "k"})
    assert _preflight(presigned, "https://app.example.com", "PUT")[0] == 200
    assert _preflight(url, "https://evil.test", "PUT")[0] == 403
    assert _preflight(url, "https://app.example.com", "DELETE")[0] == 403

    # An ordinary request from the origin gets the headers, an error too.
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    req = urllib.request.Request(url)
    req.add_header("Origin", "https://app.example.com")
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(req)  # unsigned: 403, with the CORS headers
    assert denied.value.code == 403
    assert denied.value.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert denied.value.headers["Access-Control-Expose-Headers"] == "ETag"

    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket=bucket)
    assert code(e) == "NoSuchCORSConfiguration"
    assert _preflight(url, "https://app.example.com", "PUT")[0] == 403
