"""The pipeline's steps in pandas + scikit-learn: the baseline of bench/pipeline/run.sh.

Default mode (the pipeline's steps, nothing written):
  read every --tracks table (either Kaggle schema, .gz accepted) and keep the first row of each
  Spotify id (the first table wins); read every --artists table (the 28,680-artist table's
  stripped genre format `europop, swedish pop` or Python list literals) and take their union by
  name, the first table winning; keep tracks with loudness <= 0 and at least one credited artist
  (joined by name) with a genre; add the ratio-scaled columns; K-Means (k-means++, Lloyd) for
  k = 1..10 with --n-init starts each, keeping each k's inertia; labels of k = 10.

--from-sqlite FILE (the inertia check):
  rebuild the nine clustering features of exactly the tracks a built musicData.sqlite kept
  (its `tracks` table, scaled with the extremes in its `build_info`), run K-Means k = 10 with
  --n-init starts, and compare with the file's own k = 10 inertia.

Prints one JSON object on stdout.
"""
import argparse
import ast
import json
import sqlite3
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

FEATURES = ["energy", "speechiness", "acousticness", "instrumentalness", "liveness", "valence",
            "loudness_scale", "tempo_scale", "duration_scale"]
# Columns both track schemas have that the steps use.
TRACK_COLUMNS = ["id", "name", "artists", "popularity", "duration_ms", "danceability", "energy",
                 "loudness", "speechiness", "acousticness", "instrumentalness", "liveness",
                 "valence", "tempo"]


def parse_genres(cell):
    """Both genre formats of the real artist tables (as music_pipeline::artist::parse_genres)."""
    if not isinstance(cell, str):
        return []
    cell = cell.strip()
    if cell.startswith("["):
        return ast.literal_eval(cell)
    return [g for g in (p.strip().strip('"').strip() for p in cell.split(",")) if g]


def run_pipeline(args):
    t0 = time.perf_counter()
    tracks = pd.concat(
        [pd.read_csv(p, usecols=lambda c: c in TRACK_COLUMNS, dtype={"id": str, "artists": str})
         for p in args.tracks],
        ignore_index=True)
    artist_tables = [pd.read_csv(p, usecols=["artists", "genres"]) for p in args.artists]
    t1 = time.perf_counter()

    rows_read = len(tracks)
    tracks = tracks.drop_duplicates("id", keep="first")
    duplicates = rows_read - len(tracks)
    # Union by name, the first table (and the first row of a name) winning.
    artists = pd.concat(artist_tables, ignore_index=True).drop_duplicates("artists", keep="first")
    has_genre = {name for name, g in zip(artists["artists"], artists["genres"]) if parse_genres(g)}
    # The artist lists are Python literals; each distinct cell is parsed once.
    credits = tracks["artists"].fillna("[]")
    with_genre = {c: any(a in has_genre for a in ast.literal_eval(c)) for c in credits.unique()}
    keep = (tracks["loudness"] <= 0) & credits.map(with_genre).astype(bool)
    df = tracks[keep].copy()
    df["loudness_scale"] = 1 - df["loudness"] / df["loudness"].min()
    df["tempo_scale"] = df["tempo"] / df["tempo"].max()
    df["duration_scale"] = df["duration_ms"] / df["duration_ms"].max()
    df["popularity_scale"] = df["popularity"] / df["popularity"].max()
    x = df[FEATURES].to_numpy()
    t2 = time.perf_counter()

    inertia = {}
    for k in range(1, args.max_k + 1):
        model = KMeans(n_clusters=k, n_init=args.n_init, random_state=args.seed).fit(x)
        inertia[k] = float(model.inertia_)
    df["Assignments"] = model.labels_
    t3 = time.perf_counter()
    return {
        "seconds": t3 - t0,
        "read_s": t1 - t0,
        "clean_scale_s": t2 - t1,
        "kmeans_s": t3 - t2,
        "rows_read": rows_read,
        "duplicates": duplicates,
        "artists_union": int(len(artists)),
        "rows_kept": int(len(df)),
        "n_init": args.n_init,
        "inertia": inertia,
    }


def inertia_check(args):
    con = sqlite3.connect(f"file:{args.from_sqlite}?mode=ro", uri=True)
    info = dict(con.execute("SELECT key, value FROM build_info"))
    cols = ["energy", "speechiness", "acousticness", "instrumentalness", "liveness", "valence",
            "loudness", "tempo", "duration_ms", "distance"]
    df = pd.read_sql_query(f"SELECT {', '.join(cols)} FROM tracks ORDER BY track", con)
    df["loudness_scale"] = 1 - df["loudness"] / float(info["min_loudness"])
    df["tempo_scale"] = df["tempo"] / float(info["max_tempo"])
    df["duration_scale"] = df["duration_ms"] / float(info["max_duration_ms"])
    assert json.loads(info["features"]) == FEATURES, info["features"]
    x = df[FEATURES].to_numpy()
    ours = con.execute("SELECT inertia FROM elbow WHERE k = 10").fetchone()[0]
    t0 = time.perf_counter()
    model = KMeans(n_clusters=10, n_init=args.n_init, random_state=args.seed).fit(x)
    seconds = time.perf_counter() - t0
    return {
        "rows": int(len(df)),
        "ours_n_init": int(info["n_init"]),
        "ours_inertia_k10": ours,
        # The same figure recomputed from the stored distances (each track to its centroid).
        "ours_inertia_from_distances": float(np.square(df["distance"].to_numpy()).sum()),
        "sklearn_n_init": args.n_init,
        "sklearn_inertia_k10": float(model.inertia_),
        "sklearn_seconds": seconds,
        "difference_pct": 100 * (ours - model.inertia_) / model.inertia_,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracks", action="append", default=[], help="track table, repeatable, in order")
    ap.add_argument("--artists", action="append", default=[], help="artist table, repeatable, in order")
    ap.add_argument("--n-init", type=int, default=4)
    ap.add_argument("--max-k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--from-sqlite", help="inertia check against this built musicData.sqlite")
    args = ap.parse_args()
    if args.from_sqlite:
        out = inertia_check(args)
    else:
        if not args.tracks or not args.artists:
            ap.error("--tracks and --artists are required (or --from-sqlite)")
        out = run_pipeline(args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
