#!/usr/bin/env python3
"""Admission latency the policy adds, as kubectl's users feel it (run by bench.sh).

Every variant creates the same Deployment with `dryRun=All` (the API server runs admission,
webhooks included, and stores nothing), in a namespace that selects one webhook or none:

  none          no webhook: the API server's own cost, the baseline
  plain         policy.yaml (settings only)
  lookups       policy-cluster-lookups.yaml: reads Secret regcred (the policy server caches the
                answer about 5 s, so at this rate almost every request is answered from the cache)
  lookups-cold  the same policy, each request naming a Secret no request read before, so that
                every one costs a real get_resource round trip to the API server
  lookups-denied  the same policy, a Deployment its Secret does not serve: denied, after the
                policy reads the Secret again past the policy server's cache (the rejecting
                path's price for never rejecting on a stale read)

Two clients: the API directly (one keep-alive HTTPS connection, the admin token, a raw POST):
what the API server answers in; and `kubectl create --dry-run=server -f`, timed around the
process: what a user waits for, where kubectl's own start dominates. Requests are interleaved
round by round (the variants in a shuffled order each round) so that machine noise hits every
variant alike. The added latency is the variant's percentile minus the baseline's.
"""

import argparse
import base64
import http.client
import json
import os
import random
import ssl
import subprocess
import sys
import time


def deployment(name, image, secret):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "imagePullSecrets": [{"name": secret}],
                    "containers": [{"name": "web", "image": image}],
                },
            },
        },
    }


PRIVATE = "private.registry.com/team/web:1.0"
QUAY = "quay.io/my-org/web:1.0"


class Api:
    def __init__(self, port, token, ca):
        context = ssl.create_default_context(cafile=ca)
        self.connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}

    def post(self, path, body):
        self.connection.request("POST", path, json.dumps(body), self.headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, data

    def create_deployment(self, namespace, body, denied=False):
        start = time.perf_counter_ns()
        status, data = self.post(f"/apis/apps/v1/namespaces/{namespace}/deployments?dryRun=All", body)
        elapsed = time.perf_counter_ns() - start
        if denied != (status != 201) or (denied and b"denied the request" not in data):
            sys.exit(f"{namespace}: HTTP {status}: {data[:500]!r}")
        return elapsed


def kubectl_create(namespace, body, kubeconfig):
    start = time.perf_counter_ns()
    done = subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "create", "--dry-run=server",
                           "-n", namespace, "-o", "name", "-f", "-"],
                          input=json.dumps(body).encode(), capture_output=True)
    elapsed = time.perf_counter_ns() - start
    if done.returncode != 0:
        sys.exit(f"{namespace}: kubectl: {done.stderr.decode()[:500]}")
    return elapsed


def percentile(samples, p):
    ordered = sorted(samples)
    # nearest rank
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--cold-prefix", default="cold")
    args = parser.parse_args()
    with open(args.token_file) as f:
        token = f.read().strip()
    api = Api(args.port, token, args.ca)
    n = args.requests
    random.seed(16)

    # The variant's namespace and the Deployment of its i-th request.
    variants = {
        "none": ("bench-none", lambda i: deployment("web", PRIVATE, "regcred")),
        "plain": ("bench-plain", lambda i: deployment("web", PRIVATE, "regcred")),
        "lookups": ("bench-lookups", lambda i: deployment("web", PRIVATE, "regcred")),
        "lookups-cold": ("bench-lookups", lambda i: deployment("web", QUAY, f"{args.cold_prefix}-{i}")),
        "lookups-denied": ("bench-lookups", lambda i: deployment("web", QUAY, "bench-other")),
    }
    clients = {
        "API (raw POST ?dryRun=All)": (
            lambda ns, body: api.create_deployment(
                ns, body, denied=body["spec"]["template"]["spec"]["imagePullSecrets"][0]["name"]
                == "bench-other"),
            list(variants)),
        "kubectl create --dry-run=server": (
            lambda ns, body: kubectl_create(ns, body, args.kubeconfig), ["none", "plain", "lookups"]),
    }
    # The Secrets the cold requests name, one per request, each holding a quay.io key.
    auth = base64.b64encode(b"robot:Fake-Bench-Pa55w0rd-e2e").decode()
    config = base64.b64encode(json.dumps({"auths": {"quay.io": {"auth": auth}}}).encode()).decode()
    # The Secret the denied requests name: a key for another registry than the image's.
    other = base64.b64encode(json.dumps({"auths": {"private.registry.com": {"auth": auth}}}).encode()).decode()
    status, data = api.post("/api/v1/namespaces/bench-lookups/secrets", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bench-other"},
        "type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": other}})
    if status != 201:
        sys.exit(f"Secret bench-other: HTTP {status}: {data[:500]!r}")
    for i in range(n):
        status, data = api.post("/api/v1/namespaces/bench-lookups/secrets", {
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": f"{args.cold_prefix}-{i}"},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": config}})
        if status != 201:
            sys.exit(f"Secret {args.cold_prefix}-{i}: HTTP {status}: {data[:500]!r}")

    results = {}
    for client, (call, names) in clients.items():
        cold = 0
        for i in range(args.warmup):
            for name in names:
                if name != "lookups-cold":
                    call(variants[name][0], variants[name][1](i))
        samples = {name: [] for name in names}
        for i in range(n):
            order = names[:]
            random.shuffle(order)
            for name in order:
                namespace, body = variants[name]
                if name == "lookups-cold":
                    body_i = body(cold)
                    cold += 1
                else:
                    body_i = body(i)
                samples[name].append(call(namespace, body_i))
        results[client] = samples

    print(f"# admission latency at the API server, {n} requests per variant, interleaved; ms")
    print(f"{'client':34} {'variant':13} {'p50':>8} {'p99':>8} {'added p50':>10} {'added p99':>10}")
    for client, samples in results.items():
        base50 = percentile(samples["none"], 50) / 1e6
        base99 = percentile(samples["none"], 99) / 1e6
        for name, values in samples.items():
            p50 = percentile(values, 50) / 1e6
            p99 = percentile(values, 99) / 1e6
            added = "" if name == "none" else f"{p50 - base50:10.2f} {p99 - base99:10.2f}"
            print(f"{client:34} {name:13} {p50:8.2f} {p99:8.2f} {added}")
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main()
