"""Baseline for the batch writer: the original project's loader, one boto3 `Table.put_item` per
row, one at a time (as Jake/uploadToDynamoTable.py did), on the same item files and the same
kind of tables. Creates the tables first (not timed), then times the loop.

usage: boto3_put_item_loop.py --endpoint-url URL --data-dir DIR --table-prefix P [--limit N]

With --limit N only the first N items of each file are written (the whole catalogue's 216k
items take this loop over ten minutes); the rate in items/s is what is compared.
"""
import argparse
import json
import os
import time

import boto3


def create(client, name, keys, attrs, gsi):
    spec = dict(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in attrs],
    )
    if gsi:
        spec["GlobalSecondaryIndexes"] = [{
            "IndexName": "name_folded-index",
            "KeySchema": [{"AttributeName": "name_folded", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }]
    try:
        client.create_table(**spec)
    except client.exceptions.ResourceInUseException:
        pass
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--endpoint-url", required=True)
    p.add_argument("--data-dir", default="data/build")
    p.add_argument("--table-prefix", default="py_")
    p.add_argument("--limit", type=int, default=0, help="items per file (0 = all)")
    a = p.parse_args()
    kw = dict(endpoint_url=a.endpoint_url, region_name="us-west-1",
              aws_access_key_id="local", aws_secret_access_key="local")
    client = boto3.client("dynamodb", **kw)
    resource = boto3.resource("dynamodb", **kw)
    title = ([("name", "HASH")], [("name", "S"), ("name_folded", "S")], True)
    plan = [
        ("Music_ML3", "Music_ML3.jsonl", title),
        ("Music_ML_IDs", "Music_ML_IDs.jsonl", title),
        ("Music_ML_Assignments", "Music_ML_Assignments.jsonl",
         ([("Assignments", "HASH"), ("sort", "RANGE")], [("Assignments", "N"), ("sort", "S")], False)),
    ]
    work = []
    for table, file, (keys, attrs, gsi) in plan:
        name = a.table_prefix + table
        create(client, name, keys, attrs, gsi)
        with open(os.path.join(a.data_dir, file), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        work.append((resource.Table(name), rows[:a.limit] if a.limit else rows))
    n = 0
    start = time.perf_counter()
    for table, rows in work:
        for row in rows:
            table.put_item(Item=row)
            n += 1
    elapsed = time.perf_counter() - start
    print(f"boto3 put_item loop{' (first %d items of each file)' % a.limit if a.limit else ''}: {n} items in {elapsed:.3f} s ({n / elapsed:.0f} items/s)")


if __name__ == "__main__":
    main()
