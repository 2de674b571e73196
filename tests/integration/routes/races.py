# PUT, PATCH and DELETE racing on one document (contract sections 4, 7,
# 14): every answer is true of the state it claims. Loaded by test_api.py
# after document_create.py: its helpers (create, create_body) are in scope.


@test
def put_patch_delete_race_answers_are_true():
    for rnd in range(3):
        doc = expect_ok(create(create_body(metadata={"n": -1})))["document_id"]
        results = []
        lock = threading.Lock()
        go = threading.Event()

        def writer(i):
            go.wait()
            for j in range(6):
                tag = "w%d_%d" % (i, j)
                if (i + j) % 2:
                    r = patch(doc, {"metadata": {tag: j}})
                else:
                    r = api("PUT", doc, body={"metadata": {tag: j}}, ctype="application/json")
                with lock:
                    results.append((tag, r))

        def deleter():
            go.wait()
            time.sleep(0.01 * rnd)
            r = api("DELETE", doc)
            with lock:
                results.append(("delete", r))

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        threads.append(threading.Thread(target=deleter))
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join()
        dels = [r for tag, r in results if tag == "delete"]
        eq(dels[0].status, 200, "the DELETE of a live document")
        tomb = psql("SELECT version FROM document_tombstones t JOIN collections c"
                    " ON c.id = t.col_pk WHERE t.document_id = '%s'" % doc)
        check(tomb, "DELETE left a tombstone")
        deleted_version = int(tomb) - 1
        acked = []
        for tag, r in results:
            if tag == "delete":
                continue
            check(r.status in (200, 404, 412), "%s answered %d: %r" % (tag, r.status, r.body[:200]))
            if r.status == 404:
                eq(r.json()["error"]["details"], {"resource": "document", "id": doc},
                   "404 of a write after the DELETE")
            if r.status == 200:
                b = r.json()
                # the answer shows the write it acknowledges
                eq(b["metadata"].get(tag), int(tag.split("_")[1]), "%s in its own answer" % tag)
                acked.append(version_of(r))
        eq(len(acked), len(set(acked)), "each acknowledged write has its own version")
        check(all(v <= deleted_version for v in acked),
              "a write acknowledged after the DELETE swallowed it: versions %r, deleted %d"
              % (sorted(acked), deleted_version))
        eq(deleted_version, max(acked + [1]), "the DELETE removed the last acknowledged write")
        eq(db_row(doc), "", "the document is gone")
