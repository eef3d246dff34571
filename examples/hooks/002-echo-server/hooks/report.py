#!/usr/bin/env python3
"""schedule with includeSnapshotsFrom: report pods as metrics, label the namespace."""
import json
import os
import sys

CONFIG = {
    "configVersion": "v1",
    "kubernetes": [
        {
            "name": "echo_pods",
            "kind": "Pod",
            "jqFilter": ".metadata.name",
            "executeHookOnEvent": ["Added", "Deleted"],
            "executeHookOnSynchronization": False,
            "queue": "reports",
            "waitForSynchronization": False,
            "allowFailure": True,
        }
    ],
    "schedule": [
        {"name": "every-minute", "crontab": "* * * * *", "includeSnapshotsFrom": ["echo_pods"], "queue": "reports"}
    ],
}

if len(sys.argv) > 1 and sys.argv[1] == "--config":
    print(json.dumps(CONFIG))
    sys.exit(0)

with open(os.environ["BINDING_CONTEXT_PATH"]) as f:
    contexts = json.load(f)
ctx = contexts[-1]
pods = ctx.get("snapshots", {}).get("echo_pods", [])
with open(os.environ["METRICS_PATH"], "a") as m:
    m.write(json.dumps({"group": "echo_report", "action": "expire"}) + "\n")
    for item in pods:
        m.write(json.dumps({"name": "echo_pod_present", "group": "echo_report", "action": "set",
                            "value": 1, "labels": {"pod": item["filterResult"]}}) + "\n")
with open(os.environ["KUBERNETES_PATCH_PATH"], "a") as k:
    k.write(json.dumps({"operation": "MergePatch", "apiVersion": "v1", "kind": "Namespace", "name": "d8-echo",
                        "mergePatch": {"metadata": {"labels": {"echo-pods": str(len(pods))}}}}) + "\n")
print(json.dumps({"level": "info", "msg": "reported", "pods": len(pods)}), file=sys.stderr)
