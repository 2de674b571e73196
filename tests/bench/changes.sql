-- changes.sql - pgbench script (tests/bench/lifecycle.sh): 10,000 changes of
-- the feed read as a client pages through it, 10 calls of
-- public.docapi_changes (what docapi issues for one GET
-- .../documents/changes?since=S&limit=1000) from since = s0 .. s9, the
-- page boundaries (-D s0=0 -D s1=<last_seq of page 1> ...). Run with
-- -M extended, as docapi sends it; notes as in lookup.sql.
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s0, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s1, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s2, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s3, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s4, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s5, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s6, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s7, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s8, 1000);
SELECT * FROM public.docapi_changes(:keyhash, :nsid, :nsname, :colid, :colname, :s9, 1000);
