"""Random template cases for gotmpl's differential test (the vectors keep 900 that Go renders within 400 bytes and where Go 1.19 and 1.27 agree)."""
import json, random
random.seed(7)
frags = ["text ", "\n", "{{.X}}", "{{ .A.B }}", "{{.}}", "{{$}}", "{{if .A}}", "{{else}}", "{{else if .B}}", "{{end}}",
 "{{range $i, $v := .L}}", "{{range .M}}", "{{with .A}}", "{{with .N}}", "{{$x := .L}}", "{{$x}}",
 "{{printf \"%d-%s-%v\" 1 \"a\" .L}}", "{{print 1.5 2 nil .S}}", "{{index .L 0}}", "{{index .M \"k\"}}", "{{slice .L 1}}",
 "{{len .S}}", "{{eq .X 1 2}}", "{{lt 1 2}}", "{{and .A .B}}", "{{or .A \"x\"}}", "{{not .A}}", "{{.X | printf \"%q\"}}",
 "{{(.B).C}}", "{{html .S}}{{js .S}}{{urlquery .S}}", "{{define \"t\"}}", "{{template \"t\" .}}", "{{block \"b\" .}}",
 "{{- ", " -}}", "{{/* c */}}", "{{", "}}", "(", ")", "|", "'a'", "0x1F", "`raw`", "\"str\"", "$y", ":=", "{{.N.Q}}", "{{.M.z.w}}",
 "{{index .L 9}}", "{{.L.x}}", "{{.S.y}}", "{{range .L}}{{.k}}{{end}}", "{{printf \"%v %T\" .M .L}}", "{{len .N}}", "{{eq .N nil}}", "{{eq .S 1}}",
 "{{ .X 1 }}", "{{ 1 | .A }}", "{{ and }}", "{{ .M.k }}", "{{ index .M.k 1 }}", "{{ printf \"%5.2f|%x\" .F .S }}", "{{ .F }}", "{{ .G }}"]
data = {"X": 1, "A": True, "B": {"C": "x"}, "S": "<a&b>", "L": [1, "two", 3.5, None, {"k": "v"}], "M": {"k": [1, 2], "z": None}, "N": None, "F": 3.14159, "G": 1e7}
cases=[]
for n in range(4000):
    t = "".join(random.choice(frags) for _ in range(random.randint(1, 10)))
    for opt in ["missingkey=default", "missingkey=zero", "missingkey=error"]:
        cases.append({"kind":"tmpl","tmpl":t,"data":data,"opt":opt})
with open('/tmp/rcases.jsonl','w') as f:
    for c in cases: f.write(json.dumps(c)+"\n")
print(len(cases))
