#!/bin/bash
# demo.sh - run docapi for real in one command (README, "Run it").
#
# Installs what is missing, builds, starts a private PostgreSQL in a temp
# folder and lighttpd on 127.0.0.1:8080 spawning docapi.fcgi, loads a demo
# namespace, collection and documents, prints an API key and a curl line,
# and stays in the foreground. Ctrl-C stops everything it started.
#
#   scripts/demo.sh            (HTTP_PORT=8081 scripts/demo.sh for another port)
#
# In the background (scripts/demo.sh &), stop it with SIGTERM: kill %1, or
# kill PID (it prints its PID). stack_init's trap handles TERM (and HUP)
# exactly as INT: exit, and the EXIT trap stops lighttpd, its workers and
# PostgreSQL by PID and removes the temp folder. SIGINT cannot do it there:
# bash starts a script's background jobs with SIGINT ignored, and a signal
# ignored on entry cannot be trapped, so kill -INT is a no-op.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

scripts/install-deps.sh
echo "demo: building..." >&2
scripts/build.sh

export HTTP_PORT=${HTTP_PORT:-8080}
export DOCAPI_PROCS=${DOCAPI_PROCS:-2}
# shellcheck source=scripts/stack.sh
. scripts/stack.sh
stack_init
pg_start
export DOCAPI_CONF="$STACK_TMP/docapi.conf"
docapi_write_conf "$DOCAPI_CONF" ""
export DOCAPI_CONF_FILE="$DOCAPI_CONF"
# From here on, INT, TERM and HUP all end in stack_stop_all (stack.sh).
admin() { cgi/docapi-admin "$@"; }
admin migrate >/dev/null
org=$(admin create-org "Demo Org")
ns=$(admin create-namespace --org "$org" production)
col=$(admin create-collection --namespace "$ns" articles)
key=$(admin create-key --org "$org" --role write 2>/dev/null)
admin import --collection "$col" scripts/demo-documents.ndjson >/dev/null
base="http://127.0.0.1:$HTTP_PORT"
# /docs: Swagger UI's files, built by scripts/build.sh (make docs-ui) when
# npm is there; lighttpd serves them as conf/lighttpd/docapi.conf does.
docs="  (no /docs: its files were not built; make docs-ui needs npm)"
if [ -f docs/ui/dist/index.html ]; then
    STACK_LIGHTTPD_EXTRA=$(lighttpd_docs_conf "$ROOT/docs/ui/dist")
    export STACK_LIGHTTPD_EXTRA
    docs="  Open $base/docs  (the API reference: Authorize with the key and
  the namespace once, then \"Try it out\" on any route)"
fi
lighttpd_start main "$HTTP_PORT" ""
cat <<EOT

docapi is running at $base  (PostgreSQL and lighttpd in $STACK_TMP)

  API key:     $key
  namespace:   production ($ns)
  collection:  articles ($col)
  documents:   doc_intro_video, doc_scene_050, doc_article_001

$docs

Or with curl:

  curl -s -X PATCH '$base/v1/collections/articles/documents/doc_intro_video' \\
    -H 'Authorization: Bearer $key' \\
    -H 'X-Namespace: production' \\
    -H 'Content-Type: application/json' \\
    -d '{"metadata": {"title": "Updated title", "draft": null}}'

  curl -s '$base/v1/collections/articles/documents/doc_intro_video?return_vectors=true' \\
    -H 'Authorization: Bearer $key' -H 'X-Namespace: production'

Admin tool (same database):  DOCAPI_CONF=$DOCAPI_CONF cgi/docapi-admin list-keys --org $org
Press Ctrl-C to stop (in the background: kill $$, or kill %1 from the
shell that started it); everything started here is stopped.
EOT
stack_wait_lighttpd main
