// The Go peer of benches/template.rs: the same helpers, deployment template,
// functions and values, parsed and executed by Go's text/template.
// Run: cd crates/gotmpl/benches/go_peer && go run main.go
// (compare with: cargo bench -p gotmpl --bench template)
package main

import (
	"fmt"
	"strings"
	"testing"
	"text/template"
)

const helpers = `
{{/* Expand the name of the chart. */}}
{{- define "app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "app.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "app.labels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
`
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "app.labels" . | nindent 6 }}
  template:
    spec:
      containers:
      {{- range $i, $c := .Values.containers }}
        - name: {{ $c.name }}
          image: "{{ $c.image.repository }}:{{ $c.image.tag | default $.Chart.AppVersion }}"
          {{- with $c.ports }}
          ports:
            {{- range . }}
            - name: {{ .name }}
              containerPort: {{ .port }}
              protocol: {{ .protocol | default "TCP" }}
            {{- end }}
          {{- end }}
          env:
            {{- range $k, $v := $c.env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
      {{- end }}
`

func values() map[string]interface{} {
	containers := []interface{}{}
	for i := 0; i < 5; i++ {
		containers = append(containers, map[string]interface{}{
			"name":  fmt.Sprintf("c%d", i),
			"image": map[string]interface{}{"repository": "registry.example.com/app", "tag": nil},
			"ports": []interface{}{map[string]interface{}{"name": "http", "port": 8080 + i}, map[string]interface{}{"name": "metrics", "port": 9090, "protocol": "TCP"}},
			"env":   map[string]interface{}{"LOG_LEVEL": "info", "MODE": "prod", "REPLICA": fmt.Sprint(i), "REGION": "eu-1"},
		})
	}
	return map[string]interface{}{
		"Chart":   map[string]interface{}{"Name": "app", "AppVersion": "1.2.3"},
		"Release": map[string]interface{}{"Name": "rel", "Service": "Helm"},
		"Values":  map[string]interface{}{"replicaCount": 3, "autoscaling": map[string]interface{}{"enabled": false}, "containers": containers},
	}
}

func build() *template.Template {
	t := template.New("gotpl")
	funcs := template.FuncMap{
		"include": func(name string, data interface{}) (string, error) {
			var b strings.Builder
			err := t.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"default": func(d interface{}, given ...interface{}) interface{} {
			if len(given) > 0 && given[0] != nil && given[0] != "" && given[0] != false {
				return given[0]
			}
			return d
		},
		"trunc": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"trimSuffix": func(a, b string) string { return strings.TrimSuffix(b, a) },
		"quote":      func(s interface{}) string { return fmt.Sprintf("%q", fmt.Sprint(s)) },
		"nindent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			lines := strings.Split(s, "\n")
			for i, l := range lines {
				lines[i] = pad + l
			}
			return "\n" + strings.Join(lines, "\n")
		},
	}
	t.Funcs(funcs)
	template.Must(t.New("app/templates/_helpers.tpl").Parse(helpers))
	template.Must(t.New("app/templates/deployment.yaml").Parse(deployment))
	return t
}

func main() {
	vals := values()
	t := build()
	var sb strings.Builder
	if err := t.ExecuteTemplate(&sb, "app/templates/deployment.yaml", vals); err != nil {
		panic(err)
	}
	p := testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			build()
		}
	})
	e := testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var sb strings.Builder
			t.ExecuteTemplate(&sb, "app/templates/deployment.yaml", vals)
		}
	})
	fmt.Printf("go parse: %.1f us/op\ngo execute: %.1f us/op\noutput bytes: %d\n", float64(p.NsPerOp())/1000, float64(e.NsPerOp())/1000, sb.Len())
}
