//! Programs that delete what they are given as `rm -r -f` does, read as that `rm`: `npx rimraf ~`
//! deletes the home directory as surely as `rm -rf ~`, so every rule about `rm` judges it.

/// The programs read so: rimraf (and its `rimraf-cli` wrapper), the npm package every Node
/// project cleans with. A rule about `rm` is flagged by their names too (`rules::prefilter`).
pub const READ_AS_RM: &[&str] = &["rimraf", "rimraf-cli"];

/// The words of `rm -r -f` with the operands of `words`, when its program is such a deleter.
pub fn read_as_rm(words: Vec<String>) -> Vec<String> {
    let Some(first) = words.first() else { return words };
    if !READ_AS_RM.contains(&super::program_name(first)) {
        return words;
    }
    let mut read = vec!["rm".to_owned(), "-r".to_owned(), "-f".to_owned()];
    let mut options_end = false;
    for word in words.into_iter().skip(1) {
        if !options_end && word == "--" {
            options_end = true;
        } else if options_end || !word.starts_with('-') || word == "-" {
            read.push(word);
        }
    }
    read
}
