//! Programs that run a command named after a verb or an operand of their own: `uv run pytest`,
//! `conda run -n env make`, `direnv exec . make`, `nix develop -c make`, `axiom run -- make`.
//! Agents put project runners before their commands as a matter of course, so `uv run rm -rf ~`
//! must be judged as `rm -rf ~` is. (`hatch run` is left out: what it runs is mostly a script
//! its project names, `hatch run test:cov`.)

use super::program_name;

/// How one runner is written: the verb that runs a command (none for a runner that is its own
/// verb), the options that take a separate value, the operands before the command, and whether
/// the command only comes after an option (`nix develop -c CMD`).
struct Runner {
    program: &'static str,
    verbs: &'static [&'static str],
    options_with_value: &'static [&'static str],
    operands: usize,
    command_after: &'static [&'static str],
}

const fn runner(
    program: &'static str,
    verbs: &'static [&'static str],
    options_with_value: &'static [&'static str],
) -> Runner {
    Runner { program, verbs, options_with_value, operands: 0, command_after: &[] }
}

// uv's, poetry's, pipenv's, pdm's and rye's options that take a value, before the command.
#[rustfmt::skip]
const PYTHON_PROJECT: &[&str] = &[
    "-p", "--python", "--with", "-w", "--with-requirements", "--with-editable", "--project", "--directory", "--env-file",
    "--extra", "--group", "--no-group", "--only-group", "--package", "--index", "--index-url", "--extra-index-url",
    "--default-index", "-f", "--find-links", "--config-file", "--cache-dir", "--python-platform", "--refresh-package",
    "-P", "--upgrade-package", "--exclude-newer", "--prerelease", "--resolution", "--link-mode", "--color", "-C", "-e",
    "--env",
];
const CONDA: &[&str] = &["-n", "--name", "-p", "--prefix", "--cwd"];

const RUNNERS: &[Runner] = &[
    runner("uv", &["run"], PYTHON_PROJECT),
    runner("poetry", &["run"], PYTHON_PROJECT),
    runner("pipenv", &["run"], PYTHON_PROJECT),
    runner("pdm", &["run"], PYTHON_PROJECT),
    runner("rye", &["run"], PYTHON_PROJECT),
    runner("pixi", &["run", "exec"], &["-e", "--environment", "--manifest-path"]),
    runner("conda", &["run"], CONDA),
    runner("mamba", &["run"], CONDA),
    runner("micromamba", &["run"], CONDA),
    runner("bundle", &["exec"], &[]),
    // `mise exec node@20 -- node x.js`, `dotenv -e .env.prod -- cmd` (and python-dotenv's `dotenv run
    // -- cmd`): what comes before `--` names tools or files, not the command.
    Runner { command_after: &["--"], ..runner("mise", &["exec", "x"], &[]) },
    runner("asdf", &["exec"], &[]),
    Runner { command_after: &["--"], ..runner("dotenv", &[], &[]) },
    runner("axiom", &["run"], &["--rules", "--driver", "--prompt-pattern", "--listen", "--kill-grace"]),
    Runner { operands: 1, ..runner("direnv", &["exec"], &[]) },
    Runner { command_after: &["-c", "--command"], ..runner("nix", &["develop", "shell"], &[]) },
];

/// Where the command a runner runs begins in `words`, when `words` start with a runner that
/// runs one.
pub(super) fn command_start(words: &[String]) -> Option<usize> {
    let name = program_name(words.first()?);
    let runner = RUNNERS.iter().find(|runner| runner.program == name)?;
    let mut index = 1;
    if !runner.verbs.is_empty() {
        // Options before the verb (`poetry -C dir run`) are the runner's own.
        while words.get(index).is_some_and(|word| word.starts_with('-')) {
            index += 1 + usize::from(runner.options_with_value.contains(&words[index].as_str()));
        }
        if !runner.verbs.contains(&words.get(index)?.as_str()) {
            return None;
        }
        index += 1;
    }
    if !runner.command_after.is_empty() {
        let flag = words[index..].iter().position(|word| runner.command_after.contains(&word.as_str()))?;
        return Some(index + flag + 1).filter(|&start| start < words.len());
    }
    let mut operands = runner.operands;
    while let Some(word) = words.get(index) {
        if word == "--" {
            index += 1;
            break;
        }
        if word.starts_with('-') && word.len() > 1 {
            index += 1 + usize::from(runner.options_with_value.contains(&word.as_str()));
        } else if operands > 0 {
            operands -= 1;
            index += 1;
        } else {
            break;
        }
    }
    (index < words.len()).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(line: &str) -> Option<String> {
        let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        command_start(&words).map(|at| words[at..].join(" "))
    }

    #[test]
    fn finds_the_command_each_runner_runs() {
        for (line, command) in [
            ("uv run rm -rf ~", "rm -rf ~"),
            ("uv run --with requests -p 3.12 python x.py", "python x.py"),
            ("uv run -- pkill -f axiom", "pkill -f axiom"),
            ("poetry -C app run pytest -x", "pytest -x"),
            ("pipenv run git clean -fdx", "git clean -fdx"),
            ("conda run -n base rm -rf ~", "rm -rf ~"),
            ("micromamba run --prefix /opt/env make", "make"),
            ("bundle exec rake db:drop", "rake db:drop"),
            ("mise exec -- git push -f", "git push -f"),
            ("mise exec python@3.12 -- rm -rf ~", "rm -rf ~"),
            ("dotenv run -- rm -rf ~", "rm -rf ~"),
            ("uv run --extra-index-url https://x.example/simple rm -rf ~", "rm -rf ~"),
            ("dotenv -e .env.prod -- node drop.js", "node drop.js"),
            ("direnv exec . rm -rf .git", "rm -rf .git"),
            ("nix develop .#ci -c git reset --hard", "git reset --hard"),
            ("nix shell nixpkgs#jq --command rm -rf ~", "rm -rf ~"),
            ("axiom run --rules r/ -- rm -rf ~", "rm -rf ~"),
            ("axiom run rm -rf ~", "rm -rf ~"),
        ] {
            assert_eq!(start(line).as_deref(), Some(command), "{line}");
        }
    }

    #[test]
    fn a_runner_given_no_command_runs_none() {
        for line in [
            "uv sync",
            "uv run",
            "poetry install",
            "conda activate base",
            "nix develop",
            "nix build .#x",
            "axiom serve",
            "direnv exec .",
        ] {
            assert_eq!(start(line), None, "{line}");
        }
    }
}
