#!/bin/bash
set -euo pipefail
if [[ "${1:-}" == "--config" ]]; then
  echo '{"configVersion":"v1","beforeAll":10,"afterAll":10}'
  exit 0
fi
binding=$(jq -r '.[0].binding' "$BINDING_CONTEXT_PATH")
cat > "$VALUES_JSON_PATCH_PATH" <<PATCH
[{"op":"add","path":"/global/discovery/lastGlobalBinding","value":"$binding"},
 {"op":"add","path":"/echoServerEnabled","value":true}]
PATCH
