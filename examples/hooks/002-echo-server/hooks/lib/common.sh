#!/bin/bash
# Shared helpers; lib/ is skipped by discovery even though this is executable.
values_patch() { echo "$1" >> "$VALUES_JSON_PATCH_PATH"; }
