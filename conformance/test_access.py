"""Access control through boto3, the way its users set it up: three users (owner ids
`conformance`, `other` and `third`, the --user lines of run.sh) and an anonymous client
(signature_version=UNSIGNED: no Authorization at all).

Covers ACLs (the default private ACL; canned ACLs on CreateBucket, PutObject, PutBucketAcl and
PutObjectAcl; x-amz-grant-* headers; a whole AccessControlPolicy document; the Get*Acl documents;
bucket-owner-full-control; an invalid canned ACL; ObjectOwnership BucketOwnerEnforced), bucket
policies (Principal "*" and a named user, Action and NotAction, object-prefix resources, an
explicit Deny over an Allow and over an ACL grant, conditions on s3:prefix and aws:SourceIp,
MalformedPolicy, the owner's lockout protection, GetBucketPolicyStatus), the four settings of the
public access block, and anonymous requests outside a bucket. Errors are checked by code and
HTTP status, as AWS answers them.

Every bucket belongs to the first user. The `bucket` and `bucket_name` fixtures below delete the
bucket's policy, public access block and ownership controls before the common cleanup, so that a
Deny-all policy left by a failing case cannot lock the cleanup out."""

import json

import botocore
import pytest
from botocore.exceptions import ClientError

import common

# The owner (canonical) ids of run.sh's three users.
ID1, ID2, ID3 = "conformance", "other", "third"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def code(exc_info):
    return exc_info.value.response["Error"]["Code"]


def status(exc_info):
    return exc_info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def fails(call, want_code, want_status):
    """`call()` raises a ClientError with that code and HTTP status."""
    with pytest.raises(ClientError) as e:
        call()
    got = (code(e), status(e))
    err = e.value.response.get("Error")
    assert got == (want_code, want_status), f"want {want_code} ({want_status}), got {got}: {err}"
    return e


def denied(call):
    fails(call, "AccessDenied", 403)


def head_denied(call):
    """HEAD: a 403 has no body, so botocore's code is the status."""
    fails(call, "403", 403)


def read(client, bucket, key):
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


def keys(listing):
    return [o["Key"] for o in listing.get("Contents", [])]


def grants(acl):
    """The grants of a Get*Acl answer as {(grantee type, id or uri, permission)}."""
    out = set()
    for g in acl["Grants"]:
        grantee = g["Grantee"]
        who = grantee.get("ID") or grantee.get("URI") or grantee.get("EmailAddress")
        out.add((grantee["Type"], who, g["Permission"]))
    return out


def full(owner_id):
    return ("CanonicalUser", owner_id, "FULL_CONTROL")


def arn(bucket, path=None):
    return f"arn:aws:s3:::{bucket}" if path is None else f"arn:aws:s3:::{bucket}/{path}"


def statement(effect, principal, action, resource, **extra):
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **extra}


def policy_doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def policy(*statements):
    return json.dumps(policy_doc(*statements))


def pab(**on):
    """A PublicAccessBlockConfiguration with all four settings, the named ones True."""
    conf = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), False)
    conf.update(on)
    return conf


def reset_access(s3, bucket):
    """Deletes the bucket's policy, public access block and ownership controls (as its owner,
    whom the lockout protection lets delete a policy that denies everything)."""
    tolerated = (
        "NoSuchBucket",
        "NotImplemented",
        "NoSuchBucketPolicy",
        "NoSuchPublicAccessBlockConfiguration",
        "OwnershipControlsNotFoundError",
    )
    for call in (s3.delete_bucket_policy, s3.delete_public_access_block, s3.delete_bucket_ownership_controls):
        try:
            call(Bucket=bucket)
        except ClientError as e:
            if e.response["Error"]["Code"] not in tolerated:
                raise


# ------------------------------------------------------------------ fixtures


def _user(ak, sk, var):
    if not ak:
        pytest.skip(f"{var} is not set (run.sh sets it)")
    return common.boto3_client(ak, sk)


@pytest.fixture(scope="session")
def user2():
    """The second user (owner id `other`)."""
    return _user(common.AK2, common.SK2, "S3CONF_ACCESS_KEY2")


@pytest.fixture(scope="session")
def user3():
    """The third user (owner id `third`)."""
    return _user(common.AK3, common.SK3, "S3CONF_ACCESS_KEY3")


@pytest.fixture(scope="session")
def anon():
    """An anonymous client: unsigned requests, path style like the others (an IP endpoint)."""
    return common.boto3_client(signature_version=botocore.UNSIGNED)


@pytest.fixture
def bucket(bucket, s3):
    """conftest's bucket, its access settings deleted before its cleanup."""
    yield bucket
    reset_access(s3, bucket)


@pytest.fixture
def bucket_name(bucket_name, s3):
    """conftest's bucket_name, likewise."""
    yield bucket_name
    reset_access(s3, bucket_name)


# ------------------------------------------------------------------ ACLs


@pytest.mark.parametrize("who", ["user2", "anon"])
def test_private_by_default(s3, bucket, request, who):
    client = request.getfixturevalue(who)
    s3.put_object(Bucket=bucket, Key="secret", Body=b"s")
    denied(lambda: client.get_object(Bucket=bucket, Key="secret"))
    # Without s3:ListBucket a missing key is a 403 too: nothing tells whether it exists.
    denied(lambda: client.get_object(Bucket=bucket, Key="missing"))
    denied(lambda: client.list_objects_v2(Bucket=bucket))
    denied(lambda: client.put_object(Bucket=bucket, Key="intruder", Body=b"x"))
    denied(lambda: client.delete_object(Bucket=bucket, Key="secret"))
    denied(lambda: client.get_bucket_acl(Bucket=bucket))
    denied(lambda: client.get_object_acl(Bucket=bucket, Key="secret"))
    head_denied(lambda: client.head_object(Bucket=bucket, Key="secret"))
    head_denied(lambda: client.head_bucket(Bucket=bucket))
    assert keys(s3.list_objects_v2(Bucket=bucket)) == ["secret"]
    assert read(s3, bucket, "secret") == b"s"


def test_canned_public_read_object(s3, bucket, anon):
    body = common.body_for("pub")
    s3.put_object(Bucket=bucket, Key="pub", Body=body, ACL="public-read")
    s3.put_object(Bucket=bucket, Key="priv", Body=b"p")
    assert read(anon, bucket, "pub") == body
    assert anon.head_object(Bucket=bucket, Key="pub")["ContentLength"] == len(body)
    denied(lambda: anon.get_object(Bucket=bucket, Key="priv"))
    head_denied(lambda: anon.head_object(Bucket=bucket, Key="priv"))
    denied(lambda: anon.get_object(Bucket=bucket, Key="missing"))
    # READ on one object: no listing, no overwrite, no delete.
    denied(lambda: anon.list_objects_v2(Bucket=bucket))
    denied(lambda: anon.put_object(Bucket=bucket, Key="pub", Body=b"overwritten"))
    denied(lambda: anon.delete_object(Bucket=bucket, Key="pub"))
    assert read(s3, bucket, "pub") == body


def test_canned_public_read_bucket(s3, bucket_name, anon):
    s3.create_bucket(Bucket=bucket_name, ACL="public-read")
    s3.put_object(Bucket=bucket_name, Key="listed", Body=b"l")
    assert keys(anon.list_objects_v2(Bucket=bucket_name)) == ["listed"]
    assert grants(s3.get_bucket_acl(Bucket=bucket_name)) == {full(ID1), ("Group", ALL_USERS, "READ")}
    # READ on the bucket lists it; its objects keep their own, private, ACL.
    denied(lambda: anon.get_object(Bucket=bucket_name, Key="listed"))
    # Who may list gets the truth about a missing key.
    fails(lambda: anon.get_object(Bucket=bucket_name, Key="missing"), "NoSuchKey", 404)
    denied(lambda: anon.put_object(Bucket=bucket_name, Key="anonymous", Body=b"a"))
    assert keys(s3.list_objects_v2(Bucket=bucket_name)) == ["listed"]


def test_canned_public_read_write_bucket(s3, bucket_name, anon):
    s3.create_bucket(Bucket=bucket_name, ACL="public-read-write")
    assert grants(s3.get_bucket_acl(Bucket=bucket_name)) == {
        full(ID1),
        ("Group", ALL_USERS, "READ"),
        ("Group", ALL_USERS, "WRITE"),
    }
    anon.put_object(Bucket=bucket_name, Key="from-anonymous", Body=b"a")
    assert keys(anon.list_objects_v2(Bucket=bucket_name)) == ["from-anonymous"]
    assert keys(s3.list_objects_v2(Bucket=bucket_name)) == ["from-anonymous"]


def test_canned_authenticated_read_object(s3, bucket, user2, user3, anon):
    body = common.body_for("members")
    s3.put_object(Bucket=bucket, Key="members", Body=body, ACL="authenticated-read")
    assert grants(s3.get_object_acl(Bucket=bucket, Key="members")) == {full(ID1), ("Group", AUTH_USERS, "READ")}
    assert read(user2, bucket, "members") == body
    assert read(user3, bucket, "members") == body
    denied(lambda: anon.get_object(Bucket=bucket, Key="members"))
    denied(lambda: user2.list_objects_v2(Bucket=bucket))


def test_bucket_acl_grant_read(s3, bucket, user2, user3):
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    s3.put_bucket_acl(Bucket=bucket, GrantRead=f'id="{ID2}"', GrantFullControl=f'id="{ID1}"')
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {full(ID1), ("CanonicalUser", ID2, "READ")}
    assert keys(user2.list_objects_v2(Bucket=bucket)) == ["k"]
    user2.head_bucket(Bucket=bucket)
    denied(lambda: user3.list_objects_v2(Bucket=bucket))
    # READ on the bucket is neither READ on its objects nor WRITE.
    denied(lambda: user2.get_object(Bucket=bucket, Key="k"))
    denied(lambda: user2.put_object(Bucket=bucket, Key="w", Body=b"w"))
    # A canned ACL replaces the grants.
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {full(ID1)}
    denied(lambda: user2.list_objects_v2(Bucket=bucket))


def test_bucket_acl_grant_write(s3, bucket, user2, user3):
    s3.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{ID2}"', GrantFullControl=f'id="{ID1}"')
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {full(ID1), ("CanonicalUser", ID2, "WRITE")}
    body = common.body_for("from-other")
    user2.put_object(Bucket=bucket, Key="from-other", Body=body)
    denied(lambda: user3.put_object(Bucket=bucket, Key="from-third", Body=b"t"))
    # WRITE is not READ.
    denied(lambda: user2.list_objects_v2(Bucket=bucket))
    # The writer owns what it wrote.
    assert read(user2, bucket, "from-other") == body
    acl = user2.get_object_acl(Bucket=bucket, Key="from-other")
    assert acl["Owner"]["ID"] == ID2 and grants(acl) == {full(ID2)}
    assert keys(s3.list_objects_v2(Bucket=bucket)) == ["from-other"]


def test_get_bucket_acl_document(s3, bucket):
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Owner"]["ID"] == ID1
    assert grants(acl) == {full(ID1)}
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Owner"]["ID"] == ID1
    assert grants(acl) == {full(ID1), ("Group", ALL_USERS, "READ")}
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {full(ID1)}


def test_get_object_acl_document(s3, bucket):
    s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    acl = s3.get_object_acl(Bucket=bucket, Key="plain")
    assert acl["Owner"]["ID"] == ID1
    assert grants(acl) == {full(ID1)}
    public = {full(ID1), ("Group", ALL_USERS, "READ")}
    s3.put_object_acl(Bucket=bucket, Key="plain", ACL="public-read")
    acl = s3.get_object_acl(Bucket=bucket, Key="plain")
    assert acl["Owner"]["ID"] == ID1 and grants(acl) == public
    s3.put_object(Bucket=bucket, Key="born-public", Body=b"b", ACL="public-read")
    assert grants(s3.get_object_acl(Bucket=bucket, Key="born-public")) == public


def test_put_object_acl_document(s3, bucket, user2, user3):
    body = common.body_for("shared")
    s3.put_object(Bucket=bucket, Key="shared", Body=body)
    denied(lambda: user2.get_object(Bucket=bucket, Key="shared"))
    s3.put_object_acl(
        Bucket=bucket,
        Key="shared",
        AccessControlPolicy={
            "Owner": {"ID": ID1},
            "Grants": [
                {"Grantee": {"Type": "CanonicalUser", "ID": ID1}, "Permission": "FULL_CONTROL"},
                {"Grantee": {"Type": "CanonicalUser", "ID": ID2}, "Permission": "READ"},
            ],
        },
    )
    acl = s3.get_object_acl(Bucket=bucket, Key="shared")
    assert acl["Owner"]["ID"] == ID1
    assert grants(acl) == {full(ID1), ("CanonicalUser", ID2, "READ")}
    assert read(user2, bucket, "shared") == body
    denied(lambda: user3.get_object(Bucket=bucket, Key="shared"))
    # READ is neither READ_ACP nor WRITE_ACP.
    denied(lambda: user2.get_object_acl(Bucket=bucket, Key="shared"))
    denied(lambda: user2.put_object_acl(Bucket=bucket, Key="shared", ACL="public-read"))


def test_put_object_acl_grant_all_users(s3, bucket, anon):
    body = common.body_for("granted")
    s3.put_object(Bucket=bucket, Key="granted", Body=body)
    denied(lambda: anon.get_object(Bucket=bucket, Key="granted"))
    s3.put_object_acl(Bucket=bucket, Key="granted", GrantRead=f'uri="{ALL_USERS}"', GrantFullControl=f'id="{ID1}"')
    assert grants(s3.get_object_acl(Bucket=bucket, Key="granted")) == {full(ID1), ("Group", ALL_USERS, "READ")}
    assert read(anon, bucket, "granted") == body


def test_canned_bucket_owner_full_control(s3, bucket, user2):
    s3.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{ID2}"', GrantFullControl=f'id="{ID1}"')
    body = common.body_for("handed-over")
    user2.put_object(Bucket=bucket, Key="handed-over", Body=body, ACL="bucket-owner-full-control")
    user2.put_object(Bucket=bucket, Key="kept", Body=b"k")
    acl = user2.get_object_acl(Bucket=bucket, Key="handed-over")
    assert acl["Owner"]["ID"] == ID2
    assert grants(acl) == {full(ID2), full(ID1)}
    assert read(s3, bucket, "handed-over") == body
    # Without it the writer keeps its object to itself (ObjectWriter ownership, no controls set):
    # the bucket owner may list and delete it, not read it.
    denied(lambda: s3.get_object(Bucket=bucket, Key="kept"))
    assert keys(s3.list_objects_v2(Bucket=bucket)) == ["handed-over", "kept"]


def test_invalid_canned_acl(s3, bucket):
    # botocore does not check enum values: the header goes as given.
    fails(lambda: s3.put_bucket_acl(Bucket=bucket, ACL="bogus"), "InvalidArgument", 400)
    fails(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"k", ACL="public-everything"), "InvalidArgument", 400)
    fails(lambda: s3.head_object(Bucket=bucket, Key="k"), "404", 404)
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {full(ID1)}


def test_ownership_controls_bucket_owner_enforced(s3, bucket):
    controls = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=controls)
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"] == controls
    # ACLs are disabled: setting one fails, reading them still works.
    fails(
        lambda: s3.put_object(Bucket=bucket, Key="pub", Body=b"p", ACL="public-read"),
        "AccessControlListNotSupported",
        400,
    )
    fails(lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"), "AccessControlListNotSupported", 400)
    fails(lambda: s3.head_object(Bucket=bucket, Key="pub"), "404", 404)
    s3.put_object(Bucket=bucket, Key="bofc", Body=b"b", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {full(ID1)}
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    fails(lambda: s3.get_bucket_ownership_controls(Bucket=bucket), "OwnershipControlsNotFoundError", 404)
    s3.put_object(Bucket=bucket, Key="pub", Body=b"p", ACL="public-read")
    assert keys(s3.list_objects_v2(Bucket=bucket)) == ["bofc", "plain", "pub"]


# ------------------------------------------------------------------ bucket policies


def test_policy_public_prefix(s3, bucket, anon):
    fails(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy", 404)
    body = common.body_for("public/x")
    s3.put_object(Bucket=bucket, Key="public/x", Body=body)
    s3.put_object(Bucket=bucket, Key="private/y", Body=b"y")
    doc = policy_doc(
        statement("Allow", "*", "s3:GetObject", arn(bucket, "public/*"), Sid="PublicRead"),
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(doc))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == doc
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    assert read(anon, bucket, "public/x") == body
    denied(lambda: anon.get_object(Bucket=bucket, Key="private/y"))
    # s3:GetObject only: no listing, no writing.
    denied(lambda: anon.list_objects_v2(Bucket=bucket))
    denied(lambda: anon.put_object(Bucket=bucket, Key="public/z", Body=b"z"))
    s3.delete_bucket_policy(Bucket=bucket)
    denied(lambda: anon.get_object(Bucket=bucket, Key="public/x"))
    fails(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy", 404)


def test_policy_principal_user(s3, bucket, user2, user3):
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    s3.put_bucket_policy(
        Bucket=bucket, Policy=policy(statement("Allow", {"AWS": [ID2]}, "s3:ListBucket", arn(bucket)))
    )
    # Granted to one named user: not public.
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    assert keys(user2.list_objects_v2(Bucket=bucket)) == ["k"]
    denied(lambda: user3.list_objects_v2(Bucket=bucket))
    denied(lambda: user2.get_object(Bucket=bucket, Key="k"))


def test_policy_explicit_deny_beats_allow(s3, bucket, anon, user2):
    body = common.body_for("open/x")
    s3.put_object(Bucket=bucket, Key="open/x", Body=body)
    s3.put_object(Bucket=bucket, Key="secret/y", Body=b"y")
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(
            statement("Allow", "*", "s3:GetObject", arn(bucket, "*")),
            statement("Deny", "*", "s3:GetObject", arn(bucket, "secret/*")),
        ),
    )
    for client in (anon, user2):
        assert read(client, bucket, "open/x") == body
        denied(lambda: client.get_object(Bucket=bucket, Key="secret/y"))
    # Principal "*" names the bucket owner too.
    denied(lambda: s3.get_object(Bucket=bucket, Key="secret/y"))
    assert read(s3, bucket, "open/x") == body


def test_policy_deny_beats_acl_grant(s3, bucket, user2):
    s3.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{ID2}"', GrantFullControl=f'id="{ID1}"')
    user2.put_object(Bucket=bucket, Key="before", Body=b"b")
    s3.put_bucket_policy(
        Bucket=bucket, Policy=policy(statement("Deny", {"AWS": [ID2]}, "s3:PutObject", arn(bucket, "*")))
    )
    denied(lambda: user2.put_object(Bucket=bucket, Key="after", Body=b"a"))
    fails(lambda: s3.head_object(Bucket=bucket, Key="after"), "404", 404)
    s3.delete_bucket_policy(Bucket=bucket)
    user2.put_object(Bucket=bucket, Key="after", Body=b"a")
    assert keys(s3.list_objects_v2(Bucket=bucket)) == ["after", "before"]


def test_policy_condition_prefix(s3, bucket, anon):
    s3.put_object(Bucket=bucket, Key="pub/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="priv/b", Body=b"b")
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(
            statement("Allow", "*", "s3:ListBucket", arn(bucket), Condition={"StringEquals": {"s3:prefix": "pub/"}})
        ),
    )
    assert keys(anon.list_objects_v2(Bucket=bucket, Prefix="pub/")) == ["pub/a"]
    denied(lambda: anon.list_objects_v2(Bucket=bucket))
    denied(lambda: anon.list_objects_v2(Bucket=bucket, Prefix="priv/"))
    # StringEquals is exact.
    denied(lambda: anon.list_objects_v2(Bucket=bucket, Prefix="pub"))


def test_policy_condition_source_ip(s3, bucket, anon):
    """The suites reach the gateway from 127.0.0.1: aws:SourceIp is the peer's address."""
    body = common.body_for("k")
    s3.put_object(Bucket=bucket, Key="k", Body=body)
    allow = statement("Allow", "*", "s3:GetObject", arn(bucket, "*"))

    def allow_if(condition):
        return statement("Allow", "*", "s3:GetObject", arn(bucket, "*"), Condition=condition)

    def deny_if(condition):
        return statement("Deny", "*", "s3:GetObject", arn(bucket, "*"), Condition=condition)

    cases = [
        ("allow-loopback", policy(allow_if({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})), True),
        ("allow-10/8", policy(allow_if({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})), False),
        # The values of a key are alternatives.
        ("allow-either", policy(allow_if({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.1/32"]}})), True),
        # A Deny from everywhere but loopback does not apply here; one from everywhere but 10/8 does.
        ("deny-not-loopback", policy(allow, deny_if({"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}})), True),
        ("deny-not-10/8", policy(allow, deny_if({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})), False),
    ]
    for name, doc, allowed in cases:
        s3.put_bucket_policy(Bucket=bucket, Policy=doc)
        try:
            if allowed:
                assert read(anon, bucket, "k") == body
            else:
                denied(lambda: anon.get_object(Bucket=bucket, Key="k"))
        except (AssertionError, ClientError, pytest.fail.Exception) as e:
            raise AssertionError(f"policy {name}: {e}") from e


def test_policy_not_action(s3, bucket, user2):
    body = common.body_for("owned")
    s3.put_object(Bucket=bucket, Key="owned", Body=body)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            policy_doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": [ID2]},
                    "NotAction": ["s3:DeleteObject"],
                    "Resource": arn(bucket, "*"),
                }
            )
        ),
    )
    assert read(user2, bucket, "owned") == body
    user2.put_object(Bucket=bucket, Key="from-other", Body=b"o")
    denied(lambda: user2.delete_object(Bucket=bucket, Key="owned"))
    assert s3.head_object(Bucket=bucket, Key="owned")["ContentLength"] == len(body)
    # s3:ListBucket is not excluded, but its resource is the bucket, not BUCKET/*.
    denied(lambda: user2.list_objects_v2(Bucket=bucket))


MALFORMED = {
    "not-json": lambda b: "this is not JSON",
    "no-statement": lambda b: json.dumps({"Version": "2012-10-17"}),
    "effect-maybe": lambda b: policy(statement("Maybe", "*", "s3:GetObject", arn(b, "*"))),
    # AWS: "Policy has invalid resource".
    "other-bucket": lambda b: policy(statement("Allow", "*", "s3:GetObject", arn(b + "-other", "*"))),
    # AWS: "Policy has invalid action".
    "unknown-action": lambda b: policy(statement("Allow", "*", "s3:Fly", arn(b, "*"))),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_policy_malformed(s3, bucket, case):
    fails(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=MALFORMED[case](bucket)), "MalformedPolicy", 400)
    fails(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy", 404)


def test_policy_non_owner_denied(s3, bucket, user2):
    grab = policy(statement("Allow", {"AWS": [ID2]}, "s3:*", [arn(bucket), arn(bucket, "*")]))
    denied(lambda: user2.put_bucket_policy(Bucket=bucket, Policy=grab))
    denied(lambda: user2.get_bucket_policy(Bucket=bucket))
    denied(lambda: user2.delete_bucket_policy(Bucket=bucket))
    fails(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy", 404)
    denied(lambda: user2.list_objects_v2(Bucket=bucket))


def test_policy_owner_lockout_protection(s3, bucket):
    body = common.body_for("k")
    s3.put_object(Bucket=bucket, Key="k", Body=body)
    deny_all = policy(statement("Deny", "*", "s3:*", [arn(bucket), arn(bucket, "*")]))
    s3.put_bucket_policy(Bucket=bucket, Policy=deny_all)
    # The Deny holds for the owner's data operations...
    denied(lambda: s3.get_object(Bucket=bucket, Key="k"))
    denied(lambda: s3.list_objects_v2(Bucket=bucket))
    denied(lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"n"))
    head_denied(lambda: s3.head_object(Bucket=bucket, Key="k"))
    # ...but not for the policy operations: the owner cannot lock itself out.
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(deny_all)
    s3.put_bucket_policy(Bucket=bucket, Policy=deny_all)
    s3.delete_bucket_policy(Bucket=bucket)
    assert read(s3, bucket, "k") == body


# ------------------------------------------------------------------ public access block


def test_block_public_policy(s3, bucket, anon):
    conf = pab(BlockPublicPolicy=True)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=conf)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == conf
    public = policy(statement("Allow", "*", "s3:GetObject", arn(bucket, "*")))
    denied(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=public))
    fails(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy", 404)
    # A policy for one named user is not public: accepted.
    named = policy(statement("Allow", {"AWS": [ID2]}, "s3:GetObject", arn(bucket, "*")))
    s3.put_bucket_policy(Bucket=bucket, Policy=named)
    s3.delete_public_access_block(Bucket=bucket)
    fails(lambda: s3.get_public_access_block(Bucket=bucket), "NoSuchPublicAccessBlockConfiguration", 404)
    s3.put_bucket_policy(Bucket=bucket, Policy=public)
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    assert read(anon, bucket, "k") == b"k"


def test_block_public_acls(s3, bucket, anon):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab(BlockPublicAcls=True))
    denied(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"k", ACL="public-read"))
    fails(lambda: s3.head_object(Bucket=bucket, Key="k"), "404", 404)
    denied(lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"))
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == {full(ID1)}
    # Private writes go on.
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    denied(lambda: s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read"))
    assert grants(s3.get_object_acl(Bucket=bucket, Key="k")) == {full(ID1)}
    denied(lambda: anon.get_object(Bucket=bucket, Key="k"))


def test_ignore_public_acls(s3, bucket, anon):
    body = common.body_for("pub")
    s3.put_object(Bucket=bucket, Key="pub", Body=body, ACL="public-read")
    assert read(anon, bucket, "pub") == body
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab(IgnorePublicAcls=True))
    denied(lambda: anon.get_object(Bucket=bucket, Key="pub"))
    # Ignored, not removed.
    assert ("Group", ALL_USERS, "READ") in grants(s3.get_object_acl(Bucket=bucket, Key="pub"))
    assert read(s3, bucket, "pub") == body
    s3.delete_public_access_block(Bucket=bucket)
    assert read(anon, bucket, "pub") == body


def test_restrict_public_buckets(s3, bucket, anon, user2):
    body = common.body_for("k")
    s3.put_object(Bucket=bucket, Key="k", Body=body)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(statement("Allow", "*", "s3:GetObject", arn(bucket, "*"))))
    assert read(anon, bucket, "k") == body
    assert read(user2, bucket, "k") == body
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab(RestrictPublicBuckets=True))
    # A public policy now serves the bucket owner only: not anonymous, not another user.
    denied(lambda: anon.get_object(Bucket=bucket, Key="k"))
    denied(lambda: user2.get_object(Bucket=bucket, Key="k"))
    assert read(s3, bucket, "k") == body
    s3.delete_public_access_block(Bucket=bucket)
    assert read(anon, bucket, "k") == body


# ------------------------------------------------------------------ anonymous, outside a bucket


def test_anonymous_list_buckets(anon):
    denied(lambda: anon.list_buckets())


def test_anonymous_create_bucket(s3, anon, bucket_name):
    denied(lambda: anon.create_bucket(Bucket=bucket_name))
    fails(lambda: s3.head_bucket(Bucket=bucket_name), "404", 404)


def test_anonymous_no_such_bucket(anon):
    missing = common.bucket_name("access")
    fails(lambda: anon.get_object(Bucket=missing, Key="k"), "NoSuchBucket", 404)
    fails(lambda: anon.list_objects_v2(Bucket=missing), "NoSuchBucket", 404)
