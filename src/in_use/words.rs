//! The findings of the in-use check, in words: who still pulls with the Secret, from which
//! registry, and what to do instead. Names, kinds and registries only: no credential.

use super::check::{Change, Finding, InUse, User};
use crate::cluster::LookupError;
use crate::settings::PullSecretsInUse;
use crate::verdict::Verdict;
use crate::words::kubectl;

/// How many templates a message names; the rest are counted.
const NAMED: usize = 5;

/// The verdict: a rejection with `reject` when users were found and every kind was listed;
/// otherwise an acceptance, with the users and what could not be listed as warnings.
pub(crate) fn verdict(setting: PullSecretsInUse, found: &InUse<'_>) -> Verdict {
    let mut texts: Vec<String> = found.findings.iter().map(|f| finding(found, f)).collect();
    if !found.unlisted.is_empty() {
        texts.push(unlisted(found));
        return Verdict::Accept { warnings: texts };
    }
    if texts.is_empty() {
        return Verdict::accept();
    }
    match setting {
        PullSecretsInUse::Reject => Verdict::reject(texts.join(" ")),
        PullSecretsInUse::Warn | PullSecretsInUse::Allow => Verdict::Accept { warnings: texts },
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `Deployment web, CronJob nightly and 3 Pods`: up to five templates by kind and name, a
/// count of the others, and the Pods counted.
pub(crate) fn users(finding: &Finding) -> String {
    let shown = |u: &User| match &u.through {
        Some(account) => format!(
            "{} {} (through ServiceAccount {account})",
            u.kind.name(),
            u.name
        ),
        None => format!("{} {}", u.kind.name(), u.name),
    };
    let mut parts: Vec<String> = finding.templates.iter().take(NAMED).map(shown).collect();
    if finding.templates.len() > NAMED {
        let others = finding.templates.len() - NAMED;
        parts.push(count(others, "other workload", "other workloads"));
    }
    if finding.pods > 0 {
        parts.push(count(finding.pods, "Pod", "Pods"));
    }
    and_list(&parts)
}

fn finding(found: &InUse<'_>, finding: &Finding) -> String {
    let ns = found.namespace;
    let secret = &finding.secret;
    let verb = match finding.pods + finding.templates.len() {
        1 => "pulls",
        _ => "pull",
    };
    let registries = and_list(&finding.registries);
    let who = format!(
        "{} in {ns} {verb} from {registries} with {secret}",
        users(finding)
    );
    // One registry: the command that writes its key; `kubectl` writes one key per Secret.
    let command = match finding.registries.as_slice() {
        [registry] => format!(
            " (`{}`)",
            kubectl::create_pull_secret(secret, registry, Some(ns), true)
        ),
        _ => String::new(),
    };
    let (what, fails, instead) = match found.change {
        Change::SecretDeleted { .. } => (
            format!("Secret {secret:?} in namespace {ns:?} is still in use"),
            "fail (ImagePullBackOff) once it is deleted",
            format!(
                "update the Secret in place{command}, keeping a key for {registries}, or move \
                 them to another Secret first"
            ),
        ),
        Change::SecretUpdated { .. } => (
            format!("Secret {secret:?} in namespace {ns:?} would no longer serve {registries}"),
            "would fail (ImagePullBackOff)",
            format!(
                "keep a key for {registries} in it{command}, or move them to another Secret first"
            ),
        ),
        Change::ServiceAccount { account, deleted } => (
            format!(
                "ServiceAccount {account:?} in namespace {ns:?} {} pull secret {secret}",
                if deleted {
                    "is deleted with its"
                } else {
                    "would no longer give its Pods"
                }
            ),
            "would fail (ImagePullBackOff) in their new Pods: they list no imagePullSecrets of \
             their own",
            format!(
                "keep {secret} in the ServiceAccount, or list it (or another Secret that serves \
                 {registries}) in their own imagePullSecrets first"
            ),
        ),
    };
    format!("{what}: {who}, and their image pulls {fails}. Instead: {instead}.")
}

/// What could not be listed, and the grant that is missing.
fn unlisted(found: &InUse<'_>) -> String {
    let what = match found.change {
        Change::SecretDeleted { secret } | Change::SecretUpdated { secret } => ("Secret", secret),
        Change::ServiceAccount { account, .. } => ("ServiceAccount", account),
    };
    let mut entries: Vec<String> = Vec::new();
    let mut plurals: [Vec<String>; 2] = Default::default();
    for (kind, error) in &found.unlisted {
        let granted = *error != LookupError::NotGranted;
        plurals[usize::from(granted)].push(kind.plural.to_owned());
        if !granted {
            entries.push(format!(
                "{{apiVersion: {}, kind: {}}}",
                kind.api_version, kind.kind
            ));
        }
    }
    let mut why: Vec<String> = Vec::new();
    if !entries.is_empty() {
        why.push(format!(
            "the policy may not list {}: add {} to spec.contextAwareResources of the policy's \
             ClusterAdmissionPolicy",
            and_list(&plurals[0]),
            entries.join(", ")
        ));
    }
    if !plurals[1].is_empty() {
        why.push(format!(
            "the policy server could not list {}: let its ServiceAccount list and watch them \
             (policyServer.permissions of the kubewarden-defaults chart, or a ClusterRole of \
             your own)",
            and_list(&plurals[1])
        ));
    }
    format!(
        "{} {:?} in namespace {:?} was not checked for Pods and workloads that still pull with \
         it: {}.",
        what.0,
        what.1,
        found.namespace,
        why.join("; ")
    )
}

/// The Secret check's verdict and this one's, for one UPDATE: any rejection rejects, and
/// every message and warning is kept.
pub(crate) fn together(verdict: Verdict, in_use: Option<Verdict>) -> Verdict {
    let Some(in_use) = in_use else {
        return verdict;
    };
    let mut warnings = verdict.warnings().to_vec();
    warnings.extend_from_slice(in_use.warnings());
    let messages: Vec<&str> = [verdict.message(), in_use.message()]
        .into_iter()
        .flatten()
        .collect();
    if messages.is_empty() {
        return Verdict::Accept { warnings };
    }
    Verdict::Reject {
        message: messages.join(" "),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::WorkloadKind;
    use rstest::rstest;

    fn finding(
        registries: &[&str],
        templates: &[(WorkloadKind, &str, Option<&str>)],
        pods: usize,
    ) -> Finding {
        Finding {
            secret: "regcred".into(),
            registries: registries.iter().map(|r| r.to_string()).collect(),
            templates: templates
                .iter()
                .map(|(kind, name, through)| User {
                    kind: *kind,
                    name: name.to_string(),
                    through: through.map(str::to_owned),
                })
                .collect(),
            pods,
        }
    }

    fn found(change: Change<'static>, findings: Vec<Finding>) -> InUse<'static> {
        InUse {
            change,
            namespace: "team-a",
            findings,
            unlisted: Vec::new(),
        }
    }

    const WEB: (WorkloadKind, &str, Option<&str>) = (WorkloadKind::Deployment, "web", None);
    const NIGHTLY: (WorkloadKind, &str, Option<&str>) = (WorkloadKind::CronJob, "nightly", None);

    #[rstest]
    #[case::delete(
        Change::SecretDeleted { secret: "regcred" },
        &["private.registry.com"],
        "Secret \"regcred\" in namespace \"team-a\" is still in use: Deployment web, CronJob nightly and 3 Pods in team-a pull from private.registry.com with regcred, and their image pulls fail (ImagePullBackOff) once it is deleted. Instead: update the Secret in place (`kubectl create secret docker-registry regcred --docker-server=private.registry.com --docker-username=<user> --docker-password=<password> -n team-a --dry-run=client -o yaml | kubectl apply -f -`), keeping a key for private.registry.com, or move them to another Secret first."
    )]
    #[case::delete_two_registries(
        Change::SecretDeleted { secret: "regcred" },
        &["private.registry.com", "quay.io"],
        "in team-a pull from private.registry.com and quay.io with regcred, and their image pulls fail (ImagePullBackOff) once it is deleted. Instead: update the Secret in place, keeping a key for private.registry.com and quay.io, or move them"
    )]
    #[case::update(
        Change::SecretUpdated { secret: "regcred" },
        &["private.registry.com"],
        "Secret \"regcred\" in namespace \"team-a\" would no longer serve private.registry.com: Deployment web, CronJob nightly and 3 Pods in team-a pull from private.registry.com with regcred, and their image pulls would fail (ImagePullBackOff). Instead: keep a key for private.registry.com in it (`kubectl create secret docker-registry regcred --docker-server=private.registry.com"
    )]
    #[case::docker_hub(
        Change::SecretDeleted { secret: "regcred" },
        &["docker.io"],
        "--docker-server=https://index.docker.io/v1/ "
    )]
    #[case::service_account(
        Change::ServiceAccount { account: "builder", deleted: false },
        &["private.registry.com"],
        "ServiceAccount \"builder\" in namespace \"team-a\" would no longer give its Pods pull secret regcred: Deployment web, CronJob nightly and 3 Pods in team-a pull from private.registry.com with regcred, and their image pulls would fail (ImagePullBackOff) in their new Pods: they list no imagePullSecrets of their own. Instead: keep regcred in the ServiceAccount, or list it"
    )]
    fn messages(
        #[case] change: Change<'static>,
        #[case] registries: &[&str],
        #[case] expected: &str,
    ) {
        let found = found(change, vec![finding(registries, &[WEB, NIGHTLY], 3)]);
        let Verdict::Reject { message, warnings } = verdict(PullSecretsInUse::Reject, &found)
        else {
            panic!()
        };
        assert!(message.contains(expected), "{message}");
        assert!(warnings.is_empty());
        let warned = verdict(PullSecretsInUse::Warn, &found);
        assert!(warned.is_allowed());
        assert_eq!(warned.warnings(), [message]);
    }

    #[rstest]
    #[case::one_pod(&[], 1, "1 Pod")]
    #[case::one_template(&[WEB], 0, "Deployment web")]
    #[case::through(&[(WorkloadKind::Job, "j", Some("builder"))], 2, "Job j (through ServiceAccount builder) and 2 Pods")]
    #[case::six(&[WEB, WEB, WEB, WEB, WEB, NIGHTLY], 0, "Deployment web, Deployment web, Deployment web, Deployment web, Deployment web and 1 other workload")]
    fn users_named_and_counted(
        #[case] templates: &[(WorkloadKind, &str, Option<&str>)],
        #[case] pods: usize,
        #[case] expected: &str,
    ) {
        assert_eq!(users(&finding(&["a.io"], templates, pods)), expected);
    }

    #[test]
    fn one_user_pulls() {
        let found = found(
            Change::SecretDeleted { secret: "regcred" },
            vec![finding(&["a.io"], &[WEB], 0)],
        );
        assert!(
            verdict(PullSecretsInUse::Warn, &found).warnings()[0]
                .contains("Deployment web in team-a pulls from a.io")
        );
    }

    #[test]
    fn nothing_found_says_nothing() {
        let found = found(Change::SecretDeleted { secret: "regcred" }, Vec::new());
        assert_eq!(verdict(PullSecretsInUse::Reject, &found), Verdict::accept());
    }

    /// What cannot be listed is accepted, with what to grant, and the users that were found.
    #[test]
    fn unlisted_kinds_accept_with_the_grant_that_is_missing() {
        use crate::in_use::listing::list_kind;
        let mut found = found(
            Change::SecretDeleted { secret: "regcred" },
            vec![finding(&["a.io"], &[WEB], 0)],
        );
        found.unlisted = vec![
            (list_kind(WorkloadKind::Pod), LookupError::NotGranted),
            (list_kind(WorkloadKind::CronJob), LookupError::NotGranted),
            (list_kind(WorkloadKind::Job), LookupError::Failed),
        ];
        let verdict = verdict(PullSecretsInUse::Reject, &found);
        assert!(verdict.is_allowed());
        assert_eq!(verdict.warnings().len(), 2);
        assert_eq!(
            verdict.warnings()[1],
            "Secret \"regcred\" in namespace \"team-a\" was not checked for Pods and workloads \
             that still pull with it: the policy may not list pods and cronjobs: add \
             {apiVersion: v1, kind: Pod}, {apiVersion: batch/v1, kind: CronJob} to \
             spec.contextAwareResources of the policy's ClusterAdmissionPolicy; the policy \
             server could not list jobs: let its ServiceAccount list and watch them \
             (policyServer.permissions of the kubewarden-defaults chart, or a ClusterRole of \
             your own)."
        );
    }

    #[rstest]
    #[case::both_reject(Verdict::reject("a"), Some(Verdict::reject("b")), Some("a b"), 0)]
    #[case::secret_rejects(Verdict::reject("a"), Some(Verdict::Accept { warnings: vec!["w".into()] }), Some("a"), 1)]
    #[case::in_use_rejects(Verdict::Accept { warnings: vec!["v".into()] }, Some(Verdict::reject("b")), Some("b"), 1)]
    #[case::neither(Verdict::Accept { warnings: vec!["v".into()] }, Some(Verdict::Accept { warnings: vec!["w".into()] }), None, 2)]
    #[case::not_checked(Verdict::reject("a"), None, Some("a"), 0)]
    fn verdicts_together(
        #[case] secret: Verdict,
        #[case] in_use: Option<Verdict>,
        #[case] message: Option<&str>,
        #[case] warnings: usize,
    ) {
        let verdict = together(secret, in_use);
        assert_eq!(verdict.message(), message);
        assert_eq!(verdict.warnings().len(), warnings);
    }
}
