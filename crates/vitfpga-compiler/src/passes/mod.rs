//! One file per pass; [`crate::PIPELINE`] composes them by name.

pub mod alloc;
pub mod dump;
pub mod layout;
pub mod lower;
pub mod schedule;
