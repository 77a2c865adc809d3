"""minio-py the way its users write it: Minio("host:port", access_key, secret_key, secure=False)
with no region (the client asks GetBucketLocation), fput/fget, put_object with unknown length
(multipart streaming), list_objects, stat, copy, remove_objects, presigned URLs, bucket versioning
(set/get_bucket_versioning, version_id on stat/get/remove/copy, list_objects(include_version=True)),
object lock (make_bucket(object_lock=True), set/get_object_lock_config, retention and legal hold)
and bucket lifecycle (set/get/delete_bucket_lifecycle)."""

import datetime
import hashlib
import io
import os

import pytest
import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, ComposeSource, CopySource, Filter
from minio.deleteobjects import DeleteObject
from minio.error import S3Error
from minio.lifecycleconfig import (
    AbortIncompleteMultipartUpload,
    Expiration,
    LifecycleConfig,
    NoncurrentVersionExpiration,
    Rule,
)
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.retention import COMPLIANCE, GOVERNANCE, Retention
from minio.versioningconfig import ENABLED, SUSPENDED, VersioningConfig

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


# ------------------------------------------------------------------ versioning


def _vid(vid, what):
    assert vid and len(vid) == 24 and all(c in "0123456789abcdef" for c in vid), f"{what}: version id {vid!r}"
    return vid


def _read(mc, bucket, key, version_id=None):
    resp = mc.get_object(bucket, key, version_id=version_id)
    try:
        return resp.read(), resp.headers.get("x-amz-version-id")
    finally:
        resp.close()
        resp.release_conn()


def _versions(objects):
    """(name, version id, is latest, is delete marker) of list_objects(include_version=True)'s
    objects. minio-py yields a page's versions, then its prefixes, then its delete markers: the
    versions and the markers are returned apart, each in the server's order."""
    objects = list(objects)
    return (
        [(o.object_name, o.version_id, o.is_latest) for o in objects if not o.is_delete_marker and not o.is_dir],
        [(o.object_name, o.version_id, o.is_latest) for o in objects if o.is_delete_marker],
    )


def test_versioning_round_trip(mc, mbucket):
    assert mc.get_bucket_versioning(mbucket).status in (None, "Off")
    mc.set_bucket_versioning(mbucket, VersioningConfig(ENABLED))
    assert mc.get_bucket_versioning(mbucket).status == "Enabled"
    key = "v/a b+c.txt"
    bodies, ids = {}, []  # ids newest first
    for size in (0, 100, 6 * MiB):  # the last one multipart (put_object's part size: 5 MiB)
        body = os.urandom(size)
        r = mc.put_object(mbucket, key, io.BytesIO(body), -1 if size > 5 * MiB else size, part_size=5 * MiB)
        vid = _vid(r.version_id, f"put_object of {size} bytes")
        bodies[vid] = body
        ids.insert(0, vid)
    assert len(set(ids)) == 3
    for vid, body in bodies.items():
        st = mc.stat_object(mbucket, key, version_id=vid)
        assert (st.version_id, st.size) == (vid, len(body))
        got, header = _read(mc, mbucket, key, vid)
        assert header == vid
        common.assert_same_bytes(got, body, f"version {vid}")
    assert mc.stat_object(mbucket, key).version_id == ids[0]
    assert _versions(mc.list_objects(mbucket, recursive=True, include_version=True)) == (
        [(key, v, "true" if i == 0 else "false") for i, v in enumerate(ids)], [])
    with pytest.raises(S3Error) as e:
        mc.stat_object(mbucket, key, version_id="0000000000000001deadbeef")
    assert e.value.response.status == 404
    # remove_object without a version: a delete marker.
    mc.remove_object(mbucket, key)
    versions, markers = _versions(mc.list_objects(mbucket, recursive=True, include_version=True))
    assert versions == [(key, v, "false") for v in ids]
    assert len(markers) == 1 and markers[0][0] == key and markers[0][2] == "true"
    marker = _vid(markers[0][1], "delete marker")
    assert list(mc.list_objects(mbucket, recursive=True)) == []
    with pytest.raises(S3Error) as e:
        mc.stat_object(mbucket, key)
    assert e.value.code == "NoSuchKey" and e.value.response.headers.get("x-amz-delete-marker") == "true"
    with pytest.raises(S3Error) as e:
        mc.get_object(mbucket, key, version_id=marker)
    assert e.value.code == "MethodNotAllowed" and e.value.response.status == 405
    # remove_object with a version: the marker (the key is back), then a version for good.
    mc.remove_object(mbucket, key, version_id=marker)
    assert mc.stat_object(mbucket, key).version_id == ids[0]
    mc.remove_object(mbucket, key, version_id=ids[0])
    assert mc.stat_object(mbucket, key).version_id == ids[1]
    assert _read(mc, mbucket, key)[0] == bodies[ids[1]]
    with pytest.raises(S3Error) as e:
        mc.stat_object(mbucket, key, version_id=ids[0])
    assert e.value.response.status == 404
    # Suspended: the null version, replaced by each write.
    mc.set_bucket_versioning(mbucket, VersioningConfig(SUSPENDED))
    assert mc.get_bucket_versioning(mbucket).status == "Suspended"
    for body in (b"s1", b"s2"):
        r = mc.put_object(mbucket, key, io.BytesIO(body), len(body))
        assert r.version_id in (None, "null")
        assert mc.stat_object(mbucket, key).version_id == "null"
    assert _versions(mc.list_objects(mbucket, recursive=True, include_version=True)) == (
        [(key, "null", "true"), (key, ids[1], "false"), (key, ids[2], "false")], [])
    assert _read(mc, mbucket, key, "null")[0] == b"s2"


def test_versioning_copy_and_remove_objects(mc, mbucket):
    mc.set_bucket_versioning(mbucket, VersioningConfig(ENABLED))
    b1, b2 = os.urandom(1000), os.urandom(2000)
    v1 = _vid(mc.put_object(mbucket, "src", io.BytesIO(b1), len(b1), metadata={"n": "1"}).version_id, "put")
    _vid(mc.put_object(mbucket, "src", io.BytesIO(b2), len(b2)).version_id, "put")
    r = mc.copy_object(mbucket, "dst", CopySource(mbucket, "src", version_id=v1))
    dst = _vid(r.version_id, "copy_object")
    st = mc.stat_object(mbucket, "dst")
    assert st.version_id == dst and st.size == 1000 and st.metadata.get("x-amz-meta-n") == "1"
    assert _read(mc, mbucket, "dst")[0] == b1
    # Restore: the old version copied onto its own key.
    r = mc.copy_object(mbucket, "src", CopySource(mbucket, "src", version_id=v1))
    assert mc.stat_object(mbucket, "src").version_id == _vid(r.version_id, "restore")
    assert _read(mc, mbucket, "src")[0] == b1
    mc.remove_object(mbucket, "dst")  # a marker
    everything = list(mc.list_objects(mbucket, recursive=True, include_version=True))
    assert len(everything) == 5 and sum(o.is_delete_marker for o in everything) == 1
    # remove_objects with version ids: everything, markers included.
    errors = list(mc.remove_objects(mbucket, [DeleteObject(o.object_name, o.version_id) for o in everything]))
    assert errors == []
    assert list(mc.list_objects(mbucket, recursive=True, include_version=True)) == []
    mc.remove_bucket(mbucket)  # empty once every version is gone
    assert not mc.bucket_exists(mbucket)


def test_versioning_list_pages(mc, mbucket, s3):
    """minio-py's own paging loop over ListObjectVersions (NextKeyMarker and NextVersionIdMarker
    fed back as key-marker and version-id-marker). list_objects always asks for 1,000 entries,
    so the loop is driven with small pages through _list_objects, the method it delegates to."""
    s3.put_object(Bucket=mbucket, Key="a b", Body=b"null")
    mc.set_bucket_versioning(mbucket, VersioningConfig(ENABLED))
    for key, n in (("a b", 2), ("a+b", 3), ("d/x", 1), ("d/y/z", 2), ("日本語/ファイル", 1)):
        for _ in range(n):
            mc.put_object(mbucket, key, io.BytesIO(b"x"), 1)
    mc.remove_object(mbucket, "a+b")
    mc.remove_object(mbucket, "gone")
    want = _versions(mc.list_objects(mbucket, recursive=True, include_version=True))
    assert (len(want[0]), len(want[1])) == (10, 2)
    assert want[0] == sorted(want[0], key=lambda e: e[0].encode())
    for max_keys in (1, 2, 3):
        got = _versions(mc._list_objects(mbucket, include_version=True, max_keys=max_keys))
        assert got == want, f"max_keys={max_keys}"
    # With the "/" delimiter (recursive=False): prefixes once each.
    top = list(mc._list_objects(mbucket, include_version=True, max_keys=1, delimiter="/"))
    assert [o.object_name for o in top if o.is_dir] == ["d/", "日本語/"]
    assert _versions(top) == tuple([e for e in w if "/" not in e[0]] for w in want)


# ------------------------------------------------------------------ object lock and lifecycle


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def test_object_lock(mc, bucket_name):
    """make_bucket(object_lock=True), a default GOVERNANCE retention, retention and legal hold
    set on a multipart put_object and by their own calls, locked versions refused."""
    mc.make_bucket(bucket_name, object_lock=True)
    assert mc.get_bucket_versioning(bucket_name).status == "Enabled"
    conf = mc.get_object_lock_config(bucket_name)
    assert (conf.mode, conf.duration) == (None, None)
    mc.set_object_lock_config(bucket_name, ObjectLockConfig(GOVERNANCE, 1, DAYS))
    conf = mc.get_object_lock_config(bucket_name)
    assert (conf.mode, conf.duration, conf.duration_unit) == (GOVERNANCE, 1, DAYS)
    # The default retention on a plain put.
    vid = _vid(mc.put_object(bucket_name, "snap", io.BytesIO(b"snapshot"), 8).version_id, "put_object")
    ret = mc.get_object_retention(bucket_name, "snap", version_id=vid)
    assert ret.mode == GOVERNANCE
    assert abs((ret.retain_until_date - _now()).total_seconds() - 86400) < 60, ret.retain_until_date
    with pytest.raises(S3Error) as e:
        mc.remove_object(bucket_name, "snap", version_id=vid)
    assert (e.value.code, e.value.response.status) == ("AccessDenied", 403)
    errors = list(mc.remove_objects(bucket_name, [DeleteObject("snap", vid)]))
    assert [(x.name, x.version_id, x.code) for x in errors] == [("snap", vid, "AccessDenied")]
    mc.remove_object(bucket_name, "snap")  # a delete marker: allowed
    # Legal hold by its own calls.
    assert not mc.is_object_legal_hold_enabled(bucket_name, "snap", version_id=vid)
    mc.enable_object_legal_hold(bucket_name, "snap", version_id=vid)
    assert mc.is_object_legal_hold_enabled(bucket_name, "snap", version_id=vid)
    mc.disable_object_legal_hold(bucket_name, "snap", version_id=vid)
    assert not mc.is_object_legal_hold_enabled(bucket_name, "snap", version_id=vid)
    # put_object(retention=..., legal_hold=True) streaming (unknown length, multipart): the lock
    # goes on CreateMultipartUpload.
    until = _now() + datetime.timedelta(seconds=6)  # room for the calls below, under load too
    body = os.urandom(6 * MiB)
    r = mc.put_object(bucket_name, "pack", io.BytesIO(body), -1, part_size=5 * MiB,
                      retention=Retention(COMPLIANCE, until), legal_hold=True)
    pv = _vid(r.version_id, "multipart put_object")
    ret = mc.get_object_retention(bucket_name, "pack")
    assert ret.mode == COMPLIANCE and abs((ret.retain_until_date - until).total_seconds()) < 1
    assert mc.is_object_legal_hold_enabled(bucket_name, "pack")
    st = mc.stat_object(bucket_name, "pack")
    assert st.metadata.get("x-amz-object-lock-mode") == COMPLIANCE
    assert st.metadata.get("x-amz-object-lock-legal-hold") == "ON"
    # A single PUT with lock parameters needs Content-MD5 or a checksum (AWS's rule); minio-py
    # sends neither over plain HTTP (only the signed SHA-256 of the payload).
    with pytest.raises(S3Error) as e:
        mc.put_object(bucket_name, "small", io.BytesIO(b"x"), 1, retention=Retention(GOVERNANCE, until))
    assert (e.value.code, e.value.response.status) == ("InvalidRequest", 400)
    # set_object_retention: COMPLIANCE is only extended.
    with pytest.raises(S3Error) as e:
        mc.set_object_retention(bucket_name, "pack", Retention(COMPLIANCE, until - datetime.timedelta(seconds=2)),
                                version_id=pv)
    assert e.value.code == "AccessDenied"
    mc.set_object_retention(bucket_name, "pack", Retention(COMPLIANCE, until + datetime.timedelta(seconds=1)),
                            version_id=pv)
    mc.disable_object_legal_hold(bucket_name, "pack", version_id=pv)

    def gone():
        try:
            mc.remove_object(bucket_name, "pack", version_id=pv)
            return True
        except S3Error as e:
            assert e.code == "AccessDenied", e
            return False

    common.wait_for(gone, "the COMPLIANCE retention of pack to end")


def test_lifecycle(mc, mbucket):
    assert mc.get_bucket_lifecycle(mbucket) is None
    config = LifecycleConfig([
        Rule(ENABLED, rule_filter=Filter(prefix="tmp/"), rule_id="tmp", expiration=Expiration(days=1)),
        Rule(ENABLED, rule_filter=Filter(prefix="versions/"), rule_id="versions",
             noncurrent_version_expiration=NoncurrentVersionExpiration(noncurrent_days=30, newer_noncurrent_versions=2),
             abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(days_after_initiation=7)),
    ])
    mc.set_bucket_lifecycle(mbucket, config)
    got = mc.get_bucket_lifecycle(mbucket)
    assert [(r.rule_id, r.status, r.rule_filter.prefix) for r in got.rules] == [
        ("tmp", ENABLED, "tmp/"), ("versions", ENABLED, "versions/")]
    assert got.rules[0].expiration.days == 1
    nve = got.rules[1].noncurrent_version_expiration
    assert (nve.noncurrent_days, nve.newer_noncurrent_versions) == (30, 2)
    assert got.rules[1].abort_incomplete_multipart_upload.days_after_initiation == 7
    with pytest.raises(S3Error) as e:
        mc.set_bucket_lifecycle(mbucket, LifecycleConfig([
            Rule(ENABLED, rule_filter=Filter(prefix="a/"), rule_id="same", expiration=Expiration(days=1)),
            Rule(ENABLED, rule_filter=Filter(prefix="b/"), rule_id="same", expiration=Expiration(days=1)),
        ]))
    assert (e.value.code, e.value.response.status) == ("InvalidArgument", 400)
    # The run's worker: 2 s days.
    for key in ("tmp/a", "tmp/b/c", "keep/a"):
        mc.put_object(mbucket, key, io.BytesIO(b"data"), 4)
    common.wait_for(lambda: not list(mc.list_objects(mbucket, prefix="tmp/", recursive=True)), "tmp/ to expire")
    assert [o.object_name for o in mc.list_objects(mbucket, recursive=True)] == ["keep/a"]
    mc.delete_bucket_lifecycle(mbucket)
    assert mc.get_bucket_lifecycle(mbucket) is None
