#!/bin/bash
set -euo pipefail
if [[ "${1:-}" == "--config" ]]; then
  cat <<'CONFIG'
configVersion: v1
kubernetes:
- name: pods
  apiVersion: v1
  kind: Pod
  namespace: {nameSelector: {matchNames: [d8-echo]}}
  labelSelector: {matchLabels: {app: echo}}
  jqFilter: '{name: .metadata.name, ready: (.status.phase == "Running")}'
  keepFullObjectsInMemory: false
- name: nodes
  kind: Node
  jqFilter: .metadata.name
  group: inventory
  executeHookOnEvent: []
schedule:
- name: recount
  crontab: "*/10 * * * * *"
  group: inventory
settings: {executionMinInterval: 1s, executionBurst: 1}
CONFIG
  exit 0
fi
# Handles arrays of mixed contexts (combined runs): the last word wins.
ready=$(jq '[.[] | if .type == "Synchronization" then .objects[] | .filterResult
                   elif .type == "Event" and .watchEvent != "Deleted" then .filterResult
                   else empty end | select(.ready)] | length' "$BINDING_CONTEXT_PATH")
groups=$(jq '[.[] | select(.type == "Group")] | length' "$BINDING_CONTEXT_PATH")
if [[ "$groups" != "0" ]]; then
  nodes=$(jq '.[-1].snapshots.nodes | length' "$BINDING_CONTEXT_PATH")
  echo "{\"op\":\"add\",\"path\":\"/echoServer/internal/nodes\",\"value\":$nodes}" >> "$VALUES_JSON_PATCH_PATH"
else
  echo "{\"op\":\"add\",\"path\":\"/echoServer/internal/readyPods\",\"value\":$ready}" >> "$VALUES_JSON_PATCH_PATH"
fi
