"""pytest fixtures shared by the Python suites. The endpoint and keys come from the S3CONF_*
variables run.sh sets (see common.py)."""

import collections
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import common


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "old_boto3: also run by the boto3 1.35.x venv (payloads without default checksums)"
    )


@pytest.fixture(scope="session")
def s3():
    """A boto3 client for setup and cleanup (and for the boto3 suites themselves)."""
    return common.boto3_client()


def _suite_of(request):
    name = request.module.__name__.rsplit(".", 1)[-1]
    return name.removeprefix("test_").replace("_", "")[:8]


class Buckets:
    """Every case gets a bucket of its own, new and empty, removed after it.

    Creating and deleting a bucket costs the gateway a second or two (it makes and removes the
    bucket's fan-out directories on the volume), so the next case's bucket is created while the
    current case runs, and a finished case's bucket is emptied at once (errors belong to that
    case) and deleted in the background. A background DeleteBucket that fails is reported by
    the next case's teardown, or at the end of the session."""

    def __init__(self, s3):
        self.s3 = s3
        self.pool = ThreadPoolExecutor(2)
        self.ready = collections.deque()
        self.deleting = []  # (bucket, case, future)
        self.lock = threading.Lock()

    def _create(self, name):
        self.s3.create_bucket(Bucket=name)
        return name

    def take(self, suite):
        if not self.ready:
            self.ready.append(self.pool.submit(self._create, common.bucket_name(suite)))
        fut = self.ready.popleft()
        self.ready.append(self.pool.submit(self._create, common.bucket_name(suite)))
        return fut.result()

    def release(self, name, case):
        common.cleanup_bucket(self.s3, name, delete_bucket=False)
        self.deleting.append((name, case, self.pool.submit(self.s3.delete_bucket, Bucket=name)))
        return self._failed(wait=False)

    def _failed(self, wait):
        failed, keep = [], []
        for name, case, fut in self.deleting:
            if not wait and not fut.done():
                keep.append((name, case, fut))
                continue
            try:
                fut.result()
            except Exception as e:  # reported, not raised from the worker thread
                failed.append(f"DeleteBucket {name} (bucket of {case}): {e}")
        self.deleting = keep
        return failed

    def close(self):
        failed = []
        for fut in self.ready:
            try:
                name = fut.result()
                self.s3.delete_bucket(Bucket=name)
            except Exception as e:
                failed.append(f"unused bucket: {e}")
        failed += self._failed(wait=True)
        self.pool.shutdown()
        return failed


@pytest.fixture(scope="session")
def _buckets(s3):
    b = Buckets(s3)
    yield b
    failed = b.close()
    assert not failed, "; ".join(failed)


@pytest.fixture
def bucket(_buckets, request):
    """A fresh, empty bucket of the case, removed (with whatever it holds) after it."""
    name = _buckets.take(_suite_of(request))
    yield name
    failed = _buckets.release(name, request.node.name)
    assert not failed, "; ".join(failed)


@pytest.fixture
def bucket_name(request):
    """A fresh bucket name; the case creates the bucket itself. Removed at the end if it exists."""
    name = common.bucket_name(_suite_of(request))
    yield name
    common.cleanup_bucket(common.boto3_client(), name)
