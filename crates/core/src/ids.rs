//! Typed ids. They are UUIDs (v7 at the edges, so they sort by creation),
//! but an `AccountId` can never be passed where a `TxId` is expected.
//! The core never makes one: ids arrive inside commands.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

id_type!(
    /// A book: the set of accounts one owner keeps together.
    BookId
);
id_type!(AccountId);
id_type!(CategoryId);
id_type!(
    /// A transaction; its postings are addressed by position inside it.
    TxId
);
id_type!(UserId);
id_type!(OrgId);
id_type!(
    /// One import: the rows of one file (or one upload of several) stored together and undone together.
    BatchId
);
id_type!(
    /// A row held back by an import for a person to decide on.
    ReviewId
);
