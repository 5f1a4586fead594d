//! Our own fixtures.
