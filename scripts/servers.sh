# shellcheck shell=bash
# servers.sh - start and stop Apache (mod_fcgid, mod_proxy_fcgi, mod_cgid),
# nginx and standalone docapi.fcgi processes for docapi's tests.
#
# A bash library next to scripts/stack.sh, with the same conventions: all
# files in $STACK_TMP, every server on 127.0.0.1 (or a unix socket inside
# $STACK_TMP) on a free port, every process stopped by its PID (also by
# stack_stop_all, so also when the caller fails: each server's main PID is
# registered with stack_track_pid).
#
#   . scripts/stack.sh; . scripts/servers.sh
#   stack_init; pg_start; ...
#   apache_start fcgid                  # Apache + mod_fcgid, app at /
#   apache_start proxy "" /api          # Apache + mod_proxy_fcgi under /api
#   nginx_start main                    # nginx -> spawn-fcgi'd docapi.fcgi
#   srv_url fcgid                       # http://127.0.0.1:PORT[/api]
#   srv_stop fcgid                      # or stack_stop_all
#
# Apache and nginx run the shipped configs (conf/apache/docapi-*.conf,
# conf/nginx/docapi.conf) with only paths, ports and names replaced, inside
# a minimal main config written here (private ServerRoot, PidFile, logs and
# runtime dir in the temp folder; no Debian envvars needed).
#
# Server kinds (srv_start KIND NAME [PORT] [MOUNT_PREFIX]):
#   fcgid   Apache + mod_fcgid spawning docapi.fcgi
#   proxy   Apache + mod_proxy_fcgi -> docapi.fcgi --listen 127.0.0.1:P --threads N
#   cgi     Apache + mod_cgid running docapi.fcgi as plain CGI
#   nginx   nginx -> spawn-fcgi -s SOCK -- docapi.fcgi --threads N (unix socket)
#   htaccess-fcgid, htaccess-cgi  shared hosting: Apache with only
#           overrides allowed, conf/apache/htaccess-* in a folder (/api)
#   lighttpd-conf  lighttpd with the shipped conf/lighttpd/docapi.conf
#   lighttpd  stack.sh's lighttpd_start (for uniform handling)
# A MOUNT_PREFIX (e.g. /api) puts the app under that path (shipped config
# adapted: Alias/ScriptAlias/ProxyPass/location of the prefix).
#
# Per server NAME, in $STACK_TMP/srv-NAME/: the generated config, docapi.conf,
# error.log (Apache: also the app's stderr), app.log (the app's stderr where
# the server does not collect it: standalone, spawn-fcgi), access.log.
#
# Parameters: DOCAPI_FCGI, DOCAPI_THREADS (default 4; threads of a
# standalone/spawn-fcgi docapi), DOCAPI_PROCS (mod_fcgid processes per class,
# default 4), SRV_FCGID_MAX_REQUESTS (FcgidMaxRequestsPerProcess override),
# SRV_APACHE_MPM (event), SRV_APACHE_MODDIR (/usr/lib/apache2/modules).

SRV_SRC_DIR=${STACK_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
if ! declare -F stack_init >/dev/null 2>&1; then
    # shellcheck source=scripts/stack.sh
    . "$SRV_SRC_DIR/scripts/stack.sh"
fi

srv_dir() { printf '%s\n' "$STACK_TMP/srv-$1"; }
srv_pid() { stack_state_get "srv_${1}_pid"; }
srv_port() { stack_state_get "srv_${1}_port"; }
srv_kind() { stack_state_get "srv_${1}_kind"; }
srv_url() {
    printf 'http://127.0.0.1:%s%s\n' "$(srv_port "$1")" "$(stack_state_get "srv_${1}_prefix")"
}
# srv_app_log NAME: the file that receives the app's stderr.
srv_app_log() { stack_state_get "srv_${1}_applog"; }

# srv__descendants PID: all descendants of PID (children first), one a line.
srv__descendants() {
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do
        printf '%s\n' "$c"
        srv__descendants "$c"
    done
}

# srv_worker_pids NAME: PIDs of the processes running docapi.fcgi for that
# server (mod_fcgid's workers, the standalone process, ...), sorted.
# (Their backend's for proxy and nginx. Plain CGI: the ones running now.)
srv_worker_pids() {
    local pid p exe fcgi backend
    fcgi=$(readlink -f "${DOCAPI_FCGI:-$STACK_BUILD_DIR/cgi/docapi.fcgi}")
    backend=$(stack_state_get "srv_${1}_backend")
    pid=$(srv_pid "$1")
    {
        [ -z "$backend" ] || srv_worker_pids "$backend"
        for p in ${pid:+$pid $(srv__descendants "$pid")}; do
            exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
            [ "${exe% (deleted)}" = "$fcgi" ] && printf '%s\n' "$p"
        done
    } | sort -n
}

# srv_backend_restart NAME: restarts the standalone/spawn-fcgi backend of a
# proxy or nginx server (after a test stopped it with a signal).
srv_backend_restart() {
    local name=$1 backend kind listen
    backend=$(stack_state_get "srv_${name}_backend")
    [ -n "$backend" ] || { stack_die "'$name' has no backend"; return 1; }
    kind=$(srv_kind "$backend")
    listen=$(stack_state_get "srv_${backend}_listen")
    srv_stop "$backend"
    case $kind in
        standalone) docapi_standalone_start "$backend" "$listen" "$(stack_state_get "srv_${backend}_prefix")" ;;
        spawn-fcgi) spawnfcgi_start "$backend" "$listen" "$(stack_state_get "srv_${backend}_prefix")" ;;
    esac
}

# srv__normprefix PREFIX: "" or "/x/y".
srv__normprefix() {
    local p=${1%/}
    [ -z "$p" ] || [ "${p#/}" != "$p" ] || p="/$p"
    printf '%s\n' "$p"
}

# srv__prepare NAME KIND PORT PREFIX: folder, docapi.conf, state.
srv__prepare() {
    local name=$1 kind=$2 port=$3 prefix=$4 dir
    dir=$(srv_dir "$name")
    mkdir -p "$dir/run"
    chmod 755 "$dir"
    docapi_write_conf "$dir/docapi.conf" "$prefix"
    chmod 644 "$dir/docapi.conf"
    stack_state_set "srv_${name}_kind" "$kind"
    stack_state_set "srv_${name}_port" "$port"
    stack_state_set "srv_${name}_prefix" "$prefix"
}

# srv__supervise NAME LOG CMD...: runs CMD in the background under a small
# bash parent (so its PID has the app as child and stopping it by PID
# forwards SIGTERM), prints the parent's PID.
srv__supervise() {
    local name=$1 log=$2
    shift 2
    (
        trap 'kill -TERM "$c" 2>/dev/null; wait "$c"; exit 0' TERM
        "$@" </dev/null >>"$log" 2>&1 &
        c=$!
        wait "$c"
    ) </dev/null >/dev/null 2>&1 &
    printf '%s\n' "$!"
}

# docapi_standalone_start NAME LISTEN [PREFIX]: docapi.fcgi --listen LISTEN
# --threads $DOCAPI_THREADS (LISTEN: 127.0.0.1:PORT or a socket path).
docapi_standalone_start() {
    local name=$1 listen=$2 prefix
    prefix=$(srv__normprefix "${3-}")
    local fcgi dir pid
    fcgi=$(readlink -f "${DOCAPI_FCGI:-$STACK_BUILD_DIR/cgi/docapi.fcgi}")
    [ -x "$fcgi" ] || { stack_die "FastCGI app not found: $fcgi"; return 1; }
    srv__prepare "$name" standalone "" "$prefix"
    dir=$(srv_dir "$name")
    touch "$dir/app.log"
    stack_log "starting docapi.fcgi '$name' --listen $listen (${DOCAPI_THREADS:-4} threads)"
    pid=$(srv__supervise "$name" "$dir/app.log" env DOCAPI_CONF="$dir/docapi.conf" \
        "$fcgi" --listen "$listen" --threads "${DOCAPI_THREADS:-4}")
    stack_state_set "srv_${name}_pid" "$pid"
    stack_state_set "srv_${name}_applog" "$dir/app.log"
    stack_state_set "srv_${name}_listen" "$listen"
    stack_track_pid "$pid"
    srv__wait_listen "$listen" "$pid" || {
        tail -n 20 "$dir/app.log" >&2
        srv_stop "$name"
        stack_die "docapi.fcgi '$name' did not listen on $listen"
        return 1
    }
}

# spawnfcgi_start NAME SOCKET [PREFIX]: spawn-fcgi -n -s SOCKET (mode 0660,
# group of the web server when root) running docapi.fcgi --threads N; the
# app gets the socket as fd 0, like under a server's own spawner.
spawnfcgi_start() {
    local name=$1 sock=$2 prefix
    prefix=$(srv__normprefix "${3-}")
    local fcgi dir pid
    command -v spawn-fcgi >/dev/null || { stack_die "spawn-fcgi is not installed"; return 1; }
    fcgi=$(readlink -f "${DOCAPI_FCGI:-$STACK_BUILD_DIR/cgi/docapi.fcgi}")
    srv__prepare "$name" spawn-fcgi "" "$prefix"
    dir=$(srv_dir "$name")
    touch "$dir/app.log"
    local own=()
    if [ "$(id -u)" = 0 ]; then
        own=(-G "$(srv__web_group)")
    fi
    stack_log "starting spawn-fcgi '$name' on $sock (${DOCAPI_THREADS:-4} threads)"
    rm -f "$sock"
    pid=$(srv__supervise "$name" "$dir/app.log" env DOCAPI_CONF="$dir/docapi.conf" \
        spawn-fcgi -n -s "$sock" -M 0660 "${own[@]}" -- "$fcgi" --threads "${DOCAPI_THREADS:-4}")
    stack_state_set "srv_${name}_pid" "$pid"
    stack_state_set "srv_${name}_applog" "$dir/app.log"
    stack_state_set "srv_${name}_listen" "$sock"
    stack_track_pid "$pid"
    srv__wait_listen "$sock" "$pid" || {
        tail -n 20 "$dir/app.log" >&2
        srv_stop "$name"
        stack_die "spawn-fcgi '$name' did not listen on $sock"
        return 1
    }
}

# srv__wait_listen ADDR PID: waits for a TCP port (HOST:PORT) or a socket.
srv__wait_listen() {
    local addr=$1 pid=$2 _i
    case $addr in
        /*)
            for _i in $(seq 1 100); do
                [ -S "$addr" ] && return 0
                kill -0 "$pid" 2>/dev/null || return 1
                sleep 0.1
            done
            return 1 ;;
        *) stack_wait_port "${addr##*:}" 10 "$pid" ;;
    esac
}

srv__web_user() { if [ "$(id -u)" = 0 ]; then echo www-data; else id -un; fi; }
srv__web_group() { if [ "$(id -u)" = 0 ]; then echo www-data; else id -gn; fi; }

# ------------------------------------------------------------------ Apache

# srv__apache_site KIND PORT PREFIX FCGI DOCAPI_CONF BACKEND: prints the
# shipped vhost for KIND with paths, port and (for a prefix) mount replaced.
srv__apache_site() {
    local kind=$1 port=$2 prefix=$3 fcgi=$4 conf=$5 backend=$6 file
    case $kind in
        htaccess-*) srv__htaccess_site "${kind#htaccess-}" "$port" "$prefix" "$fcgi" "$conf"; return ;;
        fcgid) file=docapi-fcgid.conf ;;
        proxy) file=docapi-proxy-fcgi.conf ;;
        cgi) file=docapi-cgi.conf ;;
    esac
    file=$SRV_SRC_DIR/conf/apache/$file
    [ -f "$file" ] || { stack_die "missing $file"; return 1; }
    local m=${prefix:-}
    sed -e "s|<VirtualHost \*:80>|<VirtualHost 127.0.0.1:$port>|" \
        -e "s|ServerName api.example.com|ServerName 127.0.0.1|" \
        -e "s|/usr/local/bin/docapi.fcgi|$fcgi|g" \
        -e "s|/usr/local/etc/docapi.conf|$conf|g" \
        -e "s|fcgi://127.0.0.1:9000/|fcgi://$backend/|g" \
        -e "s|\${APACHE_LOG_DIR}/docapi-error.log|$(srv_dir "$SRV_CUR")/error.log|" \
        -e "s|\${APACHE_LOG_DIR}/docapi-access.log combined|$(srv_dir "$SRV_CUR")/access.log common|" \
        -e "s|Alias \"/\" \"$fcgi/\"|Alias \"$m/\" \"$fcgi/\"|" \
        -e "s|<Location \"/\">|<Location \"$m/\">|" \
        -e "s|ProxyPass \"/\" |ProxyPass \"$m/\" |" \
        -e "s|/usr/local/share/docapi/errors|$SRV_SRC_DIR/conf/errors|g" \
        -e "s|FcgidIOTimeout 60|FcgidIOTimeout ${SRV_TIMEOUT:-60}|" \
        -e "s|ProxyTimeout 60|ProxyTimeout ${SRV_TIMEOUT:-60}|" \
        -e "s|CGIScriptTimeout 60|CGIScriptTimeout ${SRV_TIMEOUT:-60}|" \
        -e "s|CGIDScriptTimeout 60|CGIDScriptTimeout ${SRV_TIMEOUT:-60}|" \
        "$file"
}

# srv__htaccess_site BASE PORT PREFIX FCGI DOCAPI_CONF: shared hosting. A
# vhost that only allows overrides, and in its document root the folder
# PREFIX (e.g. /api) laid out as conf/apache/htaccess-BASE says: the shipped
# .htaccess (paths replaced), the wrapper (fcgid) or the program (cgi), and
# errors/ with the JSON error files.
srv__htaccess_site() {
    local base=$1 port=$2 prefix=$3 fcgi=$4 conf=$5 dir www
    dir=$(srv_dir "$SRV_CUR")
    www=$dir/www$prefix
    mkdir -p "$www/errors"
    chmod -R 755 "$dir/www"
    cp "$SRV_SRC_DIR"/conf/errors/*.json "$www/errors/"
    chmod 644 "$www"/errors/*.json
    sed -e "s|/home/USER/docapi/docapi.conf|$conf|g" \
        -e "s|/api/errors/|$prefix/errors/|g" \
        "$SRV_SRC_DIR/conf/apache/htaccess-$base" >"$www/.htaccess"
    chmod 644 "$www/.htaccess"
    if [ "$base" = fcgid ]; then
        printf '#!/bin/sh\nDOCAPI_CONF=%s; export DOCAPI_CONF\nexec %s\n' "$conf" "$fcgi" >"$www/docapi.fcgi"
        chmod 755 "$www/docapi.fcgi"
    else
        printf '#!/bin/sh\nexec %s\n' "$fcgi" >"$www/docapi.cgi"
        chmod 755 "$www/docapi.cgi"
    fi
    cat <<EOF
<VirtualHost 127.0.0.1:$port>
    ServerName 127.0.0.1
    DocumentRoot "$dir/www"
    <Directory "$dir/www">
        AllowOverride FileInfo AuthConfig Options
        Require all granted
    </Directory>
</VirtualHost>
EOF
}

# apache_start KIND [NAME] [PORT] [MOUNT_PREFIX]: KIND fcgid|proxy|cgi, or
# htaccess-fcgid|htaccess-cgi (mounted at MOUNT_PREFIX, default /api).
# proxy also starts its backend (docapi_standalone_start NAME-backend).
apache_start() {
    local kind=$1 name=${2:-$1} port=${3:-} prefix
    prefix=$(srv__normprefix "${4-}")
    case $kind in htaccess-*) prefix=${prefix:-/api} ;; esac
    command -v apache2 >/dev/null || { stack_die "apache2 is not installed"; return 1; }
    local moddir=${SRV_APACHE_MODDIR:-/usr/lib/apache2/modules}
    local fcgi dir backend="" mods
    fcgi=$(readlink -f "${DOCAPI_FCGI:-$STACK_BUILD_DIR/cgi/docapi.fcgi}")
    [ -x "$fcgi" ] || { stack_die "FastCGI app not found: $fcgi"; return 1; }
    [ -n "$port" ] || port=$(stack_free_port) || return 1
    srv__prepare "$name" "apache-$kind" "$port" "$prefix"
    dir=$(srv_dir "$name")
    if [ "${SRV_DEAD_BACKEND:-0}" = 1 ] && [ "$kind" != proxy ]; then
        # tests: an app that fails before it answers (proxy: the test stops
        # the backend instead). CGI: a program that exits. mod_fcgid: one
        # that accepts each connection and closes it (a program that exits
        # at once only makes mod_fcgid respawn and throttle, and the
        # request waits)
        case $kind in
            *fcgid)
                printf '#!/usr/bin/python3\nimport socket\ns = socket.socket(fileno=0)\nwhile True:\n    s.accept()[0].close()\n' >"$dir/dead.fcgi" ;;
            *) printf '#!/bin/sh\nexit 1\n' >"$dir/dead.fcgi" ;;
        esac
        chmod 755 "$dir/dead.fcgi"
        fcgi=$dir/dead.fcgi
    fi
    case $kind in
        fcgid) mods="fcgid" ;;
        proxy)
            mods="proxy proxy_fcgi"
            local bport
            bport=$(stack_free_port) || return 1
            backend=127.0.0.1:$bport
            docapi_standalone_start "$name-backend" "$backend" "$prefix" || return 1
            stack_state_set "srv_${name}_backend" "$name-backend" ;;
        cgi | htaccess-cgi) mods="cgid" ;;
        htaccess-fcgid) mods="fcgid" ;;
        *) stack_die "apache_start: unknown kind '$kind'"; return 1 ;;
    esac
    local user=""
    if [ "$(id -u)" = 0 ]; then
        user="User $(srv__web_user)
Group $(srv__web_group)"
        # the app runs as the web server's user: let it write its run dir
        chown "$(srv__web_user)" "$dir/run"
    fi
    mkdir -p "$dir/run/fcgid"
    [ "$(id -u)" != 0 ] || chown "$(srv__web_user)" "$dir/run/fcgid"
    local m loads=""
    for m in mpm_${SRV_APACHE_MPM:-event} authz_core mime alias rewrite setenvif env headers unique_id $mods; do
        loads="${loads}LoadModule ${m}_module $moddir/mod_$m.so
"
    done
    SRV_CUR=$name
    srv__apache_site "$kind" "$port" "$prefix" "$fcgi" "$dir/docapi.conf" "$backend" \
        >"$dir/site.conf" || return 1
    if [ "$kind" = fcgid ]; then
        # tests: processes per class and (for the recycling test) requests
        sed -i -e "s|FcgidMaxProcessesPerClass 8|FcgidMaxProcessesPerClass ${DOCAPI_PROCS:-4}|" \
            "$dir/site.conf"
        if [ -n "${SRV_FCGID_MAX_REQUESTS:-}" ]; then
            sed -i -e "s|FcgidMaxRequestsPerProcess 10000|FcgidMaxRequestsPerProcess $SRV_FCGID_MAX_REQUESTS|" \
                "$dir/site.conf"
        fi
    fi
    cat >"$dir/apache2.conf" <<EOF
# generated by scripts/servers.sh: a private Apache around the shipped vhost
ServerRoot "$dir"
DefaultRuntimeDir "$dir/run"
PidFile "$dir/run/apache2.pid"
ErrorLog "$dir/error.log"
LogLevel warn
Mutex file:$dir/run default
ServerName 127.0.0.1
Listen 127.0.0.1:$port
$user
${loads}
TypesConfig /etc/mime.types
LogFormat "%h %l %u %t \"%r\" %>s %b %D" common
CustomLog "$dir/access.log" common
StartServers 1
MinSpareThreads 10
MaxSpareThreads 50
ServerLimit 2
ThreadsPerChild 25
MaxRequestWorkers 50
Timeout 60
GracefulShutdownTimeout 30
# mod_fcgid and mod_cgid keep their sockets here (server-wide directives)
<IfModule fcgid_module>
    FcgidIPCDir "$dir/run/fcgid"
    FcgidProcessTableFile "$dir/run/fcgid_shm"
</IfModule>
<IfModule cgid_module>
    ScriptSock "$dir/run/cgisock"
</IfModule>
<Directory />
    AllowOverride None
    Require all denied
</Directory>
Include "$dir/site.conf"
EOF
    apache2 -t -f "$dir/apache2.conf" >"$dir/configtest.log" 2>&1 || {
        cat "$dir/configtest.log" >&2
        stack_die "apache2 rejected $dir/apache2.conf"
        return 1
    }
    : >"$dir/error.log"
    stack_log "starting Apache '$name' ($kind) on 127.0.0.1:$port (mount '${prefix:-/}')"
    apache2 -f "$dir/apache2.conf" -DFOREGROUND </dev/null >>"$dir/stdout.log" 2>&1 &
    local pid=$!
    stack_state_set "srv_${name}_pid" "$pid"
    if [ "$kind" = proxy ]; then
        stack_state_set "srv_${name}_applog" "$(srv_app_log "$name-backend")"
    else
        stack_state_set "srv_${name}_applog" "$dir/error.log"
    fi
    stack_track_pid "$pid"
    if ! stack_wait_port "$port" 15 "$pid"; then
        tail -n 20 "$dir/error.log" "$dir/stdout.log" >&2 2>/dev/null
        srv_stop "$name"
        stack_die "Apache '$name' did not come up"
        return 1
    fi
}

# apache_graceful NAME: graceful restart (SIGUSR1): requests in flight finish.
apache_graceful() { kill -USR1 "$(srv_pid "$1")"; }

# ------------------------------------------------------------------- nginx

# nginx_start [NAME] [PORT] [MOUNT_PREFIX]: nginx with the shipped
# conf/nginx/docapi.conf in front of spawnfcgi_start NAME-backend on a unix
# socket in the temp folder.
nginx_start() {
    local name=${1:-nginx} port=${2:-} prefix
    prefix=$(srv__normprefix "${3-}")
    command -v nginx >/dev/null || { stack_die "nginx is not installed"; return 1; }
    local dir sock file=$SRV_SRC_DIR/conf/nginx/docapi.conf
    [ -f "$file" ] || { stack_die "missing $file"; return 1; }
    [ -n "$port" ] || port=$(stack_free_port) || return 1
    srv__prepare "$name" nginx "$port" "$prefix"
    dir=$(srv_dir "$name")
    sock=$dir/run/docapi.sock
    spawnfcgi_start "$name-backend" "$sock" "$prefix" || return 1
    stack_state_set "srv_${name}_backend" "$name-backend"
    mkdir -p "$dir/tmp"
    local user=""
    if [ "$(id -u)" = 0 ]; then
        user="user $(srv__web_user) $(srv__web_group);"
        chown "$(srv__web_user)" "$dir/tmp"
    fi
    sed -e "s|listen 80;|listen 127.0.0.1:$port;|" \
        -e "s|server_name api.example.com;|server_name 127.0.0.1;|" \
        -e "s|include fastcgi_params;|include /etc/nginx/fastcgi_params;|" \
        -e "s|unix:/run/docapi/docapi.sock|unix:$sock|" \
        -e "s|location / {|location ${prefix:-}/ {|" \
        -e "s|/usr/local/share/docapi/errors/|$SRV_SRC_DIR/conf/errors/|g" \
        -e "s|fastcgi_read_timeout 60s;|fastcgi_read_timeout ${SRV_TIMEOUT:-60}s;|" \
        "$file" >"$dir/site.conf"
    cat >"$dir/nginx.conf" <<EOF
# generated by scripts/servers.sh: a private nginx around the shipped server
$user
worker_processes 1;
pid $dir/run/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path     $dir/tmp/fastcgi;
    proxy_temp_path       $dir/tmp/proxy;
    uwsgi_temp_path       $dir/tmp/uwsgi;
    scgi_temp_path        $dir/tmp/scgi;
    include $dir/site.conf;
}
EOF
    nginx -t -q -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log" >"$dir/configtest.log" 2>&1 || {
        cat "$dir/configtest.log" >&2
        stack_die "nginx rejected $dir/nginx.conf"
        return 1
    }
    stack_log "starting nginx '$name' on 127.0.0.1:$port (mount '${prefix:-/}')"
    nginx -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log" -g 'daemon off;' \
        </dev/null >>"$dir/stdout.log" 2>&1 &
    local pid=$!
    stack_state_set "srv_${name}_pid" "$pid"
    stack_state_set "srv_${name}_applog" "$(srv_app_log "$name-backend")"
    stack_track_pid "$pid"
    if ! stack_wait_port "$port" 15 "$pid"; then
        tail -n 20 "$dir/error.log" "$dir/stdout.log" >&2 2>/dev/null
        srv_stop "$name"
        stack_die "nginx '$name' did not come up"
        return 1
    fi
}

# nginx_reload NAME: SIGHUP (new workers; old ones finish their requests).
nginx_reload() { kill -HUP "$(srv_pid "$1")"; }

# ---------------------------------------------------------------- lighttpd

# lighttpd_conf_start NAME [PORT]: lighttpd running the shipped
# conf/lighttpd/docapi.conf (paths replaced) inside a minimal main config.
# (stack.sh's lighttpd_start generates its own config instead.)
lighttpd_conf_start() {
    local name=$1 port=${2:-} dir fcgi file=$SRV_SRC_DIR/conf/lighttpd/docapi.conf
    command -v lighttpd >/dev/null || { stack_die "lighttpd is not installed"; return 1; }
    [ -f "$file" ] || { stack_die "missing $file"; return 1; }
    fcgi=$(readlink -f "${DOCAPI_FCGI:-$STACK_BUILD_DIR/cgi/docapi.fcgi}")
    [ -n "$port" ] || port=$(stack_free_port) || return 1
    srv__prepare "$name" lighttpd-conf "$port" ""
    dir=$(srv_dir "$name")
    mkdir -p "$dir/www" "$dir/upload"
    touch "$dir/app.log"
    sed -e "s|/usr/local/bin/docapi.fcgi|$fcgi|g" \
        -e "s|/usr/local/etc/docapi.conf|$dir/docapi.conf|g" \
        -e "s|/run/lighttpd/docapi.sock|$dir/run/docapi.sock|g" \
        -e "s|/var/log/lighttpd/docapi.log|$dir/app.log|g" \
        -e "s|/usr/local/share/docapi/errors/|$SRV_SRC_DIR/conf/errors/|g" \
        -e "s|\"read-timeout\" => 60,|\"read-timeout\" => ${SRV_TIMEOUT:-60},|" \
        "$file" >"$dir/site.conf"
    if [ "${SRV_DEAD_BACKEND:-0}" = 1 ]; then
        # tests: no app behind the socket (lighttpd does not spawn one)
        sed -i -e '/"bin-path"/d' "$dir/site.conf"
    fi
    {
        echo "# generated by scripts/servers.sh: a private lighttpd around the shipped file"
        echo "server.bind          = \"127.0.0.1\""
        echo "server.port          = $port"
        echo "server.document-root = \"$dir/www\""
        echo "server.upload-dirs   = ( \"$dir/upload\" )"
        echo "server.errorlog      = \"$dir/error.log\""
        echo "server.modules       = ( \"mod_accesslog\" )"
        echo "accesslog.filename   = \"$dir/access.log\""
        echo "include \"$dir/site.conf\""
    } >"$dir/lighttpd.conf"
    lighttpd -tt -f "$dir/lighttpd.conf" >"$dir/configtest.log" 2>&1 || {
        cat "$dir/configtest.log" >&2
        stack_die "lighttpd rejected $dir/lighttpd.conf"
        return 1
    }
    stack_log "starting lighttpd '$name' (shipped config) on 127.0.0.1:$port"
    lighttpd -D -f "$dir/lighttpd.conf" </dev/null >>"$dir/stdout.log" 2>&1 &
    local pid=$!
    stack_state_set "srv_${name}_pid" "$pid"
    stack_state_set "srv_${name}_applog" "$dir/app.log"
    stack_track_pid "$pid"
    if ! stack_wait_port "$port" 15 "$pid"; then
        tail -n 20 "$dir/error.log" "$dir/stdout.log" >&2 2>/dev/null
        srv_stop "$name"
        stack_die "lighttpd '$name' did not come up"
        return 1
    fi
}

# ------------------------------------------------------------------ common

# srv_start KIND NAME [PORT] [MOUNT_PREFIX]
srv_start() {
    local kind=$1 name=${2:-$1}
    shift 2 || shift $#
    case $kind in
        fcgid | proxy | cgi | htaccess-fcgid | htaccess-cgi) apache_start "$kind" "$name" "$@" ;;
        nginx) nginx_start "$name" "$@" ;;
        lighttpd-conf) lighttpd_conf_start "$name" "$@" ;;
        lighttpd)
            lighttpd_start "$name" "${1:-}" "${2-}" || return 1
            stack_state_set "srv_${name}_kind" lighttpd
            stack_state_set "srv_${name}_port" "$(lighttpd_port "$name")"
            stack_state_set "srv_${name}_prefix" "$(stack_state_get "lighttpd_${name}_prefix")"
            stack_state_set "srv_${name}_pid" "$(lighttpd_pid "$name")"
            stack_state_set "srv_${name}_applog" "$STACK_TMP/lighttpd-$name/app.log" ;;
        *) stack_die "srv_start: unknown kind '$kind'"; return 1 ;;
    esac
}

# srv_stop NAME: stops the server by PID (SIGTERM; Apache and nginx then
# stop their children), then any of its descendants still alive, then its
# backend (proxy, nginx).
srv_stop() {
    local name=$1 pid kind rest p backend
    kind=$(srv_kind "$name")
    if [ "$kind" = lighttpd ]; then
        lighttpd_stop "$name"
        rm -f "$STACK_TMP/state/srv_${name}_pid"
        return 0
    fi
    pid=$(srv_pid "$name")
    if [ -n "$pid" ]; then
        rest=$(srv__descendants "$pid")
        stack_log "stopping '$name' (pid $pid)"
        stack_kill "$pid" 15 TERM
        for p in $rest; do
            stack_kill "$p" 5 TERM
        done
        stack_untrack_pid "$pid"
        rm -f "$STACK_TMP/state/srv_${name}_pid"
    fi
    backend=$(stack_state_get "srv_${name}_backend")
    if [ -n "$backend" ]; then
        srv_stop "$backend"
    fi
}

# srv_stop_all: every server started through this file.
srv_stop_all() {
    local f n
    for f in "$STACK_TMP"/state/srv_*_pid; do
        [ -f "$f" ] || continue
        n=${f##*/srv_}
        srv_stop "${n%_pid}"
    done
}

# Run as a command: scripts/servers.sh STACK_TMP FUNCTION [ARGS...]
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    [ $# -ge 2 ] || {
        echo "usage: $0 STACK_TMP FUNCTION [ARGS...]  (e.g. srv_worker_pids NAME)" >&2
        exit 2
    }
    stack_attach "$1" || exit 1
    shift
    case $1 in
        srv_pid | srv_port | srv_url | srv_kind | srv_app_log | srv_worker_pids | srv_stop | srv_backend_restart | \
            apache_graceful | nginx_reload | pg_start | pg_stop) ;;
        *) echo "servers.sh: unknown function $1" >&2; exit 2 ;;
    esac
    "$@"
fi
