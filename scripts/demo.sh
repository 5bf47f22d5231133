#!/usr/bin/env bash
# "make run": a demo deployment of SIP domain contoso.com with users
# alice@contoso.com and bob@contoso.com, served by Debian's nginx with our
# module on 127.0.0.1:8080 (HTTP) and 127.0.0.1:8443 (HTTPS, with a local
# CA), its store and files under ./demo.  Runs in the foreground.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
demo=${MOBILITY_DEMO_DIR:-$top/demo}
module=${MOBILITY_MODULE:-$top/build/nginx/ngx_mobility_module.so}
ctl=${MOBILITYCTL:-$top/build/mobilityctl}
password='Passw0rd!'

mkdir -p "$demo/logs" "$demo/tls"

# a local CA and a server certificate for the lyncdiscover names

if [ ! -f "$demo/tls/server.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 \
        -subj "/CN=Mobility demo CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$demo/tls/ca.key" -out "$demo/tls/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=lyncdiscover.contoso.com" \
        -keyout "$demo/tls/server.key" -out "$demo/tls/server.csr" \
        2>/dev/null
    printf '%s\n' \
        "subjectAltName=DNS:lyncdiscover.contoso.com,DNS:lyncdiscoverinternal.contoso.com,IP:127.0.0.1,DNS:localhost" \
        "extendedKeyUsage=serverAuth" > "$demo/tls/server.ext"
    openssl x509 -req -in "$demo/tls/server.csr" -CA "$demo/tls/ca.pem" \
        -CAkey "$demo/tls/ca.key" -CAcreateserial -days 825 \
        -extfile "$demo/tls/server.ext" -out "$demo/tls/server.pem" \
        2>/dev/null
fi

# the directory

export MOBILITY_STORE="$demo/store"

"$ctl" store init >/dev/null
"$ctl" domain list | grep -qx contoso.com || "$ctl" domain add contoso.com

for u in "alice:Alice Smith" "bob:Bob Jones"; do
    sip="${u%%:*}@contoso.com"
    if ! "$ctl" user show "$sip" >/dev/null 2>&1; then
        printf '%s\n' "$password" | "$ctl" user add "$sip" \
            --name "${u#*:}" --email "$sip" --password-stdin
    fi
done

sed -e "s|@DEMO@|$demo|g" -e "s|@MODULE@|$module|g" \
    "$top/conf/demo.conf" > "$demo/nginx.conf"

/usr/sbin/nginx -t -q -p "$demo" -c "$demo/nginx.conf"

cat <<TXT

Mobility demo
  SIP domain    contoso.com
  users         alice@contoso.com, bob@contoso.com   password: $password
  HTTP          http://127.0.0.1:8080/
  HTTPS         https://127.0.0.1:8443/
  CA            $demo/tls/ca.pem
  store         $demo/store
  try           curl --cacert $demo/tls/ca.pem -H 'Host: lyncdiscover.contoso.com' https://127.0.0.1:8443/

Starting nginx in the foreground (Ctrl-C stops it).
TXT

exec /usr/sbin/nginx -p "$demo" -c "$demo/nginx.conf" -g 'daemon off;'
