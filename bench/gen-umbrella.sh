#!/usr/bin/env bash
# Generate an umbrella chart with N subcharts (default 50) whose templates
# lean on `include` and `tpl`, to measure template-engine throughput.
# Usage: bench/gen-umbrella.sh OUT_DIR [N]
set -euo pipefail
out=${1:?usage: gen-umbrella.sh OUT_DIR [N]}
n=${2:-50}
rm -rf "$out"
mkdir -p "$out/templates" "$out/charts"
{
  echo "apiVersion: v2"
  echo "name: umbrella"
  echo "version: 1.0.0"
  echo "dependencies:"
  for i in $(seq 1 "$n"); do
    printf -- "- name: sub%d\n  version: 1.0.0\n" "$i"
  done
} > "$out/Chart.yaml"
cat > "$out/values.yaml" <<'V'
global:
  domain: example.com
  labels: {team: platform, tier: backend}
V
cat > "$out/templates/_helpers.tpl" <<'T'
{{- define "umbrella.labels" -}}
{{- range $k, $v := .Values.global.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}
T
for i in $(seq 1 "$n"); do
  d="$out/charts/sub$i"
  mkdir -p "$d/templates"
  printf 'apiVersion: v2\nname: sub%d\nversion: 1.0.0\n' "$i" > "$d/Chart.yaml"
  cat > "$d/values.yaml" <<V
replicas: $i
host: "{{ .Chart.Name }}.{{ .Values.global.domain }}"
annotations:
  note: "{{ .Release.Name }}-{{ .Chart.Name }}-{{ .Values.replicas }}"
items: [a, b, c, d, e, f, g, h]
V
  cat > "$d/templates/_helpers.tpl" <<T
{{- define "sub$i.fullname" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}
{{- define "sub$i.labels" -}}
app: {{ include "sub$i.fullname" . }}
chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- range \$k, \$v := .Values.global.labels }}
{{ \$k }}: {{ \$v | quote }}
{{- end }}
{{- end -}}
T
  for kind in deployment service configmap; do
    cat > "$d/templates/$kind.yaml" <<T
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "sub$i.fullname" . }}-$kind
  labels:
    {{- include "sub$i.labels" . | nindent 4 }}
  annotations:
    {{- range \$k, \$v := .Values.annotations }}
    {{ \$k }}: {{ tpl \$v \$ | quote }}
    {{- end }}
data:
  host: {{ tpl .Values.host . | quote }}
  {{- range \$i, \$item := .Values.items }}
  item-{{ \$i }}: {{ tpl "{{ .Release.Name }}-{{ .Chart.Name }}" \$ }}-{{ \$item }}
  {{- end }}
T
  done
done
echo "generated $out with $n subcharts"
