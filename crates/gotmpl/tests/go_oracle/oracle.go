// Oracle for gotmpl's differential test: reads cases (JSON lines from
// gen_cases.py) on stdin and prints, per case, Go's output as a JSON string:
// fmt.Sprintf for "fmt" cases, text/template Parse+Execute for "tmpl" cases
// (JSON integers become int, other numbers float64).
//
// Regenerate vectors.jsonl (from crates/gotmpl/tests/go_oracle):
//   python3 gen_cases.py cases.jsonl && go run oracle.go < cases.jsonl > go.out
//   then merge each output into its case as the "go" field.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

type Case struct {
	Kind   string            `json:"kind"`
	Format string            `json:"format"`
	Args   []json.RawMessage `json:"args"`
	Tmpl   string            `json:"tmpl"`
	Data   json.RawMessage   `json:"data"`
	Opt    string            `json:"opt"`
}

func conv(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		if !strings.ContainsAny(x.String(), ".eE") {
			i, err := x.Int64()
			if err == nil {
				return int(i)
			}
		}
		f, _ := x.Float64()
		return f
	case map[string]interface{}:
		for k, e := range x {
			x[k] = conv(e)
		}
		return x
	case []interface{}:
		for i, e := range x {
			x[i] = conv(e)
		}
		return x
	}
	return v
}

func decode(raw []byte) interface{} {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var v interface{}
	d.Decode(&v)
	return conv(v)
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var c Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			fmt.Println(`"decode error"`)
			continue
		}
		var out string
		if c.Kind == "fmt" {
			args := []interface{}{}
			for _, a := range c.Args {
				args = append(args, decode(a))
			}
			out = fmt.Sprintf(c.Format, args...)
		} else {
			t, err := template.New("t").Option(c.Opt).Parse(c.Tmpl)
			if err != nil {
				out = "PARSE ERROR: " + err.Error()
			} else {
				var sb strings.Builder
				err = t.Execute(&sb, decode(c.Data))
				out = sb.String()
				if err != nil {
					out += " EXEC ERROR: " + err.Error()
				}
			}
		}
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
	}
}
