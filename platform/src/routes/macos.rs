//! macOS: routes are not implemented yet; every call returns
//! [`RouteError::Unsupported`].

use std::net::IpAddr;

use super::{Family, PathToHost, Route, RouteError, TableRoute};
use crate::device::{Interface, Removal};

const OS: &str = "macOS";

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

    pub(super) async fn main_routes(&self, _family: Family) -> Result<Vec<TableRoute>, RouteError> {
        Err(RouteError::Unsupported {
            what: "listing the routing table",
            os: OS,
        })
    }

    pub(super) async fn interface(&self, _index: u32) -> Result<Option<Interface>, RouteError> {
        Err(RouteError::Unsupported {
            what: "looking up an interface",
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
