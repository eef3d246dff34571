"""Cases for gotmpl's differential test against Go (see oracle.go)."""
import json, itertools
cases=[]
vals=['0','1','-1','42','255','-255','1234567','3.0','3.14159','-2.5','1e6','1e21','1e-5','0.0001','123456789.0','100000.0','0.1','2.5e-10','1.7976931348623157e308','5e-324',
      '"hello"','""','"a\\"b\\n\\t\\u00e9\\u0007"','"日本語"','true','false','null','[1,"a",2.5,null]','{"b":2,"a":"x","c":null}','[]','{}', '[[1,2],{"k":[3]}]']
verbs=['%v','%+v','%#v','%d','%s','%q','%x','%X','%o','%O','%b','%e','%E','%f','%F','%g','%G','%t','%c','%U','%#U','%T','%5v','%-5v|','%05d','%+d','% d','%.2f','%8.3f','%-8.3f|','%08.3f','%.3g','%.10g','%.0f','%.0e','%#x','%#o','%x','% x','%#q','%+q','%.2s','%5.1s','%10.4v','%.3d','%6.2e','%+.1e','%q','%5t']
for v in vals:
    for f in verbs:
        cases.append({"kind":"fmt","format":f,"args":[json.loads(v)]})
# multi-arg / errors
for f,args in [("%d %d",[1]),("%d",[1,"x",None]),("%[2]d %[1]d",[1,2]),("%*d",[5,3]),("%-*d|",[5,3]),("%.*f",[2,3.14159]),("%!",[]),("%",[]),("%z",[1]),("%[3]d",[1]),("%d%%",[5]),("%v %v",[None,None]),("%s",[None]),("%[1]d %v",[1,2]),("%3c|%-3c|",[65,66])]:
    cases.append({"kind":"fmt","format":f,"args":args})
# sprint-like via print/println in templates
tmpls=[
 ('{{print 1 2 "a" "b" 3 nil 4.5}}', None),
 ('{{println 1 "a" nil}}', None),
 ('{{.}}', {"a":[1,{"b":None}],"c":1.5e6}),
 ('{{.x.y}}', {"x":None}),
 ('{{.x.y}}', {}),
 ('{{.x.y}}', {"x":"s"}),
 ('{{.x.y}}', {"x":[1]}),
 ('{{index .x 5}}', {"x":[1]}),
 ('{{index .x "a" "b"}}', {"x":{"a":None}}),
 ('{{index .x "a" "b"}}', {"x":{}}),
 ('{{len .x}}', {"x":None}),
 ('{{len 3}}', {}),
 ('{{slice "hello" 1 3}}', {}),
 ('{{eq 1 1.0}}', {}),
 ('{{eq .a .b}}', {"a":[1],"b":[1]}),
 ('{{eq .a .b}}', {"a":{"x":1},"b":{"x":1}}),
 ('{{eq .a nil}}', {"a":None}),
 ('{{eq .a "x"}}', {}),
 ('{{lt .a 1}}', {}),
 ('{{lt 1.5 2.5}}{{gt "b" "a"}}{{le 2 2}}{{ge 1 2}}{{ne "a" "b"}}', {}),
 ('{{and 1 0 2}}{{or 0 "" nil}}{{not 0}}', {}),
 ('{{html "<a href=\'x\'>&\\"</a>"}}{{js "a\'b\\"c<d>e&f=g\\u2028"}}{{urlquery "a b&c=d/é"}}', {}),
 ('{{printf "%v" .}}', {"m":{"z":1,"a":[True,None]}}),
 ('{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', {"b":1,"a":2,"A":3,"_":4}),
 ('{{range .}}{{.}}{{else}}none{{end}}', []),
 ('{{range .}}{{.}}{{else}}none{{end}}', None),
 ('{{range .}}{{.}}{{end}}', 5.5),
 ('{{range .}}{{.}}{{end}}', "str"),
 ('{{with .a}}{{.}}{{else}}no{{end}}', {"a":0}),
 ('{{if and .a .b}}y{{else}}n{{end}}', {"a":1}),
 ('{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}', {}),
 ('{{.a | printf "%s-%s" "x"}}', {"a":"y"}),
 ('{{"a" | .b}}', {"b":1}),
 ('{{.b 1}}', {"b":{"c":1}}),
 ('{{1 2}}', {}),
 ('{{nil}}', {}),
 ('{{template "x"}}', {}),
 ('{{define "x"}}X{{.}}{{end}}{{template "x" 5}}{{block "y" .a}}Y{{.}}{{end}}', {"a":1}),
 ('{{0x1F}} {{0o17}} {{0b101}} {{1_000}} {{1e3}} {{.5}} {{-3}} {{+3}} {{\'a\'}} {{\'\\n\'}} {{0x1p4}} {{017}}', {}),
 ('{{9223372036854775807}} {{18446744073709551615}}', {}),
 ('{{9223372036854775808}}', {}),
 ('{{ "\\x41\\101\\u00e9" }}{{ `raw\\n` }}', {}),
 ('a  {{- 1 -}}  b {{- /* c */ -}} c {{/* d */}} d', {}),
 ('{{ .a.b.c }}', {"a":{"b":None}}),
 ('{{ $.a }}{{ $ }}', {"a":1}),
 ('{{ printf "%d" .a }}', {"a":8080.0}),
 ('{{ printf "%s" .a }}', {"a":8080}),
 ('{{ print .a }}', {"a":1e20}),
 ('{{ .a }}', {"a":123456789.0}),
 ('{{ .a }}', {"a":0.000001}),
 ('{{ .a }}', {"a":-0.0}),
 ('{{ .a }}', {"a":100000.0}),
 ('{{ .a }}', {"a":1000000.0}),
 ('{{ .a }}', {"a":1.5e300}),
 ('{{ .a.b }}', {"a":{"b":None}}),
 ('{{if .a.b}}y{{end}}', {}),
 ('{{ range $i, $e := .a }}{{ $i }}{{ $e.x }}{{ end }}', {"a":[None,{"x":1}]}),
 ('{{ (index .a 0).x }}', {"a":[None]}),
 ('{{ $x := .a }}{{ $x.x }}', {"a":None}),
 ('{{ with $x := 1 }}{{ $x }}{{ end }}{{ $x }}', {}),
 ('{{ call .f }}', {"f":1}),
 ('{{ call nil }}', {}),
 ('{{ index "abc" 1 }}{{ slice .a 1 2 }}', {"a":[1,2,3]}),
 ('{{ slice .a 2 1 }}', {"a":[1,2,3]}),
 ('{{ printf }}', {}),
 ('{{ printf 1 }}', {}),
 ('{{ len }}', {}),
 ('{{ not 1 2 }}', {}),
 ('{{ eq 1 }}', {}),
 ('{{ eq }}', {}),
 ('{{ and }}', {}),
 ('{{ html }}{{ html nil }}{{ html 1 2 }}{{ html "a" "b" }}', {}),
 ('{{ .a.b }}', {"a":{"b":1}}),
]
for opt in ["missingkey=default","missingkey=zero","missingkey=error"]:
    for t,d in tmpls:
        cases.append({"kind":"tmpl","tmpl":t,"data":d,"opt":opt})
import sys
with open(sys.argv[1] if len(sys.argv) > 1 else 'cases.jsonl','w') as f:
    for c in cases: f.write(json.dumps(c)+"\n")
print(len(cases))
