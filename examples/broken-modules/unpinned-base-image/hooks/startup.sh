#!/usr/bin/env bash
# Records when the module started, in internal values.
set -euo pipefail
if [ "${1:-}" = "--config" ]; then
  echo '{"configVersion":"v1","onStartup":10}'
  exit 0
fi
printf '[{"op":"add","path":"/echoServer/internal/startedAt","value":"%s"}]\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$VALUES_JSON_PATCH_PATH"
