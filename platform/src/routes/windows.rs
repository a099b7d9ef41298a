//! Windows: routes are not implemented yet; every call returns
//! [`RouteError::Unsupported`].

use std::net::IpAddr;

use super::{PathToHost, Route, RouteError};
use crate::device::Removal;

const OS: &str = "Windows";

#[derive(Debug)]
pub(super) struct Table;

impl Table {
    pub(super) fn open() -> Result<Self, RouteError> {
        Ok(Self)
    }

    pub(super) async fn path_to(&self, _destination: IpAddr) -> Result<PathToHost, RouteError> {
        Err(RouteError::Unsupported {
            what: "looking up a route",
            os: OS,
        })
    }

    pub(super) async fn add(&self, _route: &Route) -> Result<(), RouteError> {
        Err(RouteError::Unsupported {
            what: "adding a route",
            os: OS,
        })
    }

    pub(super) async fn remove(&self, _route: &Route) -> Result<Removal, RouteError> {
        Err(RouteError::Unsupported {
            what: "removing a route",
            os: OS,
        })
    }
}
