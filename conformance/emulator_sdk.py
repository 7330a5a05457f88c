"""The vendor's own SDK judges the ECI emulator (`eci-bridge emulate`).

The Python SDK `alibabacloud-eci20180808`, its client pointed at the emulator
on 127.0.0.1 with its default signing (ACS3-HMAC-SHA256) and, separately,
with the V2 RPC signature (HMAC-SHA1):

1. creates, describes, updates, restarts and deletes container groups, and
   sees the lifecycle: Scheduling/Pending -> Running, Updating -> Running with
   the new image, Restarting -> Running with RestartCount 1, Terminating ->
   gone; logs, exec and DescribeContainerGroupStatus answer in the documented
   shape;
2. gets the documented error, as the SDK's own exception, for a wrong secret,
   an expired timestamp, a reused nonce, a missing parameter, an invalid
   value, an unknown instance, a ClientToken reused with other parameters,
   and a restart in a status that forbids it;
3. creates every fixture pod's translated request (`eci-bridge translate`),
   each answered with a new instance id, and ClientToken idempotency holds
   (the same create twice gives one instance).

Run: ECI_BRIDGE=target/debug/eci-bridge python -m pytest conformance/emulator_sdk.py
"""

import contextlib
import glob
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from alibabacloud_eci20180808 import models
from alibabacloud_eci20180808.client import Client
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_openapi import utils as openapi_utils
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_util import models as util_models

from common import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("ECI_BRIDGE", os.path.join(ROOT, "target/debug/eci-bridge"))
REGION = "cn-hangzhou"
AK, SECRET = "sdk-test-id", "sdk-test-secret"
# One virtual minute per wall second: Scheduling (2 s) and Pending (3 s)
# pass in under 0.1 s of wall time.
TIME_SCALE = "60"
NO_RETRY = util_models.RuntimeOptions(autoretry=False, max_attempts=0)


@contextlib.contextmanager
def emulator(region=REGION, zones=()):
    """`eci-bridge emulate` on a free loopback port; stopped by its pid."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        secret_file = os.path.join(tmp, "secret")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        cmd = [BINARY, "emulate", "--listen", f"127.0.0.1:{port}", "--access-key-id", AK,
               "--access-key-secret-file", secret_file, "--time-scale", TIME_SCALE, "--region", region]
        if zones:
            cmd += ["--zones", ",".join(zones)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert proc.poll() is None, proc.stderr.read()
                    assert time.time() < deadline, "the emulator did not listen within 20 s"
                    time.sleep(0.05)
            yield f"127.0.0.1:{port}"
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def endpoint():
    with emulator() as address:
        yield address


def client(endpoint, secret=SECRET, v2=False):
    config = open_api_models.Config(
        access_key_id=AK, access_key_secret=secret, endpoint=endpoint, protocol="http", region_id=REGION
    )
    if v2:
        config.signature_algorithm = "v2"
    return Client(config)


def create_request(name="web-1", image="nginx:1.27", **extra):
    container = models.CreateContainerGroupRequestContainer(name="web", image=image, cpu=0.5, memory=1.0)
    return models.CreateContainerGroupRequest(
        region_id=REGION, container_group_name=name, container=[container], **extra
    )


def describe(c, group_id, with_event=False):
    response = c.describe_container_groups(models.DescribeContainerGroupsRequest(
        region_id=REGION, container_group_ids=json.dumps([group_id]), with_event=with_event))
    groups = response.body.container_groups
    return groups[0] if groups else None


def wait_for(c, group_id, status, timeout=10):
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        group = describe(c, group_id)
        now = group.status if group else None
        if not seen or seen[-1] != now:
            seen.append(now)
        if now == status:
            return group, seen
        time.sleep(0.02)
    raise AssertionError(f"{group_id} never reached {status}: saw {seen}")


def refused(call):
    with pytest.raises(ClientException) as info:
        call()
    return info.value


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_the_lifecycle_through_the_sdk(endpoint, v2):
    c = client(endpoint, v2=v2)
    group_id = c.create_container_group(create_request(tag=[
        models.CreateContainerGroupRequestTag(key="app", value="web")])).body.container_group_id
    assert group_id.startswith("eci-")
    group, seen = wait_for(c, group_id, "Running")
    assert set(seen) <= {"Scheduling", "Pending", "Running"}, seen
    assert group.containers[0].current_state.state == "Running"
    assert group.zone_id and group.intranet_ip
    events = describe(c, group_id, with_event=True).events
    assert [e.reason for e in events] == ["Pulling", "Pulled", "Created", "Started"]
    assert all(e.count == 1 and e.type == "Normal" for e in events)

    c.update_container_group(models.UpdateContainerGroupRequest(
        region_id=REGION, container_group_id=group_id,
        container=[models.UpdateContainerGroupRequestContainer(name="web", image="nginx:1.28")]))
    assert describe(c, group_id).status == "Updating"
    group, _ = wait_for(c, group_id, "Running")
    assert group.containers[0].image == "nginx:1.28"

    c.restart_container_group(models.RestartContainerGroupRequest(region_id=REGION, container_group_id=group_id))
    group, _ = wait_for(c, group_id, "Running")
    assert group.containers[0].restart_count == 1
    assert group.containers[0].previous_state.state == "Terminated"

    log = c.describe_container_log(models.DescribeContainerLogRequest(
        region_id=REGION, container_group_id=group_id, container_name="web", tail=1)).body
    assert log.container_name == "web" and "started" in log.content and "\n" not in log.content
    ran = c.exec_container_command(models.ExecContainerCommandRequest(
        region_id=REGION, container_group_id=group_id, container_name="web",
        command=json.dumps(["echo", "hi"]), sync=True)).body
    assert ran.sync_response == "emulated: echo hi"
    status = c.describe_container_group_status(models.DescribeContainerGroupStatusRequest(
        region_id=REGION, container_group_ids=json.dumps([group_id]))).body
    assert status.data[0].pod_status.phase == "Running"
    tagged = c.describe_container_groups(models.DescribeContainerGroupsRequest(
        region_id=REGION, tag=[models.DescribeContainerGroupsRequestTag(key="app", value="web")])).body
    assert group_id in [g.container_group_id for g in tagged.container_groups]

    c.delete_container_group(models.DeleteContainerGroupRequest(region_id=REGION, container_group_id=group_id))
    assert describe(c, group_id).status == "Terminating"
    deadline = time.time() + 10
    while describe(c, group_id) is not None:
        assert time.time() < deadline, "never deleted"
        time.sleep(0.02)
    e = refused(lambda: c.restart_container_group(
        models.RestartContainerGroupRequest(region_id=REGION, container_group_id=group_id)))
    assert e.code == "InvalidParameter.NotFound" and e.status_code == 404


@pytest.mark.parametrize("v2", [False, True], ids=["acs3", "v2"])
def test_a_wrong_secret_is_refused(endpoint, v2):
    e = refused(lambda: client(endpoint, secret="wrong", v2=v2).create_container_group_with_options(create_request(), NO_RETRY))
    assert (e.code, e.status_code) == ("SignatureDoesNotMatch", 400)


def test_an_expired_timestamp_is_refused(endpoint, monkeypatch):
    monkeypatch.setattr(openapi_utils.Utils, "get_timestamp", staticmethod(lambda: "2020-01-01T00:00:00Z"))
    e = refused(lambda: client(endpoint).describe_container_groups_with_options(
        models.DescribeContainerGroupsRequest(region_id=REGION), NO_RETRY))
    assert (e.code, e.status_code) == ("InvalidTimeStamp.Expired", 400)


def test_a_reused_nonce_is_refused(endpoint, monkeypatch):
    monkeypatch.setattr(openapi_utils.Utils, "get_nonce", staticmethod(lambda: "the-same-nonce-every-time"))
    c = client(endpoint)
    c.describe_container_groups_with_options(models.DescribeContainerGroupsRequest(region_id=REGION), NO_RETRY)
    e = refused(lambda: c.describe_container_groups_with_options(models.DescribeContainerGroupsRequest(region_id=REGION), NO_RETRY))
    assert (e.code, e.status_code) == ("SignatureNonceUsed", 400)


def test_missing_and_invalid_parameters(endpoint):
    c = client(endpoint)
    no_name = models.CreateContainerGroupRequest(
        region_id=REGION, container=[models.CreateContainerGroupRequestContainer(name="web", image="nginx")])
    e = refused(lambda: c.create_container_group_with_options(no_name, NO_RETRY))
    assert (e.code, e.status_code) == ("MissingParameter", 400) and "ContainerGroupName" in e.message
    e = refused(lambda: c.create_container_group_with_options(create_request(name="Not_A_Name"), NO_RETRY))
    assert (e.code, e.status_code) == ("InvalidParameter", 400) and "ContainerGroupName" in e.message
    bad_port = create_request()
    bad_port.container[0].port = [models.CreateContainerGroupRequestContainerPort(port=70000, protocol="TCP")]
    e = refused(lambda: c.create_container_group_with_options(bad_port, NO_RETRY))
    assert e.code == "InvalidParameter" and "Container.1.Port.1.Port" in e.message
    e = refused(lambda: c.describe_container_groups_with_options(
        models.DescribeContainerGroupsRequest(region_id=REGION, limit=21), NO_RETRY))
    assert e.code == "InvalidParameter" and "Limit" in e.message
    e = refused(lambda: c.create_container_group_with_options(create_request(dry_run=True), NO_RETRY))
    assert e.code == "DryRunOperation"


def test_client_token_idempotency(endpoint):
    c = client(endpoint)
    first = c.create_container_group(create_request(name="once", client_token="token-1")).body.container_group_id
    again = c.create_container_group(create_request(name="once", client_token="token-1")).body.container_group_id
    assert first == again
    named = c.describe_container_groups(models.DescribeContainerGroupsRequest(
        region_id=REGION, container_group_name="once")).body
    assert [g.container_group_id for g in named.container_groups] == [first]
    e = refused(lambda: c.create_container_group_with_options(create_request(name="other", client_token="token-1"), NO_RETRY))
    assert e.code == "OperationConflict"


def test_restart_is_refused_outside_pending_and_running(endpoint):
    c = client(endpoint)
    group_id = c.create_container_group(create_request(name="early")).body.container_group_id
    # Still Scheduling: docs/eci-api.md#restartcontainergroup allows Pending and Running only.
    e = refused(lambda: c.restart_container_group_with_options(
        models.RestartContainerGroupRequest(region_id=REGION, container_group_id=group_id), NO_RETRY))
    assert e.code == "IncorrectStatus"


def translated_fixtures():
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/pods/*.yaml"))):
        # --strict: what a provider sends (a missing ConfigMap or Secret refuses the pod).
        res = subprocess.run([BINARY, "translate", "-f", path, "-o", "json", "--show-secrets", "--strict"],
                             capture_output=True, text=True)
        if res.returncode == 0:
            out.append((path, json.loads(res.stdout)))
    return out


def create_with_sdk(address, region, path, request):
    c = client(address)
    c._region_id = region
    try:
        sdk_request = models.CreateContainerGroupRequest().from_map(request)
        return c.create_container_group_with_options(sdk_request, NO_RETRY).body.container_group_id
    except ClientException as e:
        raise AssertionError(f"{os.path.basename(path)}: {e.code}: {e.message}") from e


def create_with_eci_bridge(address, region, path, request):
    env = dict(os.environ, ALIBABA_CLOUD_ACCESS_KEY_ID=AK, ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET)
    res = subprocess.run([BINARY, "eci", "create", "-f", path, "--endpoint", f"http://{address}"],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, f"{os.path.basename(path)}: {res.stderr}"
    answer = json.loads(res.stdout)
    assert answer["ClientToken"] == request.get("ClientToken", answer["ClientToken"])
    return answer["ContainerGroupId"]


@pytest.mark.parametrize("send", [create_with_sdk, create_with_eci_bridge], ids=["sdk", "eci-bridge"])
def test_every_translated_fixture_is_created(send):
    fixtures = translated_fixtures()
    assert len(fixtures) >= 20, len(fixtures)
    # One emulator per region the fixtures' clusters name, with their zones.
    regions = {}
    for _, request in fixtures:
        zones = regions.setdefault(request["RegionId"], set())
        if request.get("ZoneId"):
            zones.add(request["ZoneId"])
    created = 0
    for region, zones in sorted(regions.items()):
        mine = [(path, request) for path, request in fixtures if request["RegionId"] == region]
        with emulator(region, sorted(zones | {f"{region}-a"})) as address:
            ids = {send(address, region, path, request) for path, request in mine}
        assert len(ids) == len(mine), "one new instance per fixture"
        created += len(mine)
    assert created == len(fixtures)
