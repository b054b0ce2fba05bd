#!/bin/sh
# CI stand-in for the official nginx image's entrypoint, on Debian's nginx: every
# /etc/nginx/templates/*.template becomes /etc/nginx/conf.d/* with the environment's
# variables substituted (only those that are set, so nginx's own $variables survive).
set -eu
if [ -d /etc/nginx/templates ]; then
  defined=$(env | cut -d= -f1 | sed 's/^/$/' | tr '\n' ' ')
  for template in /etc/nginx/templates/*.template; do
    [ -f "$template" ] || continue
    out=/etc/nginx/conf.d/$(basename "$template" .template)
    envsubst "$defined" <"$template" >"$out"
    echo "stand-in nginx: $template -> $out"
  done
fi
exec "$@"
