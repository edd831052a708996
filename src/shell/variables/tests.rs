use super::*;

/// The variables after `script`, one command per line, each run for sure unless it starts
/// with `?` (after `&&`, in a pipeline, …).
fn known(script: &str) -> Variables {
    let mut variables = Variables::default();
    for line in script.lines() {
        let (sure, text) = line.strip_prefix('?').map_or((true, line), |rest| (false, rest));
        let super::super::words::CommandWords { words, fed, .. } = super::super::words::command_words(text, &variables);
        // As the parser does: a command that cannot change what is known is not recorded.
        if variables.may_change(&words, text) {
            variables.record(&words, text, &fed, sure, false);
        }
    }
    variables
}

fn expand(variables: &Variables, text: &str, quoted: bool) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    variables.expansion(&chars, 0, quoted).map(|(written, end)| {
        assert!(end <= chars.len());
        written + &chars[end..].iter().collect::<String>()
    })
}

#[test]
fn plain_exported_and_appended_values_are_known_and_a_prefix_assignment_is_not() {
    let variables = known("P=a.iom\nexport Q=x R+=y\nS=1 env\nQ+=z\nT=$P");
    assert_eq!(expand(&variables, "$P", false).as_deref(), Some(r"\a\.\i\o\m"));
    assert_eq!(expand(&variables, "${Q}/bin", true).as_deref(), Some("xz/bin"));
    assert_eq!(expand(&variables, "$T", true).as_deref(), Some("a.iom"));
    assert_eq!(expand(&variables, "$R", false), None, "appended to a name not known");
    assert_eq!(expand(&variables, "$S", false), None, "given to env only");
}

#[test]
fn a_value_of_plain_references_to_names_not_known_keeps_them_as_written() {
    let variables = known("C=$HOME\nE=${HOME%%/*}\nF=$(date)\nG=$1");
    // Written escaped, so the reference reaches the rules as written and is not expanded again.
    assert_eq!(expand(&variables, "$C", true).as_deref(), Some(r"\$HOME"));
    let words = |script: &str| -> Vec<Vec<String>> {
        super::super::commands(script).into_iter().map(|command| command.words).collect()
    };
    assert_eq!(words("D=$HOME; rm -rf \"$D\" $D/"), [vec!["rm", "-rf", "$HOME", "$HOME/"]]);
    for assigned in ["export D=$HOME", "export D=\"$HOME\"", "declare D=$HOME", "readonly D=$HOME"] {
        assert_eq!(words(&format!("{assigned}; rm -rf \"$D\"")).last().unwrap(), &["rm", "-rf", "$HOME"], "{assigned}");
    }
    assert_eq!(words("D=${HOME}/src; ls \"$D\""), [vec!["ls", "${HOME}/src"]]);
    assert_eq!(expand(&variables, "$E", true), None, "an operation on the value");
    assert_eq!(
        words("rm -rf ${HOME%/} ${HOME%/*}"),
        [vec!["rm", "-rf", "${HOME}", "${HOME}/.."]],
        "the operations read"
    );
    assert_eq!(words("D=/srv/app/; rm -rf \"${D%/}\" ${D%/*}"), [vec!["rm", "-rf", "/srv/app", "/srv/app"]]);
    assert_eq!(expand(&variables, "$F", true), None, "a substitution");
    assert_eq!(expand(&variables, "$G", true), None, "a positional parameter");
}

#[test]
fn whatever_may_set_a_name_otherwise_makes_it_unknown() {
    let script =
        "A=1\nA=$(…)\nZ=1\nZ=\nB=1\nunset B\nC=1\nC=$HOME\nD=1\n?D=2\nE=1\nprintf -v E x\nF=1\nread -p F -r G\n\
                  H=1\neval H=2\nI=1\nI[0]=2\nJ=1\n((J=2))\nK=1\nlet K++\nL=1\ndeclare -n L=M\nN=1\nfor N in $(…) b\n\
                  O=1\ngetopts ab O\nQ=1\nmapfile -t Q\nR=1\nX=(a b)";
    let variables = known(script);
    for name in ["A", "Z", "B", "D", "E", "G", "H", "I", "J", "K", "L", "N", "O", "Q", "X"] {
        assert_eq!(expand(&variables, &format!("${name}"), false), None, "{name}");
    }
    // `read -p F` takes F as its prompt; `read` alone sets REPLY.
    let variables = known("F=1\nREPLY=1\nread -p F -r G\nread");
    assert_eq!(expand(&variables, "$F", false).as_deref(), Some(r"\1"));
    assert_eq!(expand(&variables, "$REPLY", false), None);
    // What may set any name forgets every one.
    for script in ["A=1\nsource ./env", "A=1\neval \"$C\"", "A=1\ndeclare \"$N=2\"", "A=1\ntrap 'A=2' DEBUG"] {
        assert_eq!(expand(&known(script), "$A", false), None, "{script}");
    }
    // Also after a reserved word (in a body, which makes the name unknown anyway).
    assert_eq!(expand(&known("X=1\nthen source ./f"), "$X", false), None);
    assert_eq!(expand(&known("X=1\ndo read X"), "$X", false), None);
    // After a reference, nothing is followed; `local` outside a function and `declare -p` set nothing.
    assert_eq!(expand(&known("declare -n R=H\nH=1"), "$H", false), None);
    assert_eq!(expand(&known("local H=1\ndeclare -p I=1"), "$H$I", false), None);
    // `A=~ H=$A` assigns left to right.
    assert_eq!(expand(&known("A=1\nA=2 H=$A"), "$H", false), None);
}

#[test]
fn an_unquoted_value_splits_into_words_and_a_quoted_one_does_not() {
    let variables = known("X='rm -rf'");
    assert_eq!(expand(&variables, "$X ~", false).as_deref(), Some(r"\r\m \-\r\f ~"));
    assert_eq!(expand(&variables, "$X\"", true).as_deref(), Some("rm -rf\""));
    assert_eq!(expand(&known("X='rm -rf'\nIFS=,"), "$X", false), None, "split where IFS says");
}

#[test]
fn operators_give_what_bash_gives() {
    let mut variables = known("P=x");
    // An empty value, as a call's missing argument is.
    variables.set_arguments(&["".into()]);
    assert_eq!(expand(&variables, "${P:-a}", true).as_deref(), Some("x"));
    assert_eq!(expand(&variables, "${1:-a}", true).as_deref(), Some("a"));
    assert_eq!(expand(&variables, "${1-a}", true).as_deref(), Some(""));
    assert_eq!(expand(&variables, "${P:+a}", true).as_deref(), Some("a"));
    assert_eq!(expand(&variables, "${1:+a}", true).as_deref(), Some(""));
    assert_eq!(expand(&variables, "${1+a}", true).as_deref(), Some("a"));
    // Not set here: the name where the environment has it (as the agent's shell does), else the
    // default.
    assert_eq!(expand(&variables, "${HOME:-/tmp/x}", true), Some(format!("\\${QUOTED_BRACE}HOME}}")));
    assert_eq!(expand(&variables, "${AXIOM_SURELY_UNSET:-/tmp/x}", true).as_deref(), Some("/tmp/x"));
    assert_eq!(expand(&variables, "${NOPE:+y}", true), None);
    assert_eq!(expand(&variables, "${NOPE:-$(x)}", true), None);
}

#[test]
fn positional_parameters_are_the_arguments_of_the_call() {
    let mut variables = Variables::default();
    variables.set_arguments(&["~".into(), "b c".into()]);
    assert_eq!(expand(&variables, "$1x", false).as_deref(), Some(r"\~x"));
    assert_eq!(expand(&variables, "${2}", true).as_deref(), Some("b c"));
    assert_eq!(expand(&variables, "$3", true).as_deref(), Some(""));
    assert_eq!(expand(&variables, "$@", true).as_deref(), Some(r#"~" "b c"#));
    assert_eq!(expand(&Variables::default(), "$1", false), None);
    assert_eq!(expand(&variables, "$0", false), None);
}

#[test]
fn an_alias_is_written_in_place_of_the_first_word_that_names_it() {
    let variables = known("alias r=rm 'del=r -rf' 'loop=loop x'\nalias gone=rm\nunalias gone\n?alias maybe=rm");
    assert_eq!(variables.with_aliases_expanded("  del ~").as_deref(), Some("rm -rf ~"));
    assert_eq!(variables.with_aliases_expanded("if r -f x").as_deref(), Some("if rm -f x"));
    assert_eq!(variables.with_aliases_expanded("loop").as_deref(), Some("loop x"));
    assert_eq!(variables.with_aliases_expanded("gone -rf ~"), None);
    assert_eq!(variables.with_aliases_expanded("maybe -rf ~"), None);
    assert_eq!(variables.with_aliases_expanded("echo r"), None);
}

#[test]
fn values_that_would_outgrow_the_bounds_are_not_kept() {
    let mut variables = known("P=xxxxxxxx");
    let mut longest = 0;
    // `P=$P$P` until P is no longer known.
    while let Some(value) = expand(&variables, "$P", true) {
        longest = longest.max(value.len());
        variables.record(&[format!("P={value}{value}")], "P=…", &[], true, false);
    }
    assert_eq!(longest, MAX_VALUE);
    assert!(variables.bytes <= MAX_BYTES);
    // What expansions add to one script is bounded too.
    let big = known(&format!("P={}", "x".repeat(MAX_VALUE)));
    let expanded = (0..200).filter(|_| expand(&big, "$P", true).is_some()).count();
    assert!(expanded < MAX_EXPANDED_TEXT / MAX_VALUE, "{expanded}");
}

#[test]
fn an_exported_name_keeps_its_value_and_is_what_a_program_sees() {
    let variables = known("X=a\nexport X\nY=b\nZ=c\ndeclare -x Z\nA=(a b)\nexport A");
    assert_eq!(expand(&variables, "$X", true).as_deref(), Some("a"));
    let seen = variables.environment(&[("W".to_owned(), "w".to_owned())]);
    assert_eq!(expand(&seen, "$X$Z$W", true).as_deref(), Some("a$Z$W"), "one expansion at a time");
    assert_eq!(expand(&seen, "$Z", true).as_deref(), Some("c"));
    assert_eq!(expand(&seen, "$W", true).as_deref(), Some("w"));
    assert_eq!(expand(&seen, "$Y", true), None, "not exported");
    assert_eq!(expand(&seen, "$A", true), None, "an array is not exported");
    let all = known("set -a\nY=b").environment(&[]);
    assert_eq!(expand(&all, "$Y", true).as_deref(), Some("b"));
}
