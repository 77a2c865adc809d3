"""boto3's presigned URLs as most users make them: `generate_presigned_url` on a client with a
custom endpoint_url, region us-east-1 and NO signature_version in its Config. botocore then signs
with SigV2 (`?AWSAccessKeyId=...&Signature=...&Expires=...`), which is what ships in scripts and
tutorials; the same cases with Config(signature_version='s3v4') are the SigV4 control. Run by
the boto3 suite (run.sh passes this file next to test_boto3.py). URLs are fetched with urllib."""

import hashlib
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

import common

KEYS = ("pre/plain.txt", "pre/a b+c%&=é.json", "日本語/ファイル", "a/b/../c")


@pytest.fixture(params=["default", "s3v4"])
def presigner(request):
    """(name, client): the default client, or one told to presign with SigV4."""
    if request.param == "default":
        return request.param, common.boto3_client()
    return request.param, common.boto3_client(signature_version="s3v4")


def query(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def fetch(url, data=None, method="GET", headers=None):
    """The response; an HTTP error fails the case, naming the S3 error."""
    return common.urlopen_ok(urllib.request.Request(url, data=data, method=method, headers=headers or {}))


def http_error(url, data=None, method="GET", headers=None):
    """(status, error document) of a request that must fail."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    return e.value.code, e.value.read().decode("utf-8", "replace")


def test_default_presign_is_sigv2():
    """The premise of this file: the default client's URL is a SigV2 query-string URL."""
    url = common.boto3_client().generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=60)
    q = query(url)
    assert set(q) == {"AWSAccessKeyId", "Signature", "Expires"}, url
    assert q["AWSAccessKeyId"] == [common.AK]


def test_default_presign_get_put(presigner, bucket, s3):
    """PUT through a presigned URL (Content-Type signed, as SigV2 requires), then GET."""
    name, signer = presigner
    for key in KEYS:
        body = common.body_for(key)
        url = signer.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": "application/octet-stream"},
            ExpiresIn=300)
        assert ("Signature" in query(url)) == (name == "default"), url
        with fetch(url, data=body, method="PUT", headers={"Content-Type": "application/octet-stream"}) as r:
            assert r.status == 200 and r.headers["ETag"] == '"' + hashlib.md5(body).hexdigest() + '"'
        url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
        with fetch(url) as r:
            common.assert_same_bytes(r.read(), body, key)
            common.check_content_type(r.headers["Content-Type"], key, "application/octet-stream")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body


def test_default_presign_curl(presigner, bucket, tmp_path):
    """The URLs as pasted into curl (which sends no Content-Type with -T unless told)."""
    _, signer = presigner
    key = "curl/a b+c.json"
    body = common.body_for(key)
    src = tmp_path / "src"
    src.write_bytes(body)
    put = signer.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    get = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    for args in (["-T", str(src), put], ["-o", str(tmp_path / "out"), get]):
        p = subprocess.run(["curl", "-sS", "-g", "--fail-with-body", *args], capture_output=True, timeout=60)
        assert p.returncode == 0, f"curl {args[0]}: exit {p.returncode}: {p.stdout[-600:]!r} {p.stderr[-300:]!r}"
    common.assert_same_bytes((tmp_path / "out").read_bytes(), body, key)


def test_default_presign_get_response_overrides(presigner, bucket, s3):
    """response-* parameters are part of what SigV2 signs (its sub-resources)."""
    _, signer = presigner
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"hello")
    url = signer.generate_presigned_url(
        "get_object", ExpiresIn=60,
        Params={"Bucket": bucket, "Key": "doc.txt", "ResponseContentDisposition": 'attachment; filename="d l.txt"',
                "ResponseContentType": "text/csv"})
    with fetch(url) as r:
        assert r.read() == b"hello"
        assert r.headers["Content-Disposition"] == 'attachment; filename="d l.txt"'
        assert r.headers["Content-Type"] == "text/csv"


def test_default_presign_refusals(presigner, bucket, s3):
    """A URL edited after signing, and an expired one: 403, with S3's codes."""
    name, signer = presigner
    s3.put_object(Bucket=bucket, Key="k1", Body=b"one")
    s3.put_object(Bucket=bucket, Key="k2", Body=b"two")
    url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k1"}, ExpiresIn=60)
    with fetch(url) as r:
        assert r.read() == b"one"
    code, body = http_error(url.replace("/k1?", "/k2?"))
    assert code == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, body
    # PUT through a GET's URL: the method is signed too.
    code, body = http_error(url, data=b"x", method="PUT", headers={"Content-Type": "application/octet-stream"})
    assert code == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, body
    if name == "default":
        # SigV2's Expires is an absolute time: a minute ago. (A SigV4 URL expires relative to its
        # X-Amz-Date, which botocore sets to now: only a wait would expire it.)
        expired = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k1"}, ExpiresIn=-60)
        assert int(query(expired)["Expires"][0]) < int(query(url)["Expires"][0]) - 100, expired
        code, body = http_error(expired)
        assert code == 403 and "<Code>AccessDenied</Code>" in body and "expired" in body.lower(), body


def test_default_presign_put_metadata_and_tags(presigner, bucket, s3):
    """`Metadata` and `Tagging` of a presigned PUT: SigV2 URLs carry them in the query (signed
    there), SigV4 URLs sign them as headers the uploader must send. Either way the object must
    end with both."""
    name, signer = presigner
    key = "pre/meta.txt"
    url = signer.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": "text/plain",
                "Metadata": {"color": "blue"}, "Tagging": "team=a&n=2"},
        ExpiresIn=300)
    q = {k.lower(): v for k, v in query(url).items()}
    # SigV2 signs Content-Type: send the one signed (urllib would add a form type otherwise).
    headers = {"Content-Type": "text/plain"}
    if name == "default":
        assert "x-amz-meta-color" in q and "x-amz-tagging" in q, url
    else:
        signed = q["x-amz-signedheaders"][0].split(";")
        assert "x-amz-meta-color" in signed and "x-amz-tagging" in signed, url
        headers.update({"x-amz-meta-color": "blue", "x-amz-tagging": "team=a&n=2"})
    with fetch(url, data=b"tagged", method="PUT", headers=headers) as r:
        assert r.status == 200
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["Metadata"] == {"color": "blue"}
    tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("n", "2"), ("team", "a")]
