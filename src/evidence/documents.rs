//! Which edits count as changing the program: editing documentation (a README, a changelog, a
//! task list) after a passing test run leaves the run standing, so claims made while writing the
//! docs up are judged against it.

use std::path::Path;

/// Whether `path` is documentation: Markdown, plain text, reStructuredText, AsciiDoc or Org files,
/// or a README/CHANGELOG/TODO/NOTES/LICENSE without an extension.
pub fn is_documentation(path: &str) -> bool {
    let path = path.trim().trim_matches(['"', '\'', '`']);
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match Path::new(name).extension().and_then(|ext| ext.to_str()) {
        Some(ext) => {
            matches!(ext.to_ascii_lowercase().as_str(), "md" | "markdown" | "mdx" | "txt" | "rst" | "adoc" | "org")
        }
        None => matches!(
            name.to_ascii_uppercase().as_str(),
            "README" | "CHANGELOG" | "CHANGES" | "TODO" | "NOTES" | "LICENSE" | "AUTHORS"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_are_told_from_code() {
        for doc in ["README.md", "docs\\TASKS.md", "CHANGELOG", "notes/plan.rst", "a/b/TODO.txt", "\"PLAN.md\""] {
            assert!(is_documentation(doc), "{doc}");
        }
        for code in ["src/main.rs", "app.py", "Makefile", "package.json", "src/md.rs", "docs/conf.py"] {
            assert!(!is_documentation(code), "{code}");
        }
    }
}
