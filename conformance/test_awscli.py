"""aws-cli (PyPI `awscli`) the way its users drive it: `aws s3 ...` and `aws s3api ...` with a
profile in a config file and --endpoint-url. Every download is compared byte for byte with what
was uploaded, and every object's Content-Type checked."""

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

import common
from common import HOSTILE_KEYS, SIZES

AWS = os.path.join(os.path.dirname(sys.executable), "aws")


@pytest.fixture(scope="module")
def awsenv(tmp_path_factory):
    home = tmp_path_factory.mktemp("awshome")
    # s3.signature_version: aws-cli v1 presigns with SigV2 unless told; many users of
    # `aws s3 presign` set s3v4. test_presign_default_sigv2 checks the default.
    (home / "config").write_text(
        "[default]\nregion = us-east-1\noutput = json\ns3 =\n    signature_version = s3v4\n"
    )
    (home / "credentials").write_text(
        f"[default]\naws_access_key_id = {common.AK}\naws_secret_access_key = {common.SK}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
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


def aws(env, *args, ok=True, cwd=None):
    """Runs `aws --endpoint-url ... ARGS`; with ok=True a non-zero exit fails the case."""
    cmd = [AWS, "--endpoint-url", common.ENDPOINT, *args]
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
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
    return [o["Key"] for o in r.get("Contents", [])]


def test_mb_ls_rb(awsenv, bucket_name):
    aws(awsenv, "s3", "mb", f"s3://{bucket_name}")
    assert bucket_name in aws(awsenv, "s3", "ls").stdout
    s3api(awsenv, "head-bucket", "--bucket", bucket_name)
    loc = s3api(awsenv, "get-bucket-location", "--bucket", bucket_name)
    assert loc.get("LocationConstraint") in (None, ""), loc
    assert "Status" not in s3api(awsenv, "get-bucket-versioning", "--bucket", bucket_name)
    # us-east-1: re-creating one's own bucket is 200 and changes nothing (AWS's legacy behaviour).
    aws(awsenv, "s3", "mb", f"s3://{bucket_name}")
    aws(awsenv, "s3", "rb", f"s3://{bucket_name}")
    assert bucket_name not in aws(awsenv, "s3", "ls").stdout
    gone = aws(awsenv, "s3api", "head-bucket", "--bucket", bucket_name, ok=False)
    assert gone.returncode != 0 and "404" in gone.stderr, gone.stderr


def test_rb_force_non_empty(awsenv, bucket_name, tmp_path):
    aws(awsenv, "s3", "mb", f"s3://{bucket_name}")
    f = tmp_path / "f"
    f.write_bytes(b"x" * 10)
    for k in ("one", "dir/two", "dir/sub/three"):
        aws(awsenv, "s3", "cp", str(f), f"s3://{bucket_name}/{k}", "--no-progress")
    refused = aws(awsenv, "s3", "rb", f"s3://{bucket_name}", ok=False)
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr, refused.stderr
    aws(awsenv, "s3", "rb", "--force", f"s3://{bucket_name}")
    assert bucket_name not in aws(awsenv, "s3", "ls").stdout


@pytest.mark.parametrize("size", list(SIZES))
def test_cp_sizes(awsenv, bucket, tmp_path, size):
    src = common.data_file(size)
    key = f"sizes/blob-{size}"
    aws(awsenv, "s3", "cp", src, f"s3://{bucket}/{key}", "--no-progress")
    h = head(awsenv, bucket, key)
    assert h["ContentLength"] == SIZES[size]
    common.check_content_type(h.get("ContentType"), key, None)
    dst = tmp_path / "down"
    aws(awsenv, "s3", "cp", f"s3://{bucket}/{key}", str(dst), "--no-progress")
    common.assert_same_file(dst, src)
    # s3api get-object: a single GET of the whole object, not aws s3's ranged download.
    dst2 = tmp_path / "down2"
    r = s3api(awsenv, "get-object", "--bucket", bucket, "--key", key, str(dst2))
    assert r["ETag"] == h["ETag"]
    common.assert_same_file(dst2, src)


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


@pytest.mark.parametrize("name", list(HOSTILE_KEYS))
def test_hostile_key(awsenv, bucket, tmp_path, name, s3):
    """s3api put-object/get-object, then aws s3 cp up and down (not for a key ending in `/`:
    `aws s3 cp f s3://b/dir/` means "into dir/"). Listings and deletes checked with boto3."""
    key = HOSTILE_KEYS[name]
    src = tmp_path / "src"
    src.write_bytes(common.body_for(key))
    s3api(awsenv, "put-object", "--bucket", bucket, "--key", key, "--body", str(src))
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    out = tmp_path / "out"
    r = s3api(awsenv, "get-object", "--bucket", bucket, "--key", key, str(out))
    common.check_content_type(r.get("ContentType"), key, None)
    common.assert_same_file(out, src)
    s3.delete_object(Bucket=bucket, Key=key)
    if key.endswith("/"):
        return
    src.write_bytes(common.body_for(key) + b"via aws s3 cp")
    aws(awsenv, "s3", "cp", str(src), f"s3://{bucket}/{key}", "--no-progress")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    aws(awsenv, "s3", "cp", f"s3://{bucket}/{key}", str(out), "--no-progress")
    common.assert_same_file(out, src)
    common.check_content_type(s3.head_object(Bucket=bucket, Key=key)["ContentType"], key, None)
    aws(awsenv, "s3", "rm", f"s3://{bucket}/{key}")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_key_and_prefix_coexist(awsenv, bucket, tmp_path):
    a, ab = tmp_path / "a", tmp_path / "ab"
    a.write_bytes(b"the key a")
    ab.write_bytes(b"the key a/b")
    aws(awsenv, "s3", "cp", str(a), f"s3://{bucket}/a", "--no-progress")
    aws(awsenv, "s3", "cp", str(ab), f"s3://{bucket}/a/b", "--no-progress")
    top = aws(awsenv, "s3", "ls", f"s3://{bucket}/").stdout.splitlines()
    assert any(line.split()[-2:] == ["PRE", "a/"] for line in top), top
    assert any(line.split()[-1] == "a" and "PRE" not in line for line in top), top
    assert sorted(listed_keys(awsenv, bucket)) == ["a", "a/b"]
    for key, src in (("a", a), ("a/b", ab)):
        out = tmp_path / "out"
        aws(awsenv, "s3", "cp", f"s3://{bucket}/{key}", str(out), "--no-progress")
        common.assert_same_file(out, src)


SYNC_TREE = {
    "a b": 10,
    "a+b": 11,
    "100%": 12,
    '&+-é"': 13,
    "日本語/ファイル": 14,
    "sub/deep/notes.txt": 15,
    "sub/empty": 0,
    "big": 6 * 1024 * 1024 + 3,
}


def _write_tree(root, spec):
    for rel, size in spec.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(os.urandom(size))


def _tree(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = common.file_digest(p)
    return out


def test_sync_round_trip(awsenv, bucket, tmp_path):
    up = tmp_path / "up"
    _write_tree(up, SYNC_TREE)
    aws(awsenv, "s3", "sync", str(up), f"s3://{bucket}/tree", "--no-progress")
    assert sorted(listed_keys(awsenv, bucket)) == sorted(f"tree/{k}" for k in SYNC_TREE)
    key = "tree/sub/deep/notes.txt"
    common.check_content_type(head(awsenv, bucket, key).get("ContentType"), key, "text/plain")
    # Nothing changed: a second sync transfers nothing (sizes and LastModified agree).
    again = aws(awsenv, "s3", "sync", str(up), f"s3://{bucket}/tree", "--no-progress").stdout
    assert again.strip() == "", again
    down = tmp_path / "down"
    aws(awsenv, "s3", "sync", f"s3://{bucket}/tree", str(down), "--no-progress")
    assert _tree(down) == _tree(up)
    # Change one file, delete another: sync --delete mirrors both.
    (up / "a b").write_bytes(b"changed, and longer than before")
    (up / "100%").unlink()
    aws(awsenv, "s3", "sync", str(up), f"s3://{bucket}/tree", "--delete", "--no-progress")
    down2 = tmp_path / "down2"
    aws(awsenv, "s3", "sync", f"s3://{bucket}/tree", str(down2), "--no-progress")
    assert _tree(down2) == _tree(up)


def test_mv_local_and_back(awsenv, bucket, tmp_path):
    src = tmp_path / "src"
    data = os.urandom(4096)
    src.write_bytes(data)
    aws(awsenv, "s3", "mv", str(src), f"s3://{bucket}/moved/a b", "--no-progress")
    assert not src.exists()
    back = tmp_path / "back"
    aws(awsenv, "s3", "mv", f"s3://{bucket}/moved/a b", str(back), "--no-progress")
    assert back.read_bytes() == data
    assert listed_keys(awsenv, bucket) == []


def test_mv_s3_to_s3(awsenv, bucket, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(os.urandom(1000))
    aws(awsenv, "s3", "cp", str(src), f"s3://{bucket}/from/x.json", "--no-progress")
    aws(awsenv, "s3", "mv", f"s3://{bucket}/from/x.json", f"s3://{bucket}/to/y+z.json", "--no-progress")
    assert listed_keys(awsenv, bucket) == ["to/y+z.json"]
    out = tmp_path / "out"
    aws(awsenv, "s3", "cp", f"s3://{bucket}/to/y+z.json", str(out), "--no-progress")
    common.assert_same_file(out, src)
    common.check_content_type(head(awsenv, bucket, "to/y+z.json").get("ContentType"), "to/y+z.json", None)


def test_tagging_s3api_and_large_s3_copy(awsenv, bucket, tmp_path):
    # aws-cli v2 calls GetObjectTagging on sources over 8 MiB for s3-to-s3 copies; v1 does not,
    # so the operation itself is driven through s3api here.
    src = tmp_path / "big"
    src.write_bytes(os.urandom(9 * common.MiB))
    aws(awsenv, "s3", "cp", str(src), f"s3://{bucket}/big", "--no-progress")
    tagging = json.dumps({"TagSet": [{"Key": "a", "Value": "1"}]})
    aws(awsenv, "s3api", "put-object-tagging", "--bucket", bucket, "--key", "big", "--tagging", tagging)
    assert s3api(awsenv, "get-object-tagging", "--bucket", bucket, "--key", "big")["TagSet"] == [
        {"Key": "a", "Value": "1"}
    ]
    aws(awsenv, "s3", "cp", f"s3://{bucket}/big", f"s3://{bucket}/copy", "--no-progress")
    out = tmp_path / "out"
    aws(awsenv, "s3", "cp", f"s3://{bucket}/copy", str(out), "--no-progress")
    common.assert_same_file(out, src)


def test_rm_single_and_recursive(awsenv, bucket, tmp_path, s3):
    for k in ("keep", "p/one", "p/two", "p/q/three", "pp"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    aws(awsenv, "s3", "rm", f"s3://{bucket}/p/one")
    assert sorted(listed_keys(awsenv, bucket)) == ["keep", "p/q/three", "p/two", "pp"]
    aws(awsenv, "s3", "rm", "--recursive", f"s3://{bucket}/p/")
    assert sorted(listed_keys(awsenv, bucket)) == ["keep", "pp"]


def test_ls_pages_and_prefixes(awsenv, bucket, s3):
    # 1,050 keys: aws s3 ls pages through ListObjectsV2 (1,000 a page) with continuation tokens.
    keys = [f"many/{i:05d}" for i in range(1050)] + ["top.txt", "dir/x", "dir/y/z"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"12345"), keys))
    rec = aws(awsenv, "s3", "ls", "--recursive", "--summarize", f"s3://{bucket}").stdout
    lines = [line for line in rec.splitlines() if line[:4].isdigit()]
    assert sorted(line.split(None, 3)[3] for line in lines) == sorted(keys)
    assert "Total Objects: 1053" in rec and "Total Size: 5265" in rec, rec[-300:]
    top = aws(awsenv, "s3", "ls", f"s3://{bucket}").stdout.split("\n")
    pre = sorted(line.split()[-1] for line in top if "PRE" in line)
    assert pre == ["dir/", "many/"], top
    assert [line.split()[-1] for line in top if line and "PRE" not in line] == ["top.txt"]
    sub = aws(awsenv, "s3", "ls", f"s3://{bucket}/dir/").stdout
    assert "PRE y/" in sub and sub.rstrip().endswith(" x"), sub


def test_presign_get(awsenv, bucket, tmp_path, s3):
    for key in ("plain.txt", "a b+c%.txt", "日本語/ファイル.json"):
        body = common.body_for(key)
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        url = aws(awsenv, "s3", "presign", f"s3://{bucket}/{key}", "--expires-in", "300").stdout.strip()
        with urllib.request.urlopen(url, timeout=30) as r:
            common.assert_same_bytes(r.read(), body, key)
            common.check_content_type(r.headers["Content-Type"], key, None)


def test_presign_default_sigv2(awsenv, bucket, tmp_path, s3):
    """`aws s3 presign` with a config that does not name a signature version: aws-cli v1 signs
    with SigV2 (AWSAccessKeyId/Signature/Expires), and the URL must fetch the object."""
    cfg = tmp_path / "config"
    cfg.write_text("[default]\nregion = us-east-1\n")
    env = dict(awsenv, AWS_CONFIG_FILE=str(cfg))
    for key in ("plain.txt", "a b+c%.txt", "日本語/ファイル.json"):
        body = common.body_for(key)
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        url = aws(env, "s3", "presign", f"s3://{bucket}/{key}", "--expires-in", "300").stdout.strip()
        assert "Signature=" in url and "AWSAccessKeyId=" in url and "X-Amz-Signature" not in url, url
        with common.urlopen_ok(url) as r:
            common.assert_same_bytes(r.read(), body, key)
            common.check_content_type(r.headers["Content-Type"], key, None)


def test_s3api_object_operations(awsenv, bucket, tmp_path):
    src = tmp_path / "src"
    data = os.urandom(100)
    src.write_bytes(data)
    put = s3api(
        awsenv, "put-object", "--bucket", bucket, "--key", "obj/data.bin.json", "--body", str(src),
        "--content-type", "application/x-custom", "--cache-control", "max-age=60",
        "--content-disposition", 'attachment; filename="d.json"', "--metadata", "color=blue,Mixed-Case=Yes",
    )
    h = head(awsenv, bucket, "obj/data.bin.json")
    assert h["ETag"] == put["ETag"] and h["ContentLength"] == 100
    assert h["ContentType"] == "application/x-custom"
    assert h["CacheControl"] == "max-age=60"
    assert h["ContentDisposition"] == 'attachment; filename="d.json"'
    assert h["Metadata"] == {"color": "blue", "mixed-case": "Yes"}
    out = tmp_path / "range"
    r = s3api(awsenv, "get-object", "--bucket", bucket, "--key", "obj/data.bin.json", "--range", "bytes=10-19", str(out))
    assert out.read_bytes() == data[10:20] and r["ContentRange"] == "bytes 10-19/100"
    nm = aws(awsenv, "s3api", "get-object", "--bucket", bucket, "--key", "obj/data.bin.json",
             "--if-none-match", put["ETag"], str(out), ok=False)
    assert nm.returncode != 0 and "304" in nm.stderr, nm.stderr
    v1 = s3api(awsenv, "list-objects", "--bucket", bucket)
    assert [o["Key"] for o in v1["Contents"]] == ["obj/data.bin.json"]
    versions = s3api(awsenv, "list-object-versions", "--bucket", bucket)
    assert [(v["Key"], v["IsLatest"]) for v in versions["Versions"]] == [("obj/data.bin.json", True)]
    s3api(awsenv, "put-object", "--bucket", bucket, "--key", "other", "--body", str(src))
    deleted = s3api(awsenv, "delete-objects", "--bucket", bucket, "--delete",
                    json.dumps({"Objects": [{"Key": "obj/data.bin.json"}, {"Key": "other"}, {"Key": "never"}]}))
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["never", "obj/data.bin.json", "other"]
    assert listed_keys(awsenv, bucket) == []


def test_s3api_multipart(awsenv, bucket, tmp_path):
    key = "mp/日本語 file"
    part = common.data_file("5MiB")
    last = tmp_path / "last"
    last.write_bytes(os.urandom(1234))
    up = s3api(awsenv, "create-multipart-upload", "--bucket", bucket, "--key", key)
    uid = up["UploadId"]
    e1 = s3api(awsenv, "upload-part", "--bucket", bucket, "--key", key, "--upload-id", uid,
               "--part-number", "1", "--body", part)["ETag"]
    e2 = s3api(awsenv, "upload-part", "--bucket", bucket, "--key", key, "--upload-id", uid,
               "--part-number", "2", "--body", str(last))["ETag"]
    parts = s3api(awsenv, "list-parts", "--bucket", bucket, "--key", key, "--upload-id", uid)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == [(1, e1, 5 * common.MiB), (2, e2, 1234)]
    done = s3api(awsenv, "complete-multipart-upload", "--bucket", bucket, "--key", key, "--upload-id", uid,
                 "--multipart-upload", json.dumps({"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}))
    assert done["ETag"].endswith('-2"'), done
    out = tmp_path / "out"
    s3api(awsenv, "get-object", "--bucket", bucket, "--key", key, str(out))
    with open(part, "rb") as f:
        want = f.read() + last.read_bytes()
    assert out.read_bytes() == want
    # An aborted upload leaves nothing behind.
    uid2 = s3api(awsenv, "create-multipart-upload", "--bucket", bucket, "--key", "aborted")["UploadId"]
    s3api(awsenv, "abort-multipart-upload", "--bucket", bucket, "--key", "aborted", "--upload-id", uid2)
    assert not s3api(awsenv, "list-multipart-uploads", "--bucket", bucket).get("Uploads")
    assert listed_keys(awsenv, bucket) == [key]


def test_s3api_copy_object(awsenv, bucket, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(os.urandom(3000))
    s3api(awsenv, "put-object", "--bucket", bucket, "--key", "src/a+b c.txt", "--body", str(src),
          "--metadata", "k=v")
    s3api(awsenv, "copy-object", "--bucket", bucket, "--key", "dst/copy", "--copy-source", f"{bucket}/src/a+b c.txt")
    h = head(awsenv, bucket, "dst/copy")
    assert h["Metadata"] == {"k": "v"} and h["ContentLength"] == 3000
    out = tmp_path / "out"
    s3api(awsenv, "get-object", "--bucket", bucket, "--key", "dst/copy", str(out))
    common.assert_same_file(out, src)


def test_errors(awsenv, bucket, tmp_path):
    r = aws(awsenv, "s3api", "get-object", "--bucket", bucket, "--key", "missing", str(tmp_path / "x"), ok=False)
    assert r.returncode != 0 and "NoSuchKey" in r.stderr, r.stderr
    r = aws(awsenv, "s3", "cp", f"s3://{bucket}/missing", str(tmp_path / "x"), ok=False)
    assert r.returncode != 0 and "404" in r.stderr, r.stderr
    r = aws(awsenv, "s3", "ls", f"s3://{bucket}-nope", ok=False)
    assert r.returncode != 0 and "NoSuchBucket" in r.stderr, r.stderr
    bad = dict(awsenv)
    bad["AWS_ACCESS_KEY_ID"], bad["AWS_SECRET_ACCESS_KEY"] = common.AK, "wrong-secret"
    r = aws(bad, "s3", "ls", f"s3://{bucket}", ok=False)
    assert r.returncode != 0 and "SignatureDoesNotMatch" in r.stderr, r.stderr
    shutil.rmtree(tmp_path / "x", ignore_errors=True)


# ------------------------------------------------------------------ versioning


def _vid(out, what):
    vid = out.get("VersionId")
    assert vid and len(vid) == 24 and all(c in "0123456789abcdef" for c in vid), f"{what}: VersionId {vid!r}"
    return vid


def _version_entries(listing):
    return (
        [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listing.get("Versions", [])],
        [(m["Key"], m["VersionId"], m["IsLatest"]) for m in listing.get("DeleteMarkers", [])],
    )


def test_s3api_versioning_round_trip(awsenv, bucket, tmp_path):
    s3api(awsenv, "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
    assert s3api(awsenv, "get-bucket-versioning", "--bucket", bucket)["Status"] == "Enabled"
    key = "v/a b+c.txt"
    files, ids = {}, []
    for n, size in enumerate((0, 10, 5000)):
        f = tmp_path / f"v{n}"
        f.write_bytes(os.urandom(size))
        vid = _vid(s3api(awsenv, "put-object", "--bucket", bucket, "--key", key, "--body", str(f)), "put-object")
        files[vid] = f
        ids.insert(0, vid)
    assert len(set(ids)) == 3
    for vid, f in files.items():
        out = tmp_path / "out"
        r = s3api(awsenv, "get-object", "--bucket", bucket, "--key", key, "--version-id", vid, str(out))
        assert r["VersionId"] == vid
        common.assert_same_file(out, f)
        h = s3api(awsenv, "head-object", "--bucket", bucket, "--key", key, "--version-id", vid)
        assert (h["VersionId"], h["ContentLength"]) == (vid, f.stat().st_size)
    assert head(awsenv, bucket, key)["VersionId"] == ids[0]
    versions, markers = _version_entries(s3api(awsenv, "list-object-versions", "--bucket", bucket))
    assert versions == [(key, v, i == 0) for i, v in enumerate(ids)] and markers == []
    # A delete marker: the key is gone, its versions stay.
    d = s3api(awsenv, "delete-object", "--bucket", bucket, "--key", key)
    assert d.get("DeleteMarker") is True, d
    marker = _vid(d, "delete-object")
    r = aws(awsenv, "s3api", "get-object", "--bucket", bucket, "--key", key, str(tmp_path / "x"), ok=False)
    assert r.returncode != 0 and "NoSuchKey" in r.stderr, r.stderr
    r = aws(awsenv, "s3api", "get-object", "--bucket", bucket, "--key", key, "--version-id", marker,
            str(tmp_path / "x"), ok=False)
    assert r.returncode != 0 and "MethodNotAllowed" in r.stderr, r.stderr
    assert listed_keys(awsenv, bucket) == []
    assert "v/a b+c.txt" not in aws(awsenv, "s3", "ls", "--recursive", f"s3://{bucket}").stdout
    versions, markers = _version_entries(s3api(awsenv, "list-object-versions", "--bucket", bucket))
    assert versions == [(key, v, False) for v in ids] and markers == [(key, marker, True)]
    # Deleting the marker restores the latest version; deleting a version removes it for good.
    d = s3api(awsenv, "delete-object", "--bucket", bucket, "--key", key, "--version-id", marker)
    assert (d.get("VersionId"), d.get("DeleteMarker")) == (marker, True), d
    assert head(awsenv, bucket, key)["VersionId"] == ids[0]
    d = s3api(awsenv, "delete-object", "--bucket", bucket, "--key", key, "--version-id", ids[0])
    assert d.get("VersionId") == ids[0] and not d.get("DeleteMarker"), d
    out = tmp_path / "out"
    assert s3api(awsenv, "get-object", "--bucket", bucket, "--key", key, str(out))["VersionId"] == ids[1]
    common.assert_same_file(out, files[ids[1]])
    r = aws(awsenv, "s3api", "head-object", "--bucket", bucket, "--key", key, "--version-id", ids[0], ok=False)
    assert r.returncode != 0 and "404" in r.stderr, r.stderr


def test_s3api_list_object_versions_pages(awsenv, bucket, s3):
    """aws-cli pages list-object-versions itself (botocore's paginator): every page size must
    give the one-page listing."""
    s3.put_object(Bucket=bucket, Key="dir/old", Body=b"null version")
    s3api(awsenv, "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
    for key, n in (("a b", 3), ("a+b", 2), ("dir/old", 2), ("dir/sub/x", 1), ("日本語/ファイル", 2)):
        for _ in range(n):
            s3.put_object(Bucket=bucket, Key=key, Body=os.urandom(10))
    for key in ("a+b", "dir/sub/x", "gone"):
        s3.delete_object(Bucket=bucket, Key=key)
    full = s3.list_object_versions(Bucket=bucket)
    assert not full["IsTruncated"]
    want = _version_entries(full)
    assert (len(want[0]), len(want[1])) == (11, 3)
    assert want == _version_entries(s3api(awsenv, "list-object-versions", "--bucket", bucket))
    for size in ("1", "2", "4"):
        got = s3api(awsenv, "list-object-versions", "--bucket", bucket, "--page-size", size)
        assert _version_entries(got) == want, f"--page-size {size}"
    got = s3api(awsenv, "list-object-versions", "--bucket", bucket, "--prefix", "dir/", "--page-size", "1")
    assert _version_entries(got) == tuple([e for e in w if e[0].startswith("dir/")] for w in want)
    got = s3api(awsenv, "list-object-versions", "--bucket", bucket, "--delimiter", "/", "--page-size", "2")
    assert [p["Prefix"] for p in got["CommonPrefixes"]] == ["dir/", "日本語/"]
    assert _version_entries(got) == tuple([e for e in w if "/" not in e[0]] for w in want)


def test_s3_rm_rb_versioned(awsenv, bucket_name, tmp_path):
    """aws s3 rm adds delete markers in a versioned bucket; rb (even --force, which removes only
    current objects) then fails with BucketNotEmpty, as on AWS, until every version is gone."""
    aws(awsenv, "s3", "mb", f"s3://{bucket_name}")
    s3api(awsenv, "put-bucket-versioning", "--bucket", bucket_name, "--versioning-configuration", "Status=Enabled")
    f = tmp_path / "f"
    for n in range(2):
        f.write_bytes(os.urandom(100 + n))
        for k in ("one", "dir/two"):
            aws(awsenv, "s3", "cp", str(f), f"s3://{bucket_name}/{k}", "--no-progress")
    aws(awsenv, "s3", "rm", "--recursive", f"s3://{bucket_name}")
    assert aws(awsenv, "s3", "ls", "--recursive", f"s3://{bucket_name}").stdout.strip() == ""
    listing = s3api(awsenv, "list-object-versions", "--bucket", bucket_name)
    assert sorted((m["Key"], m["IsLatest"]) for m in listing["DeleteMarkers"]) == [("dir/two", True), ("one", True)]
    assert len(listing["Versions"]) == 4 and not any(v["IsLatest"] for v in listing["Versions"])
    refused = aws(awsenv, "s3", "rb", "--force", f"s3://{bucket_name}", ok=False)
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr, refused.stderr
    # A restore by copy of a version, then delete-objects of every version and marker.
    old = listing["Versions"][-1]
    c = s3api(awsenv, "copy-object", "--bucket", bucket_name, "--key", old["Key"],
              "--copy-source", f"{bucket_name}/{old['Key']}?versionId={old['VersionId']}")
    assert c["CopySourceVersionId"] == old["VersionId"]
    _vid(c, "copy-object")
    assert listed_keys(awsenv, bucket_name) == [old["Key"]]
    listing = s3api(awsenv, "list-object-versions", "--bucket", bucket_name)
    objects = [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in listing["Versions"] + listing["DeleteMarkers"]]
    assert len(objects) == 7
    r = s3api(awsenv, "delete-objects", "--bucket", bucket_name, "--delete", json.dumps({"Objects": objects}))
    assert not r.get("Errors")
    assert sorted((d["Key"], d["VersionId"]) for d in r["Deleted"]) == sorted((o["Key"], o["VersionId"]) for o in objects)
    assert sorted(d["DeleteMarkerVersionId"] for d in r["Deleted"] if d.get("DeleteMarker")) == sorted(
        m["VersionId"] for m in listing["DeleteMarkers"])
    aws(awsenv, "s3", "rb", f"s3://{bucket_name}")
    assert bucket_name not in aws(awsenv, "s3", "ls").stdout


def test_s3api_versioning_suspended(awsenv, bucket, tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"one")
    s3api(awsenv, "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
    v1 = _vid(s3api(awsenv, "put-object", "--bucket", bucket, "--key", "k", "--body", str(f)), "put-object")
    s3api(awsenv, "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Suspended")
    assert s3api(awsenv, "get-bucket-versioning", "--bucket", bucket)["Status"] == "Suspended"
    for body in (b"two", b"three"):
        f.write_bytes(body)
        put = s3api(awsenv, "put-object", "--bucket", bucket, "--key", "k", "--body", str(f))
        assert put.get("VersionId") in (None, "null"), put
        versions, markers = _version_entries(s3api(awsenv, "list-object-versions", "--bucket", bucket))
        assert versions == [("k", "null", True), ("k", v1, False)] and markers == []
    out = tmp_path / "out"
    assert s3api(awsenv, "get-object", "--bucket", bucket, "--key", "k", "--version-id", "null", str(out))["VersionId"] == "null"
    assert out.read_bytes() == b"three"
    s3api(awsenv, "get-object", "--bucket", bucket, "--key", "k", "--version-id", v1, str(out))
    assert out.read_bytes() == b"one"
    r = aws(awsenv, "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration",
            "Status=Enabled,MFADelete=Enabled", ok=False)
    assert r.returncode != 0 and "NotImplemented" in r.stderr, r.stderr


# ------------------------------------------------------------------ object lock and lifecycle


def test_s3api_object_lock(awsenv, bucket_name, tmp_path):
    """A lock bucket with a default GOVERNANCE retention, driven with s3api: retention and legal
    hold on put-object, deletes of a version refused, --bypass-governance-retention."""
    s3api(awsenv, "create-bucket", "--bucket", bucket_name, "--object-lock-enabled-for-bucket")
    assert s3api(awsenv, "get-bucket-versioning", "--bucket", bucket_name)["Status"] == "Enabled"
    s3api(awsenv, "put-object-lock-configuration", "--bucket", bucket_name, "--object-lock-configuration",
          json.dumps({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}))
    conf = s3api(awsenv, "get-object-lock-configuration", "--bucket", bucket_name)["ObjectLockConfiguration"]
    assert conf["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}
    f = tmp_path / "snap"
    f.write_bytes(os.urandom(3000))
    vid = _vid(s3api(awsenv, "put-object", "--bucket", bucket_name, "--key", "snapshots/1", "--body", str(f)), "put-object")
    h = head(awsenv, bucket_name, "snapshots/1")
    assert h["ObjectLockMode"] == "GOVERNANCE" and "ObjectLockLegalHoldStatus" not in h, h
    r = aws(awsenv, "s3api", "delete-object", "--bucket", bucket_name, "--key", "snapshots/1", "--version-id", vid, ok=False)
    assert r.returncode != 0 and "AccessDenied" in r.stderr, r.stderr
    s3api(awsenv, "delete-object", "--bucket", bucket_name, "--key", "snapshots/1", "--version-id", vid,
          "--bypass-governance-retention")
    # Explicit lock headers (aws-cli sends a checksum with them) and the legal-hold calls.
    vid = _vid(s3api(awsenv, "put-object", "--bucket", bucket_name, "--key", "held", "--body", str(f),
                     "--object-lock-mode", "GOVERNANCE", "--object-lock-retain-until-date", "2099-01-01T00:00:00Z",
                     "--object-lock-legal-hold-status", "ON"), "put-object")
    h = head(awsenv, bucket_name, "held")
    assert (h["ObjectLockMode"], h["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", "ON"), h
    assert h["ObjectLockRetainUntilDate"].startswith("2099-01-01T00:00:00"), h
    ret = s3api(awsenv, "get-object-retention", "--bucket", bucket_name, "--key", "held", "--version-id", vid)
    assert ret["Retention"]["Mode"] == "GOVERNANCE"
    r = aws(awsenv, "s3api", "delete-object", "--bucket", bucket_name, "--key", "held", "--version-id", vid,
            "--bypass-governance-retention", ok=False)
    assert r.returncode != 0 and "AccessDenied" in r.stderr, r.stderr  # the hold is not bypassed
    s3api(awsenv, "put-object-legal-hold", "--bucket", bucket_name, "--key", "held", "--legal-hold", "Status=OFF")
    assert s3api(awsenv, "get-object-legal-hold", "--bucket", bucket_name, "--key", "held")["LegalHold"] == {"Status": "OFF"}
    s3api(awsenv, "put-object-retention", "--bucket", bucket_name, "--key", "held", "--retention",
          json.dumps({"Mode": "GOVERNANCE", "RetainUntilDate": "2098-01-01T00:00:00Z"}), "--bypass-governance-retention")
    assert head(awsenv, bucket_name, "held")["ObjectLockRetainUntilDate"].startswith("2098-01-01")
    r = aws(awsenv, "s3api", "put-bucket-versioning", "--bucket", bucket_name, "--versioning-configuration",
            "Status=Suspended", ok=False)
    assert r.returncode != 0 and "InvalidBucketState" in r.stderr, r.stderr
    s3api(awsenv, "delete-object", "--bucket", bucket_name, "--key", "held", "--version-id", vid,
          "--bypass-governance-retention")
    assert s3api(awsenv, "list-object-versions", "--bucket", bucket_name).get("Versions") is None


def test_s3api_lifecycle(awsenv, bucket, tmp_path):
    """put/get/delete-bucket-lifecycle-configuration; the run's worker (2 s days) expires the
    rule's prefix and leaves the rest."""
    r = aws(awsenv, "s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket, ok=False)
    assert r.returncode != 0 and "NoSuchLifecycleConfiguration" in r.stderr, r.stderr
    bad = {"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 0}}]}
    r = aws(awsenv, "s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket,
            "--lifecycle-configuration", json.dumps(bad), ok=False)
    assert r.returncode != 0 and "InvalidArgument" in r.stderr, r.stderr
    conf = {"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
        {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
    ]}
    s3api(awsenv, "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration", json.dumps(conf))
    assert s3api(awsenv, "get-bucket-lifecycle-configuration", "--bucket", bucket)["Rules"] == conf["Rules"]
    f = tmp_path / "f"
    f.write_bytes(b"data")
    put = s3api(awsenv, "put-object", "--bucket", bucket, "--key", "tmp/a", "--body", str(f))
    assert 'rule-id="tmp"' in put.get("Expiration", ""), put
    s3api(awsenv, "put-object", "--bucket", bucket, "--key", "keep/a", "--body", str(f))
    common.wait_for(lambda: listed_keys(awsenv, bucket, "tmp/") == [], "tmp/a to expire")
    assert listed_keys(awsenv, bucket) == ["keep/a"]
    assert "Expiration" not in head(awsenv, bucket, "keep/a")
    s3api(awsenv, "delete-bucket-lifecycle", "--bucket", bucket)
    r = aws(awsenv, "s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket, ok=False)
    assert r.returncode != 0 and "NoSuchLifecycleConfiguration" in r.stderr, r.stderr
