//! Embeds the default rule pack (`rules/*.yaml`) into the binary, so `axiom` works with no files
//! at all: each file as written, and the same rules as JSON, which `axiom` reads at start-up in a
//! tenth of the time YAML takes (the YAML stays for `axiom rules init` and rule locations).

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
    let mut json = String::from("&[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
        let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
        let value: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{} is not YAML: {err}", path.display()));
        writeln!(json, "    {:?},", serde_json::to_string(&value).unwrap()).unwrap();
    }
    code.push(']');
    json.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).to_path_buf();
    std::fs::write(out.join("default_pack.rs"), code).unwrap();
    std::fs::write(out.join("default_pack_json.rs"), json).unwrap();
}
