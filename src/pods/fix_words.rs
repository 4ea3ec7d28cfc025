//! The fix's warnings: what was added to the object, and what that means for its Pods.

use crate::pods::fix::{Base, Plan};
use crate::words::list;

/// One warning per added secret.
pub(crate) fn warnings(plan: &Plan<'_>) -> Vec<String> {
    plan.additions
        .iter()
        .enumerate()
        .map(|(i, addition)| {
            let containers: Vec<String> = addition
                .containers
                .iter()
                .map(|at| format!("{} {:?}", at.role.noun(), at.container))
                .collect();
            let mut warning = format!(
                "added imagePullSecrets {:?} for {} ({})",
                addition.secret,
                containers.join(", "),
                addition.registry.entry()
            );
            match &plan.base {
                Base::Own => {}
                Base::ServiceAccount { name, secrets } if i == 0 && !secrets.is_empty() => {
                    warning.push_str(&format!(
                        ", after the pull secrets of ServiceAccount {name:?} ({}), which the pod \
                         template now lists itself so that its Pods keep them",
                        list(secrets)
                    ));
                }
                Base::ServiceAccount { .. } => {}
                Base::ReplacesDefault => warning.push_str(
                    "; the Pods no longer get the pull secrets of ServiceAccount \"default\", if \
                     it has any: a pod template's own imagePullSecrets replace them",
                ),
            }
            warning
        })
        .collect()
}
