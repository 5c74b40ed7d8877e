//! placeholder
pub mod json_state;
pub mod msgpack;
pub mod value;
