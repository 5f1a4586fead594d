//! The API story through real HTTP.
