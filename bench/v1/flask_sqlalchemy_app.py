"""The original data API's v1 routes as it ran them (Jake/ZappaDeployment2/flaskApp.py, see the
spec): Flask, flask_cors CORS(app), SQLAlchemy 1.x `engine.execute` on musicData.sqlite, rows
turned into dicts and returned as a `json.dumps` string. The baseline of bench/v1/run.sh, served
by gunicorn with 2 sync workers on the same SQLite file as the Rust server ($MUSIC_ML_DB).

Three deliberate differences from the original, none of which makes it slower: the artist
name is a bound parameter (the original spliced it into the SQL, an injection); the columns are
the public ones the Rust routes select (the pipeline's file has hidden helper columns that
`SELECT *` would add to the body); and the artist is found through the file's only index on
Clean_Artists, the folded name (`artists_folded = fold(name) AND artists = name`, the statement
the Rust route runs for an exact name), because `WHERE artists = ?` alone scans the table.

SQLAlchemy 1.4 gives a file database a NullPool, as the original's 1.x did: every request opens
the SQLite file. That is the original's cost and is kept.
"""
import json
import os
import unicodedata

from flask import Flask
from flask_cors import CORS
from sqlalchemy import create_engine, text

engine = create_engine("sqlite:///" + os.environ.get("MUSIC_ML_DB", "data/build/musicData.sqlite"))
app = Flask(__name__)
CORS(app)

DATA_BY_YEAR = text(
    "SELECT year, acousticness, danceability, duration_ms, energy, instrumentalness, liveness, "
    "loudness, speechiness, tempo, valence, popularity, key, mode FROM data_by_year ORDER BY year")
TOP_51_GENRES = text(
    "SELECT mode, genres, acousticness, danceability, duration_ms, energy, instrumentalness, "
    "liveness, loudness, speechiness, tempo, valence, popularity, key FROM top_51_genres ORDER BY rowid")
ARTIST = text(
    "SELECT mode, count, acousticness, artists, danceability, duration_ms, energy, "
    "instrumentalness, liveness, loudness, speechiness, tempo, valence, popularity, key, "
    "duration_s, duration_min, loudness_scale FROM Clean_Artists "
    "WHERE artists_folded = :folded AND artists = :artist")

QUOTES = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u00b4": "'", "`": "'", "\u201c": '"', "\u201d": '"'}


def fold(name):
    """music_shared::fold_name: NFKD, marks dropped, quotes and dashes unified, lower case, one space."""
    out = []
    for c in unicodedata.normalize("NFKD", name):
        if unicodedata.combining(c):
            continue
        c = QUOTES.get(c, c)
        if "\u2010" <= c <= "\u2015":
            c = "-"
        out.append(c.lower())
    return " ".join("".join(out).split())


@app.route("/api/v1.0/data_by_year")
def data_by_year():
    rows = engine.execute(DATA_BY_YEAR)
    return json.dumps([dict(r) for r in rows])


@app.route("/api/v1.0/data_by_artist_clean/<artist>")
def data_by_artist_clean(artist):
    rows = engine.execute(ARTIST, folded=fold(artist), artist=artist)
    return json.dumps([dict(r) for r in rows])


@app.route("/api/v1.0/top_51_genres")
def top_51_genres():
    rows = engine.execute(TOP_51_GENRES)
    return json.dumps([dict(r) for r in rows])
