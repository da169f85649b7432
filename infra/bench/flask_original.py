"""The original data API's start-up path, rebuilt from the behavioural spec (the original
flaskApp.py: Flask + flask_cors, SQLAlchemy 1.x engine.execute on musicData.sqlite, a boto3
DynamoDB client at import), for one comparison figure: process start -> first answered request.

    python flask_original.py path/to/musicData.sqlite      prints the status and body length
"""
import json
import sys

import boto3
from flask import Flask
from flask_cors import CORS
from sqlalchemy import create_engine

engine = create_engine("sqlite:///" + sys.argv[1])
dynamodb = boto3.client("dynamodb", region_name="us-west-1")
app = Flask(__name__)
CORS(app)


@app.route("/api/v1.0/data_by_year")
def data_by_year():
    rows = engine.execute("SELECT * FROM data_by_year")
    return json.dumps([dict(r) for r in rows])


@app.route("/api/v1.0/data_by_artist_clean/<artist>")
def data_by_artist_clean(artist):
    rows = engine.execute("SELECT * FROM Clean_Artists WHERE artists = ?", artist)
    return json.dumps([dict(r) for r in rows])


if __name__ == "__main__":
    response = app.test_client().get("/api/v1.0/data_by_year")
    print(response.status_code, len(response.data))
