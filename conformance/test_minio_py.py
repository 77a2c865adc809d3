"""minio-py the way its users write it: Minio("host:port", access_key, secret_key, secure=False)
with no region (the client asks GetBucketLocation), fput/fget, put_object with unknown length
(multipart streaming), list_objects, stat, copy, remove_objects, presigned URLs."""

import datetime
import hashlib
import io
import os

import pytest
import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, ComposeSource, CopySource
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

import common
from common import HOSTILE_KEYS, MiB, SIZES

HTTP = urllib3.PoolManager()


@pytest.fixture(scope="module")
def mc():
    return Minio(common.HOST_PORT, access_key=common.AK, secret_key=common.SK, secure=False)


@pytest.fixture
def mbucket(mc, bucket_name):
    """A bucket made by minio-py itself (removed by the bucket_name fixture)."""
    mc.make_bucket(bucket_name)
    return bucket_name


def test_make_bucket_exists_remove(mc, bucket_name):
    assert not mc.bucket_exists(bucket_name)
    mc.make_bucket(bucket_name)
    assert mc.bucket_exists(bucket_name)
    assert bucket_name in [b.name for b in mc.list_buckets()]
    # us-east-1: re-creating one's own bucket is 200 and changes nothing (AWS's legacy behaviour).
    mc.make_bucket(bucket_name)
    assert mc.bucket_exists(bucket_name)
    assert mc.get_bucket_versioning(bucket_name).status in (None, "Off")
    mc.remove_bucket(bucket_name)
    assert not mc.bucket_exists(bucket_name)


@pytest.mark.parametrize("size", list(SIZES))
def test_fput_fget(mc, mbucket, tmp_path, size):
    src = common.data_file(size)
    key = f"f/{size}.png"
    r = mc.fput_object(mbucket, key, src)
    st = mc.stat_object(mbucket, key)
    assert st.size == SIZES[size] and st.etag == r.etag
    common.check_content_type(st.content_type, key, "application/octet-stream")
    dst = tmp_path / "down"
    mc.fget_object(mbucket, key, str(dst))
    common.assert_same_file(dst, src)


@pytest.mark.parametrize("size", [0, 100, 12 * MiB + 5])
def test_put_object_unknown_length(mc, mbucket, size):
    """length=-1: minio-py reads part_size chunks and uploads them as parts."""
    data = os.urandom(size)
    key = f"stream/{size}"
    mc.put_object(mbucket, key, io.BytesIO(data), length=-1, part_size=5 * MiB)
    resp = mc.get_object(mbucket, key)
    try:
        common.assert_same_bytes(resp.read(), data, key)
    finally:
        resp.close()
        resp.release_conn()
    assert mc.stat_object(mbucket, key).size == size


def test_put_object_metadata_and_type(mc, mbucket):
    data = b"{}"
    mc.put_object(mbucket, "m/doc.json", io.BytesIO(data), len(data), content_type="application/x-doc",
                  metadata={"x-amz-meta-color": "blue", "Project": "conformance"})
    st = mc.stat_object(mbucket, "m/doc.json")
    assert st.content_type == "application/x-doc"
    assert st.metadata.get("x-amz-meta-color") == "blue" and st.metadata.get("x-amz-meta-project") == "conformance"
    assert st.etag == hashlib.md5(data).hexdigest()
    mc.put_object(mbucket, "m/page.html", io.BytesIO(b"<p>"), 3)  # default type: octet-stream
    common.check_content_type(mc.stat_object(mbucket, "m/page.html").content_type, "m/page.html", "application/octet-stream")


@pytest.mark.parametrize("name", list(HOSTILE_KEYS))
def test_hostile_key(mc, mbucket, name):
    key = HOSTILE_KEYS[name]
    if name == "dotdot":
        pytest.skip("minio-py refuses keys with '.' or '..' segments (client-side ValueError)")
    body = common.body_for(key)
    mc.put_object(mbucket, key, io.BytesIO(body), len(body))
    resp = mc.get_object(mbucket, key)
    try:
        common.assert_same_bytes(resp.read(), body, key)
        common.check_content_type(resp.headers["Content-Type"], key, "application/octet-stream")
    finally:
        resp.close()
        resp.release_conn()
    assert mc.stat_object(mbucket, key).size == len(body)
    assert [o.object_name for o in mc.list_objects(mbucket, recursive=True)] == [key]
    mc.remove_object(mbucket, key)
    assert list(mc.list_objects(mbucket, recursive=True)) == []


def test_key_and_prefix_coexist(mc, mbucket):
    for k in ("a", "a/b"):
        mc.put_object(mbucket, k, io.BytesIO(k.encode()), len(k))
    top = [(o.object_name, o.is_dir) for o in mc.list_objects(mbucket)]
    assert top == [("a", False), ("a/", True)]
    for k in ("a", "a/b"):
        resp = mc.get_object(mbucket, k)
        assert resp.read() == k.encode()
        resp.close()
        resp.release_conn()


def test_list_objects(mc, mbucket):
    keys = ["a b", "a+b", "dir/1", "dir/2", "dir/sub/3", "日本語/ファイル", "z"]
    for k in keys:
        mc.put_object(mbucket, k, io.BytesIO(b"abc"), 3)
    assert [o.object_name for o in mc.list_objects(mbucket, recursive=True)] == sorted(keys, key=str.encode)
    # (minio-py yields a page's objects, then its prefixes.)
    top = [(o.object_name, o.is_dir) for o in mc.list_objects(mbucket)]
    assert top == [("a b", False), ("a+b", False), ("z", False), ("dir/", True), ("日本語/", True)]
    assert [o.object_name for o in mc.list_objects(mbucket, prefix="dir/")] == ["dir/1", "dir/2", "dir/sub/"]
    assert [o.object_name for o in mc.list_objects(mbucket, prefix="dir/", recursive=True, start_after="dir/1")] == [
        "dir/2", "dir/sub/3"]
    v1 = [o.object_name for o in mc.list_objects(mbucket, recursive=True, use_api_v1=True)]
    assert v1 == sorted(keys, key=str.encode)
    o = next(iter(mc.list_objects(mbucket, prefix="z")))
    assert o.size == 3 and o.etag == hashlib.md5(b"abc").hexdigest() and o.last_modified is not None
    versions = list(mc.list_objects(mbucket, recursive=True, include_version=True))
    assert len(versions) == len(keys) and all(v.is_latest == "true" for v in versions)


def test_list_many(mc, mbucket):
    from concurrent.futures import ThreadPoolExecutor

    keys = [f"k/{i:04d}" for i in range(1100)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: mc.put_object(mbucket, k, io.BytesIO(b""), 0), keys))
    assert [o.object_name for o in mc.list_objects(mbucket, recursive=True)] == keys
    assert [o.object_name for o in mc.list_objects(mbucket, recursive=True, use_api_v1=True)] == keys


def test_get_partial(mc, mbucket):
    data = os.urandom(5000)
    mc.put_object(mbucket, "p", io.BytesIO(data), len(data))
    for offset, length in ((0, 10), (4990, 10), (100, 0), (2500, 1)):
        resp = mc.get_object(mbucket, "p", offset=offset, length=length)
        want = data[offset : offset + length] if length else data[offset:]
        assert resp.read() == want
        resp.close()
        resp.release_conn()


def test_stat_and_errors(mc, mbucket):
    with pytest.raises(S3Error) as e:
        mc.stat_object(mbucket, "missing")
    assert e.value.code == "NoSuchKey"
    with pytest.raises(S3Error) as e:
        mc.get_object(mbucket, "missing")
    assert e.value.code == "NoSuchKey"
    with pytest.raises(S3Error) as e:
        list(mc.list_objects(mbucket + "-nope"))
    assert e.value.code == "NoSuchBucket"
    bad = Minio(common.HOST_PORT, access_key=common.AK, secret_key="wrong", secure=False, region="us-east-1")
    with pytest.raises(S3Error) as e:
        bad.bucket_exists(mbucket)
    # HEAD has no body: minio-py names the error from the status alone.
    assert e.value.code in ("SignatureDoesNotMatch", "AccessDenied")
    with pytest.raises(S3Error) as e:
        list(bad.list_objects(mbucket))
    assert e.value.code == "SignatureDoesNotMatch"


def test_copy_object(mc, mbucket):
    data = os.urandom(3000)
    mc.put_object(mbucket, "src/a b.txt", io.BytesIO(data), len(data), metadata={"k": "v"})
    mc.copy_object(mbucket, "dst/copy", CopySource(mbucket, "src/a b.txt"))
    st = mc.stat_object(mbucket, "dst/copy")
    assert st.size == 3000 and st.metadata.get("x-amz-meta-k") == "v"
    mc.copy_object(mbucket, "dst/replaced", CopySource(mbucket, "src/a b.txt"), metadata={"n": "1"},
                   metadata_directive=REPLACE)
    st = mc.stat_object(mbucket, "dst/replaced")
    assert st.metadata.get("x-amz-meta-n") == "1" and "x-amz-meta-k" not in st.metadata
    resp = mc.get_object(mbucket, "dst/copy")
    assert resp.read() == data
    resp.close()
    resp.release_conn()


def test_compose_object(mc, mbucket):
    """compose_object: UploadPartCopy of whole sources into one multipart object."""
    a, b = os.urandom(5 * MiB), os.urandom(1000)
    mc.put_object(mbucket, "part-a", io.BytesIO(a), len(a))
    mc.put_object(mbucket, "part-b", io.BytesIO(b), len(b))
    mc.compose_object(mbucket, "composed", [ComposeSource(mbucket, "part-a"), ComposeSource(mbucket, "part-b")])
    resp = mc.get_object(mbucket, "composed")
    common.assert_same_bytes(resp.read(), a + b)
    resp.close()
    resp.release_conn()


def test_remove_objects(mc, mbucket):
    keys = [k for k in HOSTILE_KEYS.values() if "/../" not in k] + [f"r/{i}" for i in range(30)]
    for k in keys:
        mc.put_object(mbucket, k, io.BytesIO(b"x"), 1)
    errors = list(mc.remove_objects(mbucket, [DeleteObject(k) for k in keys[:-5]] + [DeleteObject("missing")]))
    assert errors == []
    assert sorted(o.object_name for o in mc.list_objects(mbucket, recursive=True)) == sorted(keys[-5:])
    mc.remove_object(mbucket, keys[-1])
    mc.remove_object(mbucket, "never-existed")


def test_presigned_get_put(mc, mbucket):
    for key in ("pre/plain.txt", "pre/a b+c%&.json", "日本語/ファイル"):
        body = common.body_for(key)
        url = mc.presigned_put_object(mbucket, key, expires=datetime.timedelta(minutes=5))
        r = HTTP.request("PUT", url, body=body)
        assert r.status == 200, r.data
        url = mc.presigned_get_object(mbucket, key, expires=datetime.timedelta(minutes=5))
        r = HTTP.request("GET", url)
        assert r.status == 200, r.data
        common.assert_same_bytes(r.data, body, key)
        common.check_content_type(r.headers["Content-Type"], key, None)
    url = mc.presigned_get_object(mbucket, "pre/plain.txt", response_headers={"response-content-type": "text/csv"})
    assert HTTP.request("GET", url).headers["Content-Type"] == "text/csv"
