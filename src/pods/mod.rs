//! Pods and the pod templates of the seven workload kinds: the check of their images against
//! their pull secrets (`check`), its findings in words (`words`), and the opt-in fix that adds
//! a missing pull secret (`fix`, worded by `fix_words`).

pub(crate) mod check;
pub(crate) mod fix;
pub(crate) mod fix_words;
pub(crate) mod words;
