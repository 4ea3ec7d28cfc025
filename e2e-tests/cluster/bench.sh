#!/usr/bin/env bash
# make cluster-bench: the latency the policy adds to admission, measured at the API server
# (bench.py says how), on the control plane and policy server the cluster suite runs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CLUSTER_WORK="${CLUSTER_WORK:-$(cd "$HERE/../.." && pwd)/target/cluster-bench}"
# shellcheck source=helpers.bash
source "$HERE/helpers.bash"
REQUESTS="${BENCH_REQUESTS:-200}"

trap cluster_down EXIT
cluster_setup
namespace bench-none
namespace bench-plain "$PLAIN"
namespace bench-lookups "$LOOKUPS"
wait_for_webhooks "bench-plain=$PLAIN" "bench-lookups=$LOOKUPS"
for ns in bench-none bench-plain bench-lookups; do
  kubectl create secret docker-registry regcred -n "$ns" --docker-server=private.registry.com \
    --docker-username=robot --docker-password=Fake-Bench-Pa55w0rd-e2e >/dev/null
done
log_step "$REQUESTS requests per variant and client"
python3 "$HERE/bench.py" --port "$APISERVER_PORT" --token-file "$DEST/pki/admin.token" \
  --ca "$DEST/pki/ca.crt" --kubeconfig "$DEST/kubeconfig" --requests "$REQUESTS" | tee "$WORK/bench.txt"
