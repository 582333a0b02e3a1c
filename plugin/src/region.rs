//! The 12 AWS regions this plugin serves, in the fixed port order of the multi-region image.
//!
//! `Region::ALL[i]` listens on port `8001 + i`; keeping the order here (and only here) means the
//! supervisor, the price tables and the docs cannot disagree about which port is which region.

use std::fmt;
use std::str::FromStr;

/// One of the regions the plugin has an embedded price table for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Region {
    /// US East (N. Virginia).
    UsEast1,
    /// US West (Oregon).
    UsWest2,
    /// Europe (Ireland).
    EuWest1,
    /// Asia Pacific (Singapore).
    ApSoutheast1,
    /// Asia Pacific (Sydney).
    ApSoutheast2,
    /// Asia Pacific (Tokyo).
    ApNortheast1,
    /// Asia Pacific (Mumbai).
    ApSouth1,
    /// Canada (Central).
    CaCentral1,
    /// South America (Sao Paulo).
    SaEast1,
    /// AWS GovCloud (US-West).
    UsGovWest1,
    /// AWS GovCloud (US-East).
    UsGovEast1,
    /// US West (N. California).
    UsWest1,
}

impl Region {
    /// Every region, in port order: `ALL[i]` serves on base port + `i`.
    pub const ALL: [Region; 12] = [
        Region::UsEast1,
        Region::UsWest2,
        Region::EuWest1,
        Region::ApSoutheast1,
        Region::ApSoutheast2,
        Region::ApNortheast1,
        Region::ApSouth1,
        Region::CaCentral1,
        Region::SaEast1,
        Region::UsGovWest1,
        Region::UsGovEast1,
        Region::UsWest1,
    ];

    /// The AWS region code, e.g. `us-east-1`.
    pub fn code(self) -> &'static str {
        match self {
            Region::UsEast1 => "us-east-1",
            Region::UsWest2 => "us-west-2",
            Region::EuWest1 => "eu-west-1",
            Region::ApSoutheast1 => "ap-southeast-1",
            Region::ApSoutheast2 => "ap-southeast-2",
            Region::ApNortheast1 => "ap-northeast-1",
            Region::ApSouth1 => "ap-south-1",
            Region::CaCentral1 => "ca-central-1",
            Region::SaEast1 => "sa-east-1",
            Region::UsGovWest1 => "us-gov-west-1",
            Region::UsGovEast1 => "us-gov-east-1",
            Region::UsWest1 => "us-west-1",
        }
    }

    /// Position in [`Region::ALL`] (0..=11): the offset from the base port (8001).
    pub fn port_offset(self) -> u16 {
        match self {
            Region::UsEast1 => 0,
            Region::UsWest2 => 1,
            Region::EuWest1 => 2,
            Region::ApSoutheast1 => 3,
            Region::ApSoutheast2 => 4,
            Region::ApNortheast1 => 5,
            Region::ApSouth1 => 6,
            Region::CaCentral1 => 7,
            Region::SaEast1 => 8,
            Region::UsGovWest1 => 9,
            Region::UsGovEast1 => 10,
            Region::UsWest1 => 11,
        }
    }

    /// The location names AWS price lists use for this region (attribute `location`).
    ///
    /// Older offer files say `EU (Ireland)`, newer ones and the pricing pages `Europe (Ireland)`;
    /// GovCloud West was plain `AWS GovCloud (US)` before GovCloud East existed.
    pub fn location_names(self) -> &'static [&'static str] {
        match self {
            Region::UsEast1 => &["US East (N. Virginia)"],
            Region::UsWest2 => &["US West (Oregon)"],
            Region::EuWest1 => &["EU (Ireland)", "Europe (Ireland)"],
            Region::ApSoutheast1 => &["Asia Pacific (Singapore)"],
            Region::ApSoutheast2 => &["Asia Pacific (Sydney)"],
            Region::ApNortheast1 => &["Asia Pacific (Tokyo)"],
            Region::ApSouth1 => &["Asia Pacific (Mumbai)"],
            Region::CaCentral1 => &["Canada (Central)"],
            Region::SaEast1 => &["South America (Sao Paulo)", "South America (São Paulo)"],
            Region::UsGovWest1 => &["AWS GovCloud (US-West)", "AWS GovCloud (US)"],
            Region::UsGovEast1 => &["AWS GovCloud (US-East)"],
            Region::UsWest1 => &["US West (N. California)"],
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A string that is not the code of one of the 12 served regions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown region {0:?}: expected one of us-east-1, us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, ap-south-1, ca-central-1, sa-east-1, us-gov-west-1, us-gov-east-1, us-west-1"
)]
pub struct UnknownRegion(pub String);

impl FromStr for Region {
    type Err = UnknownRegion;

    /// Parses a region code exactly (AWS codes are lowercase; `US-EAST-1` is refused).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Region::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRegion(s.chars().take(64).collect()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
    use super::*;

    #[test]
    fn port_order_matches_design() {
        let codes: Vec<_> = Region::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                "us-east-1",
                "us-west-2",
                "eu-west-1",
                "ap-southeast-1",
                "ap-southeast-2",
                "ap-northeast-1",
                "ap-south-1",
                "ca-central-1",
                "sa-east-1",
                "us-gov-west-1",
                "us-gov-east-1",
                "us-west-1"
            ]
        );
        for (i, r) in Region::ALL.iter().enumerate() {
            assert_eq!(usize::from(r.port_offset()), i);
        }
    }

    #[test]
    fn parses_and_displays_round_trip() {
        for r in Region::ALL {
            assert_eq!(r.to_string().parse::<Region>().unwrap(), r);
        }
        assert_eq!("eu-west-1".parse::<Region>(), Ok(Region::EuWest1));
    }

    #[test]
    fn refuses_unknown_and_hostile_codes() {
        assert!("eu-central-1".parse::<Region>().is_err());
        assert!("US-EAST-1".parse::<Region>().is_err());
        assert!("".parse::<Region>().is_err());
        let huge = "x".repeat(1 << 20);
        let err = huge.parse::<Region>().unwrap_err();
        assert_eq!(err.0.len(), 64, "the error keeps only a short prefix");
    }
}
