-- 002_request_functions.sql: the request path's functions were first
-- created here. They now live in functions.sql, which docapi-admin
-- migrate applies after the numbered migrations whenever its text has
-- changed, so that a new version of a function is one edit of one file.
-- A database that applied this migration when it held the functions is in
-- the same state, once functions.sql has run, as one that applies it now.
SELECT 1;
