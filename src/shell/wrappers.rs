//! Programs that run another program: `sudo rm ...` deletes as surely as `rm ...` does.

use super::{program_name, SimpleCommand};

/// The words with leading `VAR=value` assignments, reserved words that open a compound command
/// (`{ rm -rf ~; }`, `if x; then rm -rf ~; fi`, `! rm -rf ~`) and wrapper programs (and their
/// options) removed, so the first word is the program that does the work.
pub fn strip(words: Vec<String>) -> Vec<String> {
    strip_noting_xargs(words).0
}

/// [`strip`], and whether `xargs` was among the wrappers: the program then also takes the words
/// of its input as operands.
pub fn strip_noting_xargs(mut words: Vec<String>) -> (Vec<String>, bool) {
    let mut through_xargs = false;
    loop {
        let reserved = words.iter().take_while(|word| is_reserved(word)).count();
        if reserved > 0 {
            words.drain(..reserved);
            continue;
        }
        // `function NAME { BODY; }`: the body runs when the function is called.
        if words.first().is_some_and(|word| word == "function") {
            words.drain(..2.min(words.len()));
            continue;
        }
        let skip = leading_assignments(&words);
        if skip > 0 {
            words.drain(..skip);
            continue;
        }
        let Some(first) = words.first() else { return (words, through_xargs) };
        let Some(taking_values) = wrapper_options(program_name(first)) else { return (words, through_xargs) };
        through_xargs |= program_name(first) == "xargs";
        let mut index = 1;
        // `timeout 10 cmd`, `nice -n 5 cmd`: a wrapper's own options and leading operands.
        let mut operands = leading_operands(program_name(first));
        while let Some(word) = words.get(index) {
            if word == "--" {
                index += 1;
                break;
            }
            if word.starts_with('-') && word.len() > 1 {
                let takes_value = taking_values.contains(&word.as_str());
                index += 1 + usize::from(takes_value);
            } else if program_name(first) == "env" && word.contains('=') {
                index += 1;
            } else if operands > 0 {
                operands -= 1;
                index += 1;
            } else {
                break;
            }
        }
        words.drain(..index.min(words.len()));
    }
}

/// Words the shell reads as the start of a compound command (or a negation) when they come
/// first, before the command that runs.
fn is_reserved(word: &str) -> bool {
    matches!(word, "{" | "!" | "if" | "then" | "elif" | "else" | "while" | "until" | "do")
}

/// How many words at the start are `NAME=value` assignments.
fn leading_assignments(words: &[String]) -> usize {
    words
        .iter()
        .take_while(|word| {
            word.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !name.as_bytes()[0].is_ascii_digit()
            })
        })
        .count()
}

/// For a wrapper program, the options that take a separate value; `None` if not a wrapper.
fn wrapper_options(program: &str) -> Option<&'static [&'static str]> {
    Some(match program {
        "sudo" | "doas" => &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
        "env" => &["-u", "-C", "-S", "--unset", "--chdir"],
        "xargs" => &["-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter", "--max-args"],
        "nice" => &["-n", "--adjustment"],
        "timeout" => &["-s", "-k", "--signal", "--kill-after"],
        // `exec -a NAME cmd` runs cmd under another name.
        "exec" => &["-a"],
        "nohup" | "time" | "command" | "builtin" | "stdbuf" | "caffeinate" | "ionice" | "busybox" => &[],
        _ => return None,
    })
}

/// Operands a wrapper takes before the command (`timeout DURATION cmd`).
fn leading_operands(program: &str) -> usize {
    usize::from(program == "timeout")
}

pub fn is_shell(program: &str) -> bool {
    matches!(program, "sh" | "bash" | "zsh" | "dash" | "ksh" | "fish")
}

/// The script a command runs by itself: `bash -c SCRIPT`, `sh -lc SCRIPT`, `eval WORDS`,
/// `powershell -Command SCRIPT`.
pub fn inner_script(command: &SimpleCommand) -> Option<String> {
    let program = command.program();
    let args = command.args();
    if is_shell(program) {
        let flag = args.iter().position(|a| a.starts_with('-') && !a.starts_with("--") && a.contains('c'))?;
        return args.get(flag + 1).cloned();
    }
    match program.to_ascii_lowercase().as_str() {
        "eval" => Some(args.join(" ")),
        "powershell" | "pwsh" => {
            let flag = args.iter().position(|a| a.eq_ignore_ascii_case("-command") || a.eq_ignore_ascii_case("-c"))?;
            Some(args.get(flag + 1..)?.join(" "))
        }
        _ => None,
    }
}
