#!/usr/bin/env python3
"""gen_docs.py - NDJSON documents for the docapi benchmark (contract shape).

    gen_docs.py COUNT BLOBS [SEED] > docs.ndjson

Each document has about 1 KB of metadata (metadata alone serializes to
~1000-1100 bytes), BLOBS document_blobs (all s3:// URLs, so every one is
presigned with return_url=true), a two-step lineage, source_blobs,
internal_metadata, two flat user fields and no vector. Ids are doc_1 to
doc_COUNT (the pgbench scripts build them as 'doc_' || :i).
"""
import json
import random
import sys

WORDS = ("alpha bravo camera delta echo falcon garden harbor island jungle "
         "kernel lumen market nebula orbit prism quartz river summit tundra "
         "umbra vector willow xenon yonder zephyr scene frame video audio "
         "launch product review sunset ocean city night portrait").split()


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def metadata(rng, i):
    return {
        "title": words(rng, 6).title(),
        "description": words(rng, 80),
        "category": rng.choice(["marketing", "support", "training", "news"]),
        "tags": [rng.choice(WORDS) for _ in range(6)],
        "language": rng.choice(["en", "de", "fr", "es"]),
        "author": {"name": words(rng, 2).title(), "team": rng.choice(WORDS)},
        "duration_s": round(rng.uniform(5, 3600), 2),
        "resolution": rng.choice(["1920x1080", "1280x720", "3840x2160"]),
        "published": rng.random() < 0.7,
        "rating": round(rng.uniform(0, 5), 2),
        "views": rng.randint(0, 10**6),
        "scores": {"quality": round(rng.random(), 4),
                   "relevance": round(rng.random(), 4),
                   "safety": round(rng.random(), 4)},
        "scene": {"index": i % 500, "start_time": round(rng.uniform(0, 100), 2),
                  "end_time": round(rng.uniform(100, 200), 2)},
        "counter": 0,
        "external_ref": "ext-%08x" % rng.getrandbits(32),
    }


def blob(rng, i, k):
    kinds = [("video", "video", "video/mp4", "mp4"),
             ("thumbnail", "image", "image/jpeg", "jpg"),
             ("audio", "audio", "audio/mpeg", "mp3"),
             ("transcript", "text", "text/plain", "txt"),
             ("keyframe", "image", "image/png", "png")]
    field, typ, ctype, ext = kinds[k % len(kinds)]
    key = "assets/%06d/%s_%d.%s" % (i, field, k, ext)
    return {
        "field": "%s_%d" % (field, k),
        "url": "s3://mixpeek-bench/" + key,
        "role": "source" if k == 0 else rng.choice(["processed", "thumbnail", "artifact"]),
        "type": typ,
        "object_key": key,
        "content_type": ctype,
        "size_bytes": rng.randint(1000, 50_000_000),
    }


def document(rng, i, nblobs):
    obj = "obj_%08d" % i
    return {
        "document_id": "doc_%d" % i,
        "document_schema_version": "v1",
        "root_object_id": obj,
        "root_bucket_id": "bkt_bench",
        "source_type": "collection",
        "source_collection_id": "col_frames",
        "source_document_id": "doc_src%06d" % i,
        "lineage_path": "bkt_bench/col_frames/col_scenes",
        "lineage_chain": [
            {"collection_id": "col_frames", "feature_extractor_id": "video_frames_v1",
             "timestamp": "2025-10-18T10:30:00Z"},
            {"collection_id": "col_scenes", "feature_extractor_id": "scene_splitter_v2",
             "document_id": "doc_src%06d" % i, "timestamp": "2025-10-18T10:31:00Z"},
        ],
        "source_blobs": [{"blob_id": "blob_%d" % i, "blob_property": "video",
                          "blob_type": "video"}],
        "internal_metadata": {"ingestion_status": "completed",
                              "feature_extractor_config_hash": "%08x" % rng.getrandbits(32)},
        "metadata": metadata(rng, i),
        "cluster_id": "cl_%d" % (i % 97),
        "taxonomy_label": rng.choice(WORDS),
        "document_blobs": [blob(rng, i, k) for k in range(nblobs)],
    }


def main():
    count, nblobs = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    out = sys.stdout
    for i in range(1, count + 1):
        out.write(json.dumps(document(rng, i, nblobs), separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
