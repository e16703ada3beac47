//! Sample-quality metrics shared by the labs.
pub mod energy;
