//! Embeds the default rule pack (`rules/*.yaml`) into the binary, so `axiom` works with no files at all.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    // A binary without its pack would watch nothing and say nothing about it: refuse to build.
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|entry| entry.path()).collect(),
        Err(err) => panic!("cannot read the rule pack in {}: {err}", dir.display()),
    };
    files.retain(|path| matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")));
    files.sort();
    assert!(!files.is_empty(), "no rule files (*.yaml) in {}: the built-in pack would be empty", dir.display());
    let mut code = String::from("&[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    code.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("default_pack.rs");
    std::fs::write(out, code).unwrap();
}
