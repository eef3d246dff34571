//! Release channels and their registry tags.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A DKP release channel, least stable first (the derived order is the stability order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// `alpha`
    Alpha,
    /// `beta`
    Beta,
    /// `early-access`
    EarlyAccess,
    /// `stable`
    Stable,
    /// `rock-solid`
    RockSolid,
    /// `lts`
    Lts,
}

impl Channel {
    /// All channels in stability order.
    pub const ALL: [Channel; 6] = [
        Channel::Alpha,
        Channel::Beta,
        Channel::EarlyAccess,
        Channel::Stable,
        Channel::RockSolid,
        Channel::Lts,
    ];

    /// The release-image tag of this channel (kebab-case of the enum value).
    pub fn tag(self) -> &'static str {
        match self {
            Channel::Alpha => "alpha",
            Channel::Beta => "beta",
            Channel::EarlyAccess => "early-access",
            Channel::Stable => "stable",
            Channel::RockSolid => "rock-solid",
            Channel::Lts => "lts",
        }
    }

    /// The channel whose tag is `tag`, if any.
    pub fn from_tag(tag: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.tag() == tag)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Channel {
    type Err = Error;

    /// Accepts the tag form (`early-access`) and the custom-resource form (`EarlyAccess`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(channel) = Channel::from_tag(s) {
            return Ok(channel);
        }
        let lowered: String = s.chars().filter(|c| *c != '-' && *c != '_').collect();
        Channel::ALL
            .into_iter()
            .find(|c| c.tag().replace('-', "").eq_ignore_ascii_case(&lowered))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "unknown release channel {s:?}; expected one of: alpha, beta, early-access, stable, rock-solid, lts"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tag_and_resource_spelling() {
        assert_eq!(
            "early-access".parse::<Channel>().unwrap(),
            Channel::EarlyAccess
        );
        assert_eq!("RockSolid".parse::<Channel>().unwrap(), Channel::RockSolid);
        assert_eq!(Channel::RockSolid.tag(), "rock-solid");
        assert!("nightly".parse::<Channel>().is_err());
    }
}
