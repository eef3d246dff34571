{{- define "shared.name" -}}sub{{- end -}}
{{- define "sub.only" -}}subonly{{- end -}}
