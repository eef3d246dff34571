{{- define "tpl.name" -}}{{ .Chart.Name }}-{{ .Release.Name }}{{- end -}}
{{- define "tpl.count" -}}
{{- if gt (int .n) 0 -}}{{ .n }},{{ include "tpl.count" (dict "n" (sub (int .n) 1)) }}{{- end -}}
{{- end -}}
