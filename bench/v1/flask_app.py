"""Flask baseline for bench/v1: the same three v1 queries on the same SQLite file, written the
plain way (sqlite3 + json.dumps), so the Rust server is compared with the stack the original used.

One read-only connection per gunicorn worker process (sync workers handle one request at a
time). Served by bench/v1/run.sh as `gunicorn -w 2 flask_app:app`; the file comes from
$MUSIC_ML_DB.
"""

import json
import os
import sqlite3
import unicodedata

from flask import Flask, Response

DB = os.environ.get("MUSIC_ML_DB", "data/build/musicData.sqlite")
conn = sqlite3.connect(f"file:{DB}?mode=ro&immutable=1", uri=True, check_same_thread=False)
conn.row_factory = sqlite3.Row

ARTIST_COLUMNS = (
    "mode, count, acousticness, artists, danceability, duration_ms, energy, instrumentalness, "
    "liveness, loudness, speechiness, tempo, valence, popularity, key, duration_s, duration_min, "
    "loudness_scale"
)

app = Flask(__name__)


def rows(sql, params=()):
    return [dict(r) for r in conn.execute(sql, params)]


def reply(body, status=200):
    return Response(json.dumps(body), status=status, mimetype="application/json")


def fold(name):
    """The same key as music_shared::fold_name (NFKD, marks dropped, lower case, quotes, spaces)."""
    out = []
    for c in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(c):
            continue
        c = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u00b4": "'", "`": "'",
             "\u201c": '"', "\u201d": '"'}.get(c, c)
        if "\u2010" <= c <= "\u2015":
            c = "-"
        out.append(c.lower())
    return " ".join("".join(out).split())


@app.route("/api/v1.0/data_by_year")
def data_by_year():
    return reply(rows(
        "SELECT year, acousticness, danceability, duration_ms, energy, instrumentalness, liveness, "
        "loudness, speechiness, tempo, valence, popularity, key, mode FROM data_by_year ORDER BY year"))


@app.route("/api/v1.0/top_51_genres")
def top_51_genres():
    return reply(rows(
        "SELECT mode, genres, acousticness, danceability, duration_ms, energy, instrumentalness, "
        "liveness, loudness, speechiness, tempo, valence, popularity, key FROM top_51_genres "
        "ORDER BY rowid"))


@app.route("/api/v1.0/data_by_artist_clean/<path:artist>")
def data_by_artist_clean(artist):
    found = rows(f"SELECT {ARTIST_COLUMNS} FROM Clean_Artists WHERE artists = ? ORDER BY rowid", (artist,))
    if not found:
        found = rows(f"SELECT {ARTIST_COLUMNS} FROM Clean_Artists WHERE artists_folded = ? ORDER BY rowid",
                     (fold(artist),))
    if not found:
        return reply({"error": f"no artist named {artist!r}", "status": 404}, 404)
    return reply(found)
