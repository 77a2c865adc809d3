"""s3cmd the way its users drive it: a ~/.s3cfg pointing at the gateway (host_base/host_bucket,
use_https False, signature_v2 False) and the mb/put/get/ls/del/sync/info/rb commands."""

import os
import subprocess
import sys

import pytest

import common
from common import HOSTILE_KEYS, SIZES

S3CMD = os.path.join(os.path.dirname(sys.executable), "s3cmd")


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    home = tmp_path_factory.mktemp("s3cmdhome")
    path = home / ".s3cfg"
    # host_bucket without %(bucket)s: path-style requests (bucket.localhost may not resolve).
    path.write_text(
        "[default]\n"
        f"access_key = {common.AK}\n"
        f"secret_key = {common.SK}\n"
        f"host_base = {common.HOST_PORT}\n"
        f"host_bucket = {common.HOST_PORT}\n"
        "bucket_location = us-east-1\n"
        "use_https = False\n"
        "signature_v2 = False\n"
    )
    return str(path)


def s3cmd(cfg, *args, ok=True):
    env = dict(os.environ, HOME=os.path.dirname(cfg), LC_ALL="C.UTF-8")
    p = subprocess.run(
        [sys.executable, S3CMD, "-c", cfg, "--no-progress", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )
    if ok and p.returncode != 0:
        raise AssertionError(f"s3cmd {' '.join(args)} exited {p.returncode}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def sent_type(path):
    """The Content-Type s3cmd sends for a local file: libmagic's answer (python-magic is one of
    its dependencies), else the extension's, else its default binary/octet-stream."""
    try:
        import magic

        t = magic.from_file(str(path), mime=True)
        if t:
            return t
    except Exception:
        pass
    import mimetypes

    return mimetypes.guess_type(str(path))[0] or "binary/octet-stream"


def ls_keys(cfg, bucket, recursive=True):
    """Keys from `s3cmd ls`: the URL is the last field of each line."""
    out = s3cmd(cfg, "ls", *(["--recursive"] if recursive else []), f"s3://{bucket}").stdout
    prefix = f"s3://{bucket}/"
    return sorted(line[line.index(prefix) + len(prefix):] for line in out.splitlines() if prefix in line)


def test_mb_ls_info_rb(cfg, bucket_name):
    s3cmd(cfg, "mb", f"s3://{bucket_name}")
    assert f"s3://{bucket_name}" in s3cmd(cfg, "ls").stdout
    info = s3cmd(cfg, "info", f"s3://{bucket_name}").stdout
    assert "Location:" in info, info
    s3cmd(cfg, "rb", f"s3://{bucket_name}")
    assert f"s3://{bucket_name}" not in s3cmd(cfg, "ls").stdout


@pytest.mark.parametrize("size", list(SIZES))
def test_put_get(cfg, bucket, tmp_path, size, s3):
    src = common.data_file(size)
    key = f"sizes/{size}"
    s3cmd(cfg, "put", src, f"s3://{bucket}/{key}")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == SIZES[size]
    common.check_content_type(head["ContentType"], key, sent_type(src))
    dst = tmp_path / "down"
    s3cmd(cfg, "get", f"s3://{bucket}/{key}", str(dst))  # s3cmd checks the MD5 of single-part objects
    common.assert_same_file(dst, src)
    info = s3cmd(cfg, "info", f"s3://{bucket}/{key}").stdout
    assert f"File size: {SIZES[size]}" in info, info


def test_put_content_types(cfg, bucket, tmp_path, s3):
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    s3cmd(cfg, "put", str(page), f"s3://{bucket}/site/index.html")
    common.check_content_type(s3.head_object(Bucket=bucket, Key="site/index.html")["ContentType"], "x.html", "text/html")
    s3cmd(cfg, "put", "--mime-type=application/json", str(page), f"s3://{bucket}/data.txt")
    assert s3.head_object(Bucket=bucket, Key="data.txt")["ContentType"] == "application/json"
    s3cmd(cfg, "put", str(page), f"s3://{bucket}/plain", "--add-header=Cache-Control:max-age=3")
    assert s3.head_object(Bucket=bucket, Key="plain")["CacheControl"] == "max-age=3"


@pytest.mark.parametrize("name", [n for n in HOSTILE_KEYS if not HOSTILE_KEYS[n].endswith("/")])
def test_hostile_key(cfg, bucket, tmp_path, name, s3):
    # (`s3cmd put f s3://b/dir/` means "into dir/": a key ending in / cannot be named.)
    key = HOSTILE_KEYS[name]
    src = tmp_path / "src"
    src.write_bytes(common.body_for(key))
    s3cmd(cfg, "put", str(src), f"s3://{bucket}/{key}")
    assert ls_keys(cfg, bucket) == [key]
    dst = tmp_path / "dst"
    s3cmd(cfg, "get", f"s3://{bucket}/{key}", str(dst))
    common.assert_same_file(dst, src)
    common.check_content_type(s3.head_object(Bucket=bucket, Key=key)["ContentType"], key, sent_type(src))
    s3cmd(cfg, "del", f"s3://{bucket}/{key}")
    assert ls_keys(cfg, bucket) == []


def test_ls_and_del(cfg, bucket, tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"12345")
    for k in ("a", "a/b", "dir/x", "dir/sub/y", "z z"):
        s3cmd(cfg, "put", str(f), f"s3://{bucket}/{k}")
    top = s3cmd(cfg, "ls", f"s3://{bucket}").stdout
    assert f"DIR  s3://{bucket}/a/" in top and f"DIR  s3://{bucket}/dir/" in top, top
    assert ls_keys(cfg, bucket, recursive=False) == ["a", "a/", "dir/", "z z"]
    assert ls_keys(cfg, bucket) == ["a", "a/b", "dir/sub/y", "dir/x", "z z"]
    du = s3cmd(cfg, "du", f"s3://{bucket}").stdout
    assert du.split()[0] == "25" and "5 objects" in du, du
    s3cmd(cfg, "del", f"s3://{bucket}/a")
    s3cmd(cfg, "del", "--recursive", "--force", f"s3://{bucket}/dir/")
    assert ls_keys(cfg, bucket) == ["a/b", "z z"]


SYNC_TREE = {
    "a b": 10,
    "a+b": 11,
    "100%": 12,
    '&+-é"': 13,
    "日本語/ファイル": 14,
    "sub/deep/notes.txt": 15,
    "sub/empty": 0,
    "big": 20 * 1024 * 1024 + 7,  # above s3cmd's 15 MiB multipart chunk
}


def _tree(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = common.file_digest(p)
    return out


def test_sync_round_trip(cfg, bucket, tmp_path):
    up = tmp_path / "up"
    for rel, size in SYNC_TREE.items():
        (up / rel).parent.mkdir(parents=True, exist_ok=True)
        (up / rel).write_bytes(os.urandom(size))
    s3cmd(cfg, "sync", f"{up}/", f"s3://{bucket}/tree/")
    assert ls_keys(cfg, bucket) == sorted(f"tree/{k}" for k in SYNC_TREE)
    again = s3cmd(cfg, "sync", f"{up}/", f"s3://{bucket}/tree/").stdout
    assert "upload:" not in again, again
    down = tmp_path / "down"
    s3cmd(cfg, "sync", f"s3://{bucket}/tree/", f"{down}/")
    assert _tree(down) == _tree(up)
    (up / "a b").write_bytes(b"changed contents")
    (up / "100%").unlink()
    s3cmd(cfg, "sync", "--delete-removed", f"{up}/", f"s3://{bucket}/tree/")
    down2 = tmp_path / "down2"
    s3cmd(cfg, "sync", f"s3://{bucket}/tree/", f"{down2}/")
    assert _tree(down2) == _tree(up)


def test_cp_mv(cfg, bucket, tmp_path):
    src = tmp_path / "src"
    src.write_bytes(os.urandom(2000))
    s3cmd(cfg, "put", str(src), f"s3://{bucket}/one")
    s3cmd(cfg, "cp", f"s3://{bucket}/one", f"s3://{bucket}/two words")
    s3cmd(cfg, "mv", f"s3://{bucket}/one", f"s3://{bucket}/moved/one")
    assert ls_keys(cfg, bucket) == ["moved/one", "two words"]
    for k in ("moved/one", "two words"):
        dst = tmp_path / "dst"
        s3cmd(cfg, "get", "--force", f"s3://{bucket}/{k}", str(dst))
        common.assert_same_file(dst, src)


def test_errors(cfg, bucket, tmp_path):
    r = s3cmd(cfg, "get", f"s3://{bucket}/missing", str(tmp_path / "x"), ok=False)
    assert r.returncode != 0 and ("404" in r.stderr or "does not exist" in r.stderr), r.stderr
    r = s3cmd(cfg, "ls", f"s3://{bucket}-nope", ok=False)
    assert r.returncode != 0 and "NoSuchBucket" in r.stderr, r.stderr
    f = tmp_path / "f"
    f.write_bytes(b"x")
    s3cmd(cfg, "put", str(f), f"s3://{bucket}/k")
    r = s3cmd(cfg, "rb", f"s3://{bucket}", ok=False)
    assert r.returncode != 0 and "BucketNotEmpty" in r.stderr, r.stderr
