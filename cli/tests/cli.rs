//! The command line as users meet it: exit codes, stdin, outputs, secrets.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eci-bridge"))
}

fn fixture(name: &str) -> String {
    format!("{}/../fixtures/pods/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn translate_prints_the_request_and_exits_zero() {
    let o = run(&["translate", "-f", &fixture("deployment-nginx.yaml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on stdout");
    assert_eq!(json["RegionId"], "cn-hangzhou");
    assert_eq!(json["Container"][0]["Image"], "nginx:1.27");
    assert!(stderr(&o).contains("warning[missing-object]"), "warnings go to stderr");
}

#[test]
fn rejected_pods_exit_two_with_diagnostics_on_stderr() {
    let o = run(&["translate", "-f", &fixture("hostpath-rejected.yaml")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty(), "no request for a rejected pod");
    let err = stderr(&o);
    assert!(err.contains("error[hostpath-volume]"), "{err}");
    assert!(err.contains("--> pod /spec/volumes/1/hostPath"), "{err}");
    assert!(err.contains("= help:"), "{err}");
}

#[test]
fn usage_and_io_errors_exit_one() {
    let o = run(&["translate", "-f", "/nonexistent/pod.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot read"));
    let o = run(&["translate"]);
    assert_eq!(o.status.code(), Some(1), "usage errors exit 1, as README says");
    assert!(stderr(&o).contains("--filename"), "{}", stderr(&o));
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Usage"));
}

#[test]
fn syntax_errors_name_the_line() {
    let mut child = bin()
        .args(["translate", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(b"kind: Pod\nspec: [\n").expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[syntax]"), "{}", stderr(&o));
    assert!(stderr(&o).contains("line "), "{}", stderr(&o));
}

#[test]
fn reads_stdin_and_prints_the_query() {
    let pod = std::fs::read(fixture("minimal.yaml")).expect("fixture");
    let mut child = bin()
        .args(["translate", "-f", "-", "-o", "query"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(&pod).expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(0));
    let q = stdout(&o);
    assert!(q.lines().any(|l| l == "Cpu=2.0"), "{q}");
    assert!(q.lines().any(|l| l == "Container.1.Command.1=sh"), "{q}");
    let keys: Vec<&str> = q.lines().map(|l| l.split('=').next().unwrap_or_default()).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "canonical order");
}

#[test]
fn secrets_are_redacted_unless_asked() {
    let redacted = stdout(&run(&["translate", "-f", &fixture("pull-secrets.yaml"), "-o", "query"]));
    assert!(redacted.contains("ImageRegistryCredential.1.Password=<redacted>"));
    assert!(!redacted.contains("s3cret-pull-token"));
    let shown = stdout(&run(&["translate", "-f", &fixture("pull-secrets.yaml"), "-o", "query", "--show-secrets"]));
    assert!(shown.contains("ImageRegistryCredential.1.Password=s3cret-pull-token"), "{shown}");
    let explain = stdout(&run(&["translate", "-f", &fixture("pull-secrets.yaml"), "-o", "explain"]));
    assert!(!explain.contains("s3cret-pull-token"));
}

/// `-o explain` parsed by the columns of its header: (field, value, rule) per
/// group, a group being the rows printed beside one rule. Cells keep their
/// wrapped lines joined by a space.
fn explain_groups(text: &str) -> Vec<(Vec<(String, String)>, String)> {
    let mut lines = text.lines();
    let header: Vec<char> = lines.next().expect("a header").chars().collect();
    let at = |word: &str| header.iter().collect::<String>().find(word).expect("column");
    let (v, r) = (at("VALUE"), at("RULE"));
    let mut groups: Vec<(Vec<(String, String)>, String)> = Vec::new();
    for line in lines {
        let chars: Vec<char> = line.chars().collect();
        let cell = |from: usize, to: usize| chars.get(from.min(chars.len())..to.min(chars.len())).unwrap_or_default();
        let (field, value, rule) = (cell(0, v), cell(v, r), cell(r, usize::MAX));
        let text = |c: &[char]| c.iter().collect::<String>().trim().to_string();
        if rule.first().is_some_and(|c| *c != ' ') {
            groups.push((Vec::new(), String::new()));
        }
        let group = groups.last_mut().expect("a group starts with its rule");
        if field.first().is_some_and(|c| *c != ' ') {
            group.0.push((text(field), text(value)));
        } else if let Some(row) = group.0.last_mut() {
            for (cell, part) in [(&mut row.0, text(field)), (&mut row.1, text(value))] {
                if !part.is_empty() {
                    cell.push(' ');
                    cell.push_str(&part);
                }
            }
        }
        group.1 = format!("{} {}", group.1, text(rule)).trim().to_string();
    }
    groups
}

fn squeezed(text: &str) -> String {
    text.split_whitespace().collect()
}

#[test]
fn explain_and_yaml_outputs() {
    let o = bin()
        .env_remove("COLUMNS")
        .args(["translate", "-f", &fixture("rounding-7-13-hangzhou.yaml"), "-o", "explain"])
        .output()
        .expect("runs");
    let text = stdout(&o);
    let groups = explain_groups(&text);
    let (rows, rule) = groups.iter().find(|(rows, _)| rows.iter().any(|(f, _)| f == "Cpu")).expect("Cpu row");
    assert_eq!(rows, &[("Cpu".to_string(), "8.0".to_string())]);
    assert!(squeezed(rule).contains(&squeezed("rounded up to spec 8-14Gi")), "{rule}");
    assert!(squeezed(rule).contains("from/spec/containers/0/resources/limits/cpu"), "{rule}");
    // Consecutive rows of one rule share it: the six DnsConfig parameters print it once.
    let (dns, rule) = groups.iter().find(|(rows, _)| rows[0].0 == "DnsConfig.NameServer.1").expect("DnsConfig");
    let fields: Vec<&str> = dns.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "DnsConfig.NameServer.1",
            "DnsConfig.Option.1.Name",
            "DnsConfig.Option.1.Value",
            "DnsConfig.Search.1",
            "DnsConfig.Search.2",
            "DnsConfig.Search.3"
        ]
    );
    assert!(rule.starts_with("dnsPolicy ClusterFirst → ECI DnsPolicy None: cluster DNS"), "{rule}");
    let dns_rules = groups.iter().filter(|(_, r)| squeezed(r).contains("thendnsConfig,theneci-custom-dnsconfig"));
    assert_eq!(dns_rules.count(), 1, "{text}");
    let o = run(&["translate", "-f", &fixture("minimal.yaml"), "-o", "yaml"]);
    assert!(stdout(&o).contains("RegionId: cn-hangzhou"));
}

fn display_columns(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

#[test]
fn explain_fits_100_columns_for_every_fixture() {
    let dir = format!("{}/../fixtures/pods", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("fixtures").filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    assert!(files.len() > 50, "{}", files.len());
    for path in files {
        let file = path.to_string_lossy().into_owned();
        let o = bin()
            .env_remove("COLUMNS")
            .args(["translate", "-f", &file, "-o", "explain", "--print-rejected"])
            .output()
            .expect("runs");
        let text = stdout(&o);
        assert!(text.starts_with("FIELD"), "{file}: {text}");
        for line in text.lines() {
            assert!(display_columns(line) <= 100, "{file}: {} columns: {line}", display_columns(line));
        }
        // Every row is still there: as many rows as the outcome has explain rows.
        let rows: usize = explain_groups(&text).iter().map(|(rows, _)| rows.len()).sum();
        let outcome = bin().args(["translate", "-f", &file, "-o", "outcome"]).output().expect("runs");
        let outcome: serde_json::Value = serde_json::from_slice(&outcome.stdout).expect("outcome JSON");
        assert_eq!(Some(rows), outcome["explain"].as_array().map(Vec::len), "{file}");
    }
}

#[test]
fn explain_wraps_to_columns() {
    let o = bin()
        .env("COLUMNS", "60")
        .args(["translate", "-f", &fixture("deployment-template.yaml"), "-o", "explain"])
        .output()
        .expect("runs");
    let text = stdout(&o);
    assert!(text.lines().all(|l| display_columns(l) <= 60), "{text}");
    assert!(text.lines().any(|l| display_columns(l) > 50), "{text}");
}

#[test]
fn a_workload_template_says_its_pod_name_is_derived() {
    let o = run(&["translate", "-f", &fixture("deployment-template.yaml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("info: the pod name")).collect();
    assert_eq!(
        notes,
        ["info: the pod name `shop-frontend-template` is derived from Deployment/shop-frontend; the API server \
          names the real pods (`shop-frontend-<hash>-<suffix>`), so their ContainerGroupName, HostName and \
          PodName tag differ from this request's"],
        "{err}"
    );
    let o = run(&["translate", "-f", &fixture("cronjob.yaml")]);
    assert!(stderr(&o).contains("derived from CronJob/nightly-backup"), "{}", stderr(&o));
    let o = run(&["translate", "-f", &fixture("deployment-nginx.yaml")]);
    assert!(!stderr(&o).contains("info: the pod name"), "a Pod's name is its own: {}", stderr(&o));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let rejected = fixture("hostpath-rejected.yaml");
    let o = run(&["--color", "always", "translate", "-f", &rejected]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("\x1b[1;31merror\x1b[0m\x1b[1m[hostpath-volume]\x1b[0m: "), "{err}");
    assert!(err.contains("\x1b[1;31mrejected: "), "{err}");
    assert!(stdout(&o).is_empty());
    // The flag is global: after the subcommand too, and in `=` form.
    let o = run(&["translate", "-f", &rejected, "--color=always"]);
    assert!(stderr(&o).contains('\x1b'));
    // Not a terminal (a pipe here), NO_COLOR, or never: no escape at all.
    for (no_color, args) in [
        (None, vec!["translate", "-f", &rejected]),
        (Some("1"), vec!["translate", "-f", &rejected]),
        (None, vec!["--color", "never", "translate", "-f", &rejected]),
    ] {
        let mut cmd = bin();
        cmd.args(&args).env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let o = cmd.output().expect("runs");
        assert!(!stderr(&o).contains('\x1b'), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("error[hostpath-volume]"));
    }
    // A usage error honours the flag too.
    let o = run(&["--color", "always", "translate", "-o", "nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains('\x1b'), "{}", stderr(&o));
    assert!(!stderr(&run(&["translate", "-o", "nope"])).contains('\x1b'));
}

#[test]
fn usage_errors_exit_one_in_every_command() {
    let pod = fixture("minimal.yaml");
    let cases: &[&[&str]] = &[
        &["translate"],
        &["translate", "-f", &pod, "-o", "xml"],
        &["translate", "-f", &pod, "--namespace-labels", "no-equals-sign"],
        &["translate", "-f", &pod, "--color", "sometimes"],
        &["no-such-command"],
        &["admit", "-f", &pod, "--strategy", "sideways"],
        &["status", "-f", &pod, "--events", "--with-pod"],
        &["status", "-f", &pod, "--now", "yesterday"],
        &[
            "sign",
            "-f",
            &pod,
            "--action",
            "A",
            "--access-key-id",
            "i",
            "--access-key-secret-file",
            "a",
            "--access-key-secret-env",
            "b",
            "--timestamp",
            "t",
            "--nonce",
            "n",
        ],
        &["check", "-f", "fixtures/check", "-o", "xml"],
        &["elastic"],
        &["overflow", "-f", &pod, "-o", "nope"],
        &["emulate", "--tls-cert-file", "x"],
        &[
            "serve",
            "--tls-cert-file",
            "a",
            "--tls-key-file",
            "b",
            "--namespaces-file",
            "x",
            "--namespaces-from-cluster",
        ],
        &["simulate", "--pods", "lots"],
        &["profile"],
        &["profile", "diff", "only-one.yaml"],
        &["annotations", "-o", "xml"],
        &["annotations", "a", "b"],
        &["nodes", "--now", "soon"],
        &["webhook-config", "--timeout-seconds", "x"],
        &["certs"],
        &["specs", "extra"],
        &["eci", "describe", "--limit"],
    ];
    for args in cases {
        let o = run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).trim().is_empty(), "{args:?} says why");
        assert!(stdout(&o).is_empty(), "{args:?} prints nothing on stdout: {}", stdout(&o));
    }
}

#[test]
fn annotations_as_a_table_filtered_yaml_and_json() {
    let o = bin().env_remove("COLUMNS").arg("annotations").output().expect("runs");
    assert_eq!(o.status.code(), Some(0));
    let table = stdout(&o);
    let header = table.lines().next().unwrap_or_default();
    assert_eq!(header.split_whitespace().collect::<Vec<_>>(), ["KEY", "(k8s.aliyun.com/…)", "TARGET", "VALUE"]);
    assert!(table.lines().all(|l| display_columns(l) <= 100), "{table}");
    assert!(table.lines().any(|l| l.starts_with("eci-use-specs ")), "keys never wrap: {table}");
    // At 100 columns the value text wraps between words, never inside one.
    for word in ["SpotWithPriceLimit", "VSwitchRandom", "vSwitchIds", "PayByBandwidth", "eci-auto-imc"] {
        assert!(table.contains(word), "`{word}` is cut: {table}");
    }
    let keys = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.split_whitespace().next())
            .map(String::from)
            .collect()
    };

    let network = stdout(&run(&["annotations", "NETWORK"]));
    let network_keys = keys(&network);
    assert!(network_keys.iter().any(|k| k == "eci-with-eip"), "{network}");
    assert!(network_keys.iter().all(|k| k != "eci-use-specs"), "{network}");
    assert!(network_keys.len() < keys(&table).len());

    let yaml: serde_json::Value = serde_saphyr::from_str(&stdout(&run(&["annotations", "-o", "yaml"]))).expect("YAML");
    let json: serde_json::Value = serde_json::from_str(&stdout(&run(&["annotations", "-o", "json"]))).expect("JSON");
    assert_eq!(yaml, json);
    assert_eq!(json.as_array().map(Vec::len), Some(keys(&table).len()));
    assert_eq!(json[0]["key"], "k8s.aliyun.com/eci-vswitch");
    let spot: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["annotations", "spot", "-o", "json"]))).expect("JSON");
    assert!(
        spot.as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|e| e.to_string().to_lowercase().contains("spot")))
    );

    let none = run(&["annotations", "no-such-word"]);
    assert_eq!(none.status.code(), Some(0));
    assert!(stdout(&none).is_empty());
    assert!(stderr(&none).contains("no annotation"), "{}", stderr(&none));
}

#[test]
fn flags_override_the_bundle() {
    let dir = std::env::temp_dir().join(format!("eci-bridge-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let cluster = dir.join("cluster.yaml");
    std::fs::write(&cluster, "regionId: cn-shanghai\nvswitchIds: vsw-sh1\n").expect("write");
    let objects = dir.join("objects.yaml");
    std::fs::write(
        &objects,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\ndata: {mode: fast}\n",
    )
    .expect("write");
    let o = run(&[
        "translate",
        "-f",
        &fixture("env-missing-objects.yaml"),
        "--cluster",
        cluster.to_str().unwrap_or_default(),
        "--objects",
        objects.to_str().unwrap_or_default(),
        "-o",
        "query",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let q = stdout(&o);
    assert!(q.contains("RegionId=cn-shanghai") && q.contains("VSwitchId=vsw-sh1"), "{q}");
    assert!(q.contains("Container.1.EnvironmentVar.1.Value=fast"), "{q}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sign_prints_a_signed_query_with_common_parameters() {
    let dir = std::env::temp_dir().join(format!("eci-bridge-sign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let req = dir.join("req.json");
    std::fs::write(
        &req,
        r#"{"RegionId":"cn-hangzhou","ContainerGroupName":"a b","Container":[{"Name":"c","Image":"nginx"}]}"#,
    )
    .expect("write");
    let o = bin()
        .args([
            "sign",
            "-f",
            req.to_str().unwrap_or_default(),
            "--action",
            "CreateContainerGroup",
            "--access-key-id",
            "testid",
            "--access-key-secret-env",
            "ECI_BRIDGE_CLI_TEST_SECRET",
            "--timestamp",
            "2026-11-23T18:00:00+08:00",
            "--nonce",
            "n1",
        ])
        .env("ECI_BRIDGE_CLI_TEST_SECRET", "testsecret")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let q = stdout(&o);
    for part in [
        "Action=CreateContainerGroup",
        "Version=2018-08-08",
        "Format=JSON",
        "AccessKeyId=testid",
        "SignatureMethod=HMAC-SHA1",
        "SignatureVersion=1.0",
        "SignatureNonce=n1",
        "Timestamp=2026-11-23T10%3A00%3A00Z",
        "ContainerGroupName=a%20b",
        "Container.1.Name=c",
        "Signature=",
    ] {
        assert!(q.contains(part), "{part} missing in {q}");
    }
    assert!(!q.contains("testsecret"));
    let o = run(&[
        "sign",
        "-f",
        req.to_str().unwrap_or_default(),
        "--action",
        "X",
        "--access-key-id",
        "i",
        "--timestamp",
        "x",
        "--nonce",
        "n",
        "--access-key-secret-env",
        "ECI_BRIDGE_UNSET_VAR_FOR_TEST",
    ]);
    assert_eq!(o.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn required_objects_lists_what_to_fetch() {
    let o = run(&["required-objects", "-f", &fixture("env-valuefrom.yaml")]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(text.contains("kind: ConfigMap") && text.contains("name: checkout-config"), "{text}");
    assert!(text.contains("kind: Secret") && text.contains("name: checkout-secrets"), "{text}");
}

fn admission_fixture(name: &str) -> String {
    format!("{}/../fixtures/admission/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn admit_answers_with_a_base64_patch() {
    let o = run(&["admit", "-f", &admission_fixture("seed-demo-bigdata-offline-task.yaml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let review: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(review["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(review["response"]["uid"], "0a1b2c3d-0001-4000-8000-000000000001");
    assert_eq!(review["response"]["patchType"], "JSONPatch");
    assert!(review["response"]["patch"].as_str().is_some_and(|p| !p.is_empty()));
    let patched: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "admit",
        "-f",
        &admission_fixture("seed-demo-bigdata-offline-task.yaml"),
        "-o",
        "patched",
    ])))
    .expect("JSON");
    assert_eq!(patched["metadata"]["labels"]["created-by-eci"], "true");
    assert_eq!(patched["spec"]["nodeSelector"]["type"], "virtual-kubelet");
}

#[test]
fn admit_denies_with_exit_two_and_flags_override_settings() {
    let o = run(&["admit", "-f", &admission_fixture("burst-invalid.yaml")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("requesttypemustbeeci,eci_onlyorecs"));
    let o = run(&["admit", "-f", &admission_fixture("unsupported-warn.yaml"), "--on-unsupported", "deny"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "admit",
        "-f",
        &fixture("minimal.yaml"),
        "--namespace-labels",
        "eci=true",
        "--strategy",
        "node-name",
        "-o",
        "patch",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("\"/spec/nodeName\""), "{}", stdout(&o));
}

#[test]
fn webhook_config_and_profile_commands() {
    let dir = std::env::temp_dir().join(format!("eci-bridge-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let old = dir.join("old.yaml");
    let new = dir.join("new.yaml");
    std::fs::write(&old, "kind: ConfigMap\nmetadata: {name: eci-profile, namespace: kube-system}\ndata:\n  vSwitchIds: vsw-1\n  selectors: '[{\"name\":\"a\",\"objectSelector\":{\"matchLabels\":{\"x\":\"1\"}}}]'\n").expect("write");
    std::fs::write(&new, "kind: ConfigMap\nmetadata: {name: eci-profile, namespace: kube-system}\ndata:\n  vSwitchIds: vsw-1,vsw-2\n  selectors: '[{\"name\":\"a\",\"objectSelector\":{\"matchLabels\":{\"x\":\"2\"}}}]'\n").expect("write");
    let o = run(&[
        "webhook-config",
        "--profile",
        old.to_str().unwrap_or_default(),
        "--service-namespace",
        "eci",
        "--service-name",
        "hook",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("kind: MutatingWebhookConfiguration")
            && text.contains("name: hook")
            && text.contains("objectSelector"),
        "{text}"
    );
    let o = run(&["webhook-config", "--profile", old.to_str().unwrap_or_default(), "--kubernetes-version", "1.15"]);
    assert!(stdout(&o).contains("admissionregistration.k8s.io/v1beta1") && !stdout(&o).contains("objectSelector"));
    let o = run(&["profile", "diff", old.to_str().unwrap_or_default(), new.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("/data/vSwitchIds") && stdout(&o).contains("/data/selectors/0"), "{}", stdout(&o));
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "kind: ConfigMap\ndata:\n  enableClusterIp: maybe\n  selectors: '[{\"name\":\"\"}]'\n")
        .expect("write");
    let o = run(&["profile", "check", "-f", bad.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--> eci-profile /data/selectors/0/name"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--> eci-profile /data/enableClusterIp"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

fn way_back_fixture(dir: &str, name: &str) -> String {
    format!("{}/../fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn yaml(o: &Output) -> serde_json::Value {
    serde_saphyr::from_str(&stdout(o)).expect("YAML on stdout")
}

/// A scratch directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eci-bridge-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    dir
}

#[test]
fn status_reads_a_json_item_and_a_separate_pod() {
    // Split a fixture stream into the item (as JSON, as the API returns it) and the pod.
    let text = std::fs::read_to_string(way_back_fixture("status", "restarts-previous-state.yaml")).expect("fixture");
    let docs: Vec<serde_json::Value> = text
        .split("\n---\n")
        .filter_map(|d| serde_saphyr::from_str::<serde_json::Value>(d).ok())
        .filter(|d| !d.is_null())
        .collect();
    let pod = docs.iter().find(|d| d["kind"] == "Pod").expect("pod");
    let item = docs.iter().find(|d| d.get("ContainerGroupId").is_some()).expect("item");
    let dir = scratch("status");
    let (item_path, pod_path) = (dir.join("item.json"), dir.join("pod.json"));
    std::fs::write(&item_path, item.to_string()).expect("write");
    std::fs::write(&pod_path, pod.to_string()).expect("write");
    let args = ["status", "-f", item_path.to_str().unwrap_or_default(), "--pod", pod_path.to_str().unwrap_or_default()];

    let o = run(&[&args[..], &["--now", "2026-11-23T10:00:00Z"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let status = yaml(&o);
    assert_eq!(status["phase"], "Running");
    assert_eq!(status["containerStatuses"][0]["restartCount"], 5);
    assert_eq!(status["containerStatuses"][0]["lastState"]["terminated"]["reason"], "OOMKilled");

    let o = run(&[&args[..], &["--events", "--now", "2026-11-23T10:00:00Z"]].concat());
    let events = yaml(&o);
    assert_eq!(events[0]["kind"], "Event");
    assert_eq!(events[0]["involvedObject"]["name"], "web-crashloop");

    let o = run(&[&args[..], &["--with-pod", "--now", "not-a-time"]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not an RFC 3339 time"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn status_of_a_gone_instance_and_of_a_missing_instance() {
    let o = run(&["status", "-f", &way_back_fixture("status", "gone.yaml"), "--with-pod"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let pod = yaml(&o);
    assert_eq!((pod["status"]["phase"].as_str(), pod["status"]["reason"].as_str()), (Some("Failed"), Some("NotFound")));
    assert!(pod["spec"]["containers"].is_array(), "--with-pod prints the whole pod");

    let o = run(&["status", "-f", &fixture("deployment-nginx.yaml")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no ECI instance in the input"), "{}", stderr(&o));
}

#[test]
fn nodes_lists_one_node_per_zone_and_their_leases() {
    let o = run(&["nodes", "--now", "2026-11-23T10:00:00Z"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let list = yaml(&o);
    let names: Vec<&str> =
        list["items"].as_array().into_iter().flatten().filter_map(|n| n["metadata"]["name"].as_str()).collect();
    assert_eq!(names, ["virtual-kubelet-cn-hangzhou-h", "virtual-kubelet-cn-hangzhou-i"]);

    let o = run(&[
        "nodes",
        "-f",
        &way_back_fixture("nodes", "arm64-enabled.yaml"),
        "--leases",
        "--now",
        "2026-11-23T10:00:00Z",
    ]);
    let list = yaml(&o);
    let kinds: Vec<&str> = list["items"].as_array().into_iter().flatten().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(kinds, ["Node", "Node", "Lease", "Lease"]);

    let o = run(&["nodes", "-f", &way_back_fixture("nodes", "unknown-zone.yaml")]);
    assert!(stderr(&o).contains("warning[missing-field]") && stderr(&o).contains("vswitchZones"), "{}", stderr(&o));
}

#[test]
fn update_plans_in_place_changes_and_rejects_the_rest() {
    let o = run(&["update", "--old", &way_back_fixture("update", "image-change.yaml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(json["Container"][0]["Image"], "nginx:1.27");
    assert_eq!(json["UpdateType"], "IncrementalUpdate");
    assert!(stderr(&o).contains("change: Container (update)"));

    let o = run(&["update", "--old", &way_back_fixture("update", "secret-env.yaml")]);
    assert!(stdout(&o).contains("<redacted>") && !stdout(&o).contains("new-password"), "{}", stdout(&o));
    let o = run(&["update", "--old", &way_back_fixture("update", "secret-env.yaml"), "--show-secrets"]);
    assert!(stdout(&o).contains("new-password"));

    let o = run(&["update", "--old", &way_back_fixture("update", "unsupported-host-aliases.yaml")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains("error[unsupported]") && stderr(&o).contains("--> pod /spec/hostAliases/0"),
        "{}",
        stderr(&o)
    );

    // Two files: --old and --new.
    let dir = scratch("update");
    let (old, new) = (dir.join("old.yaml"), dir.join("new.yaml"));
    let pod = |image: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: a, namespace: default, uid: u-1}}\nspec:\n  containers: [{{name: a, image: '{image}'}}]\n"
        )
    };
    std::fs::write(&old, pod("nginx:1")).expect("write");
    std::fs::write(&new, pod("nginx:2")).expect("write");
    let paths = [old.to_str().unwrap_or_default(), new.to_str().unwrap_or_default()];
    let o = run(&["update", "--old", paths[0], "--new", paths[1], "--container-group-id", "eci-given"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"ContainerGroupId\": \"eci-given\""), "{}", stdout(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn delete_forces_only_with_grace_period_zero() {
    let o = run(&["delete", "-f", &way_back_fixture("delete", "forced.yaml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(json["Force"], true);
    let o = run(&["delete", "-f", &way_back_fixture("delete", "graceful.yaml")]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert!(json.get("Force").is_none());
    let o = run(&["delete", "-f", &way_back_fixture("delete", "missing-instance-id.yaml")]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "delete",
        "-f",
        &way_back_fixture("delete", "missing-instance-id.yaml"),
        "--container-group-id",
        "eci-x",
    ]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    // More output (76 KB) than a pipe holds (64 KiB on Linux), so whenever
    // the reading end closes — before the child writes or while it waits for
    // room — a write fails: no race with the child's start-up.
    let deploy = format!("{}/../fixtures/check/plain/ingress-nginx/cloud-deploy.yaml", env!("CARGO_MANIFEST_DIR"));
    let mut child = bin()
        .args(["translate", "-f", &deploy, "-o", "outcome"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end, as `| head -0` does.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    // Output that could not be written is a failure (exit 1), said quietly.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // The input's own warnings may show; nothing about the pipe does.
    let err = stderr(&out).to_lowercase();
    assert!(!err.contains("pipe") && !err.contains("os error") && !err.contains("panick"), "{err}");
}

#[test]
fn elastic_prints_deployments_status_and_steps() {
    let ew = way_back_fixture("elastic", "doc-example-min2-max4.yaml");
    let o = run(&["elastic", "-f", &ew]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let list = yaml(&o);
    let replicas: Vec<i64> =
        list["items"].as_array().into_iter().flatten().filter_map(|i| i["spec"]["replicas"].as_i64()).collect();
    assert_eq!(replicas, [4, 2, 6], "source, unit, ElasticWorkload");
    assert_eq!(list["items"][1]["metadata"]["name"], "nginx-deployment-basic-unit-virtual-kubelet");

    let o = run(&["elastic", "-f", &ew, "--replicas", "9", "-o", "scale"]);
    let scale = yaml(&o);
    assert_eq!((scale["kind"].as_str(), scale["status"]["replicas"].as_i64()), (Some("Scale"), Some(9)));
    assert_eq!(scale["status"]["selector"], "app=nginx");

    let o = run(&["elastic", "-f", &way_back_fixture("elastic", "sequence-0-10-3-8.yaml"), "-o", "steps"]);
    let steps = yaml(&o);
    let counts: Vec<(i64, i64)> = steps
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| (s["source"].as_i64().unwrap_or(-1), s["units"][0].as_i64().unwrap_or(-1)))
        .collect();
    assert_eq!(counts, [(0, 0), (4, 6), (3, 0), (4, 4)]);

    let o = run(&["elastic", "-f", &way_back_fixture("elastic", "invalid-min-above-max.yaml")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--> elasticworkload /spec/sourceTarget/min"), "{}", stderr(&o));

    let o = run(&["elastic", "--crd"]);
    assert!(stdout(&o).contains("labelSelectorPath: .status.selector"), "{}", stdout(&o));
}

#[test]
fn elastic_reads_the_source_from_its_own_file() {
    let dir = scratch("elastic");
    let (ew, source) = (dir.join("ew.yaml"), dir.join("source.yaml"));
    std::fs::write(&ew, "apiVersion: autoscaling.alibabacloud.com/v1beta1\nkind: ElasticWorkload\nmetadata: {name: ew}\nspec:\n  sourceTarget: {name: web, kind: Deployment, apiVersion: apps/v1, max: 1}\n  replicas: 3\n  elasticUnit: [{name: eci, labels: {alibabacloud.com/eci: 'true'}}]\n").expect("write");
    std::fs::write(&source, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n").expect("write");
    let paths = [ew.to_str().unwrap_or_default(), source.to_str().unwrap_or_default()];
    let o = run(&["elastic", "-f", paths[0], "--source", paths[1], "-o", "split"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(yaml(&o)["units"][0], 2);
    let o = run(&["elastic", "-f", paths[0]]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the source Deployment `web` is not in the input"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn overflow_moves_or_leaves_with_a_reason() {
    let o = run(&["overflow", "-f", &way_back_fixture("overflow", "insufficient-cpu.yaml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let decision = yaml(&o);
    assert_eq!(decision["action"], "move");
    let o = run(&["overflow", "-f", &way_back_fixture("overflow", "insufficient-cpu.yaml"), "-o", "patch"]);
    let patch: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON patch");
    assert_eq!(patch[0]["path"], "/spec/tolerations");
    let o = run(&["overflow", "-f", &way_back_fixture("overflow", "leave-node-selector-excludes.yaml")]);
    let decision = yaml(&o);
    assert_eq!(
        (decision["action"].as_str(), decision["reason"].as_str()),
        (Some("leave"), Some("excludes-virtual-nodes"))
    );
    let o = run(&["overflow", "-f", &way_back_fixture("overflow", "leave-hostpath.yaml")]);
    assert_eq!(yaml(&o)["reason"], "rejected-by-eci");
    assert!(stderr(&o).contains("warning[hostpath-volume]"), "{}", stderr(&o));
}

#[test]
fn units_pick_ecs_first_then_eci() {
    let dir = scratch("units");
    let (policy, pods, pod) = (dir.join("policy.yaml"), dir.join("pods.yaml"), dir.join("pod.yaml"));
    std::fs::write(&policy, "apiVersion: scheduling.alibabacloud.com/v1alpha1\nkind: ResourcePolicy\nmetadata: {name: p, namespace: default}\nspec:\n  selector: {app: web}\n  units:\n  - {resource: ecs, max: 1, podLabels: {unit: ecs}}\n  - {resource: eci, podLabels: {unit: eci}}\n").expect("write");
    std::fs::write(&pods, "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: web-1, namespace: default, labels: {app: web, unit: ecs}}\n  spec: {containers: [{name: web, image: nginx}]}\n").expect("write");
    std::fs::write(&pod, "apiVersion: v1\nkind: Pod\nmetadata: {name: web-2, namespace: default, labels: {app: web}}\nspec: {containers: [{name: web, image: nginx}]}\n").expect("write");
    let p = |path: &std::path::PathBuf| path.to_str().unwrap_or_default().to_string();
    let o = run(&["units", "-f", &p(&policy), "--pods", &p(&pods), "-f", &p(&pod)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let d = yaml(&o);
    assert_eq!((d["decision"]["index"].as_i64(), d["decision"]["resource"].as_str()), (Some(1), Some("eci")));
    let o = run(&["units", "-f", &p(&policy), "-f", &p(&pod), "-o", "patched"]);
    let patched = yaml(&o);
    assert_eq!(patched["metadata"]["labels"]["unit"], "ecs", "without placed pods the ECS unit has room");
    assert_eq!(patched["metadata"]["annotations"]["controller.kubernetes.io/pod-deletion-cost"], "2000");
    let o = run(&["units", "-f", &p(&policy), "--pods", &p(&pods), "-f", &p(&pod), "--lacking-resources", "1"]);
    assert_eq!(yaml(&o)["decision"]["decision"], "allUnitsFull");
    std::fs::remove_dir_all(&dir).ok();
}
