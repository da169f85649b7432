"""Turn the outputs of bench/pipeline/run.sh (in --out-dir) into bench/results/pipeline.md
(markdown on stdout). Standard library only.

Reads, for each case ("a": shipped catalogue, "b": resampled), the files run.sh leaves:
  <case>_ours_<r>.out / .time   our pipeline's printed summary; /usr/bin/time "wall user sys maxKiB"
  <case>_py_<r>.out / .time     the baseline's JSON line; the same /usr/bin/time line
and c_py.out (the inertia check), build_shipped/ and layer.zip (sizes), machine.txt (load).
"""
import argparse
import glob
import io
import json
import os
import re
import sqlite3
import statistics
import subprocess
import zipfile
from datetime import datetime, timezone


def read_time(path):
    wall, user, sys_, kib = open(path).read().split()[:4]
    return {"wall": float(wall), "cpu": float(user) + float(sys_), "kib": int(kib)}


def read_ours(path):
    text = open(path).read()
    steps = {m.group(1).strip(): float(m.group(2))
             for m in re.finditer(r"^\s*time\s+(.+?)\s+([\d.]+) s$", text, re.M)}
    kept = int(re.search(r"->\s*(\d+) kept", text).group(1))
    k10 = float(re.search(r"^\s*k=10\s+([\d.]+)", text, re.M).group(1))
    return {"steps": steps, "kept": kept, "k10": k10,
            # Steps in parentheses run on background threads beside the others: not on the path.
            "compute": sum(v for k, v in steps.items()
                           if not k.startswith("write") and not k.startswith("(")),
            "write": sum(v for k, v in steps.items() if k.startswith("write"))}


def case_runs(out, case):
    runs = []
    for r in range(1, 1000):
        base = os.path.join(out, f"{case}_ours_{r}")
        if not os.path.exists(base + ".time"):
            break
        ours = read_ours(base + ".out") | {"time": read_time(base + ".time")}
        pyb = os.path.join(out, f"{case}_py_{r}")
        py = json.loads(open(pyb + ".out").read().strip().splitlines()[-1])
        py["time"] = read_time(pyb + ".time")
        runs.append((ours, py))
    return runs


def med(xs):
    return statistics.median(xs)


def mb(n):
    return f"{n / 1e6:.1f} MB"


def deflate_size(path):
    """As scripts/test.d/post-40-infra.sh measures the layer: zipfile, ZIP_DEFLATED, default level."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, os.path.basename(path))
    return buf.getbuffer().nbytes


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--repeat", type=int, required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--only", default="a,b,c,d")
    ap.add_argument("--command", required=True)
    ap.add_argument("--versions", required=True)
    a = ap.parse_args()
    out = a.out_dir
    machine = dict(line.split(" ", 1) for line in open(os.path.join(out, "machine.txt")).read().splitlines())
    cpu_model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), "?")
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    p = print
    p("# Pipeline benchmark (issue 11 goals)")
    p()
    p(f"- Machine: {os.cpu_count()} cores ({cpu_model}), {mem_gib:.0f} GiB; load average {machine.get('load_before', '?')} before, "
      f"{machine.get('load_after', '?')} after (anything else running shows there: wall times are then upper bounds;")
    p("  the CPU columns, user + sys, are steadier).")
    p(f"- {datetime.now(timezone.utc):%Y-%m-%dT%H:%MZ}, commit {commit}{' + uncommitted changes in the tree' if dirty else ''}.")
    p(f"- Command: `{a.command}`. Ours: the release `pipeline` binary; baseline: {a.versions}")
    p("  (`bench/pipeline/sklearn_pipeline.py`). The two sides alternate "
      f"(ours, Python, ours, ...), {a.repeat} runs each; figures are medians, every run is listed below.")
    p("- Both sides do the same steps: read the track tables (both Kaggle schemas), de-duplicate by Spotify id (first")
    p("  table wins), join by name to the union of both artist tables (the 28,680-artist table first, its stripped")
    p("  genre format parsed), keep loudness <= 0 and tracks with an artist that has a genre, ratio-scale, K-Means")
    p("  k = 1..10 with the same n_init per k, k = 10 kept. Ours then numbers and labels the clusters and **writes**")
    p("  musicData.sqlite (search index and neighbour blobs included) and the three v2 item files; the Python side writes")
    p("  nothing. Python's time is measured inside the script (after `import pandas, sklearn`, generous to it); its")
    p("  process wall time (with interpreter start and imports) is listed too. scikit-learn's K-Means uses all cores")
    p("  (OpenMP), our elbow one thread per k; ours runs each k's starts on a 5,000-track sample and refines the best on")
    p("  all tracks (`--sample`) with plain Lloyd steps; both stop by scikit-learn's tolerance rule (tol 1e-4 relative to")
    p("  the features' mean variance); scikit-learn runs every start on all tracks. Ours builds the search index on a")
    p("  thread of its own from cleaning on, beside the elbow; \"without writing\" is read + clean + elbow + numbering.")
    p()

    cases = []
    if "a" in a.only:
        cases.append(("a", "shipped catalogue (data/raw, default inputs), n_init 4", ">= 3x"))
    if "b" in a.only:
        cases.append(("b", f"{a.rows:,} tracks RESAMPLED from the real catalogue, n_init 1", ">= 3x"))
    all_runs = {}
    if cases:
        p("| input | kept (ours / Python) | ours end to end | ours CPU | ours without writing | ours peak RSS | pandas + sklearn in script | its CPU | its process wall | its peak RSS | speed-up, ours end to end vs its process wall | speed-up vs its in-script time | paired runs (median of per-run ratios, process / in script) | goal >= 3x |")
        p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for case, label, goal in cases:
            runs = case_runs(out, case)
            if not runs:
                continue
            all_runs[case] = runs
            ow = med([o["time"]["wall"] for o, _ in runs])
            oc = med([o["time"]["cpu"] for o, _ in runs])
            onw = med([o["compute"] for o, _ in runs])
            orss = max(o["time"]["kib"] for o, _ in runs) / 1024
            pw = med([y["seconds"] for _, y in runs])
            pc = med([y["time"]["cpu"] for _, y in runs])
            pp = med([y["time"]["wall"] for _, y in runs])
            prss = max(y["time"]["kib"] for _, y in runs) / 1024
            kept = f"{runs[0][0]['kept']:,} / {runs[0][1]['rows_kept']:,}"
            # Each of our runs is followed by Python's: a pair sees the same machine, which on a
            # shared VM can change speed by half within a minute.
            pair_p = med([y["time"]["wall"] / o["time"]["wall"] for o, y in runs])
            pair_s = med([y["seconds"] / o["time"]["wall"] for o, y in runs])
            verdict = (f"process: {'met' if pp / ow >= 3 else 'NOT met'}; "
                       f"in script: {'met' if pw / ow >= 3 else 'NOT met'}")
            p(f"| {label} | {kept} | {ow:.2f} s | {oc:.2f} s | {onw:.2f} s | {orss:.0f} MiB | {pw:.2f} s | {pc:.2f} s | "
              f"{pp:.2f} s | {prss:.0f} MiB | **{pp / ow:.2f}x** | **{pw / ow:.2f}x** | {pair_p:.2f}x / {pair_s:.2f}x | {verdict} |")
        p()
        p("Both sides are whole processes started by the benchmark: ours from its start to the files written; Python's")
        p("process wall includes starting the interpreter and importing pandas and scikit-learn (~2.7 s), which the")
        p("issue's own baseline (\"~11 s\" for the shipped catalogue, \"6.2 s wall\" for the resampled one) included too;")
        p("its in-script time leaves them out.")
        p()
        p("Per step (medians; ours from its own summary, Python from `time.perf_counter` between the steps):")
        p()
        p("| input | side | read | clean + join + scale | elbow k-means | number + label | search index (background, from cleaning on) | write SQLite | write items |")
        p("|---|---|---|---|---|---|---|---|---|")
        for case, label, _ in cases:
            runs = all_runs.get(case)
            if not runs:
                continue
            st = lambda k: med([o["steps"].get(k, 0.0) for o, _ in runs])
            p(f"| {case} | ours | {st('read'):.2f} s | {st('clean+scale'):.2f} s | {st('elbow k-means'):.2f} s | "
              f"{st('number+label'):.2f} s | {st('(search index)'):.2f} s | "
              f"{st('write sqlite'):.2f} s | {st('write items'):.2f} s |")
            ps = lambda k: med([y[k] for _, y in runs])
            p(f"| {case} | pandas + sklearn | {ps('read_s'):.2f} s | {ps('clean_scale_s'):.2f} s | {ps('kmeans_s'):.2f} s | - | - | - | - |")
        p()
        p("Every run (wall / CPU; ours' peak RSS):")
        p()
        p("```")
        for case, runs in all_runs.items():
            for i, (o, y) in enumerate(runs, 1):
                p(f"{case} run {i}: ours {o['time']['wall']:.2f} s / {o['time']['cpu']:.2f} s CPU, without writing "
                  f"{o['compute']:.2f} s, {o['time']['kib'] / 1024:.0f} MiB, k=10 inertia {o['k10']:.2f} | "
                  f"pandas+sklearn {y['seconds']:.2f} s in script ({y['time']['wall']:.2f} s process, "
                  f"{y['time']['cpu']:.2f} s CPU), k=10 inertia {y['inertia']['10']:.2f}")
        p("```")
        p()

    if "c" in a.only and os.path.exists(os.path.join(out, "c_py.out")):
        c = json.loads(open(os.path.join(out, "c_py.out")).read().strip().splitlines()[-1])
        verdict = "met" if c["difference_pct"] <= 1 else "NOT met"  # lower than sklearn's is better
        p("## k = 10 inertia against scikit-learn n_init = 10 on the same rows")
        p()
        p("scikit-learn gets exactly the tracks our shipped build kept: the `tracks` table of (a)'s musicData.sqlite, the")
        p("nine features rebuilt with the extremes in its `build_info`. Inertia = sum of squared distances.")
        p()
        p("| rows | ours (n_init " + str(c["ours_n_init"]) + ") | ours, from the stored distances | scikit-learn n_init 10 | difference | goal |")
        p("|---|---|---|---|---|---|")
        p(f"| {c['rows']:,} | {c['ours_inertia_k10']:.4f} | {c['ours_inertia_from_distances']:.4f} | "
          f"{c['sklearn_inertia_k10']:.4f} | **{c['difference_pct']:+.3f}%** | within 1% ({verdict}) |")
        p()

    db = os.path.join(out, "build_shipped", "musicData.sqlite")
    if "d" in a.only and os.path.exists(db):
        size = os.path.getsize(db)
        z9 = os.path.getsize(os.path.join(out, "layer.zip"))
        p("## Sizes of the shipped build")
        p()
        p("| file | bytes | goal |")
        p("|---|---|---|")
        p(f"| musicData.sqlite | {mb(size)} ({size:,}) | <= 40 MB ({'met' if size <= 40e6 else 'NOT met'}) |")
        p(f"| the data layer zipped, `zip -9` | {mb(z9)} ({z9:,}) | Lambda layer limit 50 MB zipped |")
        dz = deflate_size(db)
        p(f"| the data layer zipped, deflate at zlib's default level (as post-40-infra.sh zips it) | {mb(dz)} ({dz:,}) | |")
        for f in sorted(glob.glob(os.path.join(out, "build_shipped", "*.jsonl"))):
            lines = sum(1 for _ in open(f, "rb"))
            p(f"| {os.path.basename(f)} | {mb(os.path.getsize(f))} ({lines:,} items) | |")
        resampled = os.path.join(out, f"build_{a.rows}", "musicData.sqlite")
        if os.path.exists(resampled):
            p(f"| musicData.sqlite of (b), {a.rows:,} resampled tracks | {mb(os.path.getsize(resampled))} | |")
        p()
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")]
        count = lambda t: con.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0]
        counts = ", ".join(f"`{t}` {count(t):,}" for t in tables)
        p(f"Item counts in musicData.sqlite: {counts}.")
        try:
            blobs = ", ".join(f"`{n}` {mb(s)}" for n, s in con.execute("SELECT name, length(data) FROM blobs ORDER BY name"))
            p(f"Blobs: {blobs}.")
        except sqlite3.Error:
            pass
        try:
            pages = ", ".join(f"`{n}` {mb(s)}" for n, s in con.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC LIMIT 8"))
            p(f"Largest objects (dbstat, with indexes): {pages}.")
        except sqlite3.Error:
            pass
        p()


if __name__ == "__main__":
    main()
