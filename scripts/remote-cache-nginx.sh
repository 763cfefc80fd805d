#!/usr/bin/env bash
# Serves an Earshot remote cache (Bazel HTTP-cache layout: /cas/<sha256>, /ac/<key>) with nginx + WebDAV PUT,
# in the foreground, for tests, benchmarks and trying `--remote` out locally.
#   bash scripts/remote-cache-nginx.sh PORT DIR     serves DIR/data on http://127.0.0.1:PORT/ until killed
# DIR gets nginx.conf, logs and temp folders. Needs nginx with the http_dav_module (Debian: nginx-light or nginx).
# REMOTE_AUTH=user:password requires HTTP Basic auth (as a netrc entry supplies it).
set -euo pipefail
PORT=${1:?usage: remote-cache-nginx.sh PORT DIR}
DIR=$(mkdir -p "${2:?usage: remote-cache-nginx.sh PORT DIR}" && cd "$2" && pwd)
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
mkdir -p "$DIR/data" "$DIR/tmp"
AUTH=""
if [[ -n "${REMOTE_AUTH:-}" ]]; then
  printf '%s:{PLAIN}%s\n' "${REMOTE_AUTH%%:*}" "${REMOTE_AUTH#*:}" > "$DIR/htpasswd"
  AUTH="auth_basic earshot; auth_basic_user_file $DIR/htpasswd;"
fi
USER_LINE=""
# As root, nginx's workers would switch to 'nobody' and could not write DIR/data.
[[ $(id -u) -eq 0 ]] && USER_LINE="user root root;"
cat > "$DIR/nginx.conf" <<CONF
$USER_LINE
daemon off;
worker_processes 2;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $DIR/tmp/body;
    proxy_temp_path $DIR/tmp/proxy;
    fastcgi_temp_path $DIR/tmp/fastcgi;
    uwsgi_temp_path $DIR/tmp/uwsgi;
    scgi_temp_path $DIR/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $DIR/data;
        client_max_body_size 0;          # objects can be large
        client_body_buffer_size 1m;
        location / {
            $AUTH
            dav_methods PUT DELETE;        # PUT /cas/<sha256>, PUT /ac/<key>
            create_full_put_path on;       # creates cas/ and ac/ on first upload
            dav_access user:rw group:rw all:r;
        }
    }
}
CONF
exec "$NGINX" -c "$DIR/nginx.conf" -p "$DIR"
