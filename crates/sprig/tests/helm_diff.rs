//! Differential test: Sprig functions as Helm 3.17 runs them (real `helm
//! template`) against `gotmpl` + `sprig::funcs()`, with Helm's value typing
//! (every YAML number a `float64`). Needs `helm` ([`testkit::helm`]
//! finds it); the test fails (does not skip) without it.
//! Helm's own functions (`toYaml`, `fromJson`, `include`, ...) are the chart
//! crate's; only Sprig's are compared here.

use std::process::Command;

use gotmpl::{Map, Templates, Value};

/// Expressions over `.Values` (see [`VALUES`]); each must render without error in Helm.
const EXPRESSIONS: &[&str] = &[
    // Numbers from values are float64: cast rules decide integer maths.
    "{{ add 1 .Values.int }}",
    "{{ add .Values.float 1 }}",
    "{{ sub .Values.int 10 }}",
    "{{ mul .Values.int .Values.float 2 }}",
    "{{ div .Values.int 2 }}",
    "{{ mod .Values.int 4 }}",
    "{{ max .Values.int 5 .Values.float }}",
    "{{ min .Values.int \"3\" }}",
    "{{ add1 .Values.numstr }}",
    "{{ addf .Values.float 0.1 }}",
    "{{ subf .Values.float 0.2 0.1 }}",
    "{{ mulf .Values.float 3 }}",
    "{{ divf .Values.int 3 }}",
    "{{ maxf .Values.float 2.5 }}",
    "{{ minf 1 .Values.float }}",
    "{{ floor .Values.float }}",
    "{{ ceil .Values.float }}",
    "{{ round .Values.float 1 }}",
    "{{ int .Values.float }}",
    "{{ int64 .Values.numstr }}",
    "{{ float64 .Values.numstr }}",
    "{{ int \"0x1F\" }}",
    "{{ atoi \"42\" }}",
    "{{ toDecimal \"0777\" }}",
    "{{ .Values.int }}",
    "{{ .Values.big }}",
    "{{ .Values.float }}",
    "{{ seq 5 }}",
    "{{ seq 2 -2 }}",
    "{{ seq 0 2 10 }}",
    "{{ until 3 }}",
    "{{ untilStep 0 10 3 }}",
    // Strings.
    "{{ .Values.str | upper }}",
    "{{ .Values.str | title }}",
    "{{ .Values.str | untitle }}",
    "{{ .Values.str | swapcase }}",
    "{{ .Values.str | camelcase }}",
    "{{ .Values.str | snakecase }}",
    "{{ .Values.str | kebabcase }}",
    "{{ \"SomeHTTPServer_name\" | snakecase }}",
    "{{ \"SomeHTTPServer_name\" | kebabcase }}",
    "{{ \"some-http_server name\" | camelcase }}",
    "{{ .Values.str | initials }}",
    "{{ .Values.str | trunc 5 }}",
    "{{ .Values.str | trunc -5 }}",
    "{{ .Values.str | abbrev 8 }}",
    "{{ abbrevboth 5 10 \"1234 5678 9123 4567\" }}",
    "{{ .Values.str | substr 2 7 }}",
    "{{ .Values.str | repeat 2 }}",
    "{{ .Values.str | wrap 6 }}",
    "{{ .Values.str | wrapWith 6 \"<br>\" }}",
    "{{ .Values.str | quote }}",
    "{{ quote .Values.int .Values.float .Values.bool }}",
    "{{ squote .Values.str .Values.float }}",
    "{{ cat .Values.str .Values.int .Values.list }}",
    "{{ .Values.multiline | indent 4 }}",
    "{{ .Values.multiline | nindent 2 }}",
    "{{ .Values.str | replace \" \" \"-\" }}",
    "{{ .Values.str | contains \"Wor\" }}",
    "{{ hasPrefix \"hello\" .Values.str }}",
    "{{ hasSuffix \"d\" .Values.str }}",
    "{{ \"  pad  \" | trim }}",
    "{{ trimAll \"$\" \"$5.00$\" }}",
    "{{ trimPrefix \"he\" .Values.str }}",
    "{{ trimSuffix \"ld\" .Values.str }}",
    "{{ nospace .Values.str }}",
    "{{ plural \"one\" \"many\" 2 }}",
    "{{ .Values.str | sha256sum }}",
    "{{ .Values.str | sha1sum }}",
    "{{ .Values.str | adler32sum }}",
    "{{ .Values.str | b64enc }}",
    "{{ .Values.str | b64enc | b64dec }}",
    "{{ .Values.str | b32enc }}",
    "{{ \"not base64!\" | b64dec }}",
    "{{ splitList \",\" .Values.csv }}",
    "{{ split \",\" .Values.csv }}",
    "{{ (split \",\" .Values.csv)._1 }}",
    "{{ splitn \",\" 2 .Values.csv }}",
    "{{ join \"-\" .Values.list }}",
    "{{ sortAlpha .Values.list }}",
    "{{ toString .Values.float }}",
    "{{ toStrings .Values.list }}",
    "{{ regexMatch \"^[a-z]+ \\\\w+$\" .Values.str }}",
    "{{ regexFind \"o.\" .Values.str }}",
    "{{ regexFindAll \"o.\" .Values.str -1 }}",
    "{{ regexReplaceAll \"(o)(.)\" .Values.str \"${2}$1\" }}",
    "{{ regexReplaceAllLiteral \"o\" .Values.str \"$1\" }}",
    "{{ regexSplit \"o\" .Values.str -1 }}",
    "{{ regexQuoteMeta \"a.b*c\" }}",
    // Lists.
    "{{ list 1 \"a\" .Values.float nil }}",
    "{{ first .Values.list }}",
    "{{ last .Values.list }}",
    "{{ rest .Values.list }}",
    "{{ initial .Values.list }}",
    "{{ append .Values.list \"z\" }}",
    "{{ prepend .Values.list \"z\" }}",
    "{{ concat .Values.list (list 1 2) }}",
    "{{ reverse .Values.list }}",
    "{{ uniq (list 1 1 2 \"a\" \"a\") }}",
    "{{ without .Values.list \"b\" }}",
    "{{ has \"b\" .Values.list }}",
    "{{ has 3 .Values.nums }}",
    "{{ compact (list 0 \"\" 1 false nil \"x\") }}",
    "{{ slice .Values.list 1 }}",
    "{{ slice .Values.list 1 2 }}",
    "{{ chunk 2 .Values.list }}",
    "{{ .Values.nums }}",
    // Dicts.
    "{{ dict \"a\" 1 \"b\" .Values.float \"c\" }}",
    "{{ get .Values.map \"a\" }}",
    "{{ get .Values.map \"missing\" }}",
    "{{ hasKey .Values.map \"b\" }}",
    "{{ keys .Values.map | sortAlpha }}",
    "{{ values (dict \"x\" 1) }}",
    "{{ pick .Values.map \"a\" \"zz\" }}",
    "{{ omit .Values.map \"a\" }}",
    "{{ pluck \"a\" .Values.map (dict \"a\" 2) }}",
    "{{ dig \"nested\" \"deep\" \"none\" .Values.map }}",
    "{{ dig \"nested\" \"missing\" \"none\" .Values.map }}",
    "{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"b\" 2 }}{{ $d }}",
    "{{ $d := dict \"a\" 1 \"b\" 2 }}{{ $_ := unset $d \"a\" }}{{ $d }}",
    "{{ merge (dict \"a\" 1 \"n\" (dict \"x\" 1)) (dict \"a\" 2 \"b\" 3 \"n\" (dict \"y\" 2)) }}",
    "{{ mergeOverwrite (dict \"a\" 1 \"t\" true \"n\" (dict \"x\" 1)) (dict \"a\" 2 \"t\" false \"n\" (dict \"x\" 3)) }}",
    "{{ $d := dict \"a\" 1 }}{{ $_ := merge $d (dict \"b\" 2) }}{{ $d }}",
    "{{ merge (dict \"a\" \"\" \"l\" (list)) (dict \"a\" \"x\" \"l\" (list 1)) }}",
    "{{ deepCopy .Values.map }}",
    "{{ .Values.map }}",
    // Defaults and types.
    "{{ default \"d\" .Values.missing }}",
    "{{ default \"d\" .Values.zero }}",
    "{{ default \"d\" .Values.str }}",
    "{{ empty .Values.zero }}",
    "{{ empty .Values.emptylist }}",
    "{{ coalesce .Values.missing .Values.zero \"c\" }}",
    "{{ all 1 \"a\" .Values.zero }}",
    "{{ any 0 \"\" .Values.int }}",
    "{{ ternary \"yes\" \"no\" .Values.bool }}",
    "{{ typeOf .Values.int }}",
    "{{ typeOf .Values.list }}",
    "{{ typeOf .Values.map }}",
    "{{ typeOf 1 }}",
    "{{ kindOf .Values.str }}",
    "{{ kindIs \"map\" .Values.map }}",
    "{{ typeIsLike \"float64\" .Values.float }}",
    "{{ deepEqual .Values.list (list \"a\" \"b\" \"c\") }}",
    "{{ toJson .Values.map }}",
    "{{ toPrettyJson .Values.map }}",
    "{{ toRawJson (dict \"h\" \"<b>&\") }}",
    "{{ toJson (dict \"h\" \"<b>&\") }}",
    "{{ toJson .Values.big }}",
    "{{ (fromJson \"{\\\"a\\\": 1, \\\"b\\\": [1.5, true]}\").b }}",
    "{{ fromJson \"{\\\"a\\\": 1e6}\" }}",
    // Paths, URLs, semver, encoding.
    "{{ base \"a/b/c.txt\" }} {{ dir \"a/b/c.txt\" }} {{ ext \"a/b/c.txt\" }} {{ clean \"a//b/../c\" }} {{ isAbs \"/x\" }}",
    "{{ urlParse \"https://user:pw@example.com:8443/p/a%20b?q=1#frag\" }}",
    "{{ urlJoin (dict \"scheme\" \"https\" \"host\" \"h:1\" \"path\" \"/a b\" \"query\" \"x=1\") }}",
    "{{ semverCompare \">=1.20.0-0\" \"v1.27.3-gke.100\" }}",
    "{{ semverCompare \"~1.2\" .Values.version }}",
    "{{ semverCompare \"^1.2.3 || ^2\" \"2.0.1\" }}",
    "{{ (semver .Values.version).Minor }}",
    "{{ semver .Values.version }}",
    "{{ derivePassword 1 \"long\" \"pw\" \"user\" \"example.com\" }}",
    "{{ htmlDateInZone 0 \"UTC\" }}",
    "{{ dateInZone \"2006-01-02T15:04:05Z07:00 Mon Jan _2 3PM .000\" 1560458379 \"Europe/Berlin\" }}",
    "{{ toDate \"2006-01-02 15:04\" \"2024-02-29 13:45\" | date \"Jan 2, 2006 at 3:04pm\" }}",
    "{{ duration \"3725\" }} {{ durationRound \"49h\" }}",
    "{{ dateModify \"-1.5h\" (toDate \"2006-01-02\" \"2020-01-01\") | unixEpoch }}",
    // Edge cases.
    "{{ duration 61 }} {{ durationRound 3600000000000 }} {{ date \"2006\" 1560458379 }} {{ htmlDate 1.5e9 | len }}",
    "{{ \"ünïcödé wörld ßtraße\" | title }}",
    "{{ \"ünïcödé wörld\" | upper }}",
    "{{ \"Ünïcödé Wörld\" | untitle }}",
    "{{ \"HeLLo wORLD ß\" | swapcase }}",
    "{{ \"version2Name\" | snakecase }} {{ \"HTTP2Server\" | snakecase }} {{ \"v1.2.3-rc\" | kebabcase }} {{ \"already_snake_case\" | camelcase }}",
    "{{ \"some.dotted-name with spaces\" | snakecase }} {{ \"ABC\" | kebabcase }} {{ \"aB\" | snakecase }} {{ \"x-Y_z\" | camelcase }}",
    "{{ \"a\\tb c\\nd\" | nospace }}",
    "{{ initials \"hello  big world\" }}",
    "{{ \"abc\" | trunc 10 }} {{ \"abc\" | trunc -10 }} {{ \"abc\" | trunc 0 }}",
    "{{ \"abc\" | abbrev 4 }} {{ \"abcdefgh\" | abbrev 4 }} {{ \"abcdefgh\" | abbrev 3 }}",
    "{{ \"abcdef\" | substr -1 3 }} {{ \"abcdef\" | substr 2 -1 }} {{ \"abcdef\" | substr 2 99 }}",
    "{{ wrap 10 \"The quick brown fox jumps over the lazy dog averyveryverylongword x\" }}",
    "{{ wrapWith 5 \"|\" \"Hello World averylongword\" }}",
    "{{ trimAll \"-_\" \"-_-hello-_-\" }}",
    "{{ cat nil \"a\" nil 1 (list 1 2) (dict \"k\" \"v\") }}",
    "{{ join \",\" (list \"a\" nil 1 2.5 true) }}",
    "{{ sortAlpha (list 10 9 \"b\" \"B\" \"a\" 1.5) }}",
    "{{ toString nil }} {{ toString 1.0 }} {{ toString (list nil) }}",
    "{{ uniq (list (dict \"a\" 1) (dict \"a\" 1) (list 1) (list 1)) }}",
    "{{ without (list 1 2.0 \"1\" 1) 1 }}",
    "{{ has 1 (list 1.0) }} {{ has 1.5 .Values.nums }}",
    "{{ default (list 1) (list) }} {{ default \"x\" (dict) }} {{ default 5 false }}",
    "{{ empty (dict) }} {{ empty \"0\" }} {{ empty 0.0 }} {{ empty (list nil) }}",
    "{{ dict 1 2 true \"t\" nil \"n\" }}",
    "{{ b32dec \"NBSWY3DP\" }} {{ b32enc \"\" }} {{ b64enc \"\" }}",
    "{{ regexSplit \"\\\\s+\" \"a b  c   d\" 2 }} {{ regexSplit \"x*\" \"abc\" -1 }}",
    "{{ regexFindAll \"[0-9]+\" \"a1b22c333\" 2 }}",
    "{{ regexReplaceAll \"(?P<first>\\\\w+) (?P<second>\\\\w+)\" \"hello world\" \"${second} $first $$\" }}",
    "{{ regexMatch \"(?i)HELLO\" .Values.str }} {{ regexFind \"\\\\bW\\\\w+\" .Values.str }}",
    "{{ toJson (list 1e21 0.000001 1e-7 123456789.0 -0.5 .Values.big) }}",
    "{{ toPrettyJson (list (dict \"a\" (list 1 (dict))) (list)) }}",
    "{{ toRawJson (dict \"u\" \"é\\u2028<>\" \"t\" \"\\t\\b\\f\\u0001\") }}",
    "{{ toJson \"\\u007f\\u0085\" }}",
    // Not `fromJson` of arrays or bad text: Helm replaces Sprig's fromJson
    // with its own (objects only, errors as an `Error` key).
    "{{ semverCompare \"!=1.2.3\" \"1.2.4\" }} {{ semverCompare \">1.2\" \"1.2.9\" }} {{ semverCompare \"<=1.2\" \"1.2.9\" }} {{ semverCompare \"~1\" \"1.9.0\" }}",
    "{{ semverCompare \"^0.0.3\" \"0.0.4\" }} {{ semverCompare \"1.2.x\" \"1.2.7\" }} {{ semverCompare \"*\" \"0.0.1\" }} {{ semverCompare \">= 1.2, < 3.0.0 || >= 4.2.3\" \"3.1.0\" }}",
    "{{ semverCompare \">=1.2.3\" \"1.2.3+build.5\" }} {{ semverCompare \"=1.2.3-beta\" \"1.2.3-beta\" }} {{ semverCompare \"~1.2.3-0\" \"1.2.4-alpha\" }}",
    "{{ $v := semver \"v2.3.4-rc.1+meta\" }}{{ $v.Major }} {{ $v.Minor }} {{ $v.Patch }} {{ $v.Prerelease }} {{ $v.Metadata }} {{ $v.Original }}",
    "{{ urlParse \"mailto:someone@example.com\" }}",
    "{{ urlJoin (dict \"scheme\" \"http\" \"userinfo\" \"u:p%20w\" \"host\" \"h\" \"path\" \"a/b\" \"fragment\" \"f g\") }}",
    "{{ duration \"abc\" }} {{ duration \"-90\" }} {{ durationRound \"-3h\" }} {{ durationRound \"59s\" }} {{ durationRound \"1h1s\" }}",
    "{{ dateInZone \"Jan _2 15:04:05.000000 2006 -07:00:00 Z07\" 1700000000 \"Asia/Kolkata\" }}",
    "{{ toDate \"Jan 2 2006 3:04:05.999 PM -0700\" \"Mar 9 2021 11:05:06.5 AM +0530\" | date \"2006-01-02T15:04:05.999999999Z07:00\" }}",
    "{{ adler32sum \"\" }} {{ sha1sum \"\" }}",
    "{{ until -3 }} {{ untilStep 10 0 -3 }} {{ untilStep 0 10 0 }}",
    "{{ round 2.5 0 }} {{ round -2.5 0 }} {{ round 1.005 2 }} {{ floor -1.5 }} {{ ceil -1.5 }}",
    "{{ div -7 2 }} {{ mod -7 2 }} {{ sub 1 2.9 }} {{ add \"x\" 1 }} {{ int \"1_000\" }} {{ int \"010\" }} {{ int64 \"1e3\" }} {{ float64 \"1e3\" }}",
    "{{ divf 1 3 }} {{ mulf 0.1 0.2 }} {{ subf 1 0.9 }} {{ addf 1e20 1 }} {{ add1f 0.1 }}",
    "{{ maxf 1 \"2.5\" }} {{ minf \"x\" 1 }} {{ biggest 1 2 }}",
    "{{ first (list) }} {{ last (list) }} {{ initial (list 1) }} {{ rest (list 1) }}",
    "{{ slice (list 1 2 3) }} {{ slice (list 1 2 3) 1 1 }} {{ concat }} {{ reverse (list) }}",
    "{{ pick (dict \"a\" 1) }} {{ omit (dict \"a\" 1) \"a\" }} {{ keys (dict) }} {{ values (dict) }}",
    "{{ dig \"a\" \"b\" \"dflt\" (dict \"a\" (dict \"b\" nil)) }}",
    "{{ coalesce }} {{ all }} {{ any }}",
    "{{ typeOf nil }} {{ kindOf nil }} {{ typeOf 1.5 }} {{ kindOf (list) }} {{ typeIs \"string\" \"x\" }}",
    "{{ deepEqual 1 1.0 }} {{ deepEqual (dict \"a\" (list 1)) (dict \"a\" (list 1)) }}",
    "{{ ternary 1 2 false }} {{ quote }} {{ squote nil }}",
    "{{ \"a,b,,c\" | splitList \",\" | compact }} {{ splitList \"\" \"abc\" }} {{ splitn \",\" 0 \"a,b\" }}",
    "{{ replace \"\" \"-\" \"abc\" }} {{ repeat 0 \"x\" }} {{ indent 0 \"a\\nb\" }} {{ nindent 1 \"\" }}",
    "{{ base \"\" }} {{ base \"/\" }} {{ dir \"/a\" }} {{ clean \"\" }} {{ ext \"a.\" }} {{ isAbs \"\" }}",
];

const VALUES: &str = r#"
int: 42
float: 1.5
big: 1000000
numstr: "7"
bool: true
zero: 0
str: "hello World"
csv: "a,b,c"
multiline: "line1\nline2"
list: ["a", "b", "c"]
nums: [1, 2, 3]
emptylist: []
version: "1.2.9"
map:
  a: 1
  b: "two"
  nested:
    deep: 3.25
"#;

fn defines() -> String {
    EXPRESSIONS
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{{{{- define \"e{i}\" }}}}{e}{{{{ end }}}}\n"))
        .collect()
}

fn render_with_helm() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("sprig-helm-diff-{}", std::process::id()));
    let chart = dir.join("chart");
    std::fs::create_dir_all(chart.join("templates")).expect("create chart");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: sprigdiff\nversion: 0.1.0\n",
    )
    .expect("Chart.yaml");
    std::fs::write(chart.join("values.yaml"), VALUES).expect("values.yaml");
    std::fs::write(chart.join("templates/_defs.tpl"), defines()).expect("defines");
    let body: String = (0..EXPRESSIONS.len())
        .map(|i| format!("e{i}: {{{{ include \"e{i}\" . | b64enc | quote }}}}\n"))
        .collect();
    std::fs::write(chart.join("templates/out.yaml"), body).expect("template");
    let output = Command::new(testkit::helm())
        .args(["template", "x"])
        .arg(&chart)
        .output()
        .expect("run helm");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    let mut out = vec![String::new(); EXPRESSIONS.len()];
    for line in stdout.lines() {
        if let Some((key, value)) = line.strip_prefix('e').and_then(|l| l.split_once(": ")) {
            out[key.parse::<usize>().expect("index")] =
                String::from_utf8(testkit::base64_decode(value.trim_matches('"')))
                    .expect("UTF-8 output");
        }
    }
    out
}

#[test]
fn sprig_matches_helm() {
    let helm = render_with_helm();
    let values: serde_json::Value = serde_json::to_value(yaml_values()).expect("values");
    let mut root = Map::new();
    root.insert("Values".to_string(), Value::from_json_helm(&values));
    let data = Value::map(root);
    let mut set = Templates::new(sprig::funcs());
    set.parse("defs", &defines()).expect("parse");
    let mut failures = Vec::new();
    for (i, expected) in helm.iter().enumerate() {
        let ours = set
            .execute(&format!("e{i}"), &data)
            .unwrap_or_else(|e| format!("ERROR: {e}"));
        if &ours != expected {
            failures.push(format!(
                "{}\n  helm: {expected:?}\n  ours: {ours:?}",
                EXPRESSIONS[i]
            ));
        }
    }
    println!(
        "helm differential: {} of {} expressions match",
        EXPRESSIONS.len() - failures.len(),
        EXPRESSIONS.len()
    );
    assert!(
        failures.is_empty(),
        "{} expressions differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// [`VALUES`] as JSON, read with the project's YAML loader.
fn yaml_values() -> serde_json::Value {
    goyaml::from_str(VALUES).expect("values parse")
}
