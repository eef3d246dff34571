//! `getHostByName`: one of the addresses the system resolver gives for a name.

use std::net::ToSocketAddrs;

use gotmpl::{FuncError, FuncMap, Value};

use crate::{args, define};

/// Register the network functions.
pub fn register(m: &mut FuncMap) {
    define(m, &["getHostByName"], |n, a| {
        args::exact(n, a, 1)?;
        let name = args::string(&a[0])?;
        let addrs: Vec<String> = (name, 0)
            .to_socket_addrs()
            .map(|it| it.map(|s| s.ip().to_string()).collect())
            .unwrap_or_default();
        if addrs.is_empty() {
            // Sprig picks rand.Intn(len(addrs)), which panics on no answer.
            return Err(FuncError::new(format!(
                "lookup {name}: no such host (invalid argument to Intn)"
            )));
        }
        let pick = crate::random::below(addrs.len() as u64)? as usize;
        Ok(Value::str(&addrs[pick]))
    });
}
