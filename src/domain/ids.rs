//! Ids of the records that are passed around most, as types: a function that takes an
//! incident and a clock cannot be called with the two swapped.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id (UUID v4).
            pub fn generate() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                String::schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

id_type!(
    /// An incident's id (its reference, YQ-2026-000123, is for people).
    IncidentId
);
id_type!(
    /// A deadline clock's id.
    ClockId
);
id_type!(
    /// An escalation row's id: one planned mail to one person.
    EscalationId
);
id_type!(
    /// A person's id in the directory.
    ContactId
);
id_type!(
    /// A console account's id.
    AccountId
);
id_type!(
    /// An office's id (its code is for URLs and people).
    UnitId
);
id_type!(
    /// An API token's id (the token's secret is stored only as a hash).
    TokenId
);
id_type!(
    /// A unit's group robot's id (企业微信, 钉钉, 飞书).
    RobotId
);
id_type!(
    /// A briefing's id: one version of an incident's report to the parent unit (快报).
    BriefingId
);
