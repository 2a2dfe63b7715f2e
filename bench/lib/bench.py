"""The scale benchmark behind bench/run. Expects the test bed's env (KUBECONFIG, AWS_*, TESTBED_*; with
--backend vault also VAULT_ADDR, VAULT_CACERT, VAULT_TOKEN and BUILD_SECRETS_VAULT_*)."""
import argparse
import base64
import hashlib
import http.client
import json
import math
import os
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import psutil
import urllib3
import yaml
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
    with open(chart_values) as f:
        values = yaml.safe_load(f)
    limit = str((values.get("resources") or {}).get("limits", {}).get("memory", ""))
    tool = values.get("javaToolOptions")
    if not limit.endswith("Mi") or not limit[:-2].isdigit() or not tool:
        raise RuntimeError(f"{chart_values}: no resources.limits.memory in Mi or no javaToolOptions")
    return {"JAVA_TOOL_OPTIONS": f"-XX:MaxRAM={limit[:-2]}m {tool}"}


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


# --- Vault (--backend vault): the test bed's dev server, through its HTTP API -------------------------

# What `dev/testbed up --vault` exports for the operator: an aws run on such a bed leaves them out.
VAULT_ENV = ("BUILD_SECRETS_BACKEND", "VAULT_ADDR", "VAULT_CACERT", "VAULT_TOKEN", "BUILD_SECRETS_VAULT_MOUNT",
             "BUILD_SECRETS_VAULT_ROLE", "BUILD_SECRETS_VAULT_TOKEN_PATH")


class Vault:
    """The bed's Vault as its root token sees it (as testbed/VaultAdmin.java does): writes KV v2 data
    and reads Vault's own request counts. The token goes in a header only; no value or token is ever
    logged (Vault's error messages name paths, not values)."""

    def __init__(self, addr, cacert, token, mount="secret"):
        url = urllib.parse.urlsplit(addr)
        self.host, self.port, self.token, self.mount = url.hostname, url.port, token, mount
        self.ssl = ssl.create_default_context(cafile=cacert)
        self.local = threading.local()  # one keep-alive connection per thread

    def _call(self, method, path, body=None):
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPSConnection(self.host, self.port, timeout=30,
                                                                     context=self.ssl)
            try:
                conn.request(method, "/v1/" + path, body=None if body is None else json.dumps(body),
                             headers={"X-Vault-Token": self.token})
                resp = conn.getresponse()
                data = resp.read()
                if resp.status // 100 != 2:
                    raise RuntimeError(f"vault {method} {path}: HTTP {resp.status}: {data[:200]!r}")
                return data
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise

    def put(self, key, data):
        """A new version of key (KV v2) holding data."""
        self._call("POST", f"{self.mount}/data/{key}", {"data": data})

    def snapshot(self):
        """Requests Vault has handled, by route ("read secret/", "update auth/kubernetes/", ...), from
        its own telemetry (sys/metrics, Prometheus format): the vault_route_<operation>_<mount>_
        summaries' counts (Vault does not count its sys/metrics reads there, so scraping adds nothing)."""
        text = self._call("GET", "sys/metrics?format=prometheus").decode()
        out = {}
        for name, _, value in samples(text, "vault_route_"):
            m = re.fullmatch(r"vault_route_(create|read|update|delete|list)_(.+)_count", name)
            if m:
                route = f"{m.group(1)} {m.group(2).rstrip('_').replace('_', '/')}/"
                out[route] = out.get(route, 0) + int(value)
        # The bench's writes of test data (create/update on the KV mount) are not the operator's.
        own_writes = {f"create {self.mount}/", f"update {self.mount}/"}
        return {k: v for k, v in sorted(out.items()) if v and k not in own_writes}

    def close(self):
        pass


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


PAYLOAD_BYTES = 0  # --payload-bytes; 0: the three short values every earlier figure was measured with
PAYLOAD_KEYS = 10


def payload(site, tag="v0"):
    """A site's upstream value at `tag`. With --payload-bytes N, about N bytes spread over
    PAYLOAD_KEYS keys, each value distinct per site and tag (hex from a hash: nothing shares)."""
    if not PAYLOAD_BYTES:
        return {"TENANT_TOKEN": f"tok-{site}-{tag}", "API_URL": f"https://{site}.example", "MODE": tag}
    each = max(1, PAYLOAD_BYTES // PAYLOAD_KEYS)
    out = {}
    for i in range(PAYLOAD_KEYS):
        seed = hashlib.sha256(f"{site}/{tag}/{i}".encode()).hexdigest()
        out[f"BUILD_VAR_{i}"] = (seed * (each // len(seed) + 1))[:each]
    return out


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

SWEEP_KEYS = "deco_operator_buildsecrets_sweep_keys"


def jvm(java, jar, runtime):
    """How the shipped operator starts its JVM: the image's runtime (jlinked JRE, jvm.options and the
    AOT cache) when it was built, else the JDK with jvm.options from the source tree. Extra
    BENCH_JAVA_OPTS (e.g. "-Xmx128m") are for experiments; the reported figures use none."""
    extra = os.environ.get("BENCH_JAVA_OPTS", "").split()
    if runtime and os.path.exists(os.path.join(runtime, "app.aot")):
        return [os.path.join(runtime, "jre/bin/java"), f"@{runtime}/jvm.options", f"-XX:AOTCache={runtime}/app.aot",
                *extra]
    if runtime and os.path.exists(os.path.join(runtime, "app.jsa")):  # an older jar's runtime (bench/compare)
        return [os.path.join(runtime, "jre/bin/java"), f"@{runtime}/jvm.options",
                f"-XX:SharedArchiveFile={runtime}/app.jsa", "-Xshare:auto", *extra]
    options = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../src/main/jvm/jvm.options")
    return [java, f"@{options}", *extra]


class Process:
    """A process the bench launched (stdout and stderr into a log under log_dir), measured from
    /proc through psutil."""

    def __init__(self, cmd, env, log_dir, name):
        os.makedirs(log_dir, exist_ok=True)
        self.log_path = os.path.join(log_dir, f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.log")
        self.started = time.monotonic()
        self.out = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.out, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)

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

    def rss_mb(self):
        return self.ps.memory_info().rss / 2**20

    def rss_split_mb(self):
        """(anonymous, file-backed) resident MB: statm's shared pages are the file-backed ones (the
        JVM maps no shared memory but its 32 KB perf-data file; a static Go binary maps its own text)."""
        mem = self.ps.memory_info()
        return (mem.rss - mem.shared) / 2**20, mem.shared / 2**20

    def threads(self):
        return self.ps.num_threads()

    def cpu_seconds(self):
        """User plus system CPU time of the process so far."""
        cpu = self.ps.cpu_times()
        return cpu.user + cpu.system

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


class Operator(Process):
    def __init__(self, jvm_cmd, jar, log_dir, env, flags, proxy, name):
        self.ports = {}  # "metrics"/"health" -> the port bound, once logged
        # JSON lines, as shipped: the bench reads the log by field, not by the console layout.
        cmd = [*jvm_cmd, "-jar", jar, "--log-format=json",
               "--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0", *flags]
        self.proxy = proxy
        self.sweeps = []  # (monotonic time seen, the sweep's keys by stage, proxy counts then)
        self.cond = threading.Condition()
        super().__init__(cmd, env, log_dir, name)
        log(f"starting operator ({name}): {' '.join(flags)}; log {self.log_path}")
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
                    try:
                        self._on_log(json.loads(line))
                    except ValueError:
                        pass  # the JVM's own lines (JAVA_TOOL_OPTIONS, warnings) are not JSON

    def _on_log(self, event):
        logger, message = event.get("loggerName", ""), event.get("formattedMessage", "")
        if logger.endswith(".OpsServer") and " endpoint listening on " in message:
            # The operator binds port 0 and logs what it got: a port picked here and bound later
            # can be taken in between (any outbound connection may get it as its source port).
            with self.cond:
                self.ports[message.split()[0]] = int(message.rsplit(":", 1)[1])
                self.cond.notify_all()
        elif logger.endswith(".FleetSweep") and message.startswith("sweep: "):
            counts = self.proxy.snapshot()  # first: the moment the sweep ended
            keys = {labels["stage"]: int(v) for _, labels, v in samples(self.scrape(), SWEEP_KEYS)}
            with self.cond:
                self.sweeps.append((time.monotonic(), keys, counts))
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
        """Waits for completed sweep number after_index (0-based) and returns it."""
        self._await(lambda: len(self.sweeps) > after_index, timeout, f"sweep #{after_index + 1}", 1)
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

    def scrape(self):
        """The operator's /metrics text."""
        return self.http(self.metrics_port, "/metrics")[1]

    def metric(self, name, **labels):
        """The sum of every sample of /metrics named name that has (at least) these labels."""
        return sum(v for n, l, v in samples(self.scrape(), name) if n == name and l.items() >= labels.items())

    def heap_used_mb(self):
        return heap_mb(self.scrape())

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
        heap_info = lambda: subprocess.run([jcmd, str(self.proc.pid), "GC.heap_info"], capture_output=True,
                                           text=True, timeout=60).stdout
        with open(self.log_path + ".heap.txt", "w") as f:  # the generations' sizes, before and after a full GC
            f.write(f"# before a full GC (RSS {self.rss_mb():.1f} MB)\n{heap_info()}")
        with open(self.log_path + ".histogram.txt", "w") as f:  # what the live set is made of (a full GC first)
            f.write(subprocess.run([jcmd, str(self.proc.pid), "GC.class_histogram"], capture_output=True, text=True,
                                   timeout=120).stdout)
            f.write(f"# RSS after this full GC: {self.rss_mb():.1f} MB\n")
        with open(self.log_path + ".heap.txt", "a") as f:
            f.write(f"# after it (RSS {self.rss_mb():.1f} MB)\n{heap_info()}")
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
        super().stop()


def free_port():
    """A free loopback port (for a process that cannot bind port 0 and say which port it got)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GoOperator(Process):
    """The Go operator this project replaces (decocms/operator at the commit bench/build-go-operator
    built), started as its Helm chart starts it (plain-HTTP metrics: --metrics-secure=false), but on
    the bed: metrics and probes on free loopback ports, no leader election (one replica; out of a
    cluster it could not find a namespace for its Lease), webhooks off (their server binds :9443 on
    every interface, with no flag to move it, and the bed routes no admission request to it), the
    resync period from BUILD_SECRETS_RESYNC_PERIOD. Every other controller it registers runs as
    shipped, with the CRDs of its repository installed. GODEBUG=gctrace=1 makes its runtime log one
    line per GC (the heap after it), which is only printed, not allocated for."""

    def __init__(self, binary, log_dir, env, resync_seconds):
        self.health_port = free_port()
        cmd = [binary, "--leader-elect=false", "--metrics-secure=false",
               f"--metrics-bind-address=127.0.0.1:{free_port()}",
               f"--health-probe-bind-address=127.0.0.1:{self.health_port}"]
        env = dict(env, ENABLE_WEBHOOKS="false", BUILD_SECRETS_RESYNC_PERIOD=f"{resync_seconds}s", GODEBUG="gctrace=1")
        super().__init__(cmd, env, log_dir, "go-operator")
        log(f"starting the Go operator: {' '.join(cmd[1:])}, resync {resync_seconds}s; log {self.log_path}")

    def live_heap_mb(self):
        """The heap left live by the last GC (gctrace's "A->B->C MB": C), None before the first."""
        with open(self.log_path, "rb") as f:
            found = re.findall(rb"^gc \d+ @.*?(\d+)->(\d+)->(\d+) MB", f.read(), re.M)
        return int(found[-1][2]) if found else None


# --- the benchmark -----------------------------------------------------------------------------------

class StopEarly(Exception):
    """Ends the run before the per-key phase (--no-get-mode) or after the force-syncs (--quick)."""


# The order of the JSON line's first fields; any other figure follows them.
REPORT_ORDER = ["namespaces", "cold_sync_seconds", "raw_create_seconds", "cold_ratio", "sm_requests_cold",
                "sm_requests_resync_unchanged", "sm_requests_resync_changed", "sm_requests_warm_restart",
                "sm_requests_leader_failover", "sm_requests_resync_unchanged_get_mode",
                "cpu_seconds_cold", "rss_mb", "heap_used_mb", "threads", "annotate_to_secret_ms_p50",
                "annotate_to_secret_ms_p99", "force_sync_ms_p50", "force_sync_ms_p99", "force_sync_reconcile_ms_mean",
                "force_sync_read_ms_mean", "force_sync_20_at_once_ms_p50",
                "force_sync_all_seconds", "sm_requests_force_sync_all", "new_optin_during_resync_ms",
                "startup_to_ready_ms", "upstream_change_to_secret_ms_p50", "upstream_change_to_secret_ms_p99",
                "sm_requests_event_burst", "sqs_requests_idle_per_minute"]

# The vault run's (--backend vault): Vault's request counts instead of Secrets Manager's.
VAULT_REPORT_ORDER = ["namespaces", "cold_sync_seconds", "raw_create_seconds", "cold_ratio", "vault_requests_cold",
                      "vault_requests_resync_unchanged", "resync_period_seconds", "cpu_seconds_cold", "rss_mb",
                      "heap_used_mb", "threads", "annotate_to_secret_ms_p50", "annotate_to_secret_ms_p99",
                      "force_sync_ms_p50", "force_sync_ms_p99", "force_sync_reconcile_ms_mean",
                      "force_sync_read_ms_mean", "force_sync_20_at_once_ms_p50", "force_sync_all_seconds",
                      "vault_requests_force_sync_all", "startup_to_ready_ms"]


# The Go operator's (--go-operator).
GO_REPORT_ORDER = ["namespaces", "payload_bytes", "cold_sync_seconds", "sm_requests_cold", "cpu_seconds_cold",
                   "rss_mb_after_cold", "sm_requests_cold_tail", "sm_requests_resync_unchanged",
                   "resync_period_seconds", "rss_mb", "go_heap_live_mb_after_cold", "go_heap_live_mb", "threads",
                   "startup_to_ready_ms"]


def key(site):
    return f"sites/{site}/build"


def ns(site):
    return f"sites-{site}"


class Bench:
    """One run of the benchmark: the clients, the fleet, and the figures (res) and request counts by
    phase (by_op) measured so far. Each phase is one method; main() runs them in order."""

    RESYNC = 20  # seconds: several sweeps fit in a run

    def __init__(self, a):
        self.a = a
        self.jvm_cmd = jvm(a.java, a.jar, a.runtime)
        self.operator_jvm = [*self.jvm_cmd, "-XX:NativeMemoryTracking=summary"] if a.nmt else self.jvm_cmd
        self.jvm_env = chart_jvm_env(a.chart_values)
        if not a.go_operator:
            log(f"JVM: {' '.join(self.jvm_cmd)} with {self.jvm_env}")
        self.n = a.namespaces
        self.samples = min(100, self.n)
        self.moto_url = os.environ["TESTBED_MOTO_URL"]
        self.kube = Kube(os.environ["TESTBED_APISERVER_URL"], os.path.join(os.environ["TESTBED_DIR"], "pki"))
        self.vault = self.sm = None
        self.requests = "vault_requests" if a.backend == "vault" else "sm_requests"  # the figures' prefix
        if a.backend == "vault":
            self.vault = Vault(os.environ["VAULT_ADDR"], os.environ["VAULT_CACERT"], os.environ["VAULT_TOKEN"],
                               os.environ.get("BUILD_SECRETS_VAULT_MOUNT", "secret"))
        else:
            self.sm = boto3.client("secretsmanager", endpoint_url=self.moto_url, region_name=os.environ["AWS_REGION"])
        self.bench_sites = [f"bench-{i}" for i in range(self.n)]
        self.optin_sites = [f"bench-optin-{i}" for i in range(self.samples)]
        self.late_sites = ["bench-late-0", "bench-late-1"]
        self.res = {"namespaces": self.n, "payload_bytes": PAYLOAD_BYTES}
        self.by_op = {}
        self.proxy = self.watch = self.op = self.env = None

    def put(self, sites, tag):
        """New upstream values for sites, straight into moto or Vault (not counted)."""
        parallel(lambda s: self.put_one(s, tag), sites, 8)

    def put_one(self, site, tag):
        if self.vault:
            self.vault.put(key(site), payload(site, tag))
        else:
            self.sm.put_secret_value(SecretId=key(site), SecretString=json.dumps(payload(site, tag)))

    def start(self, flags, name, env=None, jvm_cmd=None):
        """Starts the operator (the one self.op stops) in front of the proxy."""
        self.op = Operator(jvm_cmd or self.jvm_cmd, self.a.jar, self.a.log_dir, env or self.env, flags, self.proxy,
                           name)
        return self.op

    def stop(self):
        if self.op is not None:
            self.op.stop()
            self.op = None

    def timed_one_at_a_time(self, sites, act, wanted, what, prepare=lambda s: None):
        """Latencies in ms of act(site) → the site's Secret holding wanted(site), one site at a time;
        prepare(site) runs first, untimed."""
        lat = []
        for s in sites:
            prepare(s)
            t = time.monotonic()
            act(s)
            done_at = self.watch.wait(lambda d: d.get(ns(s)) == wanted(s), 60, f"{what} {ns(s)}", namespaces=[ns(s)])
            lat.append((done_at - t) * 1000)
        return lat

    def record_latency(self, name, lat):
        self.res[f"{name}_ms_p50"] = round(statistics.median(lat))
        self.res[f"{name}_ms_p99"] = round(pct(lat, 99))

    # 1. A clean slate (a reused test bed keeps namespaces; moto and the Secrets are reset).
    def reset(self):
        log("resetting moto and any earlier bench state")
        url = urllib.parse.urlsplit(self.moto_url)
        c = http.client.HTTPConnection(url.hostname, url.port)
        c.request("POST", "/moto-api/reset")
        c.getresponse().read()
        wanted = {ns(s) for s in self.bench_sites}
        for namespace in self.kube.namespaces():
            name = namespace["metadata"]["name"]
            if name.startswith("sites-bench-") and name not in wanted \
                    and (namespace["metadata"].get("annotations") or {}).get(OPT_IN):
                self.kube.annotate(name, {OPT_IN: None})
        stale = [s for s in self.kube.build_secrets() if s["metadata"]["namespace"].startswith("sites-bench-")]
        parallel(lambda s: self.kube.delete_secret(s["metadata"]["namespace"]), stale)

    # 2. Upstream keys straight into moto (not counted), then namespaces and unrelated Secrets.
    def create_fleet(self):
        t = time.monotonic()
        every = self.bench_sites + self.optin_sites + self.late_sites
        if self.vault:  # a new version of every key (a reused bed's Vault may hold them already)
            parallel(lambda s: self.vault.put(key(s), payload(s)), every, WORKERS)
            log(f"{len(every)} upstream keys written to Vault (KV v2) in {time.monotonic() - t:.1f}s")
        else:
            parallel(lambda s: self.sm.create_secret(Name=key(s), SecretString=json.dumps(payload(s))), every, 8)
            log(f"{len(every)} upstream keys created in moto in {time.monotonic() - t:.1f}s")
        t = time.monotonic()
        m = self.a.unrelated_secrets
        parallel(lambda s: self.kube.ensure_namespace(ns(s), {OPT_IN: "enabled"}), self.bench_sites)
        parallel(lambda s: self.kube.ensure_namespace(ns(s), {}), self.optin_sites + self.late_sites)
        unrelated_ns = [f"unrelated-{k}" for k in range(10)] if m else []
        parallel(lambda name: self.kube.ensure_namespace(name, {}), unrelated_ns)
        parallel(self.kube.delete_secrets, unrelated_ns)  # a reused test bed holds the last run's
        parallel(lambda i: self.kube.create_secret(f"unrelated-{i % 10}", secret_body(f"unrelated-{i}", f"u{i}")),
                 range(m))
        log(f"{self.n}+{len(self.optin_sites) + len(self.late_sites)} namespaces and {m} unrelated Secrets in "
            f"{time.monotonic() - t:.1f}s")

    # 3. The baseline: the same API server, client library (fabric8), JVM and JVM options creating N
    # Secrets with the operator's concurrency, timed from process launch like the cold sync.
    def raw_create(self):
        raw_ns = [f"raw-{k}" for k in range(50)]
        parallel(lambda name: self.kube.ensure_namespace(name, {}), raw_ns)
        parallel(self.kube.delete_secrets, raw_ns)
        t = time.monotonic()
        raw = subprocess.run([*self.jvm_cmd, "-cp", f"{self.a.jar}:{self.a.bench_classes}", "RawCreate", str(self.n),
                              str(WORKERS), "raw-", str(len(raw_ns))],
                             env=dict(os.environ, **self.jvm_env), capture_output=True, text=True)
        raw_create = time.monotonic() - t
        done = [line for line in raw.stdout.splitlines() if line.startswith("created ")]
        if raw.returncode != 0 or not done:
            raise RuntimeError(f"RawCreate failed ({raw.returncode}): {raw.stderr[-2000:]}")
        raw_loop = float(done[-1].split()[-1])
        parallel(self.kube.delete_secrets, raw_ns)
        self.res.update(raw_create_seconds=round(raw_create, 2), raw_create_loop_seconds=round(raw_loop, 2))
        log(f"raw create of {self.n} Secrets: {raw_create:.2f}s from launch ({raw_loop:.2f}s in the create loop)")
        return raw_create

    # 4. Cold start in list mode. Readiness is polled every 20 ms; the Secrets are followed by a watch.
    # (Go mode: raw_create is None and start() launches the Go operator; it logs no sweeps.)
    def cold_start(self, raw_create, start=None):
        self.watch = SecretWatch(self.kube)
        api_before = self.api_before_cold = apiserver_requests(self.kube)
        op = start() if start else self.start([f"--build-secrets-resync-period={self.RESYNC}s"], "bench-list",
                                              jvm_cmd=self.operator_jvm)
        expected = {ns(s): payload(s) for s in self.bench_sites}
        ready_ms = op.wait_ready()
        done_at = self.watch.wait_matching(expected, 1800, f"cold sync of {self.n} Secrets", op.check_alive)
        self.res["cpu_seconds_cold"] = round(op.cpu_seconds(), 2)
        self.res["rss_mb_after_cold"] = round(op.rss_mb(), 1)
        sweeps = getattr(op, "sweeps", [])
        if sweeps:
            self.by_op["cold_first_sweep_timing"] = self.proxy.timing(op.started, sweeps[0][0])
        cold = done_at - op.started
        cold_counts = self.proxy.snapshot()
        api = delta(apiserver_requests(self.kube), api_before)
        self.res.update(cold_sync_seconds=round(cold, 2), sm_requests_cold=sum(cold_counts.values()),
                        startup_to_ready_ms=round(ready_ms),
                        cold_sync_after_ready_seconds=round(cold - ready_ms / 1000, 2))
        if raw_create:
            self.res["cold_ratio"] = round(cold / raw_create, 2)
        self.by_op["cold"] = delta(cold_counts, {})
        self.by_op["cold_sm_seconds_in_moto"] = {k: round(v, 2) for k, v in self.proxy.time_snapshot().items()}
        self.by_op["cold_kube_api_requests"] = {k: int(v) for k, v in api.items() if v >= 5}
        self.res["events_posted_cold"] = int(sum(v for k, v in api.items() if k.endswith(" events")))
        sweep0 = sweeps[0][1] if sweeps else None
        log(f"cold sync {cold:.2f}s, ready {ready_ms:.0f} ms, first sweep {sweep0}, requests {self.by_op['cold']}, "
            f"seconds inside moto {self.by_op['cold_sm_seconds_in_moto']}, kube-apiserver requests "
            f"{self.by_op['cold_kube_api_requests']}")

    # 5. One sweep with nothing changed: counts between two consecutive sweeps. Returns the index of
    # the second one.
    def unchanged_sweep(self):
        idx = len(self.op.sweeps)
        _, _, c0 = self.op.wait_sweep(idx)
        _, keys, c1 = self.op.wait_sweep(idx + 1)
        self.by_op["resync_unchanged"] = delta(c1, c0)
        self.res["sm_requests_resync_unchanged"] = sum(self.by_op["resync_unchanged"].values())
        log(f"unchanged sweep {keys}: {self.by_op['resync_unchanged']}")
        return idx + 1

    # 5b. The footprint right after that sweep.
    def footprint(self):
        op = self.op
        self.res["rss_mb"] = round(op.rss_mb(), 1)
        self.res["heap_used_mb"] = round(op.heap_used_mb(), 1)
        anon, file = op.rss_split_mb()
        self.res["rss_anon_mb"] = round(anon, 1)
        self.res["rss_file_mb"] = round(file, 1)
        self.res["threads"] = op.threads()
        api = delta(apiserver_requests(self.kube), self.api_before_cold)
        self.res["events_posted_to_quiet_resync"] = int(sum(v for k, v in api.items() if k.endswith(" events")))
        if self.a.nmt:
            self.res["native_memory_mb"] = op.native_memory_mb(os.path.join(os.path.dirname(self.a.java), "jcmd"))
            log(f"native memory (NMT committed, MB): {self.res['native_memory_mb']}; rss {self.res['rss_mb']} MB")

    # 6. One sweep after 1% of the keys changed (written right after sweep number `after`).
    def changed_sweep(self, after):
        changed = self.bench_sites[:max(1, self.n // 100)]
        self.put(changed, "v1")
        _, keys, c2 = self.op.wait_sweep(after + 1)
        self.by_op["resync_changed"] = delta(c2, self.op.sweeps[after][2])
        self.res["sm_requests_resync_changed"] = sum(self.by_op["resync_changed"].values())
        self.watch.wait(lambda d: all(d.get(ns(s)) == payload(s, "v1") for s in changed), 60,
                        "the changed keys after the sweep", self.op.check_alive)
        log(f"changed sweep ({len(changed)} keys) {keys}: {self.by_op['resync_changed']}")

    # 7. Fresh opt-ins, one at a time.
    def fresh_optins(self):
        c = self.proxy.snapshot()
        lat = self.timed_one_at_a_time(self.optin_sites, lambda s: self.kube.annotate(ns(s), {OPT_IN: "enabled"}),
                                       payload, "fresh opt-in")
        self.by_op["annotate"] = delta(self.proxy.snapshot(), c)
        self.record_latency("annotate_to_secret", lat)
        log(f"fresh opt-ins: p50 {self.res['annotate_to_secret_ms_p50']} ms, p99 "
            f"{self.res['annotate_to_secret_ms_p99']} ms, max {max(lat):.0f} ms; requests {self.by_op['annotate']}")

    # 8. Force-syncs, one at a time: new upstream value, then the annotation.
    def force_syncs(self):
        c = self.proxy.snapshot()
        timers = self.force_sync_timers()
        tags = {s: f"fs{k}-{uuid.uuid4().hex[:8]}" for k, s in enumerate(self.bench_sites[-self.samples:])}
        lat = self.timed_one_at_a_time(
            tags, lambda s: self.kube.annotate(ns(s), {FORCE_SYNC: tags[s]}), lambda s: payload(s, tags[s]),
            "force-sync of", prepare=lambda s: self.put_one(s, tags[s]))
        self.by_op["force_sync"] = delta(self.proxy.snapshot(), c)
        self.record_latency("force_sync", lat)
        self.trace_force_syncs(timers)
        log(f"force-syncs: p50 {self.res['force_sync_ms_p50']} ms, p99 {self.res['force_sync_ms_p99']} ms, "
            f"max {max(lat):.0f} ms; requests {self.by_op['force_sync']}")

    def force_sync_timers(self):
        """Sums and counts of the operator's own timers: a reconcile, and one upstream read."""
        name = "deco_operator_buildsecrets_"
        return {t: (self.op.metric(f"{name}{t}_seconds_sum"), self.op.metric(f"{name}{t}_seconds_count"))
                for t in ("reconcile_duration", "source_request_duration")}

    def trace_force_syncs(self, before):
        """Where a lone force-sync's time goes: the mean reconcile (the upstream read and the write
        inside it), the mean upstream read, and the rest (the annotation's PATCH, both watch
        deliveries, the queueing before the reconcile)."""
        after = self.force_sync_timers()
        mean = {t: 1000 * (after[t][0] - before[t][0]) / max(1, after[t][1] - before[t][1]) for t in after}
        self.res["force_sync_reconcile_ms_mean"] = round(mean["reconcile_duration"], 1)
        self.res["force_sync_read_ms_mean"] = round(mean["source_request_duration"], 1)
        log(f"force-sync trace: reconcile {mean['reconcile_duration']:.1f} ms mean, of which the upstream read "
            f"{mean['source_request_duration']:.1f} ms; the rest of the p50 is the API server and the watches")

    # 8b. Force-sync bursts: 20 namespaces annotated at the same moment (20 threads behind a barrier),
    # 3 rounds with new upstream values; each latency runs from its own annotation to the watch event
    # of its Secret.
    def force_sync_bursts(self):
        burst_sites = self.bench_sites[:20]
        c = self.proxy.snapshot()
        lat = []
        for r in range(3):
            tag = f"burst{r}-{uuid.uuid4().hex[:8]}"
            self.put(burst_sites, tag)
            holding, barrier = threading.Barrier(len(burst_sites)), threading.Barrier(len(burst_sites))
            started = {}

            def annotate_at_once(s, tag=tag, holding=holding, barrier=barrier, started=started):
                # Each thread's connection is opened (TLS handshake) before the barrier, so the
                # latencies measure the operator, not 20 Python handshakes contending for the GIL:
                # 20 connections held at once are 20 in the client's pool, all open for the PATCHes.
                held = self.kube.hold_connection(ns(s))
                holding.wait()
                held.read()
                barrier.wait()
                started[s] = time.monotonic()
                self.kube.annotate(ns(s), {FORCE_SYNC: tag})

            parallel(annotate_at_once, burst_sites, len(burst_sites))
            self.watch.wait(lambda d, tag=tag: all(d.get(ns(s)) == payload(s, tag) for s in burst_sites), 60,
                            "20 simultaneous force-syncs", self.op.check_alive)
            with self.watch.cond:
                lat += [(self.watch.when[ns(s)] - started[s]) * 1000 for s in burst_sites]
        self.by_op["force_sync_20_at_once"] = delta(self.proxy.snapshot(), c)
        self.record_latency("force_sync_20_at_once", lat)
        log(f"20 simultaneous force-syncs x3: p50 {self.res['force_sync_20_at_once_ms_p50']} ms, p99 "
            f"{self.res['force_sync_20_at_once_ms_p99']} ms; requests {self.by_op['force_sync_20_at_once']}")

    # 8c. Force-sync of the whole fleet: right after a sweep, every key gets a new value in moto, then
    # all N namespaces are annotated (16 threads). force_sync_all_seconds runs from the first
    # annotation until every Secret shows its new value; the requests are counted over the same span
    # (a ListSecrets in it would mean a sweep ran meanwhile: see requests_by_phase).
    def force_sync_all(self):
        if not self.vault:  # per-key mode (vault) has no sweep to wait for
            self.op.wait_sweep(len(self.op.sweeps))
        tag = f"all-{uuid.uuid4().hex[:8]}"
        self.put(self.bench_sites, tag)
        c = self.proxy.snapshot()
        t = time.monotonic()
        parallel(lambda s: self.kube.annotate(ns(s), {FORCE_SYNC: tag}), self.bench_sites)
        annotated = time.monotonic() - t
        done_at = self.watch.wait_matching({ns(s): payload(s, tag) for s in self.bench_sites}, 600,
                                           f"force-sync of all {self.n}", self.op.check_alive)
        self.by_op["force_sync_all"] = delta(self.proxy.snapshot(), c)
        self.res["force_sync_all_seconds"] = round(done_at - t, 2)
        self.res[f"{self.requests}_force_sync_all"] = sum(self.by_op["force_sync_all"].values())
        self.res["force_sync_all_annotate_seconds"] = round(annotated, 2)
        log(f"force-sync of all {self.n}: annotated in {annotated:.1f}s, every Secret new after "
            f"{self.res['force_sync_all_seconds']}s; requests {self.by_op['force_sync_all']}")

    # 9. A fresh opt-in while a sweep rewrites every Secret: change 100% of the keys after a sweep;
    # annotate one namespace the moment the next sweep's first ListSecrets reaches the proxy (extra
    # figure), and a second one when half of the N Secrets have been rewritten, i.e. in the middle of
    # the sweep's writes (new_optin_during_resync_ms).
    def optin_during_resync(self):
        n, late = self.n, self.late_sites
        idx = len(self.op.sweeps)
        self.op.wait_sweep(idx)
        t = time.monotonic()
        self.put(self.bench_sites, "all")
        log(f"{n} keys changed in moto in {time.monotonic() - t:.1f}s")
        expected = {ns(s): payload(s, "all") for s in self.bench_sites}
        base = self.proxy.snapshot()
        deadline = time.monotonic() + 3 * self.RESYNC
        while self.proxy.snapshot().get("ListSecrets", 0) == base.get("ListSecrets", 0):
            if time.monotonic() > deadline:
                raise RuntimeError("next sweep never started")
            time.sleep(0.005)
        t_list = time.monotonic()
        self.kube.annotate(ns(late[0]), {OPT_IN: "enabled"})
        self.watch.wait_matching(expected, 300, "half of the 100% change", self.op.check_alive, at_least=n // 2)
        t_half = time.monotonic()
        self.kube.annotate(ns(late[1]), {OPT_IN: "enabled"})
        d1 = self.watch.wait(lambda d: d.get(ns(late[1])) == payload(late[1]), 120,
                             "opt-in in the middle of the sweep's writes", namespaces=[ns(late[1])])
        d0 = self.watch.wait(lambda d: d.get(ns(late[0])) == payload(late[0]), 120,
                             "opt-in at the sweep's start", namespaces=[ns(late[0])])
        rewritten_then = len(self.watch.matching)
        all_done = self.watch.wait_matching(expected, 600, "the 100% change", self.op.check_alive)
        _, keys, c_all = self.op.wait_sweep(idx + 1)
        self.res["new_optin_during_resync_ms"] = round((d1 - t_half) * 1000)
        self.res["new_optin_at_sweep_start_ms"] = round((d0 - t_list) * 1000)
        self.by_op["resync_all_changed_timing"] = self.proxy.timing(t_list - 0.5, all_done)
        self.by_op["resync_all_changed"] = delta(c_all, base)
        log(f"100%-changed sweep {keys}: opt-in annotated at its first ListSecrets -> Secret in "
            f"{self.res['new_optin_at_sweep_start_ms']} ms; annotated with {n // 2} of {n} rewritten -> Secret in "
            f"{self.res['new_optin_during_resync_ms']} ms (by then {rewritten_then} rewritten); all {n} Secrets "
            f"rewritten {all_done - t_list:.1f}s after the sweep started; requests {self.by_op['resync_all_changed']}")
        self.res["rss_mb_peak"] = round(self.op.rss_mb(), 1)

    # 10. Warm restart: every Secret in sync, the process replaced (every rollout does this). The
    # listing must settle every site: no per-key read. Counted from launch to 3 s after the first
    # sweep (the deferred reconciles run right after it).
    def warm_restart(self):
        self.stop()
        self.proxy.reset()
        op = self.start([f"--build-secrets-resync-period={self.RESYNC}s"], "bench-warm")
        op.wait_ready()
        op.wait_sweep(0)
        time.sleep(3)
        self.by_op["warm_restart"] = self.proxy.snapshot()
        self.res["sm_requests_warm_restart"] = sum(self.by_op["warm_restart"].values())
        log(f"warm restart: {self.by_op['warm_restart']}")
        self.stop()

    # 10b. Change events: an SQS queue filled by an EventBridge rule, wired as docs/operations.md
    # does, on the test bed's moto. SQS goes to moto directly (the proxy counts Secrets Manager only);
    # resync 15m, so only the events explain a change within seconds.
    def change_events(self):
        region = os.environ["AWS_REGION"]
        sqs = boto3.client("sqs", endpoint_url=self.moto_url, region_name=region)
        eventbridge = boto3.client("events", endpoint_url=self.moto_url, region_name=region)
        qname = f"bench-change-events-{uuid.uuid4().hex[:8]}"
        qurl = sqs.create_queue(QueueName=qname)["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        eventbridge.put_rule(Name=qname, EventPattern=json.dumps(EVENT_PATTERN))
        eventbridge.put_targets(Rule=qname, Targets=[{"Id": "build-secrets-operator", "Arn": qarn}])
        env = dict(self.env, AWS_ENDPOINT_URL_SQS=self.moto_url)
        flags = ["--build-secrets-resync-period=15m", f"--change-events-queue-url={qurl}"]
        self.events_one_at_a_time(eventbridge, env, flags)
        self.events_burst(eventbridge, env, flags)
        self.events_idle()
        self.stop()
        eventbridge.remove_targets(Rule=qname, Ids=["build-secrets-operator"])
        eventbridge.delete_rule(Name=qname)
        sqs.delete_queue(QueueUrl=qurl)

    def events_one_at_a_time(self, eventbridge, env, flags):
        """One key changed at a time: from the upstream write to the Secret's watch event."""
        op = self.start(flags, "bench-events", env)
        op.wait_ready()
        op.wait_sweep(0)
        time.sleep(3)
        latencies = []
        for s in self.bench_sites[:self.samples]:
            want = payload(s, "event")
            self.sm.put_secret_value(SecretId=key(s), SecretString=json.dumps(want))
            t0 = time.monotonic()
            eventbridge.put_events(Entries=[cloudtrail_entry("PutSecretValue", key(s))])
            seen = self.watch.wait(lambda d, name=ns(s), w=want: d.get(name) == w, 30, f"event for {s}",
                                   op.check_alive, [ns(s)])
            latencies.append((seen - t0) * 1000)
        self.res["upstream_change_to_secret_ms_p50"] = round(pct(latencies, 50), 1)
        self.res["upstream_change_to_secret_ms_p99"] = round(pct(latencies, 99), 1)
        log(f"change events, one key at a time ({self.samples}): p50 {self.res['upstream_change_to_secret_ms_p50']} "
            f"ms, p99 {self.res['upstream_change_to_secret_ms_p99']} ms")
        self.stop()

    def events_burst(self, eventbridge, env, flags):
        """One event for each of the N keys, all waiting in the queue when the leader starts (so they
        arrive faster than it drains them, as 1,000 events within a second would; PutEvents on moto
        is far slower than that, so publishing live would measure a trickle). The keys are unchanged,
        so the start-up listing reads nothing: every read counted is the events'."""
        keys = [key(s) for s in self.bench_sites]
        t0 = time.monotonic()
        parallel(lambda i: eventbridge.put_events(Entries=[cloudtrail_entry("PutSecretValue", k)
                                                           for k in keys[i:i + 10]]),
                 range(0, len(keys), 10), 8)
        log(f"change events, burst: {self.n} events queued in {time.monotonic() - t0:.1f}s")
        self.proxy.reset()
        op = self.start(flags, "bench-events-burst", env)
        op.wait_ready()
        applied = dict(name="deco_operator_buildsecrets_change_events_total", outcome="applied")
        deadline = time.monotonic() + 600
        t0 = time.monotonic()
        while op.metric(**applied) < self.n:
            op.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {op.metric(**applied)} of {self.n} events applied in 600 s")
            time.sleep(0.1)
        burst_s = time.monotonic() - t0
        time.sleep(2)
        self.by_op["event_burst"] = self.proxy.snapshot()
        self.res["sm_requests_event_burst"] = sum(v for k, v in self.by_op["event_burst"].items() if k != "ListSecrets")
        self.res["event_burst_seconds"] = round(burst_s, 2)
        log(f"change events, burst of {self.n} queued events: applied in {burst_s:.2f}s, requests "
            f"{self.by_op['event_burst']} (ListSecrets is the start-up listing)")

    def events_idle(self):
        """Quiet: long polling only."""
        receives = dict(name="deco_operator_buildsecrets_change_event_queue_requests_total", operation="receive")
        r0 = self.op.metric(**receives)
        time.sleep(60)
        self.res["sqs_requests_idle_per_minute"] = int(self.op.metric(**receives) - r0)
        log(f"change events, idle: {self.res['sqs_requests_idle_per_minute']} SQS receives in 60 s")

    # 11. Leader failover: two replicas with leader election; the leader is stopped (SIGTERM hands the
    # Lease over at once) and the standby takes over with warm caches. Counted from the stop to 3 s
    # after the new leader's first sweep.
    def leader_failover(self):
        lease = ["--leader-elect", "--leader-election-namespace=default",
                 f"--leader-election-id=bench-{uuid.uuid4().hex[:8]}", f"--build-secrets-resync-period={self.RESYNC}s"]
        first = Operator(self.jvm_cmd, self.a.jar, self.a.log_dir, self.env, lease, self.proxy, "bench-leader-a")
        try:
            first.wait_ready()
            first.wait_sweep(0)
            op = self.start(lease, "bench-leader-b")
            op.wait_ready()
            time.sleep(3)
            c = self.proxy.snapshot()
        finally:
            first.stop()
        op.wait_sweep(0)
        time.sleep(3)
        self.by_op["leader_failover"] = delta(self.proxy.snapshot(), c)
        self.res["sm_requests_leader_failover"] = sum(self.by_op["leader_failover"].values())
        log(f"leader failover: {self.by_op['leader_failover']}")

    # Opt the extra namespaces out again, so per-key mode reads exactly the N bench keys. A bulk
    # opt-out of about half the fleet is over the deletion budget: each deletion is approved, by the
    # Secret's UID, as `approve-deletions` does.
    def opt_out_extras(self):
        for s in self.optin_sites + self.late_sites:
            secret = self.kube.secret(ns(s))
            change = {OPT_IN: None, FORCE_SYNC: None}
            if secret:
                change[APPROVAL] = secret["metadata"]["uid"]
            self.kube.annotate(ns(s), change)
        self.watch.wait(lambda d: len(d) == self.n, 60, "opted-out Secrets to be deleted")
        self.stop()

    def per_key_period(self):
        """The resync period the per-key counts use (get_mode, and every vault run): see get_mode."""
        return max(self.RESYNC, math.ceil(self.n / 20) + 5)

    # 12. Per-key mode. Its start-up reads (paced by the 50 requests/s token bucket) spread over N/50 s;
    # each key is then read again after P +-10%. Counting over [first read + P/2, first read + 3P/2)
    # sees exactly one later read of every key, provided the start-up spread is under 0.4 P: hence
    # P = max(20 s, N/20 s + 5 s).
    def get_mode(self):
        period = self.per_key_period()
        self.proxy.reset()
        op = self.start(["--change-detection=get", f"--build-secrets-resync-period={period}s"], "bench-get")
        op.wait_ready()
        deadline = time.monotonic() + 300
        while self.proxy.snapshot().get("GetSecretValue", 0) == 0:
            op.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError("per-key mode never read")
            time.sleep(0.01)
        t_first = time.monotonic()
        time.sleep(period / 2)
        c = self.proxy.snapshot()
        self.by_op["get_mode_startup"] = c
        time.sleep(t_first + 1.5 * period - time.monotonic())
        self.by_op["get_mode_one_period"] = delta(self.proxy.snapshot(), c)
        self.res["sm_requests_resync_unchanged_get_mode"] = sum(self.by_op["get_mode_one_period"].values())
        self.res["get_mode_period_seconds"] = period
        log(f"per-key mode, start-up reads {c}; over one {period}s period: {self.by_op['get_mode_one_period']}")

    # 4v. Vault: cold start, and one quiet resync counted as get_mode() counts one, since the vault
    # backend always runs in per-key mode (resync period P as there). Vault's own telemetry counts
    # the requests (Vault.snapshot); the operator's source_requests_total is recorded beside it. The
    # window's two snapshots are taken on time by a thread while the cold sync is still followed.
    def vault_cold_start(self, raw_create):
        period = self.per_key_period()
        self.watch = SecretWatch(self.kube)
        api_before = apiserver_requests(self.kube)
        base = self.vault.snapshot()
        op = self.start([f"--build-secrets-resync-period={period}s"], "bench-vault", jvm_cmd=self.operator_jvm)
        expected = {ns(s): payload(s) for s in self.bench_sites}
        ready_ms = op.wait_ready()
        deadline = time.monotonic() + 300
        read = f"read {self.vault.mount}/"
        while self.vault.snapshot().get(read, 0) == base.get(read, 0):
            op.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError("the operator never read from Vault")
            time.sleep(0.05)
        t_first = time.monotonic()
        window = {}

        def take(name, at):
            time.sleep(max(0.0, at - time.monotonic()))
            window[name] = (self.vault.snapshot(), self.operator_requests(op))

        takers = [threading.Thread(target=take, args=(name, t_first + f * period), daemon=True)
                  for name, f in (("from", 0.5), ("to", 1.5))]
        for t in takers:
            t.start()
        done_at = self.watch.wait_matching(expected, 1800, f"cold sync of {self.n} Secrets", op.check_alive)
        self.res["cpu_seconds_cold"] = round(op.cpu_seconds(), 2)
        cold = done_at - op.started
        cold_counts = delta(self.vault.snapshot(), base)
        api = delta(apiserver_requests(self.kube), api_before)
        self.res.update(cold_sync_seconds=round(cold, 2), cold_ratio=round(cold / raw_create, 2),
                        vault_requests_cold=sum(cold_counts.values()), startup_to_ready_ms=round(ready_ms),
                        cold_sync_after_ready_seconds=round(cold - ready_ms / 1000, 2))
        self.by_op["cold"] = cold_counts
        self.by_op["cold_kube_api_requests"] = {k: int(v) for k, v in api.items() if v >= 5}
        log(f"cold sync {cold:.2f}s, ready {ready_ms:.0f} ms, Vault requests {cold_counts}, kube-apiserver "
            f"requests {self.by_op['cold_kube_api_requests']}; counting one {period}s period from "
            f"{period / 2:.0f}s after the first read")
        for t in takers:
            while t.is_alive():
                op.check_alive()
                t.join(1)
        (v0, o0), (v1, o1) = window["from"], window["to"]
        self.by_op["resync_unchanged"] = delta(v1, v0)
        self.by_op["resync_unchanged_operator_counted"] = delta(o1, o0)
        self.res["vault_requests_resync_unchanged"] = sum(self.by_op["resync_unchanged"].values())
        self.res["resync_period_seconds"] = period
        log(f"quiet resync (one {period}s period): Vault counted {self.by_op['resync_unchanged']}, the operator "
            f"{self.by_op['resync_unchanged_operator_counted']}")

    @staticmethod
    def operator_requests(op):
        """deco_operator_buildsecrets_source_requests_total by operation, as the operator counts them."""
        out = {}
        for n, labels, v in samples(op.scrape(), "deco_operator_buildsecrets_source_requests_total"):
            if n == "deco_operator_buildsecrets_source_requests_total":
                out[labels["operation"]] = out.get(labels["operation"], 0) + int(v)
        return out

    # Go mode (--go-operator): the Go operator this project replaces, on the same bed, fleet, payloads
    # and counting proxy. It requeues each namespace BUILD_SECRETS_RESYNC_PERIOD after its last
    # reconcile and reads its key again then (GetSecretValue; there is no listing), so its quiet
    # resync is counted from the moment the proxy has been quiet for 5 s after the cold sync until N
    # more GetSecretValue have arrived and the proxy is quiet again.
    def start_go(self):
        self.op = GoOperator(self.a.go_operator, self.a.log_dir, self.env, self.a.go_resync_seconds)
        return self.op

    def settle(self, quiet=5, timeout=600):
        """The proxy's counts once no request has reached it for `quiet` seconds."""
        last, since = self.proxy.snapshot(), time.monotonic()
        deadline = since + timeout
        while time.monotonic() - since < quiet:
            self.op.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"Secrets Manager requests never stopped for {quiet}s within {timeout}s")
            time.sleep(0.5)
            now = self.proxy.snapshot()
            if now != last:
                last, since = now, time.monotonic()
        return last

    def go_quiet_resync(self):
        op, period = self.op, self.a.go_resync_seconds
        self.res["go_heap_live_mb_after_cold"] = op.live_heap_mb()
        c0 = self.settle()
        self.by_op["cold_tail"] = delta(c0, self.by_op["cold"])  # after the last Secret was right, before quiet
        self.res["sm_requests_cold_tail"] = sum(self.by_op["cold_tail"].values())
        if time.monotonic() - op.started >= period:
            raise RuntimeError(f"the cold sync outlasted the {period}s resync period: give --go-resync-seconds "
                               f"above {time.monotonic() - op.started:.0f}")
        t0 = time.monotonic()
        deadline = op.started + period + 1800
        while self.proxy.snapshot().get("GetSecretValue", 0) - c0.get("GetSecretValue", 0) < self.n:
            op.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"no full resync ({self.n} reads) within {period}s + 30 min")
            time.sleep(1)
        c1 = self.settle()
        self.by_op["resync_unchanged"] = delta(c1, c0)
        self.res["sm_requests_resync_unchanged"] = sum(self.by_op["resync_unchanged"].values())
        self.res["resync_period_seconds"] = period
        self.res["resync_window_seconds"] = round(time.monotonic() - t0, 1)
        expected = {ns(s): payload(s) for s in self.bench_sites}
        if self.watch.count(expected) != self.n:
            raise RuntimeError(f"after the resync only {self.watch.count(expected)} of {self.n} Secrets are right")
        self.res["rss_mb"] = round(op.rss_mb(), 1)
        anon, file = op.rss_split_mb()
        self.res.update(rss_anon_mb=round(anon, 1), rss_file_mb=round(file, 1), threads=op.threads(),
                        go_heap_live_mb=op.live_heap_mb(), cpu_seconds_to_quiet_resync=round(op.cpu_seconds(), 2))
        log(f"quiet resync ({period}s period): {self.by_op['resync_unchanged']} over "
            f"{self.res['resync_window_seconds']}s; rss {self.res['rss_mb']} MB, live heap after the last GC "
            f"{self.res['go_heap_live_mb']} MB")

    def run_go(self):
        """Cold sync and one quiet resync of the Go operator, and its footprint after each. Not measured:
        what its build-secrets controller has no counterpart for (sweeps, force-sync annotations,
        change events, leader failover) and the baseline (RawCreate is the JVM's)."""
        wall0 = time.monotonic()
        self.reset()
        self.create_fleet()
        self.proxy = Proxy(self.a.java, self.a.bench_classes, self.moto_url, self.a.sm_latency_ms)
        env = {k: v for k, v in os.environ.items() if k not in VAULT_ENV}  # a bed up with --vault too
        self.env = dict(env, AWS_ENDPOINT_URL_SECRETS_MANAGER=self.proxy.url)
        try:
            self.cold_start(None, self.start_go)
            self.go_quiet_resync()
        finally:
            self.stop()
            self.proxy.close()
        log("requests by operation, per phase: " + json.dumps(self.by_op))
        log(f"wall time {time.monotonic() - wall0:.0f}s (after the test bed was up)")

    def run_vault(self):
        """The phases that apply to the vault backend (per-key mode only): cold start and a quiet
        resync, the footprint, fresh opt-ins and force-syncs. Not measured: sweeps (there is no
        listing), warm restart and leader failover (both counted by sweep), change events (AWS only)
        and the per-key comparison (vault runs in per-key mode throughout)."""
        wall0 = time.monotonic()
        self.reset()
        self.create_fleet()
        raw_create = self.raw_create()
        self.proxy = self.vault  # what Operator and the force-sync phases count with
        env = {k: v for k, v in os.environ.items() if k != "VAULT_TOKEN"}  # the operator logs in itself
        self.env = dict(env, **self.jvm_env)
        try:
            self.vault_cold_start(raw_create)
            self.footprint()
            self.fresh_optins()
            self.force_syncs()
            self.force_sync_bursts()
            self.force_sync_all()
            log("vault: sweeps, warm restart, leader failover, change events and the per-key comparison do not "
                "apply (per-key mode throughout, no listing)")
        finally:
            self.stop()
        log("Vault requests by route, per phase: " + json.dumps(self.by_op))
        log(f"wall time {time.monotonic() - wall0:.0f}s (after the test bed was up)")

    def run(self):
        """Every phase in order; the operator phases behind the proxy, stopped early by --quick or
        --no-get-mode."""
        if self.vault:
            return self.run_vault()
        if self.a.go_operator:
            return self.run_go()
        wall0 = time.monotonic()
        self.reset()
        self.create_fleet()
        raw_create = self.raw_create()
        self.proxy = Proxy(self.a.java, self.a.bench_classes, self.moto_url, self.a.sm_latency_ms)
        env = {k: v for k, v in os.environ.items() if k not in VAULT_ENV}  # a bed up with --vault too
        self.env = dict(env, AWS_ENDPOINT_URL_SECRETS_MANAGER=self.proxy.url, **self.jvm_env)
        try:
            self.cold_start(raw_create)
            last = self.unchanged_sweep()
            self.footprint()
            self.changed_sweep(last)
            self.fresh_optins()
            self.force_syncs()
            self.force_sync_bursts()
            self.force_sync_all()
            if self.a.quick:
                raise StopEarly("--quick: stopped after the force-syncs")
            self.optin_during_resync()
            self.warm_restart()
            self.change_events()
            self.leader_failover()
            if self.a.no_get_mode:
                raise StopEarly("--no-get-mode: per-key mode not measured")
            self.opt_out_extras()
            self.get_mode()
        except StopEarly as stop:
            log(str(stop))
        finally:
            self.stop()
            self.proxy.close()
        log("requests by operation, per phase: " + json.dumps(self.by_op))
        log(f"wall time {time.monotonic() - wall0:.0f}s (after the test bed was up)")

    def report(self):
        """The JSON line: REPORT_ORDER's figures first, then the rest, then requests_by_phase."""
        if self.vault:
            out = {"backend": "vault", **{k: self.res[k] for k in VAULT_REPORT_ORDER if k in self.res}}
        elif self.a.go_operator:
            out = {"operator": "go", **{k: self.res[k] for k in GO_REPORT_ORDER if k in self.res}}
        else:
            out = {k: self.res.get(k) for k in REPORT_ORDER}
        out.update({k: v for k, v in self.res.items() if k not in out})
        out["requests_by_phase"] = self.by_op
        print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespaces", type=int, default=1000)
    ap.add_argument("--backend", choices=("aws", "vault"), default="aws",
                    help="vault: the test bed's Vault (dev/testbed up --vault), per-key mode, the phases that apply "
                         "(those of --quick without the sweeps; --quick and --no-get-mode change nothing)")
    ap.add_argument("--unrelated-secrets", type=int, default=0)
    ap.add_argument("--jar", help="the operator's jar (required unless --go-operator)")
    ap.add_argument("--go-operator", metavar="BINARY",
                    help="measure the Go operator this project replaces instead (bench/build-go-operator): cold "
                         "sync and one quiet resync only")
    ap.add_argument("--go-resync-seconds", type=int, default=120,
                    help="the Go operator's BUILD_SECRETS_RESYNC_PERIOD; longer than its cold sync")
    ap.add_argument("--java", required=True)
    ap.add_argument("--log-dir", required=True)
    ap.add_argument("--runtime", help="the jlinked runtime made by dev/build-runtime")
    ap.add_argument("--bench-classes", required=True, help="where RawCreate.class and FaultProxy were compiled")
    ap.add_argument("--chart-values", required=True)
    ap.add_argument("--payload-bytes", type=int, default=0,
                    help="bytes of upstream value per site, spread over 10 keys (default: 3 short values, ~70 bytes)")
    ap.add_argument("--sm-latency-ms", type=float, default=0,
                    help="added by the proxy to every Secrets Manager request (a remote region)")
    ap.add_argument("--no-get-mode", action="store_true",
                    help="skip the per-key comparison (it takes N/20 s; meant for N=10,000 runs)")
    ap.add_argument("--quick", action="store_true",
                    help="stop after the force-syncs: start-up, cold sync, sweeps, footprint and force-sync figures")
    ap.add_argument("--nmt", action="store_true",
                    help="run the operator with Native Memory Tracking and report its breakdown (native_memory_mb); "
                         "the raw output, a thread dump, a class histogram and the generations' sizes go next to its log")
    args = ap.parse_args()
    if not args.jar and not args.go_operator:
        ap.error("--jar or --go-operator is required")
    if args.go_operator and args.backend != "aws":
        ap.error("--go-operator reads from Secrets Manager only (--backend aws)")
    if args.backend == "vault" and args.sm_latency_ms:
        ap.error("--sm-latency-ms is for the aws backend (the proxy in front of moto); vault runs without a proxy")
    global PAYLOAD_BYTES
    PAYLOAD_BYTES = args.payload_bytes
    bench = Bench(args)
    bench.run()
    bench.report()


if __name__ == "__main__":
    main()
