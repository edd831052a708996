//! Values as people write and read them: sizes with units, counted nouns, listen addresses.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

use bytesize::ByteSize;

/// A byte count for people: `512 B`, `37.1 MiB`.
pub fn bytes(count: u64) -> String {
    ByteSize::b(count).display().iec().to_string()
}

/// `1 line`, `2 lines`, `0 matches`: a count with its noun in the right number.
pub fn count(n: u64, singular: &str) -> String {
    format!("{n} {}", noun(n, singular))
}

/// The noun for `n` of it: `line` or `lines`, `match` or `matches`.
pub fn noun(n: u64, singular: &str) -> String {
    if n == 1 {
        singular.to_owned()
    } else if ["s", "x", "ch", "sh"].iter().any(|end| singular.ends_with(end)) {
        format!("{singular}es")
    } else {
        format!("{singular}s")
    }
}

/// Parses a size as written on a command line: `1048576`, `512KiB`, `8MiB`, `1GiB`, `1.5 GB`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<ByteSize>()
        .map(|size| size.as_u64())
        .map_err(|_| format!("{text:?} is not a size; write e.g. 8MiB, 1GiB, 500KB or a number of bytes"))
}

/// [`parse_bytes`] for sizes held in memory.
/// A task's in-memory output ring: at least one output chunk (64KiB), so that what a task just
/// printed can always be read back from memory.
pub fn parse_ring_bytes(text: &str) -> Result<usize, String> {
    const SMALLEST: usize = 64 * 1024;
    let size = parse_bytes(text)
        .and_then(|n| usize::try_from(n).map_err(|_| format!("{text:?} is too large for this machine")))?;
    if size < SMALLEST {
        return Err(format!("{text:?} is too small: a task keeps at least 64KiB of output in memory"));
    }
    Ok(size)
}

/// Parses a duration as users write it: `500ms`, `30s`, `12h`, `7days`.
pub fn parse_duration(text: &str) -> Result<humantime::Duration, String> {
    text.trim().parse().map_err(|err| format!("{text:?} is not a duration ({err}); write e.g. 500ms, 30s or 5min"))
}

/// [`parse_duration`], longer than zero.
pub fn parse_positive_duration(text: &str) -> Result<humantime::Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err(format!("{text:?}: the duration must be longer than zero"));
    }
    Ok(duration)
}

/// Parses a listen address as users write it: `127.0.0.1:8080`, `localhost:8080`, `[::1]:8080`,
/// `:8080` or just `8080` (both loopback), `0.0.0.0:8080` (every interface, asked for explicitly).
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let bad =
        || format!("{text:?} is not an address to listen on; write e.g. 8080, :8080, localhost:8080 or 127.0.0.1:8080");
    if let Ok(port) = text.trim_start_matches(':').parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.eq_ignore_ascii_case("localhost") {
        // Not a lookup: `localhost` may resolve to ::1 first, and the hub's token file and the
        // clients agree on 127.0.0.1.
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    let mut found = (host, port).to_socket_addrs().map_err(|err| format!("{}: {err}", bad()))?;
    found.next().ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_smaller_than_one_chunk_is_refused_with_the_reason() {
        assert_eq!(parse_ring_bytes("8MiB"), Ok(8 << 20));
        assert_eq!(parse_ring_bytes("64KiB"), Ok(64 << 10));
        for small in ["0", "1", "63KiB"] {
            assert!(parse_ring_bytes(small).unwrap_err().contains("too small"), "{small}");
        }
    }

    #[test]
    fn counts_have_the_right_number() {
        assert_eq!(count(1, "line"), "1 line");
        assert_eq!(count(0, "line"), "0 lines");
        assert_eq!(count(2, "match"), "2 matches");
        assert_eq!(count(1, "match"), "1 match");
        assert_eq!(count(3, "task"), "3 tasks");
    }

    #[test]
    fn sizes_parse_with_units_and_print_for_people() {
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("8MiB"), Ok(8 << 20));
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("1 KB"), Ok(1000));
        assert!(parse_bytes("lots").is_err());
        assert_eq!(bytes(38_888_896), "37.1 MiB");
        assert_eq!(bytes(12), "12 B");
    }

    #[test]
    fn durations_must_be_longer_than_zero() {
        assert_eq!(
            parse_positive_duration("12h").map(std::time::Duration::from),
            Ok(std::time::Duration::from_secs(12 * 3600))
        );
        assert!(parse_positive_duration("0s").unwrap_err().contains("longer than zero"));
        assert!(parse_positive_duration("soon").unwrap_err().contains("not a duration"));
    }

    #[test]
    fn listen_addresses_are_taken_as_written() {
        let loopback = |port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        assert_eq!(parse_listen("8090"), Ok(loopback(8090)));
        assert_eq!(parse_listen(":8090"), Ok(loopback(8090)));
        assert_eq!(parse_listen("localhost:8080"), Ok(loopback(8080)));
        assert_eq!(parse_listen("127.0.0.1:0"), Ok(loopback(0)));
        assert_eq!(parse_listen("[::1]:9"), Ok("[::1]:9".parse().unwrap()));
        assert_eq!(parse_listen("0.0.0.0:80"), Ok("0.0.0.0:80".parse().unwrap()));
        assert!(parse_listen("localhost").is_err());
        assert!(parse_listen("localhost:http-alt").is_err());
    }
}
