"""Shared helpers of the Python suites: endpoint, keys, data files, hostile keys, Content-Type
expectations, bucket cleanup. Only the standard library and boto3 (present in both venvs).

The runner (run.sh) sets the S3CONF_* environment variables; the defaults let a developer point
a single file at a gateway started by hand (`make run`).
"""

import hashlib
import os
import secrets
import socket
import string
import time

ENDPOINT = os.environ.get("S3CONF_ENDPOINT", "http://127.0.0.1:9000")
HOST_PORT = ENDPOINT.split("://", 1)[1].rstrip("/")
PORT = int(HOST_PORT.rsplit(":", 1)[1])
AK = os.environ.get("S3CONF_ACCESS_KEY", "glusters3dev")
SK = os.environ.get("S3CONF_SECRET_KEY", "glusters3dev-secret")
# A second user: buckets of one are not the other's.
AK2 = os.environ.get("S3CONF_ACCESS_KEY2", "")
SK2 = os.environ.get("S3CONF_SECRET_KEY2", "")
# A third user (owner id `third`): the access-control cases tell a grantee from a bystander.
AK3 = os.environ.get("S3CONF_ACCESS_KEY3", "")
SK3 = os.environ.get("S3CONF_SECRET_KEY3", "")
REGION = "us-east-1"
DATA_DIR = os.environ.get("S3CONF_DATA", "/tmp/glusters3-conformance-data")

KiB = 1024
MiB = 1024 * KiB

# The sizes of the issue: 5 MiB is S3's minimum part size; aws-cli switches to multipart at 8 MiB.
SIZES = {
    "0B": 0,
    "1B": 1,
    "5MiB-1": 5 * MiB - 1,
    "5MiB": 5 * MiB,
    "8MiB+1": 8 * MiB + 1,
    "64MiB": 64 * MiB,
}

# A 1024-byte key (S3's maximum), with multi-byte characters so bytes != characters.
LONG_KEY = ("x" * 99 + "/") * 10 + "é" * 12
assert len(LONG_KEY.encode()) == 1024

# The hostile keys of the issue. `a` and `a/b` are both present: a key and a "directory".
HOSTILE_KEYS = {
    "space": "a b",
    "plus": "a+b",
    "percent": "100%",
    "punct": '&+-é"',
    "japanese": "日本語/ファイル",
    "dotdot": "a/b/../c",
    "trailing-slash": "dir/",
    "a": "a",
    "a-slash-b": "a/b",
    "1024-bytes": LONG_KEY,
}

# mime_guess's answers for the extensions the suites use (the gateway guesses with mime_guess
# when no type or a generic octet-stream type was stored). Only these extensions are used.
MIME = {
    ".txt": "text/plain",
    ".html": "text/html",
    ".json": "application/json",
    ".png": "image/png",
    ".csv": "text/csv",
    ".jpg": "image/jpeg",
}
GENERIC = ("application/octet-stream", "binary/octet-stream")
ANY_GENERIC = "<any generic>"


def guess(key):
    """The type mime_guess gives for `key`, None when it has no (known) extension."""
    name = key.rsplit("/", 1)[-1]
    stem, ext = os.path.splitext(name)
    if not ext or not stem:
        return None
    if ext.lower() not in MIME:
        raise AssertionError(f"test key {key!r}: extension {ext} not in common.MIME")
    return MIME[ext.lower()]


def expected_content_types(key, sent=None):
    """What the gateway must serve for `key` stored with Content-Type `sent`.

    `sent` None: the client sent none. ANY_GENERIC: the client sent one of the two generic types
    and the suite does not pin which (s3cmd with or without libmagic). Returns a tuple of
    acceptable values."""
    if sent is not None and sent != ANY_GENERIC and sent.lower() not in GENERIC:
        return (sent,)
    g = guess(key)
    if g:
        return (g,)
    if sent is None:
        return ("binary/octet-stream",)
    if sent == ANY_GENERIC:
        return GENERIC
    return (sent,)


def check_content_type(got, key, sent=None):
    want = expected_content_types(key, sent)
    got_base = (got or "").split(";")[0].strip()
    want_base = tuple(w.split(";")[0].strip() for w in want)
    assert got_base in want_base, f"Content-Type of {key!r}: got {got!r}, want {' or '.join(want)}"


def bucket_name(suite):
    """A fresh bucket name: `cf-<suite>-<random>`, valid for every client."""
    alphabet = string.ascii_lowercase + string.digits
    return f"cf-{suite}-" + "".join(secrets.choice(alphabet) for _ in range(10))


def data_file(size_name):
    """The session's file of that size (made once by the runner, or here when missing)."""
    os.makedirs(DATA_DIR, exist_ok=True)
    path = os.path.join(DATA_DIR, f"blob-{size_name}")
    size = SIZES[size_name]
    if not os.path.exists(path) or os.path.getsize(path) != size:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            left = size
            while left:
                n = min(left, MiB)
                f.write(os.urandom(n))
                left -= n
        os.replace(tmp, path)
    return path


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def assert_same_file(got_path, want_path):
    gs, ws = os.path.getsize(got_path), os.path.getsize(want_path)
    assert gs == ws, f"{got_path}: {gs} bytes, uploaded {ws}"
    assert file_digest(got_path) == file_digest(want_path), f"{got_path}: bytes differ from upload"


def assert_same_bytes(got, want, what="object"):
    if len(what) > 80:
        what = what[:40] + "..." + what[-20:]
    assert len(got) == len(want), f"{what}: {len(got)} bytes, uploaded {len(want)} (got starts {got[:40]!r})"
    if got != want:
        i = next(n for n, (a, b) in enumerate(zip(got, want)) if a != b)
        raise AssertionError(
            f"{what}: bytes differ from upload at offset {i}: got {got[i:i + 24]!r}, uploaded {want[i:i + 24]!r}"
        )


def body_for(key):
    """A small body that names its key: a mix-up between keys shows in the bytes."""
    return f"body of {key!r}\n".encode() + os.urandom(37)


def boto3_client(access_key=AK, secret_key=SK, endpoint=ENDPOINT, **config):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, **config),
    )


def cleanup_bucket(s3, bucket, delete_bucket=True):
    """Deletes every object, version and upload of `bucket`, then (unless told not to) the
    bucket. Tolerates operations the gateway does not implement yet (they answer 501)."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as e:
        if e.response["Error"]["Code"] in ("404", "NoSuchBucket"):
            return
        raise
    try:
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for u in page.get("Uploads", []):
                s3.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
    except ClientError as e:
        if e.response["Error"]["Code"] != "NotImplemented":
            raise
    try:
        # Rules first: the lifecycle worker must not add delete markers while the bucket empties.
        s3.delete_bucket_lifecycle(Bucket=bucket)
    except ClientError as e:
        if e.response["Error"]["Code"] != "NotImplemented":
            raise
    if s3.get_bucket_versioning(Bucket=bucket).get("Status"):
        # Deleting a key of a versioned (or suspended) bucket adds a delete marker: every
        # version and marker goes by its id instead. Again when something is left: a lifecycle
        # pass that began before its rules went may have added a delete marker meanwhile.
        for _ in range(3):
            if not delete_all_versions(s3, bucket):
                break
    else:
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys += [o["Key"] for o in page.get("Contents", [])]
        _delete_batches(s3, bucket, [{"Key": k} for k in keys])
    if delete_bucket:
        s3.delete_bucket(Bucket=bucket)


def _delete_batches(s3, bucket, objects):
    for i in range(0, len(objects), 1000):
        r = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects[i : i + 1000], "Quiet": True})
        assert not r.get("Errors"), f"cleanup of {bucket}: {r['Errors'][:3]}"


def all_versions(s3, bucket, **kwargs):
    """Every version and delete marker of `bucket` (ListObjectVersions through boto3's
    paginator), as {"Key", "VersionId"} dicts, versions first."""
    versions, markers = [], []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, **kwargs):
        versions += [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
        markers += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])]
    return versions + markers


def delete_all_versions(s3, bucket):
    """Deletes every version and delete marker of `bucket` by its VersionId (DeleteObjects, 1,000
    a request), which empties a versioned bucket for good so that DeleteBucket can succeed.
    Lists everything first: a page's version-id marker must still exist when the next page is
    asked for. In a bucket with object lock, GOVERNANCE retentions are bypassed, legal holds
    lifted and COMPLIANCE retentions waited out (cases keep those to seconds). Returns how many
    versions and markers were deleted."""
    objects = all_versions(s3, bucket)
    if object_lock_enabled(s3, bucket):
        _delete_locked(s3, bucket, objects)
    else:
        _delete_batches(s3, bucket, objects)
    return len(objects)


def object_lock_enabled(s3, bucket):
    """Whether `bucket` has object lock on (GetObjectLockConfiguration)."""
    from botocore.exceptions import ClientError

    try:
        conf = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError as e:
        if e.response["Error"]["Code"] in ("ObjectLockConfigurationNotFoundError", "NotImplemented"):
            return False
        raise
    return conf.get("ObjectLockEnabled") == "Enabled"


def _delete_locked(s3, bucket, objects, timeout=60):
    """DeleteObjects with BypassGovernanceRetention; the versions refused (AccessDenied) get
    their legal hold lifted and are retried every 0.2 s until their COMPLIANCE retention ends."""
    deadline = time.monotonic() + timeout
    while objects:
        refused = []
        for i in range(0, len(objects), 1000):
            r = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": objects[i : i + 1000], "Quiet": True}, BypassGovernanceRetention=True
            )
            errors = r.get("Errors", [])
            other = [e for e in errors if e["Code"] != "AccessDenied"]
            assert not other, f"cleanup of {bucket}: {other[:3]}"
            refused += [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in errors]
        for o in refused:
            if s3.get_object_legal_hold(Bucket=bucket, **o)["LegalHold"]["Status"] == "ON":
                s3.put_object_legal_hold(Bucket=bucket, LegalHold={"Status": "OFF"}, **o)
        assert not refused or time.monotonic() < deadline, (
            f"cleanup of {bucket}: versions still locked after {timeout} s: {refused[:3]}"
        )
        if refused:
            time.sleep(0.2)
        objects = refused


def wait_for(condition, what, timeout=60, step=0.2):
    """Polls `condition()` every `step` seconds until it returns something true (returned), and
    fails the case after `timeout` seconds with `what` (a string, or a callable giving one)."""
    deadline = time.monotonic() + timeout
    while True:
        got = condition()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what() if callable(what) else what}")
        time.sleep(step)


def urlopen_ok(req, timeout=30):
    """urllib.request.urlopen, but an HTTP error fails the case with the status and the error
    document in its message (the summary then shows which S3 error it was)."""
    import urllib.error
    import urllib.request

    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        url = req if isinstance(req, str) else req.full_url
        raise AssertionError(f"HTTP {e.code} for {url[:200]}: {body[:600]}") from None


def resolve_localhost_subdomains():
    """`bucket.localhost` does not resolve on every machine; virtual-host cases resolve
    `*.localhost` to 127.0.0.1 in this process only (what /etc/hosts or systemd-resolved does)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    return real
