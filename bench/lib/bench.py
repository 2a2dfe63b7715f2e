"""The scale benchmark behind bench/run. Expects the test bed's env (KUBECONFIG, AWS_*, TESTBED_*)."""
import argparse
import base64
import http.client
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import urllib3
from kubernetes import client as k8s
from kubernetes import watch as k8s_watch
from kubernetes.client.rest import ApiException
from prometheus_client.parser import text_string_to_metric_families

OPT_IN = "deco.sites/build-secrets-managed"
FORCE_SYNC = "deco.sites/build-secrets-sync"
APPROVAL = "deco.sites/build-secrets-deletion-approved"
SECRET = "build-secrets"
WORKERS = 16  # the operator's default --reconcile-threads


def chart_jvm_env(chart_values):
    """The JVM environment of the chart's pod: JAVA_TOOL_OPTIONS from its values, and -XX:MaxRAM
    set to its memory limit, which is what the JVM sees as physical memory inside the container."""
    text = open(chart_values).read()
    limit = re.search(r"^resources:\n(?:  .*\n)*?  limits:\n    memory: (\d+)Mi$", text, re.M)
    tool = re.search(r'^javaToolOptions: "(.*)"$', text, re.M)
    if not limit or not tool:
        raise RuntimeError(f"{chart_values}: no resources.limits.memory or javaToolOptions")
    return {"JAVA_TOOL_OPTIONS": f"-XX:MaxRAM={limit.group(1)}m {tool.group(1)}"}


def log(msg):
    print(f"bench [{time.strftime('%H:%M:%S')}]: {msg}", file=sys.stderr, flush=True)


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


# --- the proxy in front of moto: FaultProxy (src/test/java/.../testbed/FaultProxy.java) ------------

class Proxy:
    """FaultProxy, the e2e suites' proxy, run as a separate process in front of moto: it counts every
    Secrets Manager request by operation, adds --sm-latency-ms, and (load) applies the request quotas.
    This is the bench's view of its control API (/__proxy/...). Times are time.monotonic() here and
    epoch seconds there."""

    def __init__(self, java, classes, upstream, latency_ms=0, quota_scale=None):
        cmd = [java, "-XX:+UseSerialGC", "-cp", classes, "sites.deco.buildsecrets.testbed.FaultProxy",
               "--upstream", upstream, "--latency-ms", str(latency_ms)]
        if quota_scale is not None:
            cmd += ["--quota-scale", str(quota_scale)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError(f"FaultProxy did not start (exit {self.proc.wait()}): {self.url!r}")
        self.port = urllib.parse.urlsplit(self.url).port
        self.local = threading.local()  # one keep-alive connection per thread

    def _call(self, method, path):
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request(method, "/__proxy/" + path)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"proxy {method} {path}: HTTP {resp.status}: {body[:200]!r}")
                return json.loads(body)
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise

    def snapshot(self):
        """Requests by operation since the last reset."""
        return self._call("GET", "counts")

    def time_snapshot(self):
        """Seconds spent forwarding to moto, by operation, since the last reset."""
        return self._call("GET", "seconds")

    def timing(self, since, until):
        """Of the requests that arrived in [since, until] (time.monotonic()): how long the span was,
        how much of it a request was in flight at the proxy (moto included), and the rest (operator side)."""
        to_epoch = time.time() - time.monotonic()
        return self._call("GET", f"timing?since={since + to_epoch:.6f}&until={until + to_epoch:.6f}")

    def quota(self):
        """{"limits": per second by quota, "throttled": by operation, "peaks": most in one second by quota}."""
        return self._call("GET", "quota")

    def reset(self):
        self._call("POST", "reset")

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def delta(after, before):
    out = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    return {k: v for k, v in sorted(out.items()) if v}


def samples(text, prefix):
    """The (name, labels, value) of every Prometheus sample in text whose name starts with prefix."""
    for family in text_string_to_metric_families(text or ""):
        for s in family.samples:
            if s.name.startswith(prefix):
                yield s.name, s.labels, s.value


def heap_mb(text):
    """jvm_memory_used_bytes{area="heap"} summed over the pools, in MiB."""
    return sum(v for _, labels, v in samples(text, "jvm_memory_used_bytes") if labels.get("area") == "heap") / 2**20


# --- the Kubernetes API: the official client, with the test bed's admin client certificate ----------

class Kube:
    """The calls the bench makes, as plain dicts (JSON as the API server sent it, no model objects)."""

    def __init__(self, url, pki):
        cfg = k8s.Configuration()
        cfg.host = url
        cfg.ssl_ca_cert = os.path.join(pki, "ca.crt")
        cfg.cert_file = os.path.join(pki, "admin.crt")
        cfg.key_file = os.path.join(pki, "admin.key")
        cfg.connection_pool_maxsize = 32  # above the 20-thread burst: no request queues for a connection
        cfg.retries = 3
        self.api = k8s.ApiClient(cfg)
        self.core = k8s.CoreV1Api(self.api)

    @staticmethod
    def raw(call, *args, ok_missing=False, **kwargs):
        """call's JSON as a dict; None for a 404 when ok_missing."""
        try:
            resp = call(*args, _preload_content=False, _request_timeout=60, **kwargs)
        except ApiException as e:
            if ok_missing and e.status == 404:
                return None
            raise
        return json.loads(resp.data) if resp.data else None

    def ensure_namespace(self, name, annotations):
        try:
            self.raw(self.core.create_namespace, {"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": name, "annotations": annotations}})
        except ApiException as e:
            if e.status != 409:
                raise RuntimeError(f"create namespace {name}: HTTP {e.status}: {str(e.body)[:300]}") from None
            # reused test bed: force the wanted opt-in state
            self.annotate(name, {OPT_IN: annotations.get(OPT_IN), FORCE_SYNC: None})

    def annotate(self, ns, annotations):
        self.raw(self.core.patch_namespace, ns, {"metadata": {"annotations": annotations}},
                 _content_type="application/merge-patch+json")

    def hold_connection(self, ns):
        """Reads namespace ns but not the response's body: its pooled connection stays taken until
        the caller reads it (urllib3 then puts the connection back into the pool)."""
        return self.core.read_namespace(ns, _preload_content=False, _request_timeout=60)

    def namespaces(self):
        return self.raw(self.core.list_namespace)["items"]

    def secret(self, ns, name=SECRET):
        return self.raw(self.core.read_namespaced_secret, name, ns, ok_missing=True)

    def create_secret(self, ns, body):
        self.raw(self.core.create_namespaced_secret, ns, body)

    def delete_secret(self, ns, name=SECRET):
        self.raw(self.core.delete_namespaced_secret, name, ns, ok_missing=True)

    def delete_secrets(self, ns):
        self.raw(self.core.delete_collection_namespaced_secret, ns)

    def list_build_secrets(self):
        return self.raw(self.core.list_secret_for_all_namespaces, field_selector=f"metadata.name={SECRET}")

    def build_secrets(self):
        return self.list_build_secrets()["items"]

    def metrics(self):
        """The API server's /metrics text."""
        return self.api.rest_client.pool_manager.request("GET", self.api.configuration.host + "/metrics",
                                                         timeout=30).data.decode()


def decoded(secret):
    return {k: base64.b64decode(v).decode() for k, v in ((secret or {}).get("data") or {}).items()}


class SecretWatch:
    """Every build-secrets Secret's data, kept current by one watch (no polling load on the API server)."""

    def __init__(self, kube):
        self.kube = kube
        self.cond = threading.Condition()
        self.data = {}  # namespace -> decoded data
        self.when = {}  # namespace -> time.monotonic() its last event arrived
        self.expected = {}  # namespace -> data wanted (see wait_matching)
        self.matching = set()  # namespaces whose data is what `expected` says, kept per event
        self.stopped = False
        threading.Thread(target=self._run, daemon=True, name="watch").start()
        with self.cond:
            while not self.stopped and not hasattr(self, "ready"):
                self.cond.wait(1)

    def _run(self):
        while not self.stopped:
            listed = self.kube.list_build_secrets()
            with self.cond:
                self.data = {s["metadata"]["namespace"]: decoded(s) for s in listed["items"]}
                self.matching = {ns for ns, d in self.expected.items() if self.data.get(ns) == d}
                self.ready = True
                self.cond.notify_all()
            try:
                # timeout_seconds: the client's watch raises on an expired resourceVersion (an ERROR
                # event, 410 Gone) instead of retrying; either way, list again.
                for ev in k8s_watch.Watch().stream(
                        self.kube.core.list_secret_for_all_namespaces, field_selector=f"metadata.name={SECRET}",
                        resource_version=listed["metadata"]["resourceVersion"], timeout_seconds=3600,
                        deserialize=False):
                    if self.stopped:
                        break
                    if ev["type"] not in ("ADDED", "MODIFIED", "DELETED"):
                        break  # e.g. BOOKMARK: list again
                    ns = ev["object"]["metadata"]["namespace"]
                    with self.cond:
                        self.when[ns] = time.monotonic()
                        if ev["type"] == "DELETED":
                            self.data.pop(ns, None)
                        else:
                            self.data[ns] = decoded(ev["object"])
                        if ns in self.expected:
                            if self.data.get(ns) == self.expected[ns]:
                                self.matching.add(ns)
                            else:
                                self.matching.discard(ns)
                        self.cond.notify_all()
            except (ApiException, OSError, urllib3.exceptions.HTTPError, ValueError):
                time.sleep(0.2)

    def wait(self, predicate, timeout, what, alive=lambda: None, namespaces=()):
        """Blocks until predicate(data) holds; returns when the last event about `namespaces`
        arrived (time.monotonic()), or the moment the predicate was seen to hold."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.data):
                alive()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
                self.cond.wait(min(left, 0.5))
            times = [self.when[ns] for ns in namespaces if ns in self.when]
            return max(times) if times else time.monotonic()

    def wait_matching(self, expected, timeout, what, alive=lambda: None, at_least=None):
        """Like wait(), for many namespaces at once: until at_least (default all) of `expected` hold
        their wanted data. Kept per event, so waiting on 10,000 namespaces costs O(events)."""
        with self.cond:
            self.expected = dict(expected)
            self.matching = {ns for ns, d in self.expected.items() if self.data.get(ns) == d}
        want = len(expected) if at_least is None else at_least
        return self.wait(lambda _: len(self.matching) >= want, timeout, what, alive)

    def count(self, expected):
        with self.cond:
            return sum(1 for ns, d in expected.items() if self.data.get(ns) == d)


def apiserver_requests(kube):
    """apiserver_request_total summed by verb and resource (the API server's own count)."""
    out = {}
    for _, labels, value in samples(kube.metrics(), "apiserver_request_total"):
        key = f"{labels.get('verb')} {labels.get('resource')}"
        out[key] = out.get(key, 0) + value
    return out


# The EventBridge rule of docs/operations.md ("Change events") and what CloudTrail records for a
# Secrets Manager call, in the fields the operator reads (source, detail-type, detail.eventSource,
# detail.eventName, detail.requestParameters.secretId, detail.responseElements.name).
EVENT_PATTERN = {"source": ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"],
                 "detail": {"eventSource": ["secretsmanager.amazonaws.com"],
                            "eventName": ["CreateSecret", "PutSecretValue", "UpdateSecret", "UpdateSecretVersionStage",
                                          "RotateSecret", "CancelRotateSecret", "DeleteSecret", "RestoreSecret"]}}


def cloudtrail_entry(operation, key):
    return {"Source": "aws.secretsmanager", "DetailType": "AWS API Call via CloudTrail",
            "Detail": json.dumps({"eventSource": "secretsmanager.amazonaws.com", "eventName": operation,
                                  "requestParameters": {"secretId": key}, "responseElements": {"name": key}})}


def payload(site, tag="v0"):
    return {"TENANT_TOKEN": f"tok-{site}-{tag}", "API_URL": f"https://{site}.example", "MODE": tag}


def secret_body(name, site):
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name,
                         "labels": {"deco.sites/managed-by": "operator", "deco.sites/feature": "build-secrets"},
                         "annotations": {"deco.sites/build-secrets-version": str(uuid.uuid4())}},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in payload(site).items()}}


def parallel(fn, items, workers=WORKERS):
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, items))


# --- the operator process ---------------------------------------------------------------------------

SWEEP = re.compile(r"sweep: (\d+) keys listed, (\d+) unchanged, (\d+) read in batches, took (\d+) ms")
# The operator binds port 0 and logs what it got: a port picked here and bound later can be taken
# in between (any outbound connection may get it as its source port).
LISTENING = re.compile(r"(metrics|health) endpoint listening on /127\.0\.0\.1:(\d+)")


def jvm(java, jar, runtime):
    """How the shipped operator starts its JVM: the image's runtime (jlinked JRE, jvm.options and the
    AOT cache) when it was built, else the JDK with jvm.options from the source tree. Extra
    BENCH_JAVA_OPTS (e.g. "-Xmx128m") are for experiments; the reported figures use none."""
    extra = os.environ.get("BENCH_JAVA_OPTS", "").split()
    if runtime and os.path.exists(os.path.join(runtime, "app.aot")):
        return [os.path.join(runtime, "jre/bin/java"), f"@{runtime}/jvm.options", f"-XX:AOTCache={runtime}/app.aot",
                *extra]
    if runtime and os.path.exists(os.path.join(runtime, "app.jsa")):  # a runtime from before the AOT cache
        return [os.path.join(runtime, "jre/bin/java"), f"@{runtime}/jvm.options",
                f"-XX:SharedArchiveFile={runtime}/app.jsa", "-Xshare:auto", *extra]
    options = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../src/main/jvm/jvm.options")
    return [java, f"@{options}", *extra]


class Operator:
    def __init__(self, jvm_cmd, jar, log_dir, env, flags, proxy, name):
        self.ports = {}  # "metrics"/"health" -> the port bound, once logged
        os.makedirs(log_dir, exist_ok=True)
        self.log_path = os.path.join(log_dir, f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.log")
        cmd = [*jvm_cmd, "-jar", jar, "--log-format=console",
               "--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0", *flags]
        self.proxy = proxy
        self.sweeps = []  # (monotonic time seen, parsed line, proxy counts then)
        self.cond = threading.Condition()
        log(f"starting operator ({name}): {' '.join(flags)}; log {self.log_path}")
        self.started = time.monotonic()
        self.out = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.out, stderr=subprocess.STDOUT)
        self.stop_tail = False
        threading.Thread(target=self._tail, daemon=True).start()

    def _tail(self):
        with open(self.log_path, "rb") as f:
            buf = b""
            while not self.stop_tail:
                chunk = f.read()
                if not chunk:
                    time.sleep(0.01)
                    continue
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    text = line.decode(errors="replace")
                    bound = LISTENING.search(text)
                    if bound:
                        with self.cond:
                            self.ports[bound.group(1)] = int(bound.group(2))
                            self.cond.notify_all()
                    m = SWEEP.search(text)
                    if m:
                        counts = self.proxy.snapshot()
                        with self.cond:
                            self.sweeps.append((time.monotonic(), tuple(int(x) for x in m.groups()), counts))
                            self.cond.notify_all()

    def _await(self, done, timeout, what, poll):
        """Waits on the log tail's condition until done() holds, the operator exits, or timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not done():
                self.check_alive()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no {what} within {timeout}s")
                self.cond.wait(min(left, poll))

    def wait_sweep(self, after_index, timeout=180):
        """Waits for sweep line number after_index (0-based) and returns it."""
        self._await(lambda: len(self.sweeps) > after_index, timeout, f"sweep line #{after_index + 1}", 1)
        return self.sweeps[after_index]

    def port(self, what, timeout=120):
        """The port the operator bound for what ("metrics" or "health"), waiting for its log line."""
        self._await(lambda: what in self.ports, timeout, f"{what} endpoint logged", 0.01)
        return self.ports[what]

    @property
    def metrics_port(self):
        return self.port("metrics")

    @property
    def health_port(self):
        return self.port("health")

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"operator exited with {self.proc.returncode}; see {self.log_path}")

    def http(self, port, path):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode()
        except OSError:
            return None, None

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if self.http(self.health_port, "/readyz")[0] == 200:
                return (time.monotonic() - self.started) * 1000
            time.sleep(0.02)
        raise RuntimeError("operator not ready")

    def metric(self, name, **labels):
        """The sum of every sample of /metrics named name that has (at least) these labels."""
        _, body = self.http(self.metrics_port, "/metrics")
        return sum(v for n, l, v in samples(body, name) if n == name and l.items() >= labels.items())

    def heap_used_mb(self):
        return heap_mb(self.http(self.metrics_port, "/metrics")[1])

    def status(self, field):
        """A field of /proc/<pid>/status, as a number (kB for sizes)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None

    def rss_mb(self):
        return self.status("VmRSS") / 1024

    def cpu_seconds(self):
        """User plus system CPU time of the process so far (/proc/<pid>/stat fields 14 and 15)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def native_memory_mb(self, jcmd):
        """Native Memory Tracking's committed MB per category (the JVM must run with
        -XX:NativeMemoryTracking=summary), grouped as docs/performance.md reports them."""
        out = subprocess.run([jcmd, str(self.proc.pid), "VM.native_memory", "summary", "scale=KB"],
                             capture_output=True, text=True, timeout=60).stdout
        with open(self.log_path + ".nmt.txt", "w") as f:  # with the thread dump, for a closer look
            f.write(out)
        with open(self.log_path + ".threads.txt", "w") as f:
            f.write(subprocess.run([jcmd, str(self.proc.pid), "Thread.print"], capture_output=True, text=True,
                                   timeout=60).stdout)
        with open(self.log_path + ".histogram.txt", "w") as f:  # what the live set is made of (a full GC first)
            f.write(subprocess.run([jcmd, str(self.proc.pid), "GC.class_histogram"], capture_output=True, text=True,
                                   timeout=120).stdout)
            f.write(f"# RSS after this full GC: {self.rss_mb():.1f} MB\n")
        committed = {m.group(1).strip(): int(m.group(2)) / 1024
                     for m in re.finditer(r"^-\s+(.+?) \(reserved=\d+KB, committed=(\d+)KB[^)]*\)", out, re.M)}
        if not committed:
            raise RuntimeError(f"jcmd VM.native_memory printed no categories: {out[-500:]}")
        groups = {"heap": ["Java Heap"], "class_and_metaspace": ["Class", "Metaspace", "Shared class space"],
                  "code": ["Code"], "threads": ["Thread", "Thread Stack"], "gc": ["GC"]}
        grouped = {g: round(sum(committed.pop(k, 0) for k in keys), 1) for g, keys in groups.items()}
        grouped["other"] = round(sum(committed.values()), 1)
        grouped["total"] = round(sum(v for k, v in grouped.items()), 1)
        return grouped

    def stop(self):
        self.stop_tail = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


# --- the benchmark -----------------------------------------------------------------------------------

class StopEarly(Exception):
    """Ends the run before the per-key phase (--no-get-mode) or after the force-syncs (--quick)."""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespaces", type=int, default=1000)
    ap.add_argument("--unrelated-secrets", type=int, default=0)
    ap.add_argument("--jar", required=True)
    ap.add_argument("--java", required=True)
    ap.add_argument("--log-dir", required=True)
    ap.add_argument("--runtime", help="the jlinked runtime made by dev/build-runtime")
    ap.add_argument("--bench-classes", required=True, help="where RawCreate.class was compiled")
    ap.add_argument("--chart-values", required=True)
    ap.add_argument("--sm-latency-ms", type=float, default=0,
                    help="added by the proxy to every Secrets Manager request (a remote region)")
    ap.add_argument("--no-get-mode", action="store_true",
                    help="skip the per-key comparison (it takes N/20 s; meant for N=10,000 runs)")
    ap.add_argument("--quick", action="store_true",
                    help="stop after the force-syncs: start-up, cold sync, sweeps, footprint and force-sync figures")
    ap.add_argument("--nmt", action="store_true",
                    help="run the operator with Native Memory Tracking and report its breakdown (native_memory_mb); "
                         "the raw output, a thread dump and a class histogram go next to its log")
    a = ap.parse_args()
    jvm_cmd = jvm(a.java, a.jar, a.runtime)
    operator_jvm = [*jvm_cmd, "-XX:NativeMemoryTracking=summary"] if a.nmt else jvm_cmd
    jvm_env = chart_jvm_env(a.chart_values)
    log(f"JVM: {' '.join(jvm_cmd)} with {jvm_env}")
    n, m = a.namespaces, a.unrelated_secrets
    samples = min(100, n)
    resync = 20
    wall0 = time.monotonic()

    moto_url = os.environ["TESTBED_MOTO_URL"]
    kube = Kube(os.environ["TESTBED_APISERVER_URL"], os.path.join(os.environ["TESTBED_DIR"], "pki"))
    sm = boto3.client("secretsmanager", endpoint_url=moto_url, region_name=os.environ["AWS_REGION"])
    site = lambda i: f"bench-{i}"
    optin_site = lambda i: f"bench-optin-{i}"
    late_sites = ["bench-late-0", "bench-late-1"]
    bench_sites = [site(i) for i in range(n)]
    optin_sites = [optin_site(i) for i in range(samples)]

    # 1. A clean slate (a reused test bed keeps namespaces; moto and the Secrets are reset).
    log("resetting moto and any earlier bench state")
    c = http.client.HTTPConnection(urllib.parse.urlsplit(moto_url).hostname, urllib.parse.urlsplit(moto_url).port)
    c.request("POST", "/moto-api/reset")
    c.getresponse().read()
    wanted = {f"sites-{s}" for s in bench_sites}
    for ns in kube.namespaces():
        name = ns["metadata"]["name"]
        if name.startswith("sites-bench-") and name not in wanted \
                and (ns["metadata"].get("annotations") or {}).get(OPT_IN):
            kube.annotate(name, {OPT_IN: None})
    stale = [s for s in kube.build_secrets() if s["metadata"]["namespace"].startswith("sites-bench-")]
    parallel(lambda s: kube.delete_secret(s["metadata"]["namespace"]), stale)

    # 2. Upstream keys straight into moto (not counted), then namespaces and unrelated Secrets.
    t = time.monotonic()
    every = bench_sites + optin_sites + late_sites
    parallel(lambda s: sm.create_secret(Name=f"sites/{s}/build", SecretString=json.dumps(payload(s))), every, 8)
    log(f"{len(every)} upstream keys created in moto in {time.monotonic() - t:.1f}s")
    t = time.monotonic()
    parallel(lambda s: kube.ensure_namespace(f"sites-{s}", {OPT_IN: "enabled"}), bench_sites)
    parallel(lambda s: kube.ensure_namespace(f"sites-{s}", {}), optin_sites + late_sites)
    unrelated_ns = [f"unrelated-{k}" for k in range(10)] if m else []
    parallel(lambda ns: kube.ensure_namespace(ns, {}), unrelated_ns)
    parallel(kube.delete_secrets, unrelated_ns)  # a reused test bed holds the last run's
    parallel(lambda i: kube.create_secret(f"unrelated-{i % 10}", secret_body(f"unrelated-{i}", f"u{i}")), range(m))
    log(f"{n}+{len(optin_sites) + len(late_sites)} namespaces and {m} unrelated Secrets in {time.monotonic() - t:.1f}s")

    # 3. The baseline: the same API server, client library (fabric8), JVM and JVM options creating N
    # Secrets with the operator's concurrency, timed from process launch like the cold sync.
    raw_ns = [f"raw-{k}" for k in range(50)]
    parallel(lambda ns: kube.ensure_namespace(ns, {}), raw_ns)
    parallel(kube.delete_secrets, raw_ns)
    t = time.monotonic()
    raw = subprocess.run([*jvm_cmd, "-cp", f"{a.jar}:{a.bench_classes}", "RawCreate", str(n), str(WORKERS), "raw-",
                          str(len(raw_ns))], env=dict(os.environ, **jvm_env), capture_output=True, text=True)
    raw_create = time.monotonic() - t
    done = [line for line in raw.stdout.splitlines() if line.startswith("created ")]
    if raw.returncode != 0 or not done:
        raise RuntimeError(f"RawCreate failed ({raw.returncode}): {raw.stderr[-2000:]}")
    raw_loop = float(done[-1].split()[-1])
    parallel(kube.delete_secrets, raw_ns)
    log(f"raw create of {n} Secrets: {raw_create:.2f}s from launch ({raw_loop:.2f}s in the create loop)")

    proxy = Proxy(a.java, a.bench_classes, moto_url, a.sm_latency_ms)
    env = dict(os.environ, AWS_ENDPOINT_URL_SECRETS_MANAGER=proxy.url, **jvm_env)
    res = {"namespaces": n}
    by_op = {}
    op = None
    try:
        # 4. Cold start in list mode. Readiness is polled every 20 ms; the Secrets are followed by a watch.
        watch = SecretWatch(kube)
        api_before = apiserver_requests(kube)
        op = Operator(operator_jvm, a.jar, a.log_dir, env, [f"--build-secrets-resync-period={resync}s"], proxy,
                      "bench-list")
        expected = {f"sites-{s}": payload(s) for s in bench_sites}
        ready_ms = op.wait_ready()
        done_at = watch.wait_matching(expected, 1800, f"cold sync of {n} Secrets", op.check_alive)
        res["cpu_seconds_cold"] = round(op.cpu_seconds(), 2)
        if op.sweeps:
            by_op["cold_first_sweep_timing"] = proxy.timing(op.started, op.sweeps[0][0])
        cold = done_at - op.started
        cold_counts = proxy.snapshot()
        api = delta(apiserver_requests(kube), api_before)
        res.update(cold_sync_seconds=round(cold, 2), raw_create_seconds=round(raw_create, 2),
                   raw_create_loop_seconds=round(raw_loop, 2),
                   cold_ratio=round(cold / raw_create, 2), sm_requests_cold=sum(cold_counts.values()),
                   startup_to_ready_ms=round(ready_ms), cold_sync_after_ready_seconds=round(cold - ready_ms / 1000, 2))
        by_op["cold"] = delta(cold_counts, {})
        by_op["cold_sm_seconds_in_moto"] = {k: round(v, 2) for k, v in proxy.time_snapshot().items()}
        by_op["cold_kube_api_requests"] = {k: int(v) for k, v in api.items() if v >= 5}
        sweep0 = op.sweeps[0][1] if op.sweeps else None
        log(f"cold sync {cold:.2f}s, ready {ready_ms:.0f} ms, first sweep {sweep0}, requests {by_op['cold']}, "
            f"seconds inside moto {by_op['cold_sm_seconds_in_moto']}, kube-apiserver requests {by_op['cold_kube_api_requests']}")

        # 5. One sweep with nothing changed: counts between two consecutive sweep lines.
        idx = len(op.sweeps)
        _, line0, c0 = op.wait_sweep(idx)
        _, line1, c1 = op.wait_sweep(idx + 1)
        by_op["resync_unchanged"] = delta(c1, c0)
        res["sm_requests_resync_unchanged"] = sum(by_op["resync_unchanged"].values())
        log(f"unchanged sweep {line1}: {by_op['resync_unchanged']}")
        res["rss_mb"] = round(op.rss_mb(), 1)
        res["heap_used_mb"] = round(op.heap_used_mb(), 1)
        res["rss_anon_mb"] = round(op.status("RssAnon") / 1024, 1)
        res["rss_file_mb"] = round(op.status("RssFile") / 1024, 1)
        res["threads"] = op.status("Threads")
        if a.nmt:
            res["native_memory_mb"] = op.native_memory_mb(os.path.join(os.path.dirname(a.java), "jcmd"))
            log(f"native memory (NMT committed, MB): {res['native_memory_mb']}; rss {res['rss_mb']} MB")

        # 6. One sweep after 1% of the keys changed (written right after a sweep line).
        changed = bench_sites[:max(1, n // 100)]
        parallel(lambda s: sm.put_secret_value(SecretId=f"sites/{s}/build", SecretString=json.dumps(payload(s, "v1"))),
                 changed, 8)
        _, line2, c2 = op.wait_sweep(idx + 2)
        by_op["resync_changed"] = delta(c2, c1)
        res["sm_requests_resync_changed"] = sum(by_op["resync_changed"].values())
        watch.wait(lambda d: all(d.get(f"sites-{s}") == payload(s, "v1") for s in changed), 60,
                   "the changed keys after the sweep", op.check_alive)
        log(f"changed sweep ({len(changed)} keys) {line2}: {by_op['resync_changed']}")

        # 7. Fresh opt-ins, one at a time.
        c = proxy.snapshot()
        lat = []
        for s in optin_sites:
            t = time.monotonic()
            kube.annotate(f"sites-{s}", {OPT_IN: "enabled"})
            done_at = watch.wait(lambda d: d.get(f"sites-{s}") == payload(s), 60, f"fresh opt-in sites-{s}",
                                 namespaces=[f"sites-{s}"])
            lat.append((done_at - t) * 1000)
        by_op["annotate"] = delta(proxy.snapshot(), c)
        res["annotate_to_secret_ms_p50"] = round(statistics.median(lat))
        res["annotate_to_secret_ms_p99"] = round(pct(lat, 99))
        log(f"fresh opt-ins: p50 {res['annotate_to_secret_ms_p50']} ms, p99 {res['annotate_to_secret_ms_p99']} ms, "
            f"max {max(lat):.0f} ms; requests {by_op['annotate']}")

        # 8. Force-syncs, one at a time: new upstream value, then the annotation.
        c = proxy.snapshot()
        lat = []
        for k, s in enumerate(bench_sites[-samples:]):
            tag = f"fs{k}-{uuid.uuid4().hex[:8]}"
            sm.put_secret_value(SecretId=f"sites/{s}/build", SecretString=json.dumps(payload(s, tag)))
            t = time.monotonic()
            kube.annotate(f"sites-{s}", {FORCE_SYNC: tag})
            done_at = watch.wait(lambda d: d.get(f"sites-{s}") == payload(s, tag), 60, f"force-sync of sites-{s}",
                                 namespaces=[f"sites-{s}"])
            lat.append((done_at - t) * 1000)
            expected[f"sites-{s}"] = payload(s, tag)
        by_op["force_sync"] = delta(proxy.snapshot(), c)
        res["force_sync_ms_p50"] = round(statistics.median(lat))
        res["force_sync_ms_p99"] = round(pct(lat, 99))
        log(f"force-syncs: p50 {res['force_sync_ms_p50']} ms, p99 {res['force_sync_ms_p99']} ms, "
            f"max {max(lat):.0f} ms; requests {by_op['force_sync']}")

        # 8b. Force-sync bursts: 20 namespaces annotated at the same moment (20 threads behind a
        # barrier), 3 rounds with new upstream values; each latency runs from its own annotation to
        # the watch event of its Secret.
        burst_sites = bench_sites[:20]
        c = proxy.snapshot()
        lat = []
        for r in range(3):
            tag = f"burst{r}-{uuid.uuid4().hex[:8]}"
            parallel(lambda s: sm.put_secret_value(SecretId=f"sites/{s}/build",
                                                   SecretString=json.dumps(payload(s, tag))), burst_sites, 8)
            holding, barrier = threading.Barrier(len(burst_sites)), threading.Barrier(len(burst_sites))
            started = {}

            def annotate_at_once(s, tag=tag, holding=holding, barrier=barrier, started=started):
                # Each thread's connection is opened (TLS handshake) before the barrier, so the
                # latencies measure the operator, not 20 Python handshakes contending for the GIL:
                # 20 connections held at once are 20 in the client's pool, all open for the PATCHes.
                held = kube.hold_connection(f"sites-{s}")
                holding.wait()
                held.read()
                barrier.wait()
                started[s] = time.monotonic()
                kube.annotate(f"sites-{s}", {FORCE_SYNC: tag})

            parallel(annotate_at_once, burst_sites, len(burst_sites))
            watch.wait(lambda d, tag=tag: all(d.get(f"sites-{s}") == payload(s, tag) for s in burst_sites), 60,
                       "20 simultaneous force-syncs", op.check_alive)
            with watch.cond:
                lat += [(watch.when[f"sites-{s}"] - started[s]) * 1000 for s in burst_sites]
        by_op["force_sync_20_at_once"] = delta(proxy.snapshot(), c)
        res["force_sync_20_at_once_ms_p50"] = round(statistics.median(lat))
        res["force_sync_20_at_once_ms_p99"] = round(pct(lat, 99))
        log(f"20 simultaneous force-syncs x3: p50 {res['force_sync_20_at_once_ms_p50']} ms, p99 "
            f"{res['force_sync_20_at_once_ms_p99']} ms; requests {by_op['force_sync_20_at_once']}")

        # 8c. Force-sync of the whole fleet: right after a sweep line, every key gets a new value in
        # moto, then all N namespaces are annotated (16 threads). force_sync_all_seconds runs from
        # the first annotation until every Secret shows its new value; the requests are counted over
        # the same span (a ListSecrets in it would mean a sweep ran meanwhile: see requests_by_phase).
        idx = len(op.sweeps)
        op.wait_sweep(idx)
        tag = f"all-{uuid.uuid4().hex[:8]}"
        parallel(lambda s: sm.put_secret_value(SecretId=f"sites/{s}/build", SecretString=json.dumps(payload(s, tag))),
                 bench_sites, 8)
        c = proxy.snapshot()
        t = time.monotonic()
        parallel(lambda s: kube.annotate(f"sites-{s}", {FORCE_SYNC: tag}), bench_sites)
        annotated = time.monotonic() - t
        done_at = watch.wait_matching({f"sites-{s}": payload(s, tag) for s in bench_sites}, 600,
                                      f"force-sync of all {n}", op.check_alive)
        by_op["force_sync_all"] = delta(proxy.snapshot(), c)
        res["force_sync_all_seconds"] = round(done_at - t, 2)
        res["sm_requests_force_sync_all"] = sum(by_op["force_sync_all"].values())
        res["force_sync_all_annotate_seconds"] = round(annotated, 2)
        log(f"force-sync of all {n}: annotated in {annotated:.1f}s, every Secret new after "
            f"{res['force_sync_all_seconds']}s; requests {by_op['force_sync_all']}")
        if a.quick:
            raise StopEarly("--quick: stopped after the force-syncs")

        # 9. A fresh opt-in while a sweep rewrites every Secret: change 100% of the keys after a sweep
        # line; annotate one namespace the moment the next sweep's first ListSecrets reaches the
        # proxy (extra figure), and a second one when half of the N Secrets have been rewritten,
        # i.e. in the middle of the sweep's writes (new_optin_during_resync_ms).
        idx = len(op.sweeps)
        op.wait_sweep(idx)
        t = time.monotonic()
        parallel(lambda s: sm.put_secret_value(SecretId=f"sites/{s}/build", SecretString=json.dumps(payload(s, "all"))),
                 bench_sites, 8)
        log(f"{n} keys changed in moto in {time.monotonic() - t:.1f}s")
        expected = {f"sites-{s}": payload(s, "all") for s in bench_sites}
        base = proxy.snapshot()
        deadline = time.monotonic() + 3 * resync
        while proxy.snapshot().get("ListSecrets", 0) == base.get("ListSecrets", 0):
            if time.monotonic() > deadline:
                raise RuntimeError("next sweep never started")
            time.sleep(0.005)
        t_list = time.monotonic()
        kube.annotate(f"sites-{late_sites[0]}", {OPT_IN: "enabled"})
        watch.wait_matching(expected, 300, "half of the 100% change", op.check_alive, at_least=n // 2)
        t_half = time.monotonic()
        kube.annotate(f"sites-{late_sites[1]}", {OPT_IN: "enabled"})
        d1 = watch.wait(lambda d: d.get(f"sites-{late_sites[1]}") == payload(late_sites[1]), 120,
                        "opt-in in the middle of the sweep's writes", namespaces=[f"sites-{late_sites[1]}"])
        d0 = watch.wait(lambda d: d.get(f"sites-{late_sites[0]}") == payload(late_sites[0]), 120,
                        "opt-in at the sweep's start", namespaces=[f"sites-{late_sites[0]}"])
        rewritten_then = len(watch.matching)
        all_done = watch.wait_matching(expected, 600, "the 100% change", op.check_alive)
        _, line_all, c_all = op.wait_sweep(idx + 1)
        res["new_optin_during_resync_ms"] = round((d1 - t_half) * 1000)
        res["new_optin_at_sweep_start_ms"] = round((d0 - t_list) * 1000)
        by_op["resync_all_changed_timing"] = proxy.timing(t_list - 0.5, all_done)
        by_op["resync_all_changed"] = delta(c_all, base)
        log(f"100%-changed sweep {line_all}: opt-in annotated at its first ListSecrets -> Secret in "
            f"{res['new_optin_at_sweep_start_ms']} ms; annotated with {n // 2} of {n} rewritten -> Secret in "
            f"{res['new_optin_during_resync_ms']} ms (by then {rewritten_then} rewritten); all {n} Secrets "
            f"rewritten {all_done - t_list:.1f}s after the sweep started; requests {by_op['resync_all_changed']}")
        res["rss_mb_peak"] = round(op.rss_mb(), 1)

        # 10. Warm restart: every Secret in sync, the process replaced (every rollout does this). The
        # listing must settle every site: no per-key read. Counted from launch to 3 s after the first
        # sweep line (the deferred reconciles run right after it).
        op.stop()
        op = None
        proxy.reset()
        op = Operator(jvm_cmd, a.jar, a.log_dir, env, [f"--build-secrets-resync-period={resync}s"], proxy, "bench-warm")
        op.wait_ready()
        op.wait_sweep(0)
        time.sleep(3)
        by_op["warm_restart"] = proxy.snapshot()
        res["sm_requests_warm_restart"] = sum(by_op["warm_restart"].values())
        log(f"warm restart: {by_op['warm_restart']}")
        op.stop()
        op = None

        # 10b. Change events (issue 13): an SQS queue filled by an EventBridge rule, wired as
        # docs/operations.md does, on the test bed's moto. SQS goes to moto directly (the proxy counts
        # Secrets Manager only); resync 15m, so only the events explain a change within seconds.
        region = os.environ["AWS_REGION"]
        sqs = boto3.client("sqs", endpoint_url=moto_url, region_name=region)
        eventbridge = boto3.client("events", endpoint_url=moto_url, region_name=region)
        qname = f"bench-change-events-{uuid.uuid4().hex[:8]}"
        qurl = sqs.create_queue(QueueName=qname)["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        eventbridge.put_rule(Name=qname, EventPattern=json.dumps(EVENT_PATTERN))
        eventbridge.put_targets(Rule=qname, Targets=[{"Id": "build-secrets-operator", "Arn": qarn}])
        op = Operator(jvm_cmd, a.jar, a.log_dir, dict(env, AWS_ENDPOINT_URL_SQS=moto_url),
                      ["--build-secrets-resync-period=15m", f"--change-events-queue-url={qurl}"], proxy, "bench-events")
        op.wait_ready()
        op.wait_sweep(0)
        time.sleep(3)
        # One key changed at a time: from the upstream write to the Secret's watch event.
        latencies = []
        for s in bench_sites[:samples]:
            want = payload(s, "event")
            sm.put_secret_value(SecretId=f"sites/{s}/build", SecretString=json.dumps(want))
            t0 = time.monotonic()
            eventbridge.put_events(Entries=[cloudtrail_entry("PutSecretValue", f"sites/{s}/build")])
            seen = watch.wait(lambda d, ns=f"sites-{s}", w=want: d.get(ns) == w, 30, f"event for {s}",
                              op.check_alive, [f"sites-{s}"])
            latencies.append((seen - t0) * 1000)
        res["upstream_change_to_secret_ms_p50"] = round(pct(latencies, 50), 1)
        res["upstream_change_to_secret_ms_p99"] = round(pct(latencies, 99), 1)
        log(f"change events, one key at a time ({samples}): p50 {res['upstream_change_to_secret_ms_p50']} ms, "
            f"p99 {res['upstream_change_to_secret_ms_p99']} ms")
        # A burst: one event for each of the N keys, all waiting in the queue when the leader starts
        # (so they arrive faster than it drains them, as 1,000 events within a second would; PutEvents
        # on moto is far slower than that, so publishing live would measure a trickle). The keys are
        # unchanged, so the start-up listing reads nothing: every read counted is the events'.
        op.stop()
        op = None
        keys = [f"sites/{s}/build" for s in bench_sites]
        t0 = time.monotonic()
        parallel(lambda i: eventbridge.put_events(Entries=[cloudtrail_entry("PutSecretValue", k) for k in keys[i:i + 10]]),
                 range(0, len(keys), 10), 8)
        log(f"change events, burst: {n} events queued in {time.monotonic() - t0:.1f}s")
        proxy.reset()
        op = Operator(jvm_cmd, a.jar, a.log_dir, dict(env, AWS_ENDPOINT_URL_SQS=moto_url),
                      ["--build-secrets-resync-period=15m", f"--change-events-queue-url={qurl}"], proxy,
                      "bench-events-burst")
        op.wait_ready()
        applied = dict(name="deco_operator_buildsecrets_change_events_total", outcome="applied")
        deadline = time.monotonic() + 600
        t0 = time.monotonic()
        while op.metric(**applied) < n:
            op.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {op.metric(**applied)} of {n} events applied in 600 s")
            time.sleep(0.1)
        burst_s = time.monotonic() - t0
        time.sleep(2)
        by_op["event_burst"] = proxy.snapshot()
        res["sm_requests_event_burst"] = sum(v for k, v in by_op["event_burst"].items() if k != "ListSecrets")
        res["event_burst_seconds"] = round(burst_s, 2)
        log(f"change events, burst of {n} queued events: applied in {burst_s:.2f}s, requests {by_op['event_burst']} "
            f"(ListSecrets is the start-up listing)")
        # Idle: long polling only.
        receives = dict(name="deco_operator_buildsecrets_change_event_queue_requests_total", operation="receive")
        r0 = op.metric(**receives)
        time.sleep(60)
        res["sqs_requests_idle_per_minute"] = int(op.metric(**receives) - r0)
        log(f"change events, idle: {res['sqs_requests_idle_per_minute']} SQS receives in 60 s")
        op.stop()
        op = None
        eventbridge.remove_targets(Rule=qname, Ids=["build-secrets-operator"])
        eventbridge.delete_rule(Name=qname)
        sqs.delete_queue(QueueUrl=qurl)

        # 11. Leader failover: two replicas with leader election; the leader is stopped (SIGTERM
        # hands the Lease over at once) and the standby takes over with warm caches. Counted from
        # the stop to 3 s after the new leader's first sweep line.
        lease = ["--leader-elect", "--leader-election-namespace=default",
                 f"--leader-election-id=bench-{uuid.uuid4().hex[:8]}", f"--build-secrets-resync-period={resync}s"]
        first = Operator(jvm_cmd, a.jar, a.log_dir, env, lease, proxy, "bench-leader-a")
        first.wait_ready()
        first.wait_sweep(0)
        op = Operator(jvm_cmd, a.jar, a.log_dir, env, lease, proxy, "bench-leader-b")
        op.wait_ready()
        time.sleep(3)
        c = proxy.snapshot()
        first.stop()
        op.wait_sweep(0)
        time.sleep(3)
        by_op["leader_failover"] = delta(proxy.snapshot(), c)
        res["sm_requests_leader_failover"] = sum(by_op["leader_failover"].values())
        log(f"leader failover: {by_op['leader_failover']}")

        if a.no_get_mode:
            raise StopEarly("--no-get-mode: per-key mode not measured")
        # Opt the extra namespaces out again, so per-key mode reads exactly the N bench keys. A bulk
        # opt-out of about half the fleet is over the deletion budget: each deletion is approved, by
        # the Secret's UID, as `approve-deletions` does.
        for s in optin_sites + late_sites:
            secret = kube.secret(f"sites-{s}")
            change = {OPT_IN: None, FORCE_SYNC: None}
            if secret:
                change[APPROVAL] = secret["metadata"]["uid"]
            kube.annotate(f"sites-{s}", change)
        watch.wait(lambda d: len(d) == n, 60, "opted-out Secrets to be deleted")
        op.stop()
        op = None

        # 12. Per-key mode. Its start-up reads (paced by the 50 requests/s token bucket) spread
        # over N/50 s; each key is then read again after P +-10%. Counting over
        # [first read + P/2, first read + 3P/2) sees exactly one later read of every key, provided
        # the start-up spread is under 0.4 P: hence P = max(20 s, N/20 s + 5 s).
        period = max(resync, math.ceil(n / 20) + 5)
        proxy.reset()
        op = Operator(jvm_cmd, a.jar, a.log_dir, env,
                      ["--change-detection=get", f"--build-secrets-resync-period={period}s"], proxy, "bench-get")
        op.wait_ready()
        deadline = time.monotonic() + 300
        while proxy.snapshot().get("GetSecretValue", 0) == 0:
            op.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError("per-key mode never read")
            time.sleep(0.01)
        t_first = time.monotonic()
        time.sleep(period / 2)
        c = proxy.snapshot()
        by_op["get_mode_startup"] = c
        time.sleep(t_first + 1.5 * period - time.monotonic())
        by_op["get_mode_one_period"] = delta(proxy.snapshot(), c)
        res["sm_requests_resync_unchanged_get_mode"] = sum(by_op["get_mode_one_period"].values())
        res["get_mode_period_seconds"] = period
        log(f"per-key mode, start-up reads {c}; over one {period}s period: {by_op['get_mode_one_period']}")
    except StopEarly as stop:
        log(str(stop))
    finally:
        if op is not None:
            op.stop()
        proxy.close()

    log("requests by operation, per phase: " + json.dumps(by_op))
    log(f"wall time {time.monotonic() - wall0:.0f}s (after the test bed was up)")
    order = ["namespaces", "cold_sync_seconds", "raw_create_seconds", "cold_ratio", "sm_requests_cold",
             "sm_requests_resync_unchanged", "sm_requests_resync_changed", "sm_requests_warm_restart",
             "sm_requests_leader_failover", "sm_requests_resync_unchanged_get_mode",
             "cpu_seconds_cold", "rss_mb", "heap_used_mb", "threads", "annotate_to_secret_ms_p50", "annotate_to_secret_ms_p99", "force_sync_ms_p50",
             "force_sync_ms_p99", "force_sync_20_at_once_ms_p50", "force_sync_all_seconds", "sm_requests_force_sync_all",
             "new_optin_during_resync_ms", "startup_to_ready_ms",
             "upstream_change_to_secret_ms_p50", "upstream_change_to_secret_ms_p99", "sm_requests_event_burst",
             "sqs_requests_idle_per_minute"]
    out = {k: res.get(k) for k in order}
    out.update({k: v for k, v in res.items() if k not in out})
    out["requests_by_phase"] = by_op
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
