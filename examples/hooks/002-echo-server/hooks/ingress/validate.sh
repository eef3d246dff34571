#!/bin/bash
set -euo pipefail
if [[ "${1:-}" == "--config" ]]; then
  cat <<'CONFIG'
configVersion: v1
kubernetesValidating:
- name: ingress-policy.echo.deckhouse.io
  rules:
  - {apiGroups: [networking.k8s.io], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [ingresses], scope: Namespaced}
  failurePolicy: Fail
  timeoutSeconds: 5
CONFIG
  exit 0
fi
host=$(jq -r '.[0].review.request.object.spec.rules[0].host // ""' "$BINDING_CONTEXT_PATH")
if [[ "$host" == *.example.com ]]; then
  echo '{"allowed": true}' > "$VALIDATING_RESPONSE_PATH"
else
  jq -n -c --arg h "$host" '{allowed: false, message: ("host " + $h + " is not under example.com")}' > "$VALIDATING_RESPONSE_PATH"
fi
