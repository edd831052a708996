//! Programs that delete what they are given as `rm -r -f` does, read as that `rm`: `npx rimraf ~`
//! deletes the home directory as surely as `rm -rf ~`, so every rule about `rm` judges it.

/// The words of `rm -r -f` with the operands of `words`, when its program is such a deleter.
pub fn read_as_rm(words: Vec<String>) -> Vec<String> {
    let Some(first) = words.first() else { return words };
    // rimraf (and its `rimraf-cli` wrapper), the npm package every Node project cleans with.
    if !matches!(super::program_name(first), "rimraf" | "rimraf-cli") {
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
