#!/bin/bash
set -euo pipefail
if [[ "${1:-}" == "--config" ]]; then
  cat <<'CONFIG'
configVersion: v1
kubernetesMutating:
- name: ingress-class.echo.deckhouse.io
  rules:
  - {apiGroups: [networking.k8s.io], apiVersions: [v1], operations: [CREATE], resources: [ingresses]}
CONFIG
  exit 0
fi
patch=$(echo '[{"op":"add","path":"/spec/ingressClassName","value":"nginx"}]' | base64 -w0)
echo "{\"allowed\": true, \"patch\": \"$patch\"}" > "$VALIDATING_RESPONSE_PATH"
