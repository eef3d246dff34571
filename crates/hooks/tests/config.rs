//! Hook config parsing: v1 (YAML and JSON), v0, every binding type, and
//! errors that name the hook, the binding and the JSON pointer.

use std::time::Duration;

use hooks::config::{
    ConfigVersion, FieldSelectorOperator, GoDuration, LabelSelectorOperator, WatchEventType,
    parse_hook_config,
};

const FULL_V1: &str = r#"
configVersion: v1
onStartup: 10
beforeHelm: 5
afterHelm: 6
afterDeleteHelm: 7
beforeDeleteHelm: 8
beforeAll: 1
afterAll: 2
schedule:
  - {name: every-5m, crontab: "*/5 * * * *", group: nodes, allowFailure: true, queue: slow, includeSnapshotsFrom: [nodes]}
  - {crontab: "*/10 * * * * *"}
kubernetes:
  - name: nodes
    apiVersion: v1
    kind: Node
    nameSelector: {matchNames: [a, b]}
    labelSelector:
      matchLabels: {node-role.kubernetes.io/worker: ""}
      matchExpressions: [{key: tier, operator: In, values: [x]}, {key: gone, operator: DoesNotExist}]
    fieldSelector: {matchExpressions: [{field: metadata.namespace, operator: "!=", value: kube-system}]}
    namespace:
      nameSelector: {matchNames: [default]}
      labelSelector: {matchLabels: {a: b}}
    jqFilter: '{name: .metadata.name}'
    executeHookOnEvent: [Added, Deleted]
    executeHookOnSynchronization: false
    waitForSynchronization: false
    keepFullObjectsInMemory: false
    allowFailure: true
    queue: nodes
    group: nodes
    includeSnapshotsFrom: [nodes]
    resynchronizationPeriod: 10m
kubernetesValidating:
  - name: check.example.deckhouse.io
    rules: [{apiGroups: [""], apiVersions: [v1], resources: [pods], operations: [CREATE], scope: Namespaced}]
    failurePolicy: Ignore
    sideEffects: NoneOnDryRun
    timeoutSeconds: 5
    matchConditions: [{name: not-system, expression: "true"}]
    namespace: {labelSelector: {matchLabels: {x: z}}}
kubernetesMutating:
  - name: mutate.example.deckhouse.io
    rules: [{operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*"]}]
kubernetesCustomResourceConversion:
  - name: conv
    crdName: crontabs.stable.example.com
    conversions: [{fromVersion: stable.example.com/v1, toVersion: stable.example.com/v2}]
settings: {executionMinInterval: 5s, executionBurst: 2}
"#;

#[test]
fn every_v1_field_is_read() {
    let loaded = parse_hook_config("h.sh", FULL_V1).unwrap();
    let c = &loaded.config;
    assert_eq!(c.config_version, ConfigVersion::V1);
    assert_eq!(c.on_startup, Some(10.0));
    assert_eq!(
        (c.before_all, c.after_all, c.before_helm, c.after_helm),
        (Some(1.0), Some(2.0), Some(5.0), Some(6.0))
    );
    assert_eq!(
        (c.before_delete_helm, c.after_delete_helm),
        (Some(8.0), Some(7.0))
    );
    assert_eq!(c.schedule.len(), 2);
    assert_eq!(c.schedule[1].name, "schedule", "default schedule name");
    assert!(c.schedule[0].allow_failure);
    let k = &c.kubernetes[0];
    assert_eq!(
        k.execute_hook_on_event,
        Some(vec![WatchEventType::Added, WatchEventType::Deleted])
    );
    assert!(!k.execute_hook_on_synchronization && !k.wait_for_synchronization);
    assert!(!k.keeps_objects());
    assert_eq!(
        k.label_selector.as_ref().unwrap().match_expressions[1].operator,
        LabelSelectorOperator::DoesNotExist
    );
    assert_eq!(
        k.field_selector.as_ref().unwrap().match_expressions[0].operator,
        FieldSelectorOperator::NotEquals
    );
    assert_eq!(
        k.resynchronization_period,
        Some(GoDuration(Duration::from_secs(600)))
    );
    assert!(
        loaded.filters[0].is_some(),
        "jqFilter compiled once at load"
    );
    assert_eq!(c.kubernetes_validating[0].timeout_seconds, 5);
    assert_eq!(
        c.kubernetes_mutating[0].timeout_seconds, 10,
        "default timeout"
    );
    assert_eq!(
        c.kubernetes_custom_resource_conversion[0].conversions.len(),
        1
    );
    let s = c.settings.as_ref().unwrap();
    assert_eq!(
        s.execution_min_interval,
        Some(GoDuration(Duration::from_secs(5)))
    );
    assert_eq!(s.execution_burst, 2);
}

#[test]
fn json_config_is_accepted() {
    let loaded = parse_hook_config(
        "h.sh",
        r#"{"configVersion":"v1","kubernetes":[{"kind":"Pod"}]}"#,
    )
    .unwrap();
    let k = &loaded.config.kubernetes[0];
    assert_eq!(k.name, "kubernetes");
    assert!(k.execute_hook_on_synchronization && k.wait_for_synchronization && k.keeps_objects());
}

#[test]
fn v0_is_normalized() {
    let loaded = parse_hook_config(
        "old.sh",
        r#"{"onStartup": 1, "onKubernetesEvent": [{"kind": "Pod", "event": ["add", "delete"],
            "namespaceSelector": {"matchNames": ["a"]}, "objectName": "x", "jqFilter": ".metadata"}]}"#,
    )
    .unwrap();
    let c = loaded.config;
    assert_eq!(c.config_version, ConfigVersion::V0);
    let k = &c.kubernetes[0];
    assert_eq!(k.name, "onKubernetesEvent");
    assert_eq!(
        k.execute_hook_on_event,
        Some(vec![WatchEventType::Added, WatchEventType::Deleted])
    );
    assert!(!k.execute_hook_on_synchronization);
    assert_eq!(k.name_selector.as_ref().unwrap().match_names, ["x"]);
}

fn err(text: &str) -> hooks::config::ConfigError {
    parse_hook_config("002-mod/hooks/x.sh", text).unwrap_err()
}

#[test]
fn unknown_field_names_hook_binding_and_pointer() {
    let e =
        err(r#"{"configVersion":"v1","kubernetes":[{"name":"pods","kind":"Pod","kindd":"x"}]}"#);
    assert_eq!(e.hook, "002-mod/hooks/x.sh");
    assert_eq!(e.binding.as_deref(), Some("kubernetes[0] \"pods\""));
    assert_eq!(e.pointer, "/kubernetes/0/kindd");
    assert!(e.message.contains("kindd"), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("002-mod/hooks/x.sh") && text.contains("/kubernetes/0"),
        "{text}"
    );
}

#[test]
fn wrong_types_point_at_the_field() {
    let e = err("configVersion: v1\nschedule:\n- crontab: 5\n");
    assert_eq!(e.pointer, "/schedule/0/crontab");
    let e = err("configVersion: v1\nkubernetes:\n- kind: Pod\n  executeHookOnEvent: [Created]\n");
    assert_eq!(e.pointer, "/kubernetes/0/executeHookOnEvent/0");
    let e = err("configVersion: v1\nonStartup: soon\n");
    assert_eq!(e.pointer, "/onStartup");
    assert_eq!(e.binding.as_deref(), Some("onStartup"));
}

#[test]
fn semantic_errors_point_at_the_field() {
    let cases = [
        (
            "configVersion: v1\nschedule: [{crontab: '* * *'}]",
            "/schedule/0/crontab",
        ),
        (
            "configVersion: v1\nschedule: [{crontab: '99 * * * *'}]",
            "/schedule/0/crontab",
        ),
        (
            "configVersion: v1\nkubernetes: [{kind: Pod, jqFilter: '.a | {'}]",
            "/kubernetes/0/jqFilter",
        ),
        (
            "configVersion: v1\nkubernetes: [{kind: Pod, waitForSynchronization: false}]",
            "/kubernetes/0/waitForSynchronization",
        ),
        (
            "configVersion: v1\nkubernetes: [{kind: Pod, includeSnapshotsFrom: [nope]}]",
            "/kubernetes/0/includeSnapshotsFrom/0",
        ),
        (
            "configVersion: v1\nkubernetes: [{kind: Pod, labelSelector: {matchExpressions: [{key: a, operator: In}]}}]",
            "/kubernetes/0/labelSelector/matchExpressions/0/values",
        ),
        (
            "configVersion: v1\nkubernetes: [{kind: Pod, nameSelector: {matchNames: [a]}, fieldSelector: {matchExpressions: [{field: metadata.name, operator: Equals, value: a}]}}]",
            "/kubernetes/0/fieldSelector/matchExpressions/0",
        ),
        (
            "configVersion: v1\nkubernetesValidating: [{name: short, rules: [{operations: [CREATE]}]}]",
            "/kubernetesValidating/0/name",
        ),
        (
            "configVersion: v1\nsettings: {executionBurst: 0}",
            "/settings/executionBurst",
        ),
        (
            "configVersion: v1\nsettings: {executionMinInterval: 5}",
            "/settings/executionMinInterval",
        ),
        ("configVersion: v2", "/configVersion"),
    ];
    for (text, pointer) in cases {
        let e = err(text);
        assert_eq!(e.pointer, pointer, "{text}: {e}");
    }
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for text in ["", "   ", "[1,2]", "{{{", "42", "configVersion: [v1]"] {
        assert!(parse_hook_config("h", text).is_err(), "{text:?} accepted");
    }
}
