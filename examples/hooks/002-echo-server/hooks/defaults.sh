#!/bin/bash
set -euo pipefail
if [[ "${1:-}" == "--config" ]]; then
  cat <<'CONFIG'
configVersion: v1
beforeHelm: 5
afterHelm: 5
beforeDeleteHelm: 5
afterDeleteHelm: 5
CONFIG
  exit 0
fi
binding=$(jq -r '.[0].binding' "$BINDING_CONTEXT_PATH")
replicas=$(jq '.echoServer.replicas // 1' "$CONFIG_VALUES_PATH")
jq -c -n --arg b "$binding" --argjson r "$replicas" \
  '[{op:"add",path:"/echoServer/internal/lastBinding",value:$b},
    {op:"add",path:"/echoServer/internal/replicas",value:$r}]' > "$VALUES_JSON_PATCH_PATH"
if [[ "$binding" == "beforeHelm" ]]; then
  # Generated once, persisted in the config (as generated passwords are).
  if [[ "$(jq -r '.echoServer.token // ""' "$CONFIG_VALUES_PATH")" == "" ]]; then
    echo '{"op":"add","path":"/echoServer/token","value":"generated"}' > "$CONFIG_VALUES_JSON_PATCH_PATH"
  fi
fi
echo "{\"level\":\"info\",\"msg\":\"defaults applied\",\"binding\":\"$binding\"}" >&2
