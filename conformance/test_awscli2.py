"""aws-cli v2 (Debian's `awscli` package, /usr/bin/aws, not the PyPI v1 of .venv) the way its
users drive it: `aws s3 ...` and `aws s3api ...` with a profile in a config file of its own and
--endpoint-url. Every download is compared byte for byte with what was uploaded.

What v2 does differently from v1 and is covered here: `aws s3 presign` signs with SigV4 by
default, and S3-to-S3 copies at or above the multipart threshold (8 MiB) are UploadPartCopy
copies that read the source's tags (GetObjectTagging) and put them on the copy (`--copy-props
default`), so a gateway without object tagging fails `s3 cp/mv/sync` between buckets."""

import json
import os
import subprocess

import pytest

import common
from common import SIZES

AWS = "/usr/bin/aws"

pytestmark = pytest.mark.skipif(not os.path.exists(AWS), reason=f"{AWS} missing: apt-get install awscli")


@pytest.fixture(scope="module")
def awsenv(tmp_path_factory):
    """A HOME, config and credentials of this suite only: nothing of the user's ~/.aws or of the
    v1 suite's files, and no AWS_* variable of the caller's, reaches /usr/bin/aws."""
    home = tmp_path_factory.mktemp("aws2home")
    (home / "config").write_text("[default]\nregion = us-east-1\noutput = json\ncli_pager =\n")
    (home / "credentials").write_text(
        f"[default]\naws_access_key_id = {common.AK}\naws_secret_access_key = {common.SK}\n"
    )
    drop = ("AWS_", "PYTHON", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
        LC_ALL="C.UTF-8",
    )
    return env


def aws(env, *args, ok=True):
    """Runs `/usr/bin/aws --endpoint-url ... ARGS`; with ok=True a non-zero exit fails the case."""
    cmd = [AWS, "--endpoint-url", common.ENDPOINT, *args]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if ok and p.returncode != 0:
        raise AssertionError(
            f"aws {' '.join(args)} exited {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}"
        )
    return p


def s3api(env, *args):
    out = aws(env, "s3api", *args).stdout
    return json.loads(out) if out.strip() else {}


def head(env, bucket, key):
    return s3api(env, "head-object", "--bucket", bucket, "--key", key)


def listed_keys(env, bucket, prefix=""):
    r = s3api(env, "list-objects-v2", "--bucket", bucket, "--prefix", prefix)
    return sorted(o["Key"] for o in r.get("Contents", []))


def put_tags(env, bucket, key, tags):
    tagging = {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    s3api(env, "put-object-tagging", "--bucket", bucket, "--key", key, "--tagging", json.dumps(tagging))


def get_tags(env, bucket, key):
    r = s3api(env, "get-object-tagging", "--bucket", bucket, "--key", key)
    return {t["Key"]: t["Value"] for t in r.get("TagSet", [])}


def download_same(env, bucket, key, want, tmp_path):
    out = tmp_path / "down"
    aws(env, "s3", "cp", f"s3://{bucket}/{key}", str(out), "--no-progress")
    common.assert_same_file(out, want)
    out.unlink()


def test_version(awsenv):
    v = aws(awsenv, "--version").stdout
    assert v.startswith("aws-cli/2."), v


def test_mb_ls_rb(awsenv, bucket_name):
    aws(awsenv, "s3", "mb", f"s3://{bucket_name}")
    assert bucket_name in aws(awsenv, "s3", "ls").stdout
    s3api(awsenv, "head-bucket", "--bucket", bucket_name)
    # The owner's re-create succeeds in us-east-1 (AWS's legacy behaviour) and changes nothing.
    again = aws(awsenv, "s3", "mb", f"s3://{bucket_name}")
    assert f"make_bucket: {bucket_name}" in again.stdout, again.stdout
    aws(awsenv, "s3", "rb", f"s3://{bucket_name}")
    assert bucket_name not in aws(awsenv, "s3", "ls").stdout
    gone = aws(awsenv, "s3api", "head-bucket", "--bucket", bucket_name, ok=False)
    assert gone.returncode != 0 and "404" in gone.stderr, gone.stderr


def test_rb_force(awsenv, bucket_name, tmp_path):
    aws(awsenv, "s3", "mb", f"s3://{bucket_name}")
    f = tmp_path / "f"
    f.write_bytes(b"x" * 10)
    for k in ("one", "dir/two"):
        aws(awsenv, "s3", "cp", str(f), f"s3://{bucket_name}/{k}", "--no-progress")
    refused = aws(awsenv, "s3", "rb", f"s3://{bucket_name}", ok=False)
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr, refused.stderr
    aws(awsenv, "s3", "rb", "--force", f"s3://{bucket_name}")
    assert bucket_name not in aws(awsenv, "s3", "ls").stdout


@pytest.mark.parametrize("size", list(SIZES))
def test_cp_sizes(awsenv, bucket, tmp_path, size):
    """Up and down with `aws s3 cp` (multipart from 8 MiB both ways; the v1 suite also checks
    a plain GetObject of each size)."""
    src = common.data_file(size)
    key = f"sizes/blob {size}"
    aws(awsenv, "s3", "cp", src, f"s3://{bucket}/{key}", "--no-progress")
    h = head(awsenv, bucket, key)
    assert h["ContentLength"] == SIZES[size]
    if SIZES[size] >= 8 * common.MiB:
        assert "-" in h["ETag"], h["ETag"]  # a multipart upload's ETag
    common.check_content_type(h.get("ContentType"), key, None)
    download_same(awsenv, bucket, key, src, tmp_path)


def test_cp_content_types(awsenv, bucket, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    noext = tmp_path / "noext"
    noext.write_text("hello")
    cases = [
        # (local file, key, extra args, what aws-cli sends)
        (page, "site/index.html", [], "text/html"),  # guessed by aws-cli from the file name
        (noext, "notes.txt", [], None),  # nothing sent: the gateway guesses from the key
        (noext, "data.txt", ["--content-type", "application/json"], "application/json"),
        (noext, "img.png", ["--content-type", "application/octet-stream"], "application/octet-stream"),
        (noext, "plain", [], None),
    ]
    for src, key, extra, sent in cases:
        aws(awsenv, "s3", "cp", str(src), f"s3://{bucket}/{key}", "--no-progress", *extra)
        common.check_content_type(head(awsenv, bucket, key).get("ContentType"), key, sent)
        out = tmp_path / "out"
        r = s3api(awsenv, "get-object", "--bucket", bucket, "--key", key, str(out))
        common.check_content_type(r.get("ContentType"), key, sent)
        common.assert_same_file(out, src)


def test_cp_s3_to_s3_small(awsenv, bucket, tmp_path):
    """Below 8 MiB an S3-to-S3 copy is one CopyObject (no tagging call by the client)."""
    src = tmp_path / "src"
    src.write_bytes(os.urandom(3000))
    aws(awsenv, "s3", "cp", str(src), f"s3://{bucket}/from/a b+c.json", "--no-progress")
    aws(awsenv, "s3", "cp", f"s3://{bucket}/from/a b+c.json", f"s3://{bucket}/to/copy.json", "--no-progress")
    assert listed_keys(awsenv, bucket) == ["from/a b+c.json", "to/copy.json"]
    download_same(awsenv, bucket, "to/copy.json", src, tmp_path)


TAGS = {"color": "blue", "project": "conformance run", "empty": ""}


def test_cp_s3_to_s3_big_keeps_tags(awsenv, bucket, tmp_path):
    """`aws s3 cp s3://b/big s3://b/big2` on 64 MiB (issue 14's case): HeadObject,
    GetObjectTagging, CreateMultipartUpload (tags in x-amz-tagging), UploadPartCopy x8, Complete."""
    src = common.data_file("64MiB")
    aws(awsenv, "s3", "cp", src, f"s3://{bucket}/big", "--no-progress")
    put_tags(awsenv, bucket, "big", TAGS)
    assert get_tags(awsenv, bucket, "big") == TAGS
    aws(awsenv, "s3", "cp", f"s3://{bucket}/big", f"s3://{bucket}/big2", "--no-progress")
    h = head(awsenv, bucket, "big2")
    assert h["ContentLength"] == SIZES["64MiB"] and h["ETag"].endswith('-8"'), h
    assert get_tags(awsenv, bucket, "big2") == TAGS
    assert get_tags(awsenv, bucket, "big") == TAGS
    download_same(awsenv, bucket, "big2", src, tmp_path)


def test_cp_s3_to_s3_big_untagged(awsenv, bucket, tmp_path):
    """The same copy of an object without tags: the client still asks for them, and must get
    an empty TagSet (a 501 fails the user's copy although they never used tagging)."""
    src = common.data_file("8MiB+1")
    aws(awsenv, "s3", "cp", src, f"s3://{bucket}/plain", "--no-progress")
    aws(awsenv, "s3", "cp", f"s3://{bucket}/plain", f"s3://{bucket}/plain copy", "--no-progress")
    assert get_tags(awsenv, bucket, "plain copy") == {}
    download_same(awsenv, bucket, "plain copy", src, tmp_path)


def test_mv_s3_to_s3_big_keeps_tags(awsenv, bucket, tmp_path):
    src = common.data_file("8MiB+1")
    aws(awsenv, "s3", "cp", src, f"s3://{bucket}/from/big.bin", "--no-progress")
    put_tags(awsenv, bucket, "from/big.bin", TAGS)
    aws(awsenv, "s3", "mv", f"s3://{bucket}/from/big.bin", f"s3://{bucket}/to/big.bin", "--no-progress")
    assert listed_keys(awsenv, bucket) == ["to/big.bin"]
    assert get_tags(awsenv, bucket, "to/big.bin") == TAGS
    download_same(awsenv, bucket, "to/big.bin", src, tmp_path)


def test_sync_bucket_to_bucket_keeps_tags(awsenv, bucket, bucket_name, tmp_path):
    """`aws s3 sync s3://a s3://b`: the big object by multipart copy (client copies the tags),
    the small one by CopyObject (the gateway copies the tags)."""
    big = common.data_file("8MiB+1")
    small = tmp_path / "small.txt"
    small.write_bytes(os.urandom(100))
    aws(awsenv, "s3", "cp", big, f"s3://{bucket}/d/big", "--no-progress")
    aws(awsenv, "s3", "cp", str(small), f"s3://{bucket}/d/small.txt", "--no-progress")
    put_tags(awsenv, bucket, "d/big", TAGS)
    put_tags(awsenv, bucket, "d/small.txt", {"size": "small"})
    aws(awsenv, "s3", "mb", f"s3://{bucket_name}")
    aws(awsenv, "s3", "sync", f"s3://{bucket}", f"s3://{bucket_name}", "--no-progress")
    assert listed_keys(awsenv, bucket_name) == ["d/big", "d/small.txt"]
    assert get_tags(awsenv, bucket_name, "d/big") == TAGS
    assert get_tags(awsenv, bucket_name, "d/small.txt") == {"size": "small"}
    download_same(awsenv, bucket_name, "d/big", big, tmp_path)
    download_same(awsenv, bucket_name, "d/small.txt", small, tmp_path)
    again = aws(awsenv, "s3", "sync", f"s3://{bucket}", f"s3://{bucket_name}", "--no-progress").stdout
    assert again.strip() == "", again


def test_ls_recursive(awsenv, bucket, s3):
    """`aws s3 ls --recursive` with --page-size 7: ListObjectsV2 pages with continuation tokens."""
    keys = [f"many/{i:03d}" for i in range(25)] + ["top.txt", "dir/x", "dir/y/z", "日本語/ファイル", "a b+c"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"12345")
    rec = aws(awsenv, "s3", "ls", "--recursive", "--summarize", "--page-size", "7", f"s3://{bucket}").stdout
    lines = [line for line in rec.splitlines() if line[:4].isdigit()]
    assert sorted(line.split(None, 3)[3] for line in lines) == sorted(keys)
    assert f"Total Objects: {len(keys)}" in rec and f"Total Size: {5 * len(keys)}" in rec, rec[-300:]
    top = aws(awsenv, "s3", "ls", f"s3://{bucket}").stdout.splitlines()
    pre = sorted(line.split()[-1] for line in top if " PRE " in line)
    assert pre == ["dir/", "many/", "日本語/"], top
    sub = aws(awsenv, "s3", "ls", "--recursive", f"s3://{bucket}/dir/").stdout
    assert sorted(line.split(None, 3)[3] for line in sub.splitlines()) == ["dir/x", "dir/y/z"], sub


def test_rm_recursive(awsenv, bucket, s3):
    for k in ("keep", "p/one", "p/two", "p/q/three", "pp", "p/a b+c"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    aws(awsenv, "s3", "rm", f"s3://{bucket}/p/one")
    assert listed_keys(awsenv, bucket) == ["keep", "p/a b+c", "p/q/three", "p/two", "pp"]
    out = aws(awsenv, "s3", "rm", "--recursive", f"s3://{bucket}/p/").stdout
    assert out.count("delete:") == 3, out
    assert listed_keys(awsenv, bucket) == ["keep", "pp"]
    aws(awsenv, "s3", "rm", "--recursive", f"s3://{bucket}")
    assert listed_keys(awsenv, bucket) == []


def test_presign_sigv4(awsenv, bucket, s3):
    """v2 presigns with SigV4 without being told (v1 needs s3.signature_version = s3v4)."""
    for key in ("plain.txt", "a b+c%.txt", "日本語/ファイル.json"):
        body = common.body_for(key)
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        url = aws(awsenv, "s3", "presign", f"s3://{bucket}/{key}", "--expires-in", "300").stdout.strip()
        assert "X-Amz-Signature=" in url and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url, url
        with common.urlopen_ok(url) as r:
            common.assert_same_bytes(r.read(), body, key)
            common.check_content_type(r.headers["Content-Type"], key, None)


def test_s3api_object_tagging(awsenv, bucket, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(b"tagged")
    s3api(awsenv, "put-object", "--bucket", bucket, "--key", "t/a b", "--body", str(src))
    assert get_tags(awsenv, bucket, "t/a b") == {}
    put_tags(awsenv, bucket, "t/a b", TAGS)
    assert get_tags(awsenv, bucket, "t/a b") == TAGS
    put_tags(awsenv, bucket, "t/a b", {"only": "one"})  # replaces the whole set
    assert get_tags(awsenv, bucket, "t/a b") == {"only": "one"}
    s3api(awsenv, "delete-object-tagging", "--bucket", bucket, "--key", "t/a b")
    assert get_tags(awsenv, bucket, "t/a b") == {}
    # Tags given at upload time (x-amz-tagging, URL-encoded).
    s3api(awsenv, "put-object", "--bucket", bucket, "--key", "t/up", "--body", str(src),
          "--tagging", "k1=v%201&k2=")
    assert get_tags(awsenv, bucket, "t/up") == {"k1": "v 1", "k2": ""}
    missing = aws(awsenv, "s3api", "get-object-tagging", "--bucket", bucket, "--key", "nope", ok=False)
    assert missing.returncode != 0 and "NoSuchKey" in missing.stderr, missing.stderr


def test_errors(awsenv, bucket, tmp_path):
    r = aws(awsenv, "s3api", "get-object", "--bucket", bucket, "--key", "missing", str(tmp_path / "x"), ok=False)
    assert r.returncode != 0 and "NoSuchKey" in r.stderr, r.stderr
    r = aws(awsenv, "s3", "ls", f"s3://{bucket}-nope", ok=False)
    assert r.returncode != 0 and "NoSuchBucket" in r.stderr, r.stderr
    bad = dict(awsenv, AWS_ACCESS_KEY_ID=common.AK, AWS_SECRET_ACCESS_KEY="wrong-secret")
    r = aws(bad, "s3", "ls", f"s3://{bucket}", ok=False)
    assert r.returncode != 0 and "SignatureDoesNotMatch" in r.stderr, r.stderr
