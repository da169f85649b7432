"""The same pipeline steps in Python with pandas and scikit-learn, as the baseline for
bench/pipeline/run.sh: read, clean, ratio-scale, elbow k=1..10, final k=10.

Prints one JSON line: {"seconds": ..., "rows_kept": ..., "inertia": {k: sum of squared distances}}.
"""
import argparse
import ast
import json
import time

import pandas as pd
from sklearn.cluster import KMeans

FEATURES = ["energy", "speechiness", "acousticness", "instrumentalness", "liveness", "valence",
            "loudness_scale", "tempo_scale", "duration_scale"]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tracks", required=True)
    ap.add_argument("--artists", required=True)
    ap.add_argument("--n-init", type=int, default=4)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    started = time.perf_counter()
    tracks = pd.read_csv(args.tracks)
    artists = pd.read_csv(args.artists)
    has_genre = {name for name, g in zip(artists["artists"], artists["genres"]) if g != "[]"}
    names = tracks["artists"].map(ast.literal_eval)
    keep = (tracks["loudness"] <= 0) & names.map(lambda a: any(x in has_genre for x in a))
    df = tracks[keep].copy()
    df["loudness_scale"] = 1 - df["loudness"] / df["loudness"].min()
    df["tempo_scale"] = df["tempo"] / df["tempo"].max()
    df["duration_scale"] = df["duration_ms"] / df["duration_ms"].max()
    df["popularity_scale"] = df["popularity"] / df["popularity"].max()
    x = df[FEATURES].to_numpy()
    inertia = {}
    for k in range(1, 11):
        model = KMeans(n_clusters=k, n_init=args.n_init, random_state=args.seed).fit(x)
        inertia[k] = float(model.inertia_)
    df["Assignments"] = model.labels_
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows_kept": int(len(df)), "inertia": inertia}))


if __name__ == "__main__":
    main()
