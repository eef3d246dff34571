#!/usr/bin/env python3
"""kubernetesCustomResourceConversion: echoes.v1alpha1 -> v1 renames spec.size to spec.replicas."""
import json
import os
import sys

if len(sys.argv) > 1 and sys.argv[1] == "--config":
    print(json.dumps({
        "configVersion": "v1",
        "kubernetesCustomResourceConversion": [{
            "name": "echo-conversion",
            "crdName": "echoes.deckhouse.io",
            "conversions": [{"fromVersion": "deckhouse.io/v1alpha1", "toVersion": "deckhouse.io/v1"}],
        }],
    }))
    sys.exit(0)

with open(os.environ["BINDING_CONTEXT_PATH"]) as f:
    ctx = json.load(f)[0]
converted = []
for obj in ctx["review"]["request"]["objects"]:
    obj = dict(obj)
    obj["apiVersion"] = ctx["toVersion"]
    spec = dict(obj.get("spec", {}))
    if "size" in spec:
        spec["replicas"] = spec.pop("size")
    obj["spec"] = spec
    converted.append(obj)
with open(os.environ["CONVERSION_RESPONSE_PATH"], "w") as f:
    json.dump({"convertedObjects": converted}, f)
