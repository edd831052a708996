//! Which task, if any, holds the other end of a connection to the hub.
//!
//! The client token opens `/client` (list, read, send to, interrupt, kill and spawn tasks) to
//! whoever can read `<state>/token`, and a supervised command runs as the same user as the hub:
//! it can read the file. Where tasks run in cgroups of their own ([`Containment`]), the hub can
//! tell such a command from the user: the connection's socket, found by its addresses in
//! `/proc/net/tcp` (or `tcp6`), is an open file of one of the task's processes. A connection held
//! by a task is refused, whatever token it shows. (A command that moved itself out of its cgroup,
//! or handed the socket to a process outside it, is not caught: see [`Containment`].)

use std::net::{IpAddr, SocketAddr};

use super::containment::Containment;

/// The id of the task whose processes hold the client end of the loopback connection from `peer`
/// to the hub's `local` address, if one does. Blocking (it reads `/proc`).
pub fn task_holding(place: &Containment, peer: SocketAddr, local: SocketAddr) -> Option<String> {
    let socket = format!("socket:[{}]", socket_inode(peer, local)?);
    place.present().into_iter().find_map(|(task, cgroup)| {
        let holds = |pid: u32| {
            let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
            fds.flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == socket.as_str()))
        };
        crate::hub::containment::processes_in(&cgroup).into_iter().any(holds).then_some(task)
    })
}

/// The inode of the socket whose local address is `peer` and whose remote address is `local`:
/// the client's end of a connection the hub accepted.
fn socket_inode(peer: SocketAddr, local: SocketAddr) -> Option<u64> {
    let (peer, local) = (unmapped(peer), unmapped(local));
    let table = match (peer.ip(), local.ip()) {
        (IpAddr::V4(_), IpAddr::V4(_)) => "/proc/net/tcp",
        (IpAddr::V6(_), IpAddr::V6(_)) => "/proc/net/tcp6",
        _ => return None,
    };
    let (peer, local) = (as_in_proc(peer), as_in_proc(local));
    let text = std::fs::read_to_string(table).ok()?;
    text.lines().skip(1).find_map(|line| {
        // `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode`
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&peer.as_str()) && fields.get(2) == Some(&local.as_str()))
            .then(|| fields.get(9)?.parse().ok())
            .flatten()
    })
}

/// An IPv4 address in IPv6 form (`::ffff:127.0.0.1`, how a hub listening on `[::]` sees an IPv4
/// client) as the IPv4 address the kernel lists it under.
fn unmapped(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V6(ip) => ip.to_ipv4_mapped().map_or(address, |ip| SocketAddr::new(IpAddr::V4(ip), address.port())),
        IpAddr::V4(_) => address,
    }
}

/// An address as `/proc/net/tcp{,6}` writes it: each 32-bit word of the address as the machine
/// holds it, in hexadecimal, then the port.
fn as_in_proc(address: SocketAddr) -> String {
    let words: Vec<u8> = match address.ip() {
        IpAddr::V4(ip) => ip.octets().to_vec(),
        IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    let mut text: String = words
        .chunks(4)
        .map(|word| format!("{:08X}", u32::from_ne_bytes([word[0], word[1], word[2], word[3]])))
        .collect();
    text.push_str(&format!(":{:04X}", address.port()));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_proc_net_tcp_writes_them() {
        if cfg!(target_endian = "little") {
            assert_eq!(as_in_proc("127.0.0.1:8080".parse().unwrap()), "0100007F:1F90");
            assert_eq!(as_in_proc("[::1]:22".parse().unwrap()), "00000000000000000000000001000000:0016");
        }
        assert_eq!(unmapped("[::ffff:127.0.0.1]:5".parse().unwrap()), "127.0.0.1:5".parse().unwrap());
    }

    #[test]
    fn the_client_end_of_a_loopback_connection_is_found_in_the_socket_table() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_accepted, peer) = listener.accept().unwrap();
        let inode = socket_inode(peer, listener.local_addr().unwrap()).expect("the client's socket is listed");
        let fd = std::os::fd::AsRawFd::as_raw_fd(&client);
        let target = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert_eq!(target.to_string_lossy(), format!("socket:[{inode}]"));
    }
}
