//! Sample-quality metrics shared by the labs.
pub mod energy;
pub mod explicitness;
pub mod infomec;
pub mod information;
pub mod roc;
