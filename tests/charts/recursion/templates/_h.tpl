{{- define "loop" -}}{{ include "loop" . }}{{- end -}}
{{- define "down" -}}{{ if gt (int .) 0 }}{{ include "down" (sub (int .) 1) }}{{ end }}{{ . }}{{- end -}}
