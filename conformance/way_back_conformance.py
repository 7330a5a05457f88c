#!/usr/bin/env python3
"""Conformance of the way back: status, events, nodes, update and delete.

1. Every DescribeContainerGroups item in fixtures/status, wrapped in a
   response, parses with the SDK model `DescribeContainerGroupsResponseBody`
   and `from_map().to_map()` gives it back unchanged: the fixtures have the
   real response shape.
2. Every pod with its mapped status (`eci-bridge status --with-pod`) and
   every Event (`--events`) validates with kubernetes-validate.
3. Every Node and Lease of fixtures/nodes (`eci-bridge nodes -f F --leases`)
   validates with kubernetes-validate.
4. Every UpdateContainerGroup request (fixtures/update) and
   DeleteContainerGroup request (fixtures/delete) round-trips through the
   SDK models unchanged; keys the pinned SDK lacks must be documented
   extensions (Force on delete). The update's query as signed by
   `eci-bridge sign` equals the SDK's flattening, and its signature equals
   the SDK's.

Usage: way_back_conformance.py <eci-bridge binary> <fixtures dir>
"""

import json
import os
import sys
import urllib.parse

import yaml
from alibabacloud_eci20180808 import models
from alibabacloud_openapi_util.client import Client

from common import Report, bool_keys, run, strip_empty, validate, validate_fixture_documents, yaml_files

NOW = "2026-11-23T10:00:00Z"
SECRET = "conformance-secret"
# Mirrors eci_bridge_core::eci::update::DELETE_EXTENSION_PARAMETERS.
DELETE_EXTENSIONS = {"Force": lambda v: isinstance(v, bool)}












def status_fixtures(binary, directory, report, stats):
    for path in yaml_files(directory):
        name = os.path.basename(path)
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for doc in docs:
            if "kind" in doc:
                continue
            response = doc if "ContainerGroups" in doc else {"ContainerGroups": [doc], "RequestId": "conformance", "TotalCount": 1}
            back = strip_empty(models.DescribeContainerGroupsResponseBody().from_map(response).to_map())
            # Empty lists are the one thing to_map() cannot tell from absent ones.
            response = strip_empty(response)
            report.check(back == response, f"{name}: the SDK response model does not round-trip the item:\n  ours {json.dumps(response, sort_keys=True)[:400]}\n  sdk  {json.dumps(back, sort_keys=True)[:400]}")
            stats["items"] += 1

        res = run([binary, "status", "-f", path, "--with-pod"])
        report.check(res.returncode == 0, f"{name}: status exited {res.returncode}: {res.stderr[:300]}")
        if res.returncode == 0:
            pod = yaml.safe_load(res.stdout)
            report.check(pod.get("status", {}).get("phase") in ("Pending", "Running", "Succeeded", "Failed", "Unknown"), f"{name}: bad phase")
            validate(pod, name, report, stats)
        res = run([binary, "status", "-f", path, "--events"])
        report.check(res.returncode == 0, f"{name}: status --events exited {res.returncode}: {res.stderr[:300]}")
        for event in yaml.safe_load(res.stdout) or []:
            validate(event, f"{name} event {event.get('reason')}", report, stats)


def node_fixtures(binary, directory, report, stats):
    for path in yaml_files(directory):
        name = os.path.basename(path)
        res = run([binary, "nodes", "-f", path, "--leases", "--now", NOW])
        report.check(res.returncode == 0, f"{name}: nodes exited {res.returncode}: {res.stderr[:300]}")
        if res.returncode != 0:
            continue
        listed = yaml.safe_load(res.stdout)
        # There is no schema for kind List itself; its items are validated.
        report.check(listed.get("kind") == "List" and listed.get("apiVersion") == "v1", f"{name}: not a v1 List")
        for item in listed.get("items", []):
            validate(item, f"{name} {item.get('metadata', {}).get('name')}", report, stats)


def signed_query(binary, request, action, name, report):
    """Signs `request` with eci-bridge and checks the signature with the SDK; returns the request's own params."""
    request_file = f".{name}.{action}.json.tmp"
    with open(request_file, "w") as f:
        json.dump(request, f)
    try:
        env = dict(os.environ, ECI_BRIDGE_TEST_SECRET=SECRET)
        res = run([binary, "sign", "-f", request_file, "--action", action, "--access-key-id", "conformance-ak",
                   "--access-key-secret-env", "ECI_BRIDGE_TEST_SECRET", "--timestamp", NOW, "--nonce", f"n-{name}"], env=env)
    finally:
        os.remove(request_file)
    report.check(res.returncode == 0, f"{name}: sign exited {res.returncode}: {res.stderr[:300]}")
    params = dict(urllib.parse.parse_qsl(res.stdout.strip(), keep_blank_values=True))
    signature = params.pop("Signature", None)
    report.check(signature == Client.get_rpcsignature(params, "POST", SECRET), f"{name}: {action} signature differs from the SDK's")
    common = {"Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"}
    return {k: v for k, v in params.items() if k not in common}




def update_fixtures(binary, directory, report, stats):
    for path in yaml_files(directory):
        name = os.path.basename(path)
        res = run([binary, "update", "--old", path, "--show-secrets"])
        if res.returncode == 2:
            stats["update_rejected"] += 1
            continue
        report.check(res.returncode == 0, f"{name}: update exited {res.returncode}: {res.stderr[:300]}")
        out = json.loads(res.stdout) if res.returncode == 0 else None
        if out is None:
            stats["update_none"] += 1
            continue
        back = strip_empty(models.UpdateContainerGroupRequest().from_map(out).to_map())
        report.check(back == out, f"{name}: UpdateContainerGroupRequest does not round-trip:\n  ours {json.dumps(out, sort_keys=True)[:400]}\n  sdk  {json.dumps(back, sort_keys=True)[:400]}")
        stats["updates"] += 1
        ours = signed_query(binary, out, "UpdateContainerGroup", name, report)
        theirs = Client.query(out)
        bools = bool_keys(out)
        theirs = {k: (v.lower() if k in bools else v) for k, v in theirs.items()}
        report.check(ours == theirs, f"{name}: the signed update query differs from the SDK's flattening: {sorted(set(ours.items()) ^ set(theirs.items()))[:6]}")


def delete_fixtures(binary, directory, report, stats):
    for path in yaml_files(directory):
        name = os.path.basename(path)
        res = run([binary, "delete", "-f", path])
        if res.returncode == 2:
            stats["delete_rejected"] += 1
            continue
        report.check(res.returncode == 0, f"{name}: delete exited {res.returncode}: {res.stderr[:300]}")
        if res.returncode != 0:
            continue
        out = json.loads(res.stdout)
        back = strip_empty(models.DeleteContainerGroupRequest().from_map(out).to_map())
        for key in sorted(set(out) - set(back)):
            valid = DELETE_EXTENSIONS.get(key)
            report.check(valid is not None and valid(out[key]), f"{name}: `{key}` is unknown to the SDK and not a documented extension")
            stats["delete_extensions"] += 1
        core = {k: v for k, v in out.items() if k not in DELETE_EXTENSIONS}
        report.check(back == core, f"{name}: DeleteContainerGroupRequest does not round-trip: ours {core}, sdk {back}")
        stats["deletes"] += 1


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, fixtures = sys.argv[1], sys.argv[2]
    report = Report()
    stats = {"items": 0, "updates": 0, "update_rejected": 0, "update_none": 0, "deletes": 0, "delete_rejected": 0, "delete_extensions": 0}
    inputs = {}
    for kind in ("status", "nodes", "update", "delete"):
        validate_fixture_documents(os.path.join(fixtures, kind), report, inputs)
    status_fixtures(binary, os.path.join(fixtures, "status"), report, stats)
    node_fixtures(binary, os.path.join(fixtures, "nodes"), report, stats)
    update_fixtures(binary, os.path.join(fixtures, "update"), report, stats)
    delete_fixtures(binary, os.path.join(fixtures, "delete"), report, stats)

    print(f"fixture input documents validated: {sum(inputs.values())} (" + ", ".join(f"{v} {k}" for k, v in sorted(inputs.items())) + ")")
    print(f"DescribeContainerGroups items round-tripped through the SDK model: {stats['items']}")
    kinds = {k: v for k, v in stats.items() if k and k[0].isupper()}
    print("produced Kubernetes objects validated: " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
    print(f"UpdateContainerGroup requests round-tripped and signed: {stats['updates']} (rejected by design: {stats['update_rejected']}, no request needed: {stats['update_none']})")
    print(f"DeleteContainerGroup requests round-tripped: {stats['deletes']} (rejected by design: {stats['delete_rejected']}, extension Force checked: {stats['delete_extensions']})")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
