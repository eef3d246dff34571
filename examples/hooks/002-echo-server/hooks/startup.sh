#!/bin/bash
set -euo pipefail
if [[ "${1:-}" == "--config" ]]; then
  echo '{"configVersion":"v1","onStartup":10}'
  exit 0
fi
source "$(dirname "$0")/lib/common.sh"
echo '{"name":"echo_startup_runs_total","action":"add","value":1}' >> "$METRICS_PATH"
values_patch '{"op":"add","path":"/echoServer/internal/startedBy","value":"onStartup"}'
echo "started"
