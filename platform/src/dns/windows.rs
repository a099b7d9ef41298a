//! Windows: DNS is not configured yet; every call returns
//! [`DnsError::Unsupported`].

use std::net::IpAddr;
use std::path::Path;

use super::{DnsBackend, DnsChoice, DnsError};
use crate::device::{Interface, Removal};

const OS: &str = "Windows";

pub(super) fn detect(_choice: DnsChoice, _resolv_conf: &Path) -> Result<DnsBackend, DnsError> {
    Err(DnsError::Unsupported {
        what: "configuring DNS",
        os: OS,
    })
}

pub(super) async fn set_link_dns(
    _interface: &Interface,
    _servers: &[IpAddr],
    _search_domains: &[String],
) -> Result<(), DnsError> {
    Err(DnsError::Unsupported {
        what: "setting a link's DNS servers",
        os: OS,
    })
}

pub(super) async fn revert_link_dns(_interface: &Interface) -> Result<Removal, DnsError> {
    Err(DnsError::Unsupported {
        what: "reverting a link's DNS servers",
        os: OS,
    })
}
