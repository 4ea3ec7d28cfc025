//! Pull secrets written to the cluster: would the kubelet decode them and use them for the
//! registries the settings declare them for (`check`), and the findings in words (`words`).

pub(crate) mod check;
pub(crate) mod fix;
pub(crate) mod words;
