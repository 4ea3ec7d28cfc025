#!/usr/bin/env python3
"""Writes the AdmissionRequest fixtures of the end-to-end suite.

The JSON files are committed and are what the tests read; this script only keeps them
consistent and easy to extend. Run it from anywhere: `python3 e2e-tests/test_data/generate.py`.
"""
import base64
import copy
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
NS = "team-a"

GVR = {
    "Pod": ("", "v1", "pods"),
    "ReplicationController": ("", "v1", "replicationcontrollers"),
    "Deployment": ("apps", "v1", "deployments"),
    "ReplicaSet": ("apps", "v1", "replicasets"),
    "StatefulSet": ("apps", "v1", "statefulsets"),
    "DaemonSet": ("apps", "v1", "daemonsets"),
    "Job": ("batch", "v1", "jobs"),
    "CronJob": ("batch", "v1", "cronjobs"),
    "ConfigMap": ("", "v1", "configmaps"),
    "Secret": ("", "v1", "secrets"),
    "ServiceAccount": ("", "v1", "serviceaccounts"),
}


def pod_spec(images, secrets=None, init=None, ephemeral=None, sa=None):
    spec = {
        "containers": [
            {"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
             "resources": {}, "terminationMessagePath": "/dev/termination-log"}
            for name, image in images
        ],
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
    }
    if init:
        spec["initContainers"] = [{"name": n, "image": i} for n, i in init]
    if ephemeral:
        spec["ephemeralContainers"] = [
            {"name": n, "image": i, "targetContainerName": images[0][0]} for n, i in ephemeral
        ]
    if secrets is not None:
        spec["imagePullSecrets"] = [{"name": s} for s in secrets]
    if sa:
        spec["serviceAccountName"] = sa
    return spec


def metadata(name, labels=None, ns=NS):
    return {
        "name": name,
        "namespace": ns,
        "uid": "5d0c4b53-8f37-4c1f-9a51-0f5c3a4e4b1a",
        "labels": labels or {"app": name},
        "managedFields": [{"manager": "kubectl", "operation": "Update",
                           "apiVersion": "v1", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:metadata": {}}}],
    }


def wrap(kind, name, spec):
    """An object of `kind` whose pod spec is `spec`."""
    group, version, _ = GVR[kind]
    api_version = f"{group}/{version}" if group else version
    template = {"metadata": {"labels": {"app": name}}, "spec": spec}
    if kind == "Pod":
        body = spec
    elif kind == "CronJob":
        body = {"schedule": "*/5 * * * *",
                "jobTemplate": {"spec": {"template": template}}}
    elif kind in ("Job",):
        body = {"template": template, "backoffLimit": 3}
    else:
        body = {"replicas": 2, "selector": {"matchLabels": {"app": name}}, "template": template}
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata(name), "spec": body}


def request(kind, obj, operation="CREATE", old=None, sub_resource=None, group=None, ns=NS):
    g, version, resource = GVR.get(kind, (group or "", "v1", kind.lower() + "s"))
    if group is not None:
        g = group
    req = {
        "uid": f"e2e-{kind.lower()}-{operation.lower()}",
        "kind": {"group": g, "version": version, "kind": kind},
        "resource": {"group": g, "version": version, "resource": resource},
        "requestKind": {"group": g, "version": version, "kind": kind},
        "requestResource": {"group": g, "version": version, "resource": resource},
        "name": (obj or old or {}).get("metadata", {}).get("name", ""),
        "namespace": ns,
        "operation": operation,
        "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
        "object": obj,
        "oldObject": old,
        "dryRun": False,
        "options": {"kind": f"{operation.capitalize()}Options", "apiVersion": "meta.k8s.io/v1"},
    }
    if sub_resource:
        req["subResource"] = sub_resource
    return req


def write(name, value):
    (HERE / name).write_text(json.dumps(value, indent=2) + "\n")


PRIVATE = "private.registry.com/team/app:1.0"
WORKLOADS = ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
             "ReplicationController"]


def main():
    pods = {
        "pod-public": pod_spec([("web", "nginx:1.27")]),
        "pod-private-served": pod_spec([("app", PRIVATE)], ["regcred-ro"]),
        "pod-private-no-secret": pod_spec([("app", PRIVATE)], []),
        "pod-private-wrong-secret": pod_spec([("web", "nginx"), ("app", PRIVATE)], ["gcr-creds"]),
        "pod-init-private": pod_spec([("web", "nginx")], [], init=[("migrate", PRIVATE)]),
        "pod-hub-private-org": pod_spec([("app", "mycompany/app:2")], []),
        "pod-hub-private-org-served": pod_spec([("app", "mycompany/app:2")], ["dockerhub-creds"]),
        "pod-port-served": pod_spec([("app", "registry.local:5000/team/app")], ["local-creds"]),
        "pod-port-missing": pod_spec([("app", "registry.local/team/app")], []),
        "pod-port-wrong": pod_spec([("app", "registry.local:5001/team/app")], ["local-creds"]),
        "pod-glob-ecr": pod_spec([("app", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:3")]),
        "pod-path-prefix-no-secret": pod_spec([("app", "quay.io/my-org/app")], []),
        "pod-path-prefix-other-org": pod_spec([("app", "quay.io/my-organisation/app")], []),
        "pod-near-miss-typo": pod_spec([("app", "my-private.registry.com/team/app")], ["regcred"]),
        "pod-near-miss-case": pod_spec([("app", "Private.Registry.com/team/app")], ["regcred"]),
        "pod-invalid-image": pod_spec([("app", "private.registry.com/Team/App")], ["regcred"]),
        "pod-unlisted-registry": pod_spec([("app", "ghcr.io/someone/tool:1")], []),
        "pod-many-problems": pod_spec(
            [("web", "nginx"), ("app", PRIVATE), ("metrics", "gcr.io/proj/metrics:1")],
            ["regcred-old"], init=[("setup", "quay.io/my-org/setup")]),
    }
    for name, spec in pods.items():
        write(f"{name}.json", request("Pod", wrap("Pod", name, spec)))

    for kind in WORKLOADS:
        low = kind.lower()
        missing = wrap(kind, f"{low}-app", pod_spec([("app", PRIVATE)], ["gcr-creds"]))
        write(f"{low}-private-wrong-secret.json", request(kind, missing))
        served = wrap(kind, f"{low}-app", pod_spec([("app", PRIVATE)], ["regcred"]))
        write(f"{low}-private-served.json", request(kind, served))

    no_secrets = wrap("Deployment", "builder-app",
                      pod_spec([("app", PRIVATE)], None, sa="builder"))
    write("deployment-no-pull-secrets.json", request("Deployment", no_secrets))
    cron_no_secrets = wrap("CronJob", "nightly", pod_spec([("job", "gcr.io/proj/job")], None))
    write("cronjob-no-pull-secrets.json", request("CronJob", cron_no_secrets))

    # UPDATE: a scale of a Deployment admitted before the policy is accepted; a new image is not.
    old = wrap("Deployment", "legacy", pod_spec([("app", PRIVATE)], []))
    scaled = copy.deepcopy(old)
    scaled["spec"]["replicas"] = 5
    write("deployment-update-scale.json", request("Deployment", scaled, "UPDATE", old))
    bumped = copy.deepcopy(old)
    bumped["spec"]["template"]["spec"]["containers"][0]["image"] = "private.registry.com/team/app:1.1"
    write("deployment-update-new-image.json", request("Deployment", bumped, "UPDATE", old))
    write("deployment-delete.json", request("Deployment", None, "DELETE", old))

    # kubectl debug: the pods/ephemeralcontainers subresource.
    running = wrap("Pod", "web", pod_spec([("web", "nginx")], ["regcred"]))
    debug = copy.deepcopy(running)
    debug["spec"]["ephemeralContainers"] = [
        {"name": "debugger", "image": "gcr.io/tools/debug:1", "targetContainerName": "web"}]
    write("pod-ephemeral-unserved.json",
          request("Pod", debug, "UPDATE", running, sub_resource="ephemeralcontainers"))
    debug_ok = copy.deepcopy(running)
    debug_ok["spec"]["ephemeralContainers"] = [
        {"name": "debugger", "image": "private.registry.com/tools/debug:1"}]
    write("pod-ephemeral-served.json",
          request("Pod", debug_ok, "UPDATE", running, sub_resource="ephemeralcontainers"))

    # Kinds the policy does not check.
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata("cfg"),
                 "data": {"image": PRIVATE}}
    write("configmap.json", request("ConfigMap", configmap))
    crd = {"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": metadata("odd"),
           "spec": {"template": "not a pod template", "containers": 42}}
    write("custom-deployment-kind.json", request("Deployment", crd, group="example.com"))

    # Malformed requests of a checked kind.
    broken = wrap("Pod", "broken", pod_spec([("app", PRIVATE)], []))
    broken["spec"]["containers"] = "private.registry.com/team/app"
    write("pod-malformed.json", request("Pod", broken))
    write("pod-without-object.json", request("Pod", None))

    # addMissingPullSecrets: one problem the fix can fix beside one it cannot.
    write("pod-fixable-and-not.json", request("Pod", wrap("Pod", "pod-fixable-and-not", pod_spec(
        [("app", PRIVATE), ("bad", "private.registry.com/Team/App")], []))))

    # addMissingPullSecrets on UPDATE: the fix changes the pull secrets, so the fixed object is
    # judged with the images the update left alone too.
    admitted = wrap("Deployment", "admitted", pod_spec(
        [("legacy", "private.registry.com/Team/App")], ["gcr-creds"]))
    grown = copy.deepcopy(admitted)
    grown["spec"]["template"]["spec"]["containers"].append({"name": "app", "image": PRIVATE})
    write("deployment-update-fix-old-invalid.json", request("Deployment", grown, "UPDATE", admitted))
    admitted = wrap("Deployment", "admitted", pod_spec(
        [("cache", "registry.local:5000/cache:2")], ["gcr-creds"]))
    grown = copy.deepcopy(admitted)
    grown["spec"]["template"]["spec"]["containers"].append({"name": "app", "image": PRIVATE})
    write("deployment-update-fix-old-unserved.json", request("Deployment", grown, "UPDATE", admitted))

    # The same request wrapped in an AdmissionReview, as `kubectl` tooling often saves it.
    write("admission-review-pod.json", {
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": request("Pod", wrap("Pod", "wrapped", pods["pod-private-no-secret"]))})


# The one credential the fixtures carry; the suite checks that no response ever shows it.
USER, PASSWORD = "e2e-robot", "s3cr3t-Pa55w0rd-e2e"
AUTH = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
GOOD = {"auth": AUTH}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def secret(name, secret_type="kubernetes.io/dockerconfigjson", data=None, string_data=None,
           labels=None):
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": metadata(name, labels),
           "type": secret_type}
    if data is not None:
        obj["data"] = data
    if string_data is not None:
        obj["stringData"] = string_data
    return obj


def dockerconfigjson(name, doc, **kw):
    return secret(name, data={".dockerconfigjson": b64(json.dumps(doc))}, **kw)


def secrets():
    cases = {
        "secret-aligned": dockerconfigjson("regcred", {"auths": {"private.registry.com": GOOD}}),
        "secret-dockerhub-key": dockerconfigjson(
            "regcred", {"auths": {"https://index.docker.io/v1/": GOOD}}),
        "secret-port-mismatch": dockerconfigjson("local-creds", {"auths": {"registry.local": GOOD}}),
        "secret-case-mismatch": dockerconfigjson(
            "regcred", {"auths": {"Private.Registry.com": GOOD}}),
        "secret-glob-mismatch": dockerconfigjson(
            "example-creds", {"auths": {"*.example.com": GOOD}}),
        "secret-path-mismatch": dockerconfigjson(
            "quay-my-org", {"auths": {"quay.io/other-org": GOOD}}),
        "secret-poison-auth": dockerconfigjson(
            "regcred", {"auths": {"private.registry.com": {"auth": PASSWORD + "!"}}}),
        "secret-poison-no-colon": dockerconfigjson(
            "regcred", {"auths": {"private.registry.com": {"auth": b64(PASSWORD)}}}),
        "secret-poison-type": dockerconfigjson(
            "regcred", {"auths": {"private.registry.com": {"username": USER, "password": 1234}}}),
        "secret-useless-identitytoken": dockerconfigjson(
            "regcred", {"auths": {"private.registry.com": {"identitytoken": PASSWORD}}}),
        "secret-useless-no-auths": dockerconfigjson("regcred", {"private.registry.com": GOOD}),
        "secret-useless-empty-auths": dockerconfigjson("regcred", {"auths": {}}),
        "secret-dropped-key": dockerconfigjson(
            "other-creds", {"auths": {"registry.io:abc": GOOD}}),
        "secret-dockercfg-aligned": secret(
            "regcred", "kubernetes.io/dockercfg",
            data={".dockercfg": b64(json.dumps({"private.registry.com": GOOD}))}),
        "secret-dockercfg-wrapped": secret(
            "regcred", "kubernetes.io/dockercfg",
            data={".dockercfg": b64(json.dumps({"auths": {"private.registry.com": GOOD}}))}),
        "secret-dockercfg-poison": secret(
            "regcred", "kubernetes.io/dockercfg",
            data={".dockercfg": b64(json.dumps({"private.registry.com": {"auth": "%%%"}}))}),
        "secret-stringdata-aligned": secret(
            "regcred", string_data={".dockerconfigjson": json.dumps(
                {"auths": {"private.registry.com": {"username": USER, "password": PASSWORD}}})}),
        "secret-stringdata-poison": secret(
            "regcred", string_data={".dockerconfigjson": json.dumps(
                {"auths": {"private.registry.com": {"auth": USER}}})}),
        "secret-suspicious-disagree": dockerconfigjson(
            "regcred", {"auths": {"private.registry.com": {
                "auth": AUTH, "username": "someone-else", "password": PASSWORD}}}),
        "secret-suspicious-http": dockerconfigjson(
            "gcr-creds", {"auths": {"gcr.io": GOOD, "http://registry.local:5000": GOOD}}),
        "secret-opaque-with-dockerconfigjson": secret(
            "app-pull-config", "Opaque",
            data={".dockerconfigjson": b64(json.dumps({"auths": {"private.registry.com": GOOD}}))}),
        # What `kubectl create secret generic --from-file=.dockerconfigjson=...` writes for a
        # secret the settings declare: the kubelet ignores it.
        "secret-declared-opaque": secret(
            "regcred", "Opaque",
            data={".dockerconfigjson": b64(json.dumps({"auths": {"private.registry.com": GOOD}}))}),
        # A ~/.docker/config.json with an extra entry the kubelet cannot use.
        "secret-extra-unusable-entry": dockerconfigjson("regcred", {"auths": {
            "private.registry.com": GOOD, "myreg.azurecr.io": {"identitytoken": PASSWORD}}}),
        "secret-glob-entry-aligned": dockerconfigjson(
            "acr-creds", {"auths": {"myreg.azurecr.io": GOOD}}),
        "secret-glob-entry-misaligned": dockerconfigjson(
            "acr-creds", {"auths": {"azurecr.io": GOOD}}),
        "secret-dockercfg-misaligned": secret(
            "regcred", "kubernetes.io/dockercfg",
            data={".dockercfg": b64(json.dumps({"https://index.docker.io/v1/": GOOD}))}),
        "secret-dockercfg-useless": secret(
            "regcred", "kubernetes.io/dockercfg",
            data={".dockercfg": b64(json.dumps(
                {"private.registry.com": {"identitytoken": PASSWORD}}))}),
        # Go's JSON decoder reads bytes that are not UTF-8 (here Latin-1) as U+FFFD; so does
        # the kubelet, and the secret works.
        "secret-latin1-email": secret("regcred", data={".dockerconfigjson": base64.b64encode(
            b'{"auths": {"private.registry.com": {"auth": "' + AUTH.encode()
            + b'", "email": "bj\xf6rn@example.com"}}}').decode()}),
        "secret-opaque": secret("app-config", "Opaque",
                                data={"password": b64(PASSWORD), "config.yaml": b64("a: 1\n")}),
        "secret-sa-token": secret(
            "builder-token", "kubernetes.io/service-account-token",
            data={"token": b64("eyJhbGciOiJSUzI1NiJ9.e30.sig"), "ca.crt": b64("-----BEGIN")}),
    }
    for name, obj in cases.items():
        write(f"{name}.json", request("Secret", obj))
    # An update that only relabels a Secret admitted before the policy.
    old = cases["secret-useless-empty-auths"]
    relabelled = copy.deepcopy(old)
    relabelled["metadata"]["labels"]["team"] = "a"
    write("secret-update-relabel.json", request("Secret", relabelled, "UPDATE", old))
    changed = copy.deepcopy(old)
    changed["data"][".dockerconfigjson"] = b64(json.dumps({"auths": {"x.io": {}}}))
    write("secret-update-content.json", request("Secret", changed, "UPDATE", old))


def session(path, exchanges, uncached=True):
    """A kwctl replay session (--replay-host-capabilities-interactions), in the format kwctl
    records: each exchange a get_resource request and its Success payload or Error message;
    then, unless `uncached` is false (a session only ever accepted from the cache), the same
    reads past the host's cache (`disable_cache: true`), which a rejection makes."""
    lines = []
    for pas, disable_cache in enumerate(["false", "true"] if uncached else ["false"]):
        if pas == 1 and exchanges:
            lines.append("# The same reads past the host's cache: what a rejection is judged on.")
        lines += _exchanges(exchanges, disable_cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" if lines else "[]\n")


def _exchanges(exchanges, disable_cache):
    lines = []
    for kind, obj_name, answer in exchanges:
        lines += [
            "- type: Exchange",
            "  request: |",
            "    !KubernetesGetResource",
            "    api_version: v1",
            f"    kind: {kind}",
            f"    name: {obj_name}",
            f"    namespace: {NS}",
            f"    disable_cache: {disable_cache}",
            "    field_masks: null",
            "  response:",
        ]
        if isinstance(answer, dict):
            payload = json.dumps(answer, separators=(",", ":")).replace("'", "''")
            lines += ["    type: Success", f"    payload: '{payload}'"]
        else:
            lines += ["    type: Error", f"    message: {json.dumps(answer)}"]
    return lines


def not_found(kind, name):
    """The error kwctl records for an object that does not exist."""
    return f"Cannot find v1/{kind} named '{name}' inside of namespace 'Some(\"{NS}\")'"


def service_account(name, secrets):
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(name),
            "imagePullSecrets": [{"name": s} for s in secrets]}


def lookups():
    """Cluster lookups: requests, and the sessions that answer their get_resource calls."""
    regcred = dockerconfigjson("regcred", {"auths": {"private.registry.com": GOOD}})
    hub_key = dockerconfigjson("regcred", {"auths": {"https://index.docker.io/v1/": GOOD}})
    no_port = dockerconfigjson("local-creds", {"auths": {"registry.local": GOOD}})
    local = dockerconfigjson("local-creds", {"auths": {"registry.local:5000": GOOD}})
    opaque = secret("regcred", "Opaque", data={
        ".dockerconfigjson": b64(json.dumps({"auths": {"private.registry.com": GOOD}}))})
    poison = dockerconfigjson("regcred", {"auths": {"private.registry.com": {"auth": PASSWORD}}})
    secret_call = lambda name, answer: ("Secret", name, answer)
    sessions = {
        "secret-aligned": [secret_call("regcred", regcred)],
        "secret-dockerhub-key": [secret_call("regcred", hub_key)],
        "secret-missing": [secret_call("regcred", not_found("Secret", "regcred"))],
        "secret-opaque": [secret_call("regcred", opaque)],
        "secret-poison": [secret_call("regcred", poison)],
        "secret-forbidden": [secret_call("regcred", 'secrets "regcred" is forbidden: User '
                             '"system:serviceaccount:kubewarden:policy-server-default" cannot '
                             'get resource "secrets" in API group "" in the namespace "team-a"')],
        "local-aligned": [secret_call("local-creds", local)],
        "local-no-port": [secret_call("local-creds", no_port)],
        "sa-builder": [("ServiceAccount", "builder", service_account("builder", ["regcred"])),
                       secret_call("regcred", regcred)],
        "sa-missing": [("ServiceAccount", "builder", not_found("ServiceAccount", "builder"))],
        "none": [],
    }
    for name, exchanges in sessions.items():
        session(HERE / "sessions" / f"{name}.yml", exchanges)
    pods = {
        "lookup-pod-regcred": pod_spec([("web", "nginx"), ("app", PRIVATE)], ["regcred"]),
        "lookup-pod-local": pod_spec([("app", "registry.local:5000/team/app")], ["local-creds"]),
        "lookup-pod-local-none": pod_spec([("app", "registry.local:5000/team/app")], []),
        "lookup-pod-two-secrets": pod_spec([("app", PRIVATE)], ["regcred", "regcred-ro"]),
    }
    for name, spec in pods.items():
        write(f"{name}.json", request("Pod", wrap("Pod", name, spec)))
    deployment = wrap("Deployment", "lookup-app", pod_spec([("app", PRIVATE)], ["regcred"]))
    write("lookup-deployment-regcred.json", request("Deployment", deployment))
    relying = wrap("Deployment", "lookup-sa-app", pod_spec([("app", PRIVATE)], None, sa="builder"))
    write("lookup-deployment-service-account.json", request("Deployment", relying))
    own = wrap("Deployment", "lookup-own-app",
               pod_spec([("app", PRIVATE)], ["regcred"], sa="builder"))
    write("lookup-deployment-own-list.json", request("Deployment", own))


# ---- Pull secrets still in use (in_use.bats): Secret and ServiceAccount requests, and the
# sessions that answer the policy's lists (list_resources_by_namespace) and reads.

# The field masks the policy sends per kind (src/in_use/listing.rs): replay matches them as sets.
def template_masks(at):
    return [f"{at}.containers.image", f"{at}.imagePullSecrets", f"{at}.initContainers.image",
            f"{at}.serviceAccount", f"{at}.serviceAccountName"]


LISTED = [  # in the order the policy lists them (WorkloadKind::ALL)
    ("v1", "Pod", ["spec.containers.image", "spec.ephemeralContainers.image",
                   "spec.imagePullSecrets", "spec.initContainers.image"]),
    ("apps/v1", "Deployment", template_masks("spec.template.spec")),
    ("apps/v1", "StatefulSet", template_masks("spec.template.spec")),
    ("apps/v1", "DaemonSet", template_masks("spec.template.spec")),
    ("batch/v1", "Job", template_masks("spec.template.spec")),
    ("batch/v1", "CronJob", template_masks("spec.jobTemplate.spec.template.spec")),
    ("apps/v1", "ReplicaSet", template_masks("spec.template.spec")),
    ("v1", "ReplicationController", template_masks("spec.template.spec")),
]


def prune(value, node):
    """policy-evaluator's field_mask::prune_in_place: a tree of path pieces; arrays are
    transparent, a leaf keeps everything below it."""
    if not node:
        return value
    if isinstance(value, dict):
        return {k: prune(v, node[k]) for k, v in value.items() if k in node}
    if isinstance(value, list):
        return [prune(v, node) for v in value]
    return value


def mask_tree(paths):
    tree = {}
    for path in paths:
        node = tree
        for piece in path.split("."):
            node = node.setdefault(piece, {})
    return tree


def listed_item(obj, masks):
    """An item as the host's reflector keeps it: full metadata (managedFields emptied, the
    last-applied annotation removed), no apiVersion/kind, the rest masked."""
    meta = copy.deepcopy(obj["metadata"])
    meta["managedFields"] = []
    meta.setdefault("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    data = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    return {"metadata": meta, **prune(data, mask_tree(masks))}


def list_reply(api_version, kind, items):
    return {"apiVersion": api_version, "kind": f"{kind}List", "metadata": {}, "items": items}


def yaml_payload(answer):
    return "'" + json.dumps(answer, separators=(",", ":")).replace("'", "''") + "'"


def in_use_session(path, objects, reads=(), ns=NS):
    """A session for a check that lists every kind in `ns` (`objects` by kind), then answers
    `reads`: (kind, name, answer, disable_cache) get_resource calls, in order."""
    lines = []
    for api_version, kind, masks in LISTED:
        items = [listed_item(o, masks) for o in objects.get(kind, [])]
        lines += ["- type: Exchange", "  request: |", "    !KubernetesListResourceNamespace",
                  f"    api_version: {api_version}", f"    kind: {kind}", f"    namespace: {ns}",
                  "    label_selector: null", "    field_selector: null", "    field_masks:"]
        lines += [f"    - {m}" for m in sorted(masks)]
        lines += ["  response:", "    type: Success",
                  f"    payload: {yaml_payload(list_reply(api_version, kind, items))}"]
    lines += get_exchanges(reads, ns)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def get_exchanges(reads, ns=NS):
    lines = []
    for kind, name, answer, uncached in reads:
        lines += ["- type: Exchange", "  request: |", "    !KubernetesGetResource",
                  "    api_version: v1", f"    kind: {kind}", f"    name: {name}",
                  f"    namespace: {ns}", f"    disable_cache: {'true' if uncached else 'false'}",
                  "    field_masks: null", "  response:"]
        if isinstance(answer, dict):
            lines += ["    type: Success", f"    payload: {yaml_payload(answer)}"]
        else:
            lines += ["    type: Error", f"    message: {json.dumps(answer)}"]
    return lines


def owned(obj, kind, owner):
    obj = copy.deepcopy(obj)
    api = "apps/v1" if kind == "Deployment" else "batch/v1"
    obj["metadata"]["ownerReferences"] = [{"apiVersion": api, "kind": kind, "name": owner,
                                           "uid": "0b7f3a4e-2c61-4b1e-9d57-3a1f5e8c9d20",
                                           "controller": True, "blockOwnerDeletion": True}]
    return obj


def a_deployment(name, images, secrets, sa=None, replicas=2, ns=NS):
    obj = wrap("Deployment", name, pod_spec(images, secrets, sa=sa))
    obj["metadata"]["namespace"] = ns
    obj["spec"]["replicas"] = replicas
    return obj


def its_pods(deployment, count):
    """The ReplicaSet of a Deployment and its Pods, as the controllers create them."""
    name = deployment["metadata"]["name"]
    rs = copy.deepcopy(deployment)
    rs["kind"] = "ReplicaSet"
    rs["metadata"]["name"] = f"{name}-5d8f9c7b6"
    rs = owned(rs, "Deployment", name)
    spec = deployment["spec"]["template"]["spec"]
    pods = []
    for i in range(count):
        pod = wrap("Pod", f"{name}-5d8f9c7b6-{i:05d}", copy.deepcopy(spec))
        pod["metadata"]["namespace"] = deployment["metadata"]["namespace"]
        pods.append(owned(pod, "Deployment", name) | {})
        pods[-1]["metadata"]["ownerReferences"][0].update(
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs["metadata"]["name"]})
    return rs, pods


def in_use():
    regcred = dockerconfigjson("regcred", {"auths": {"private.registry.com": GOOD}})
    other_ns = copy.deepcopy(regcred)
    other_ns["metadata"]["namespace"] = "team-b"
    write("in-use-secret-delete.json", request("Secret", None, "DELETE", regcred))
    # deletecollection: no `name` in the request.
    collection = request("Secret", None, "DELETE", regcred)
    del collection["name"]
    write("in-use-secret-deletecollection.json", collection)
    write("in-use-secret-delete-team-b.json",
          request("Secret", None, "DELETE", other_ns, ns="team-b"))
    updates = {
        "drop-key": {"quay.io": GOOD},
        "rotate": {"private.registry.com": {"auth": b64(f"{USER}:{PASSWORD}-rotated")}},
        "https": {"https://private.registry.com": GOOD},
    }
    for name, auths in updates.items():
        new = dockerconfigjson("regcred", {"auths": auths})
        write(f"in-use-secret-update-{name}.json", request("Secret", new, "UPDATE", regcred))
    old_sa = service_account("builder", ["regcred", "gcr-creds"])
    new_sa = service_account("builder", ["gcr-creds"])
    write("in-use-sa-update.json", request("ServiceAccount", new_sa, "UPDATE", old_sa))
    write("in-use-sa-delete.json", request("ServiceAccount", None, "DELETE", old_sa))

    web = a_deployment("web", [("app", PRIVATE), ("proxy", "nginx:1.27")], ["regcred"])
    rs, pods = its_pods(web, 2)
    nightly = wrap("CronJob", "nightly", pod_spec([("job", PRIVATE)], ["regcred"]))
    run = wrap("Job", "nightly-29012345", pod_spec([("job", PRIVATE)], ["regcred"]))
    run = owned(run, "CronJob", "nightly")
    unrelated = a_deployment("api", [("api", PRIVATE)], ["regcred-ro"])
    builder_app = a_deployment("builder-app", [("app", PRIVATE)], None, sa="builder")
    public = wrap("Pod", "tools", pod_spec([("tools", "nginx:1.27"), ("gcr", "gcr.io/proj/t:1")],
                                           ["regcred"]))
    scaled = a_deployment("legacy", [("app", PRIVATE)], ["regcred"], replicas=0)
    sessions = HERE / "sessions"
    in_use_session(sessions / "in-use-deployment.yml", {
        "Deployment": [web, unrelated], "ReplicaSet": [rs], "Pod": pods,
        "CronJob": [nightly], "Job": [run]})
    in_use_session(sessions / "in-use-unused.yml", {"Deployment": [unrelated]})
    builder = service_account("builder", ["regcred"])
    in_use_session(sessions / "in-use-service-account.yml", {"Deployment": [builder_app]},
                   [("ServiceAccount", "builder", builder, False)])
    in_use_session(sessions / "in-use-service-account-reject.yml", {"Deployment": [builder_app]},
                   [("ServiceAccount", "builder", builder, False),
                    ("ServiceAccount", "builder", builder, True)])
    in_use_session(sessions / "in-use-public.yml", {"Pod": [public]})
    in_use_session(sessions / "in-use-scaled-to-zero.yml", {"Deployment": [scaled]})
    # The same name in team-b: team-b's lists hold none of team-a's users.
    in_use_session(sessions / "in-use-team-b.yml", {}, ns="team-b")
    # A ServiceAccount's update: the dropped Secret read, then the templates listed.
    sa_lines = get_exchanges([("Secret", "regcred", regcred, False)])
    path = sessions / "in-use-sa-update.yml"
    in_use_session(path, {"Deployment": [builder_app, web]})
    templates = path.read_text().split("- type: Exchange\n")[2:]  # without the Pod list
    path.write_text("\n".join(sa_lines) + "\n" + "".join("- type: Exchange\n" + t for t in templates))


def bench_requests():
    """The requests `make bench` times (bench/requests/)."""
    out = HERE.parent.parent / "bench" / "requests"
    out.mkdir(parents=True, exist_ok=True)
    images = [("web", "nginx:1.27"), ("app", PRIVATE), ("metrics", "gcr.io/proj/metrics:1")]
    pod = wrap("Pod", "bench-pod", pod_spec(images, ["regcred", "gcr-creds"],
                                             init=None, sa="web"))
    (out / "pod-3-containers.json").write_text(json.dumps(request("Pod", pod), indent=2) + "\n")
    many = [(f"step-{i}", img) for i in range(10)
            for img in [[PRIVATE, "gcr.io/proj/step:2", "busybox:1.36",
                         "quay.io/my-org/tool:1"][i % 4]]]
    cron = wrap("CronJob", "bench-cron",
                pod_spec(many, ["regcred", "gcr-creds", "quay-my-org"]))
    (out / "cronjob-10-containers.json").write_text(
        json.dumps(request("CronJob", cron), indent=2) + "\n")
    # With cluster lookups: both pull secrets are read, from the session beside the request.
    images = [("web", "nginx:1.27"), ("app", PRIVATE), ("cache", "registry.local:5000/team/cache:7")]
    deployment = wrap("Deployment", "bench-lookups",
                      pod_spec(images, ["regcred", "local-creds"], sa="web"))
    (out / "deployment-3-containers-lookups.json").write_text(
        json.dumps(request("Deployment", deployment), indent=2) + "\n")
    session(out / "deployment-3-containers-lookups.session.yml", uncached=False, exchanges=[
        ("Secret", "regcred", dockerconfigjson("regcred", {"auths": {"private.registry.com": GOOD}})),
        ("Secret", "local-creds",
         dockerconfigjson("local-creds", {"auths": {"registry.local:5000": GOOD}})),
    ])
    # With addMissingPullSecrets: the private image's secret is missing, and the policy adds it.
    fix = wrap("Deployment", "bench-fix", pod_spec(images, ["gcr-creds"], sa="web"))
    (out / "deployment-3-containers-fix.json").write_text(
        json.dumps(request("Deployment", fix), indent=2) + "\n")
    # With cluster lookups: a Secret deleted in a namespace of 50 Deployments and their 200
    # Pods, every one pulling with it (pullSecretsInUse): the eight lists from the session.
    regcred = dockerconfigjson("regcred", {"auths": {"private.registry.com": GOOD}})
    (out / "secret-delete-in-use.json").write_text(
        json.dumps(request("Secret", None, "DELETE", regcred), indent=2) + "\n")
    deployments, replica_sets, pods = [], [], []
    for i in range(50):
        d = a_deployment(f"app-{i:02d}", [("app", PRIVATE), ("proxy", "nginx:1.27")],
                         ["regcred", "gcr-creds"], replicas=4)
        rs, its = its_pods(d, 4)
        deployments.append(d)
        replica_sets.append(rs)
        pods += its
    in_use_session(out / "secret-delete-in-use.session.yml",
                   {"Deployment": deployments, "ReplicaSet": replica_sets, "Pod": pods})
    registries = {f"registry-{i}.example.com": GOOD for i in range(19)}
    registries["private.registry.com"] = GOOD
    pull = dockerconfigjson("regcred", {"auths": registries})
    (out / "secret-dockerconfigjson-20-registries.json").write_text(
        json.dumps(request("Secret", pull), indent=2) + "\n")
    # Keys that hold ECR tokens (what a refresher writes): each password is dated. They expire
    # in 2099, so that the committed request is read the same every year (accepted).
    ecr = {f"{100000000000 + i}.dkr.ecr.{region}.amazonaws.com": ecr_entry(i, 4070908800)
           for i, region in enumerate(["us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
                                       "ap-southeast-2"])}
    ecr["private.registry.com"] = ecr_entry(9, 4070908800)
    tokens = dockerconfigjson("regcred", {"auths": ecr})
    (out / "secret-ecr-tokens.json").write_text(
        json.dumps(request("Secret", tokens), indent=2) + "\n")


def ecr_entry(seed, expiration):
    """`auth` of `AWS:<an ECR token>` expiring at `expiration`, its blobs sized as real ones and
    made of hashes, so that the file is the same every run."""
    import hashlib

    def blob(name, size):
        out = b""
        while len(out) < size:
            out += hashlib.sha256(f"{name}{seed}-{len(out)}".encode()).digest()
        return base64.b64encode(out[:size]).decode()
    envelope = {"payload": blob("payload", 1100), "datakey": blob("datakey", 180),
                "version": "2", "type": "DATA_KEY", "expiration": expiration}
    token = base64.b64encode(json.dumps(envelope, separators=(",", ":")).encode()).decode()
    return {"auth": base64.b64encode(f"AWS:{token}".encode()).decode()}


MIB = 1 << 20


def padded(obj, size):
    """`obj` grown to about `size` bytes of JSON with annotations (which the policy skips)."""
    obj = copy.deepcopy(obj)
    room = size - len(json.dumps(obj)) - 64
    obj["metadata"].setdefault("annotations", {})["example.com/padding"] = "x" * max(room, 0)
    return obj


def limit_requests(out):
    """The requests whose answers and costs the README states as the policy's bounds (written
    at test time, not committed): the API server's 3 MiB of each checked kind, and the largest
    shapes a request can take."""
    out.mkdir(parents=True, exist_ok=True)
    cases = {}
    spec = pod_spec([("app", PRIVATE)], ["regcred"])
    for kind in ["Pod"] + WORKLOADS:
        cases[f"3mib-{kind.lower()}"] = request(kind, padded(wrap(kind, "big", spec), 3 * MIB))
    pull = dockerconfigjson("regcred", {"auths": {"private.registry.com": GOOD}})
    cases["3mib-secret-dockerconfigjson"] = request("Secret", padded(pull, 3 * MIB))
    blob = base64.b64encode(bytes(range(256)) * (9 * MIB // 4 // 256)).decode()
    cases["3mib-secret-opaque"] = request("Secret", secret("big", "Opaque", data={"blob": blob}))
    many = [(f"c{i}", [PRIVATE, "nginx:1.27", "gcr.io/proj/a:1"][i % 3]) for i in range(5000)]
    cases["pod-5000-containers"] = request(
        "Pod", wrap("Pod", "many", pod_spec(many, ["regcred", "gcr-creds"])))
    secrets = [f"secret-{i}" for i in range(199)] + ["regcred"]
    cases["pod-200-pull-secrets"] = request(
        "Pod", wrap("Pod", "secrets", pod_spec([("app", PRIVATE)], secrets)))
    keys = {f"registry-{i}.example.com": GOOD for i in range(9999)}
    keys["private.registry.com"] = GOOD
    cases["secret-10000-keys"] = request("Secret", dockerconfigjson("regcred", {"auths": keys}))
    # Nested objects in a field the policy skips, written as text: Python's encoder recurses.
    deep = {}
    for depth in (120, 127, 200, 5000):
        pod = wrap("Pod", "deep", spec)
        pod["spec"]["containers"][0]["x-nested"] = "NESTED"
        deep[f"json-depth-{depth}"] = json.dumps(request("Pod", pod)).replace(
            '"NESTED"', '{"a":' * depth + '"x"' + "}" * depth)
    long_image = "private.registry.com/" + "a" * 100_000
    cases["image-100000-chars"] = request(
        "Pod", wrap("Pod", "long", pod_spec([("app", long_image)], ["regcred"])))
    long_host = "a" * 100_000 + ".com/app"
    cases["image-host-100000-chars"] = request(
        "Pod", wrap("Pod", "long", pod_spec([("app", long_host)], ["regcred"])))
    for name, obj in cases.items():
        (out / f"{name}.json").write_text(json.dumps(obj))
    for name, text in deep.items():
        (out / f"{name}.json").write_text(text)
    # With cluster lookups: the 200 pull secrets, each read once from a recorded session.
    session(out / "pod-200-pull-secrets.session.yml", uncached=False, exchanges=[
        ("Secret", name, dockerconfigjson(name, {"auths": {f"{name}.example.com": GOOD}}))
        for name in secrets[:-1]
    ] + [("Secret", "regcred", pull)])


def large_bench_requests(out):
    """A 1 MiB Opaque Secret, as Helm stores releases: written at bench time, not committed."""
    blob = base64.b64encode(bytes(range(256)) * 3072).decode()  # 768 KiB raw, 1 MiB as base64
    helm = secret("sh.helm.release.v1.web.v7", "helm.sh/release.v1",
                  data={"release": blob}, labels={"owner": "helm", "name": "web"})
    helm["type"] = "Opaque"
    out.mkdir(parents=True, exist_ok=True)
    (out / "secret-opaque-1mib.json").write_text(json.dumps(request("Secret", helm)) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--large"]:
        large_bench_requests(pathlib.Path(sys.argv[2]))
    elif sys.argv[1:2] == ["--limits"]:
        limit_requests(pathlib.Path(sys.argv[2]))
    else:
        main()
        secrets()
        lookups()
        in_use()
        bench_requests()
