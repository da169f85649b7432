"""Start `music-ml-serve` N times and measure, per run, the time from spawning the process to
its first 200 answer of /api/v3/search, and its memory after a warm-up of every route family.

Per run: pick a free 127.0.0.1 port, spawn the binary (`--port P`, plus any extra arguments),
poll GET /api/v3/search?q=... every 2 ms (a refused connection or a non-200 means "not yet")
until it answers 200 and record the elapsed wall time and the process's CPU time (utime + stime
from /proc/<pid>/stat) and VmRSS at that moment; then GET every example URL of the route
listing /api (v1, v2, v3, web pages and assets) plus 50 searches and 50 recommendations, read
VmRSS and VmHWM from /proc/<pid>/status, and stop the server with SIGTERM.

Prints one line per run and a JSON summary (median and max of each figure) on the last line.
Only the Python standard library is used.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse

QUERIES = ["fleetwod mac dre", "bohemian rhapsody queen", "purple rain", "wonderwall",
           "yesterday beatles", "beyonce", "kendrick lamar", "dreams", "queen", "mozart"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(conn, path):
    conn.request("GET", path)
    res = conn.getresponse()
    body = res.read()
    return res.status, body


def examples(value):
    """Every string under an "example" key of the listing, wherever it sits."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "example" and isinstance(v, str):
                yield v
            else:
                yield from examples(v)
    elif isinstance(value, list):
        for v in value:
            yield from examples(v)


def one_run(binary, extra, query):
    port = free_port()
    path = "/api/v3/search?q=" + urllib.parse.quote(query) + "&limit=10"
    env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
    started = time.perf_counter()
    proc = subprocess.Popen([binary, "--port", str(port), *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(f"{binary} exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                status, _ = get(conn, path)
                if status == 200:
                    break
                conn.close()
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
                pass
            if time.perf_counter() - started > 60:
                sys.exit(f"{binary} did not answer {path} within 60 s")
            time.sleep(0.002)
        first = time.perf_counter() - started
        first_cpu = cpu_seconds(proc.pid)
        first_rss = status_kib(proc.pid, "VmRSS")
        # Warm-up of every route family: the listing's examples, then searches and recommendations.
        status, body = get(conn, "/api")
        assert status == 200, f"/api answered {status}"
        urls = sorted(set(examples(json.loads(body))))
        assert urls, "the /api listing has no examples"
        bad = []
        for u in urls:
            status, _ = get(conn, u)
            if status != 200:
                bad.append((u, status))
        ids = []
        for q in QUERIES * 5:
            status, body = get(conn, "/api/v3/search?q=" + urllib.parse.quote(q) + "&limit=10")
            ids += [h["id"] for h in json.loads(body).get("hits", []) if h.get("kind") == "track"]
        for i in ids[:50]:
            for scope in ("cluster", "all"):
                get(conn, f"/api/v3/tracks/{i}/recommendations?n=10&scope={scope}")
        rss = status_kib(proc.pid, "VmRSS")
        hwm = status_kib(proc.pid, "VmHWM")
        conn.close()
        return {"first_answer_s": first, "cpu_to_first_s": first_cpu, "rss_first_kib": first_rss,
                "rss_kib": rss, "hwm_kib": hwm, "warm_urls": len(urls), "warm_non_200": bad}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="path of the music-ml-serve binary")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--query", default="fleetwod mac dre", help="the first search to wait for")
    ap.add_argument("extra", nargs="*", help="more arguments for the binary (after --)")
    args = ap.parse_args()
    runs = []
    for n in range(args.runs):
        r = one_run(args.binary, args.extra, args.query)
        runs.append(r)
        print(f"run {n + 1:2}: first answer {r['first_answer_s'] * 1e3:7.1f} ms "
              f"(CPU {r['cpu_to_first_s'] * 1e3:5.0f} ms, RSS {r['rss_first_kib'] / 1024:6.1f} MiB); "
              f"after warm-up of {r['warm_urls']} URLs: VmRSS {r['rss_kib'] / 1024:6.1f} MiB, "
              f"VmHWM {r['hwm_kib'] / 1024:6.1f} MiB, non-200 {r['warm_non_200']}", flush=True)
    keys = ["first_answer_s", "cpu_to_first_s", "rss_first_kib", "rss_kib", "hwm_kib"]
    summary = {k: {"median": statistics.median(r[k] for r in runs), "max": max(r[k] for r in runs),
                   "min": min(r[k] for r in runs)} for k in keys}
    summary["runs"] = len(runs)
    summary["warm_non_200"] = sorted({u for r in runs for u, _ in r["warm_non_200"]})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
