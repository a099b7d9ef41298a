//! Linux: routes through rtnetlink, in the main table.

use std::net::IpAddr;

use super::{Family, PathToHost, Route, RouteError, TableRoute};
use crate::device::{Interface, Removal};
use crate::netlink::{is_exists, is_gone, Lookup, Netlink};

#[derive(Debug)]
pub(super) struct Table {
    netlink: Netlink,
}

impl Table {
    pub(super) fn open() -> Result<Self, RouteError> {
        Ok(Self {
            netlink: Netlink::open().map_err(RouteError::Control)?,
        })
    }

    pub(super) async fn path_to(&self, destination: IpAddr) -> Result<PathToHost, RouteError> {
        let failed = |source| RouteError::Lookup {
            destination,
            source,
        };
        match self.netlink.route_get(destination).await.map_err(failed)? {
            Lookup::Local => Ok(PathToHost::Local),
            Lookup::Unicast {
                gateway,
                interface_index,
            } => {
                let name = self
                    .netlink
                    .link_name(interface_index)
                    .await
                    .map_err(failed)?
                    .ok_or_else(|| {
                        failed(std::io::Error::other(format!(
                            "interface {interface_index} vanished"
                        )))
                    })?;
                Ok(PathToHost::Via {
                    gateway,
                    interface: Interface {
                        name,
                        index: interface_index,
                    },
                })
            }
        }
    }

    pub(super) async fn main_routes(&self, family: Family) -> Result<Vec<TableRoute>, RouteError> {
        self.netlink
            .main_routes(family)
            .await
            .map_err(RouteError::Dump)
    }

    pub(super) async fn interface(&self, index: u32) -> Result<Option<Interface>, RouteError> {
        let name = self
            .netlink
            .link_name(index)
            .await
            .map_err(|source| RouteError::Interface { index, source })?;
        Ok(name.map(|name| Interface { name, index }))
    }

    pub(super) async fn add(&self, route: &Route) -> Result<(), RouteError> {
        match self
            .netlink
            .add_route(route.destination, route.gateway, route.interface.index)
            .await
        {
            Ok(()) => Ok(()),
            Err(err) if is_exists(&err) => Err(RouteError::AlreadyExists {
                route: route.to_string(),
            }),
            Err(source) => Err(RouteError::Add {
                route: route.to_string(),
                source,
            }),
        }
    }

    pub(super) async fn remove(&self, route: &Route) -> Result<Removal, RouteError> {
        match self
            .netlink
            .delete_route(route.destination, route.gateway, route.interface.index)
            .await
        {
            Ok(()) => Ok(Removal::Removed),
            Err(err) if is_gone(&err) => Ok(Removal::AlreadyGone),
            Err(source) => Err(RouteError::Remove {
                route: route.to_string(),
                source,
            }),
        }
    }
}
