"""The sustained-load run behind bench/load. Expects the test bed's env (KUBECONFIG, AWS_*, TESTBED_*).

N opted-in namespaces; every minute for M minutes, P% of the upstream keys get a new value. The
operator runs as shipped (bench.jvm + the chart's JVM environment) with a resync period of one
minute, behind a proxy that emulates Secrets Manager's per-operation request quotas
(reference notes §2) and counts the ThrottlingException responses it returns (moto never
throttles). Checked and printed as the last line of stdout, one JSON object:
  - no throttling response reached the operator;
  - the reconcile backlog (JOSDK's queue-size and executions gauges on /metrics, sampled every
    ~10 s) drains every minute and does not trend upwards;
  - heap after a full GC (jcmd GC.run, then jvm_memory_used_bytes{area="heap"}) at the end is
    within 10% of the same figure after the cold sync;
  - every Secret holds its key's latest value at the end.
"""
import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from bench import OPT_IN, Kube, Operator, Proxy, SecretWatch, log, parallel, payload  # noqa: E402

def scrape(op):
    """The backlog gauges and heap from the operator's /metrics."""
    body = op.scrape()
    out = {"queue": 0.0, "executing": 0.0, "heap_mb": bench.heap_mb(body), "gauges": 0}
    for name, _, value in bench.samples(body, "operator_sdk_reconciliations_"):
        if name.startswith("operator_sdk_reconciliations_queue_size"):
            out["queue"] += value
            out["gauges"] += 1
        elif name.startswith("operator_sdk_reconciliations_executions"):
            out["executing"] += value
            out["gauges"] += 1
    return out


def heap_after_gc(jcmd, op):
    """A full GC (jcmd GC.run), then the heap in use from /metrics, in MiB."""
    subprocess.run([jcmd, str(op.proc.pid), "GC.run"], check=True, capture_output=True, timeout=120)
    return round(scrape(op)["heap_mb"], 1)


def slope_per_minute(samples):
    """Least-squares slope of the backlog (queue + executing) against time, per minute."""
    if len(samples) < 2:
        return 0.0
    xs = [s["t"] / 60 for s in samples]
    ys = [s["queue"] + s["executing"] for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return 0.0 if var == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespaces", type=int, default=10000)
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--change-percent", type=float, default=1.0)
    ap.add_argument("--resync", default="1m", help="the operator's --build-secrets-resync-period")
    ap.add_argument("--sample-seconds", type=float, default=10)
    ap.add_argument("--quota-scale", type=float, default=1.0,
                    help="multiply the emulated quotas (e.g. 0.01 to see the throttling check fire)")
    ap.add_argument("--jar", required=True)
    ap.add_argument("--java", required=True)
    ap.add_argument("--jcmd", required=True)
    ap.add_argument("--runtime", default="")
    ap.add_argument("--bench-classes", required=True, help="where FaultProxy.class was compiled")
    ap.add_argument("--chart-values", required=True)
    ap.add_argument("--log-dir", required=True)
    a = ap.parse_args()
    n = a.namespaces
    wall0 = time.monotonic()
    moto_url = os.environ["TESTBED_MOTO_URL"]
    kube = Kube(os.environ["TESTBED_APISERVER_URL"], os.path.join(os.environ["TESTBED_DIR"], "pki"))
    sm = boto3.client("secretsmanager", endpoint_url=moto_url, region_name=os.environ["AWS_REGION"])
    sites = [f"load-{i}" for i in range(n)]

    # 1. A clean slate: moto reset, earlier load Secrets deleted (a reused test bed keeps namespaces).
    c = http.client.HTTPConnection(urllib.parse.urlsplit(moto_url).hostname, urllib.parse.urlsplit(moto_url).port)
    c.request("POST", "/moto-api/reset")
    c.getresponse().read()
    wanted = {f"sites-{s}" for s in sites}
    for ns in kube.namespaces():
        name = ns["metadata"]["name"]
        if name.startswith("sites-") and name not in wanted and (ns["metadata"].get("annotations") or {}).get(OPT_IN):
            kube.annotate(name, {OPT_IN: None})
    stale = kube.build_secrets()
    parallel(lambda s: kube.delete_secret(s["metadata"]["namespace"]), stale)

    # 2. N keys, N opted-in namespaces.
    t = time.monotonic()
    parallel(lambda s: sm.create_secret(Name=f"sites/{s}/build", SecretString=json.dumps(payload(s))), sites, 8)
    log(f"{n} upstream keys created in moto in {time.monotonic() - t:.0f}s")
    t = time.monotonic()
    parallel(lambda s: kube.ensure_namespace(f"sites-{s}", {OPT_IN: "enabled"}), sites)
    log(f"{n} namespaces in {time.monotonic() - t:.0f}s")
    setup_s = time.monotonic() - wall0

    proxy = Proxy(a.java, a.bench_classes, moto_url, quota_scale=a.quota_scale)
    env = dict(os.environ, AWS_ENDPOINT_URL_SECRETS_MANAGER=proxy.url, **bench.chart_jvm_env(a.chart_values))
    res = {"namespaces": n, "minutes": a.minutes, "changes_per_minute": max(1, round(n * a.change_percent / 100)),
           "resync": a.resync, "quotas_per_second": proxy.quota()["limits"]}
    expected = {f"sites-{s}": payload(s) for s in sites}
    op = None
    samples = []
    try:
        watch = SecretWatch(kube)
        op = Operator(bench.jvm(a.java, a.jar, a.runtime), a.jar, a.log_dir, env,
                      [f"--build-secrets-resync-period={a.resync}"], proxy, "load")
        op.wait_ready(300)
        watch.wait(lambda d: all(d.get(ns) == v for ns, v in expected.items()), 1800, f"cold sync of {n} Secrets",
                   op.check_alive)
        res["cold_sync_seconds"] = round(time.monotonic() - op.started, 1)
        res["heap_after_gc_mb_start"] = heap_after_gc(a.jcmd, op)
        res["rss_mb_start"] = round(op.rss_mb(), 1)
        log(f"cold sync {res['cold_sync_seconds']}s; heap after GC {res['heap_after_gc_mb_start']} MiB; "
            f"requests {proxy.snapshot()}")

        # 3. The load: each minute, a fresh 1% of the keys get a new value; sampled every ~10 s.
        t0 = time.monotonic()
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                s = scrape(op)
                s["t"] = round(time.monotonic() - t0, 1)
                s["rss_mb"] = round(op.rss_mb() or 0, 1)
                samples.append(s)
                stop.wait(a.sample_seconds)

        threading.Thread(target=sampler, daemon=True).start()
        rnd = random.Random(42)
        per_minute = res["changes_per_minute"]
        for minute in range(a.minutes):
            due = t0 + 60 * minute
            while time.monotonic() < due:
                op.check_alive()
                time.sleep(min(1, due - time.monotonic()) if due > time.monotonic() else 0)
            changed = rnd.sample(sites, per_minute)
            parallel(lambda s: sm.put_secret_value(SecretId=f"sites/{s}/build",
                                                  SecretString=json.dumps(payload(s, f"m{minute}"))), changed, 8)
            for s in changed:
                expected[f"sites-{s}"] = payload(s, f"m{minute}")
            log(f"minute {minute}: {per_minute} keys changed; throttled so far {proxy.quota()['throttled']}; "
                f"last sample {samples[-1] if samples else None}")
        while time.monotonic() < t0 + 60 * a.minutes:
            op.check_alive()
            time.sleep(1)
        # Changes of the last minute are picked up by the next sweep.
        watch.wait(lambda d: all(d.get(ns) == v for ns, v in expected.items()), 600,
                   "every Secret at its key's latest value", op.check_alive)
        res["converged"] = True
        stop.set()
        res["heap_after_gc_mb_end"] = heap_after_gc(a.jcmd, op)
        res["rss_mb_end"] = round(op.rss_mb(), 1)
    finally:
        if op is not None:
            op.stop()
        quota, counts = proxy.quota(), proxy.snapshot()
        proxy.close()

    # 4. Verdicts.
    per_minute_min = []
    for m in range(a.minutes):
        window = [s["queue"] + s["executing"] for s in samples if 60 * m <= s["t"] < 60 * (m + 1)]
        if window:
            per_minute_min.append(min(window))
    backlog = [s["queue"] + s["executing"] for s in samples]
    half = len(backlog) // 2
    res["throttled"] = quota["throttled"]
    res["throttled_total"] = sum(quota["throttled"].values())
    res["peak_requests_per_second"] = quota["peaks"]
    res["sm_requests"] = dict(sorted(counts.items()))
    res["backlog"] = {"samples": len(backlog), "max": max(backlog, default=0),
                      "max_first_half": max(backlog[:half], default=0), "max_second_half": max(backlog[half:], default=0),
                      "min_per_minute": per_minute_min, "slope_per_minute": round(slope_per_minute(samples), 2)}
    res["heap_change_percent"] = round(100 * (res["heap_after_gc_mb_end"] - res["heap_after_gc_mb_start"])
                                       / res["heap_after_gc_mb_start"], 1)
    res["rss_mb_max"] = max((s["rss_mb"] for s in samples), default=None)
    res["checks"] = {
        "no_throttling": res["throttled_total"] == 0,
        # Drained at least once every minute, and the second half peaks no higher than the first
        # (plus one reconcile thread pool's worth of noise).
        # (A sample without both gauges fails it: the signal must really be there.)
        "backlog_bounded": bool(samples) and all(s["gauges"] >= 2 for s in samples)
                           and all(v <= 16 for v in per_minute_min)
                           and res["backlog"]["max_second_half"] <= res["backlog"]["max_first_half"] + 16,
        "heap_flat": abs(res["heap_change_percent"]) <= 10,
        "converged": res.get("converged", False),
    }
    res["setup_seconds"] = round(setup_s)
    res["wall_seconds"] = round(time.monotonic() - wall0)
    log(f"samples: {json.dumps(samples)}")
    print(json.dumps(res), flush=True)
    return 0 if all(res["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
