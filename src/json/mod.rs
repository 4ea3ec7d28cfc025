//! JSON helpers every feature shares: where a document fails to deserialize, in words
//! (`error`), and one member of a document changed by splicing its text (`splice`).

pub(crate) mod error;
pub(crate) mod splice;
