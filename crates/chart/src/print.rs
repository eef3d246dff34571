//! `helm template`'s output: the manifest stream printed (or written under
//! `--output-dir`), piped through a post-renderer, hooks appended, and
//! `--show-only` picking documents by their `# Source:` path.
//!
//! The order and the wording are Helm's (`action.renderResources`, then
//! `cmd/helm/template.go`); what touches the system (running the
//! post-renderer, creating files) is the caller's, through [`PrintEffects`],
//! so a library caller that only wants the text uses [`print()`].

use std::collections::HashSet;

use crate::action::Rendered;
use crate::error::Error;
use crate::manifest;

/// Output settings of `helm template`.
#[derive(Debug, Clone, Default)]
pub struct PrintOptions {
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--no-hooks`.
    pub no_hooks: bool,
    /// `-s/--show-only` patterns (chart-relative template paths, globs allowed).
    pub show_only: Vec<String>,
    /// `--output-dir` (with `--release-name`): write each template's
    /// documents to files instead of printing them; needs [`print_with`].
    pub output_dir: Option<OutputDir>,
}

/// Where `helm template --output-dir` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDir {
    /// `--output-dir`, as given.
    pub dir: String,
    /// The release name with `--release-name`: templates and hooks then go
    /// under `DIR/<release>/` (CRDs stay under DIR).
    pub release: Option<String>,
}

impl OutputDir {
    /// The folder for templates and hooks: `DIR`, or `DIR/<release>` cleaned
    /// as Go's `filepath.Join` cleans it.
    fn templates_dir(&self) -> String {
        match &self.release {
            Some(r) => gostd::path::clean(&format!("{}/{r}", self.dir)),
            None => self.dir.clone(),
        }
    }
}

/// What printing does outside the process, implemented by the caller.
pub trait PrintEffects {
    /// The caller's error for a failed post-render or write.
    type Error;
    /// `--post-renderer`: the manifest stream (CRDs and templates) through
    /// the post-renderer, its output replacing it. Helm runs it even when
    /// `--output-dir` left the stream empty.
    fn post_render(&mut self, manifests: String) -> Result<String, Self::Error>;
    /// Helm's `writeToFile`: make `file`'s folder (as `os.MkdirAll` of its
    /// `filepath.Dir`), then create or truncate `file`, or append to it
    /// with `append`, write `document`, and report `wrote FILE` on stdout.
    fn write_file(&mut self, file: &str, document: &str, append: bool) -> Result<(), Self::Error>;
    /// Whether `file` exists: Helm appends a hook to a file already there,
    /// even one left from an earlier run.
    fn file_exists(&self, file: &str) -> bool;
}

/// Why [`print_with`] failed, by the step of `helm template` that failed:
/// the caller words each as Helm does.
#[derive(Debug)]
pub enum PrintError<E> {
    /// Writing a CRD or template file, or the post-renderer: part of Helm's
    /// install action, whose errors `helm template` follows with its
    /// `--debug` hint.
    Install(E),
    /// Writing a hook's file (after the install action: no hint).
    Hook(E),
    /// A `--show-only` pattern matched no document.
    Chart(Error),
}

/// The text `helm template` prints for a render, without a post-renderer;
/// `--output-dir` needs [`print_with`] and is refused here.
pub fn print(rendered: &Rendered, opts: &PrintOptions) -> Result<String, Error> {
    print_with(rendered, opts, &mut TextOnly).map_err(|e| match e {
        PrintError::Install(e) | PrintError::Hook(e) | PrintError::Chart(e) => e,
    })
}

/// Printing with no effects: no post-renderer, no files.
struct TextOnly;

impl PrintEffects for TextOnly {
    type Error = Error;
    fn post_render(&mut self, manifests: String) -> Result<String, Error> {
        Ok(manifests)
    }
    fn write_file(&mut self, file: &str, _: &str, _: bool) -> Result<(), Error> {
        Err(Error::CannotWrite {
            file: file.to_string(),
        })
    }
    fn file_exists(&self, _: &str) -> bool {
        false
    }
}

/// One `# Source:` document as Helm prints it and writes it to a file.
fn document(source: &str, content: &str) -> String {
    format!("---\n# Source: {source}\n{content}\n")
}

/// `helm template`'s output for a render, with the post-renderer and
/// `--output-dir` files done through `effects`: the manifest stream (empty
/// with an output folder) goes through the post-renderer, hooks are
/// appended (or written), and `--show-only` picks from the result.
pub fn print_with<F: PrintEffects>(
    rendered: &Rendered,
    opts: &PrintOptions,
    effects: &mut F,
) -> Result<String, PrintError<F::Error>> {
    let out_dir = opts.output_dir.as_ref();
    let mut doc = String::new();
    // Helm appends a second document for the same file within one run.
    let mut written = HashSet::new();
    let mut emit = |doc: &mut String,
                    dir: Option<String>,
                    source: &str,
                    content: &str|
     -> Result<(), PrintError<F::Error>> {
        match dir {
            None => doc.push_str(&document(source, content)),
            Some(dir) => {
                let append = !written.insert(source.to_string());
                effects
                    .write_file(
                        &format!("{dir}/{source}"),
                        &document(source, content),
                        append,
                    )
                    .map_err(PrintError::Install)?;
            }
        }
        Ok(())
    };
    if opts.include_crds {
        for crd in &rendered.crds {
            let dir = out_dir.map(|o| o.dir.clone());
            emit(&mut doc, dir, &crd.path, &crd.content)?;
        }
    }
    for m in &rendered.manifests {
        emit(
            &mut doc,
            out_dir.map(OutputDir::templates_dir),
            &m.name,
            &m.content,
        )?;
    }
    let doc = effects.post_render(doc).map_err(PrintError::Install)?;
    let mut out = format!("{}\n", doc.trim());
    if !opts.no_hooks {
        for h in &rendered.hooks {
            if opts.skip_tests && h.is_test() {
                continue;
            }
            match out_dir {
                None => out.push_str(&document(&h.path, &h.manifest)),
                Some(o) => {
                    let file = format!("{}/{}", o.templates_dir(), h.path);
                    let append = effects.file_exists(&file);
                    effects
                        .write_file(&file, &document(&h.path, &h.manifest), append)
                        .map_err(PrintError::Hook)?;
                }
            }
        }
    }
    if opts.show_only.is_empty() {
        return Ok(out);
    }
    show_only(&out, &opts.show_only).map_err(PrintError::Chart)
}

/// `--show-only`: the documents of `out` whose `# Source:` path matches
/// each pattern in turn; a pattern matching none is an error.
fn show_only(out: &str, patterns: &[String]) -> Result<String, Error> {
    let docs = manifest::split_manifests(out);
    let mut selected = String::new();
    for pattern in patterns {
        let mut missing = true;
        for d in &docs {
            let Some(path) = source_path(d) else {
                continue;
            };
            if !crate::pathmatch::matches(pattern, path).unwrap_or(false) {
                continue;
            }
            selected.push_str(&format!("---\n{d}\n"));
            missing = false;
        }
        if missing {
            return Err(Error::TemplateNotFound {
                pattern: pattern.clone(),
            });
        }
    }
    Ok(selected)
}

/// The first capture of Helm's `# Source: [^/]+/(.+)` in `doc` (leftmost
/// match): after some `# Source: `, the non-empty run up to the first `/`
/// (newlines allowed), then the rest of that line, which must be non-empty.
fn source_path(doc: &str) -> Option<&str> {
    const MARK: &str = "# Source: ";
    let mut from = 0;
    while let Some(at) = doc[from..].find(MARK) {
        let start = from + at + MARK.len();
        let rest = &doc[start..];
        if let Some(slash) = rest.find('/')
            && slash > 0
        {
            let tail = &rest[slash + 1..];
            let line = &tail[..tail.find('\n').unwrap_or(tail.len())];
            if !line.is_empty() {
                return Some(line);
            }
        }
        from += at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::CrdFile;
    use crate::manifest::{Hook, Manifest};

    /// Effects that record what printing asked for.
    #[derive(Default)]
    struct Recorder {
        calls: Vec<String>,
        existing: Vec<String>,
        fail_on: Option<&'static str>,
    }

    impl PrintEffects for Recorder {
        type Error = String;
        fn post_render(&mut self, manifests: String) -> Result<String, String> {
            self.calls.push(format!("post-render {manifests:?}"));
            Ok(manifests.replace("kind: A", "kind: Rendered"))
        }
        fn write_file(&mut self, file: &str, document: &str, append: bool) -> Result<(), String> {
            if self.fail_on == Some(file) {
                return Err(format!("cannot write {file}"));
            }
            self.calls
                .push(format!("write {file} append={append} {document:?}"));
            Ok(())
        }
        fn file_exists(&self, file: &str) -> bool {
            self.existing.iter().any(|e| e == file)
        }
    }

    fn rendered() -> Rendered {
        let manifest = |content: &str| Manifest {
            name: "c/templates/a.yaml".into(),
            content: content.into(),
            kind: "A".into(),
        };
        Rendered {
            manifests: vec![manifest("kind: A\nn: 1"), manifest("kind: A\nn: 2")],
            hooks: vec![Hook {
                name: "h".into(),
                kind: "Pod".into(),
                path: "c/templates/hook.yaml".into(),
                manifest: "kind: Pod".into(),
                events: vec!["test".into()],
                weight: 0,
            }],
            crds: vec![CrdFile {
                path: "c/crds/x.yaml".into(),
                content: "kind: CRD".into(),
            }],
            ..Rendered::default()
        }
    }

    #[test]
    fn printing_to_text_runs_the_post_renderer_on_the_manifests_only() {
        let mut fx = Recorder::default();
        let opts = PrintOptions {
            include_crds: true,
            ..PrintOptions::default()
        };
        let text = print_with(&rendered(), &opts, &mut fx).unwrap();
        assert_eq!(
            text,
            "---\n# Source: c/crds/x.yaml\nkind: CRD\n---\n# Source: c/templates/a.yaml\nkind: Rendered\nn: 1\n\
             ---\n# Source: c/templates/a.yaml\nkind: Rendered\nn: 2\n---\n# Source: c/templates/hook.yaml\nkind: Pod\n"
        );
        assert_eq!(fx.calls.len(), 1, "{:?}", fx.calls);
        assert_eq!(
            print(&rendered(), &opts).unwrap(),
            text.replace("kind: Rendered", "kind: A")
        );
    }

    #[test]
    fn output_dir_writes_as_helm_does() {
        let mut fx = Recorder {
            existing: vec!["out/rel/c/templates/hook.yaml".into()],
            ..Recorder::default()
        };
        let opts = PrintOptions {
            include_crds: true,
            output_dir: Some(OutputDir {
                dir: "out/".into(),
                release: Some("rel".into()),
            }),
            ..PrintOptions::default()
        };
        let text = print_with(&rendered(), &opts, &mut fx).unwrap();
        assert_eq!(text, "\n", "the stream is empty, hooks went to files");
        assert_eq!(
            fx.calls,
            [
                // CRDs under DIR as given, templates under the cleaned DIR/<release>.
                "write out//c/crds/x.yaml append=false \"---\\n# Source: c/crds/x.yaml\\nkind: CRD\\n\"",
                "write out/rel/c/templates/a.yaml append=false \"---\\n# Source: c/templates/a.yaml\\nkind: A\\nn: 1\\n\"",
                "write out/rel/c/templates/a.yaml append=true \"---\\n# Source: c/templates/a.yaml\\nkind: A\\nn: 2\\n\"",
                "post-render \"\"",
                "write out/rel/c/templates/hook.yaml append=true \"---\\n# Source: c/templates/hook.yaml\\nkind: Pod\\n\"",
            ]
        );
    }

    #[test]
    fn errors_say_which_step_failed() {
        let opts = |skip_tests| PrintOptions {
            skip_tests,
            output_dir: Some(OutputDir {
                dir: "o".into(),
                release: None,
            }),
            ..PrintOptions::default()
        };
        let mut fx = Recorder {
            fail_on: Some("o/c/templates/a.yaml"),
            ..Recorder::default()
        };
        assert!(matches!(
            print_with(&rendered(), &opts(false), &mut fx),
            Err(PrintError::Install(e)) if e == "cannot write o/c/templates/a.yaml"
        ));
        let mut fx = Recorder {
            fail_on: Some("o/c/templates/hook.yaml"),
            ..Recorder::default()
        };
        assert!(matches!(
            print_with(&rendered(), &opts(false), &mut fx),
            Err(PrintError::Hook(_))
        ));
        let mut fx = Recorder {
            fail_on: Some("o/c/templates/hook.yaml"),
            ..Recorder::default()
        };
        assert!(
            print_with(&rendered(), &opts(true), &mut fx).is_ok(),
            "a test hook is skipped"
        );
        let show = PrintOptions {
            show_only: vec!["templates/b.yaml".into()],
            ..PrintOptions::default()
        };
        let err = print(&rendered(), &show).unwrap_err().to_string();
        assert_eq!(err, "could not find template templates/b.yaml in chart");
        let in_dir = print(&rendered(), &opts(false)).unwrap_err().to_string();
        assert!(in_dir.contains("print_with"), "{in_dir}");
    }

    #[test]
    fn source_path_agrees_with_the_regex() {
        let re = regex::Regex::new(r"# Source: [^/]+/(.+)").unwrap();
        let parts = ["# Source: ", "a", "/", "\n", " ", "b/c", "#", "é"];
        let mut rng = testkit::XorShift::new(0x1234_5678_9ABC_DEF1);
        let mut found = 0;
        for _ in 0..100_000 {
            let doc = rng.text(&parts, 8);
            let want = re.captures(&doc).map(|c| c.get(1).unwrap().as_str());
            assert_eq!(source_path(&doc), want, "{doc:?}");
            found += usize::from(want.is_some());
        }
        assert!(found > 1000, "{found}");
    }

    #[test]
    fn source_path_as_helms_regex_takes_it() {
        assert_eq!(
            source_path("# Source: chart/templates/a.yaml\nkind: X"),
            Some("templates/a.yaml")
        );
        assert_eq!(source_path("kind: X"), None);
        assert_eq!(source_path("# Source: /templates/a.yaml"), None);
        assert_eq!(
            source_path("# Source: /x\n# Source: c/t.yaml"),
            Some("t.yaml")
        );
        assert_eq!(source_path("# Source: c\nd/e"), Some("e"));
    }
}
