"""Drives spotipy, unchanged, against this project's Spotify-shaped v3 routes.

Run by tests/tests/spotipy_client.rs with the venv of scripts/test.d/pre-40-spotipy.sh:

    python check.py --base http://127.0.0.1:PORT/api/v3/ --expect expect.json

`expect.json` holds what the Rust side read from musicData.sqlite: the seeds, the audio features
of a few tracks, an id the catalogue lacks, the genre seeds. The only change made to the client is
its `prefix`. Prints one line per check, then `REPORT {...}` (the ids the answers named, which the
Rust side looks up in the database), and exits 1 if any check failed.
"""

import argparse
import importlib.metadata
import json
import math
import sys
import warnings

import requests
import spotipy

# spotipy marks each of these endpoints deprecated (Spotify retired them); that is the point here.
warnings.simplefilter("ignore", DeprecationWarning)

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def close(a, b):
    """The server keeps features as 32-bit floats; the database has 64-bit ones."""
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)


def spotify_error(call, status, what):
    """`call` must raise SpotifyException with `status` and the server's own message."""
    try:
        call()
    except spotipy.SpotifyException as e:
        check(e.http_status == status, f"{what}: http_status {e.http_status}, expected {status}")
        # spotipy's msg is "<url>:\n <error.message>"; ask the same URL directly for the message.
        url, _, shown = e.msg.partition(":\n ")
        body = requests.get(url, timeout=10).json()
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        check(
            isinstance(message, str) and message != "" and shown == message,
            f"{what}: spotipy shows the server's message {shown!r} (server: {message!r})",
        )
        check(
            body.get("error", {}).get("status") == status,
            f"{what}: the body is Spotify's error form {body!r}",
        )
        return shown
    except Exception as e:  # noqa: BLE001 - any other exception is the failure being tested
        check(False, f"{what}: raised {type(e).__name__}: {e} instead of SpotifyException")
        return None
    check(False, f"{what}: no exception")
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT/api/v3/")
    parser.add_argument("--expect", required=True, help="JSON written by the Rust test")
    args = parser.parse_args()
    with open(args.expect, encoding="utf-8") as f:
        expect = json.load(f)

    sp = spotipy.Spotify(auth="dummy-token", requests_timeout=10, retries=0)
    sp.prefix = args.base
    print(f"spotipy {importlib.metadata.version('spotipy')}, prefix {sp.prefix}")

    seed_track = expect["seed_track"]
    seed_artist = expect["seed_artist"]
    genre = expect["seed_genre"]
    min_popularity = expect["min_popularity"]
    limit = expect["limit"]
    report = {}

    # recommendations: a track (as a Spotify URI, which spotipy turns into an id) and a genre,
    # a target, a minimum, and country (sent as market, accepted and ignored).
    rec = sp.recommendations(
        seed_tracks=[f"spotify:track:{seed_track}"],
        seed_genres=[genre],
        target_energy=0.8,
        min_popularity=min_popularity,
        country="US",
        limit=limit,
    )
    tracks = rec.get("tracks", [])
    check(len(tracks) == limit, f"recommendations: {len(tracks)} tracks, limit {limit}")
    ids = [t.get("id") for t in tracks]
    check(len(set(ids)) == len(ids), "recommendations: no track twice")
    check(seed_track not in ids, "recommendations: the seed track is not recommended")
    check(
        all(t.get("popularity", -1) >= min_popularity for t in tracks),
        f"recommendations: every popularity >= {min_popularity}: "
        + str([t.get("popularity") for t in tracks]),
    )
    check(
        all(t.get("type") == "track" and t.get("uri") == f"spotify:track:{t.get('id')}" for t in tracks),
        "recommendations: Spotify track objects (type, uri)",
    )
    check(
        all(t.get("artists") and all("name" in a for a in t["artists"]) for t in tracks),
        "recommendations: every track names its artists",
    )
    seeds = rec.get("seeds", [])
    # In the order the query string gives them (spotipy sends seed_genres before seed_tracks).
    check(
        sorted((s.get("type"), s.get("id")) for s in seeds) == [("GENRE", genre), ("TRACK", seed_track)],
        f"recommendations: seeds {[(s.get('type'), s.get('id')) for s in seeds]}",
    )
    check(
        all(s.get("afterFilteringSize", 0) <= s.get("initialPoolSize", -1) for s in seeds),
        "recommendations: afterFilteringSize <= initialPoolSize",
    )
    report["recommended"] = ids

    # An artist seed alone, default limit (20).
    rec = sp.recommendations(seed_artists=[seed_artist])
    tracks = rec.get("tracks", [])
    check(len(tracks) == 20, f"recommendations by artist: {len(tracks)} tracks, the default 20")
    check(
        [s.get("type") for s in rec.get("seeds", [])] == ["ARTIST"],
        "recommendations by artist: one ARTIST seed",
    )
    report["recommended_by_artist"] = [t.get("id") for t in tracks]

    # recommendation_genre_seeds
    genres = sp.recommendation_genre_seeds().get("genres")
    check(isinstance(genres, list) and len(genres) > 0, f"genre seeds: {len(genres or [])} genres")
    check(genres == sorted(genres or []), "genre seeds: sorted")
    check(genres == expect["genre_seeds"], "genre seeds: those the database gives (>= 10 tracks)")
    check(genre in (genres or []), f"genre seeds: {genre!r} is one")

    # audio_features: a list with an id the catalogue lacks (None in its place), then one id as
    # a string; spotipy asks for audio-features/?ids=... (with the slash).
    known = expect["audio_features"]
    missing = expect["missing_id"]
    asked = [known[0]["id"], missing] + [k["id"] for k in known[1:]]
    got = sp.audio_features(asked)
    check(isinstance(got, list) and len(got) == len(asked), f"audio_features: {len(got or [])} entries for {len(asked)} ids")
    if isinstance(got, list) and len(got) == len(asked):
        check(got[1] is None, "audio_features: None for the id the catalogue lacks")
        pairs = [(known[0], got[0])] + list(zip(known[1:], got[2:]))
        for want, have in pairs:
            if not check(isinstance(have, dict), f"audio_features {want['id']}: an object"):
                continue
            check(have.get("id") == want["id"], f"audio_features {want['id']}: id")
            check(have.get("type") == "audio_features", f"audio_features {want['id']}: type")
            check(have.get("uri") == f"spotify:track:{want['id']}", f"audio_features {want['id']}: uri")
            wrong = [
                f"{k}={have.get(k)!r} (database {want[k]!r})"
                # Every feature the Rust side read from the tracks table for this track.
                for k in want
                if k != "id" and not close(have.get(k), want[k])
            ]
            check(
                not wrong,
                f"audio_features {want['id']}: the tracks table's values"
                + (f", except {wrong}" if wrong else ""),
            )
    one = sp.audio_features(known[0]["id"])
    check(
        isinstance(one, list) and len(one) == 1 and (one[0] or {}).get("id") == known[0]["id"],
        "audio_features(one id as a string): a list of one",
    )

    # artist_related_artists
    related = sp.artist_related_artists(seed_artist).get("artists", [])
    related_ids = [a.get("id") for a in related]
    check(len(related) == 20, f"related artists: {len(related)}, expected 20")
    check(seed_artist not in related_ids, "related artists: the seed is not among them")
    check(len(set(related_ids)) == len(related_ids), "related artists: none twice")
    check(
        all(a.get("type") == "artist" and a.get("uri") == f"spotify:artist:{a.get('id')}" and a.get("name") for a in related),
        "related artists: Spotify artist objects (type, uri, name)",
    )
    report["related"] = related_ids

    # Errors take Spotify's form, so spotipy raises its own exception with the server's message.
    shown = spotify_error(
        lambda: sp.recommendations(seed_genres=[genre] * 3, seed_tracks=[seed_track] * 3),
        400,
        "6 seeds",
    )
    check(shown is not None and "seed" in shown, f"6 seeds: the message is about seeds: {shown!r}")
    shown = spotify_error(lambda: sp.recommendations(seed_tracks=[seed_track], limit=0), 400, "limit=0")
    check(shown is not None and "limit" in shown, f"limit=0: the message names limit: {shown!r}")
    spotify_error(lambda: sp.artist_related_artists(missing), 404, "related artists of an unknown id")

    print("REPORT " + json.dumps(report), flush=True)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
