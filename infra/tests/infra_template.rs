//! The SAM template against the code and the data: the API declares exactly the routes the
//! routers serve (the route catalogue), each function builds its family's binary, policies name
//! only the tables a function reads, the tables' keys fit the item files, and the SQLite file
//! reaches the functions that open it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use music_http::catalog::{routes_of, Family};
use music_infra::template::{referenced_ids, Function, Template};
use music_infra::{apigw_path, binary_name, function_id, repo_root, template_path, FAMILIES};
use serde_json::Value;

fn template() -> Template {
    Template::load(&template_path()).expect("infra/template.yaml parses")
}

fn family_of(logical_id: &str) -> Option<Family> {
    FAMILIES.into_iter().find(|f| function_id(*f) == logical_id)
}

#[test]
fn the_api_declares_exactly_the_catalogue_routes() {
    let t = template();
    let functions = t.functions().unwrap();
    let mut problems = Vec::new();
    let mut route_keys = BTreeMap::new();
    for f in &functions {
        let Some(family) = family_of(&f.logical_id) else {
            problems.push(format!("{} serves no route family", f.logical_id));
            continue;
        };
        let mut declared = BTreeSet::new();
        for r in &f.routes {
            if let Some(previous) =
                route_keys.insert(format!("{} {}", r.method, r.path), f.logical_id.clone())
            {
                problems.push(format!(
                    "{} {} declared on {previous} and {}",
                    r.method, r.path, f.logical_id
                ));
            }
            declared.insert((r.method.clone(), r.path.clone()));
        }
        // Every route is declared ANY, so that OPTIONS (a CORS preflight), HEAD and wrong methods
        // reach the function and get the answers the local server gives.
        let served: BTreeSet<(String, String)> = routes_of(family)
            .iter()
            .map(|r| {
                assert_eq!(r.method, "GET", "the catalogue lists reads only");
                ("ANY".to_string(), apigw_path(r.path))
            })
            .collect();
        for missing in served.difference(&declared) {
            problems.push(format!(
                "{}: served but not declared: {} {}",
                f.logical_id, missing.0, missing.1
            ));
        }
        for extra in declared.difference(&served) {
            problems.push(format!(
                "{}: declared but not served: {} {}",
                f.logical_id, extra.0, extra.1
            ));
        }
    }
    for family in FAMILIES {
        if !functions
            .iter()
            .any(|f| f.logical_id == function_id(family))
        {
            problems.push(format!(
                "no function {} for family {family:?}",
                function_id(family)
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "template and route catalogue disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_function_is_an_arm64_rust_binary_of_its_family() {
    let t = template();
    let g = t.global_function().expect("Globals.Function");
    assert_eq!(g["Runtime"], "provided.al2023");
    assert_eq!(g["Architectures"], serde_json::json!(["arm64"]));
    assert_eq!(g["Handler"], "bootstrap");
    let makefile = std::fs::read_to_string(repo_root().join("infra/lambdas/Makefile")).unwrap();
    for f in t.functions().unwrap() {
        let family = family_of(&f.logical_id).expect("a family function");
        // Built by infra/lambdas/Makefile: the function's target copies its own binary.
        assert_eq!(
            f.build_method.as_deref(),
            Some("makefile"),
            "{}",
            f.logical_id
        );
        let target = format!(
            "build-{}:\n\t$(call lambda,{})\n",
            f.logical_id,
            binary_name(family)
        );
        assert!(
            makefile.contains(&target),
            "{}: infra/lambdas/Makefile lacks {target:?}",
            f.logical_id
        );
        assert!(
            makefile.contains(&format!("--bin {}", binary_name(family))),
            "{}: the Makefile's one cargo invocation does not build {}",
            f.logical_id,
            binary_name(family)
        );
        let code = repo_root()
            .join("infra")
            .join(f.code_uri.as_deref().expect("CodeUri"));
        let manifest = std::fs::read_to_string(code.join("Cargo.toml")).unwrap_or_else(|e| {
            panic!(
                "{}: CodeUri {} has no Cargo.toml: {e}",
                f.logical_id,
                code.display()
            )
        });
        assert!(
            manifest.contains(&format!("name = \"{}\"", binary_name(family))),
            "{}: {} does not build {}",
            f.logical_id,
            code.display(),
            binary_name(family)
        );
    }
}

/// Table logical ids, with the suffix of their TableName (the original's names).
fn tables(t: &Template) -> BTreeMap<String, String> {
    t.resources_of_type("AWS::DynamoDB::Table")
        .into_iter()
        .map(|(id, r)| {
            let name = match &r["Properties"]["TableName"] {
                Value::Object(m) => m
                    .get("Fn::Sub")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                Value::String(s) => s.clone(),
                other => panic!("{id}: unexpected TableName {other}"),
            };
            let base = name.rsplit('}').next().unwrap_or_default().to_string();
            (id.to_string(), base)
        })
        .collect()
}

/// The tables a function reads: those its environment names.
fn tables_read(f: &Function, tables: &BTreeMap<String, String>) -> BTreeSet<String> {
    f.env
        .values()
        .flat_map(referenced_ids)
        .filter(|id| tables.contains_key(id))
        .collect()
}

#[test]
fn policies_name_only_the_tables_each_function_reads() {
    let t = template();
    let tables = tables(&t);
    let allowed_actions = [
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
    ];
    let mut problems = Vec::new();
    for f in t.functions().unwrap() {
        let reads = tables_read(&f, &tables);
        let id = &f.logical_id;
        if !f.other_policies.is_empty() {
            problems.push(format!(
                "{id}: policy templates or managed policies grant more than reads: {:?}",
                f.other_policies
            ));
        }
        let mut granted = BTreeSet::new();
        for st in &f.statements {
            if st.effect != "Allow" {
                continue;
            }
            for a in &st.actions {
                if !allowed_actions.contains(&a.as_str()) {
                    problems.push(format!("{id}: action {a} is not a read the code does"));
                }
            }
            for r in &st.resources {
                let refs = referenced_ids(r);
                if r.to_string().contains('*') {
                    problems.push(format!("{id}: wildcard resource {r}"));
                }
                if refs.len() != 1 {
                    problems.push(format!("{id}: resource {r} must name exactly one table"));
                }
                for table in &refs {
                    if !reads.contains(table) {
                        problems.push(format!(
                            "{id}: policy names {table}, which the function does not read"
                        ));
                    }
                    granted.insert(table.clone());
                }
                // An index ARN must name an index the table has.
                if let Some(sub) = r.get("Fn::Sub").and_then(Value::as_str) {
                    if let Some((_, index)) = sub.split_once("/index/") {
                        let table = refs.iter().next().cloned().unwrap_or_default();
                        let gsis =
                            t.resources()[&table]["Properties"]["GlobalSecondaryIndexes"].clone();
                        let names: Vec<&str> = gsis
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|g| g["IndexName"].as_str())
                            .collect();
                        if !names.contains(&index) {
                            problems.push(format!("{id}: {table} has no index {index}"));
                        }
                    }
                }
            }
        }
        if granted != reads {
            problems.push(format!("{id}: reads {reads:?} but is granted {granted:?}"));
        }
    }
    // v2 reads the three tables through the variables its code takes; nothing else reads any.
    let v2 = t.function("V2Function").unwrap();
    let expected_env: BTreeMap<&str, &str> = [
        ("MUSIC_ML_TABLE_TRACKS", "Music_ML3"),
        ("MUSIC_ML_TABLE_TRACK_IDS", "Music_ML_IDs"),
        ("MUSIC_ML_TABLE_ASSIGNMENTS", "Music_ML_Assignments"),
    ]
    .into();
    for (var, base) in &expected_env {
        let refs = referenced_ids(v2.env.get(*var).unwrap_or(&Value::Null));
        let names: Vec<&String> = refs.iter().filter_map(|id| tables.get(id)).collect();
        assert_eq!(
            names,
            [base],
            "V2Function's {var} must name the {base} table"
        );
    }
    // Each action on exactly what the code reads with it: titles by key (GetItem) on the title
    // tables, folded titles (Query) on their index, a cluster's fixed tracks and its size
    // (Query) and its drawn random tracks (BatchGetItem) on the assignments table.
    let mut grants: BTreeSet<(String, String)> = BTreeSet::new();
    for st in v2.statements.iter().filter(|st| st.effect == "Allow") {
        for a in &st.actions {
            for r in &st.resources {
                let table = referenced_ids(r).into_iter().next().unwrap_or_default();
                let index = r
                    .get("Fn::Sub")
                    .and_then(Value::as_str)
                    .and_then(|sub| sub.split_once("/index/"))
                    .map(|(_, index)| format!("/index/{index}"))
                    .unwrap_or_default();
                let name = tables.get(&table).cloned().unwrap_or(table);
                grants.insert((a.clone(), format!("{name}{index}")));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("dynamodb:GetItem", "Music_ML3"),
        ("dynamodb:GetItem", "Music_ML_IDs"),
        ("dynamodb:Query", "Music_ML3/index/name_folded-index"),
        ("dynamodb:Query", "Music_ML_IDs/index/name_folded-index"),
        ("dynamodb:Query", "Music_ML_Assignments"),
        ("dynamodb:BatchGetItem", "Music_ML_Assignments"),
    ]
    .iter()
    .map(|(a, r)| (a.to_string(), r.to_string()))
    .collect();
    assert_eq!(grants, expected, "V2Function's grants");
    for f in t.functions().unwrap() {
        if f.logical_id != "V2Function" {
            assert!(
                tables_read(&f, &tables).is_empty() && f.statements.is_empty(),
                "{} must not touch DynamoDB",
                f.logical_id
            );
        }
    }
    assert!(
        problems.is_empty(),
        "least privilege violated:\n{}",
        problems.join("\n")
    );
}

fn jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (run the pipeline)", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn fits(value: Option<&Value>, ty: &str) -> bool {
    match (value, ty) {
        (Some(Value::String(s)), "S") => !s.is_empty(),
        (Some(Value::Number(_)), "N") => true,
        _ => false,
    }
}

#[test]
fn tables_keep_their_data_and_their_keys_fit_the_item_files() {
    let t = template();
    let tables = tables(&t);
    let bases: BTreeSet<&str> = tables.values().map(String::as_str).collect();
    assert_eq!(
        bases,
        BTreeSet::from(["Music_ML3", "Music_ML_Assignments", "Music_ML_IDs"])
    );
    for (id, base) in &tables {
        let res = &t.resources()[id];
        assert_eq!(res["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(res["UpdateReplacePolicy"], "Retain", "{id}");
        let p = &res["Properties"];
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST", "{id}");
        assert_eq!(
            p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true,
            "{id}"
        );
        let types: BTreeMap<&str, &str> = p["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["AttributeName"].as_str().unwrap(),
                    a["AttributeType"].as_str().unwrap(),
                )
            })
            .collect();
        let key_names = |schema: &Value| -> Vec<String> {
            schema
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["AttributeName"].as_str().unwrap().to_string())
                .collect()
        };
        let primary = key_names(&p["KeySchema"]);
        let mut index_keys: Vec<Vec<String>> = Vec::new();
        for g in p["GlobalSecondaryIndexes"].as_array().into_iter().flatten() {
            index_keys.push(key_names(&g["KeySchema"]));
        }
        // Every attribute defined is a key, and every key is defined (CloudFormation insists on both).
        let all_keys: BTreeSet<&str> = primary
            .iter()
            .chain(index_keys.iter().flatten())
            .map(String::as_str)
            .collect();
        assert_eq!(
            all_keys,
            types.keys().copied().collect(),
            "{id}: AttributeDefinitions vs keys"
        );

        let items = jsonl(&repo_root().join("data/build").join(format!("{base}.jsonl")));
        assert!(!items.is_empty(), "{base}.jsonl is empty");
        let mut seen = BTreeSet::new();
        for (n, item) in items.iter().enumerate() {
            for key in all_keys.iter() {
                assert!(
                    fits(item.get(*key), types[key]),
                    "{base}.jsonl line {}: {key} is not a {} ({item})",
                    n + 1,
                    types[key]
                );
            }
            let pk: Vec<String> = primary.iter().map(|k| item[k].to_string()).collect();
            assert!(
                seen.insert(pk.clone()),
                "{base}.jsonl line {}: duplicate primary key {pk:?}",
                n + 1
            );
        }
    }
}

#[test]
fn the_sqlite_functions_carry_the_database_in_a_layer() {
    let t = template();
    for family in [Family::V1, Family::V3] {
        let f = t.function(function_id(family)).unwrap();
        let db = f
            .env
            .get("MUSIC_ML_DB")
            .and_then(Value::as_str)
            .expect("MUSIC_ML_DB");
        let file = db
            .strip_prefix("/opt/")
            .expect("the layer is mounted at /opt");
        let layer_ids: BTreeSet<String> = f.layers.iter().flat_map(referenced_ids).collect();
        assert_eq!(layer_ids.len(), 1, "{}: one data layer", f.logical_id);
        let layer_id = layer_ids.iter().next().unwrap();
        let layer = &t.resources()[layer_id];
        assert_eq!(layer["Type"], "AWS::Serverless::LayerVersion");
        assert_eq!(layer["Metadata"]["BuildMethod"], "makefile");
        let content = repo_root()
            .join("infra")
            .join(layer["Properties"]["ContentUri"].as_str().unwrap());
        assert!(
            content.join(file).is_file(),
            "{} is not in the layer's ContentUri {}",
            file,
            content.display()
        );
        let makefile = repo_root()
            .join("infra")
            .join(layer["Metadata"]["ContextPath"].as_str().unwrap())
            .join("Makefile");
        let text = std::fs::read_to_string(&makefile).unwrap();
        let target = format!("build-{layer_id}:");
        let recipe: String = text
            .split(&target)
            .nth(1)
            .expect("a make target for the layer")
            .to_string();
        assert!(
            recipe.contains(&format!("{file} \"$(ARTIFACTS_DIR)/{file}\"")),
            "the Makefile copies {file} to the artifact"
        );
    }
}

#[test]
fn stage_region_and_outputs_match_the_original_deployment() {
    let t = template();
    let apis = t.resources_of_type("AWS::Serverless::Api");
    assert_eq!(apis.len(), 1, "one API");
    let (api_id, api) = apis[0];
    assert_eq!(api["Properties"]["StageName"], "dev");
    // Unknown paths answer like the functions' fallback: JSON 404 with the status repeated.
    let missing = &api["Properties"]["GatewayResponses"]["MISSING_AUTHENTICATION_TOKEN"];
    assert_eq!(missing["StatusCode"], 404);
    let body = gateway_body(missing);
    assert_eq!(body["status"], 404);
    assert!(body["error"].is_string());
    // lambda_http would otherwise hand the routers /dev/api/...; the events test proves it.
    let globals = t
        .root
        .pointer("/Globals/Function/Environment/Variables")
        .unwrap();
    assert!(globals
        .get("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH")
        .is_some());
    for f in t.functions().unwrap() {
        for r in &f.routes {
            assert!(!r.path.is_empty());
        }
        let events = t.resources()[&f.logical_id]["Properties"]["Events"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (name, ev) in events {
            assert_eq!(
                referenced_ids(&ev["Properties"]["RestApiId"]),
                [api_id.to_string()].into(),
                "{}.{name}",
                f.logical_id
            );
        }
    }
    let outputs = t.root["Outputs"].as_object().unwrap();
    let url = outputs["ApiUrl"]["Value"].to_string();
    assert!(
        url.contains(api_id) && url.ends_with("/dev\"}"),
        "ApiUrl {url}"
    );
    let table_ids: BTreeSet<String> = tables(&t).into_keys().collect();
    let output_refs: BTreeSet<String> = outputs
        .values()
        .flat_map(|o| referenced_ids(&o["Value"]))
        .filter(|id| table_ids.contains(id))
        .collect();
    assert_eq!(output_refs, table_ids, "every table name is an output");
    let samconfig = std::fs::read_to_string(repo_root().join("infra/samconfig.toml")).unwrap();
    assert!(samconfig.contains("region = \"us-west-1\""));
    assert!(samconfig.contains("capabilities = \"CAPABILITY_IAM\""));
}

/// A property of the template's one API, which must be there.
fn api_property<'a>(t: &'a Template, name: &str) -> &'a Value {
    let apis = t.resources_of_type("AWS::Serverless::Api");
    assert_eq!(apis.len(), 1, "one API");
    let property = &apis[0].1["Properties"][name];
    assert!(!property.is_null(), "no {name} on the API");
    property
}

/// A parameter's declaration.
fn parameter<'a>(t: &'a Template, name: &str) -> &'a Value {
    t.root
        .pointer(&format!("/Parameters/{name}"))
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

fn is_ref_to(v: &Value, name: &str) -> bool {
    v.get("Ref").and_then(Value::as_str) == Some(name)
}

/// A gateway response's JSON body as a client receives it, with the context variables API
/// Gateway substitutes replaced by what it puts there (`messageString` is a quoted JSON string).
fn gateway_body(response: &Value) -> Value {
    let template = response["ResponseTemplates"]["application/json"]
        .as_str()
        .expect("an application/json template");
    let filled = template.replace("$context.error.messageString", "\"a message\"");
    assert!(
        !filled.contains("$context"),
        "a gateway template may only use messageString (other variables are not JSON-escaped): {template}"
    );
    serde_json::from_str(&filled)
        .unwrap_or_else(|e| panic!("gateway template is not JSON once filled ({e}): {template}"))
}

/// A flood meets API Gateway's stage throttle (rate and burst as parameters) and each function's
/// reserved concurrency (a parameter where "0" or "" means unreserved).
#[test]
fn a_flood_is_bounded_by_stage_throttling_and_reserved_concurrency() {
    let t = template();
    let settings = api_property(&t, "MethodSettings").as_array().unwrap();
    let all = settings
        .iter()
        .find(|s| s["ResourcePath"] == "/*" && s["HttpMethod"] == "*")
        .expect("a method setting for every resource and method");
    assert!(is_ref_to(&all["ThrottlingRateLimit"], "ThrottleRateLimit"));
    assert!(is_ref_to(
        &all["ThrottlingBurstLimit"],
        "ThrottleBurstLimit"
    ));
    for (name, sane) in [
        ("ThrottleRateLimit", 1..=1000),
        ("ThrottleBurstLimit", 1..=2000),
    ] {
        let p = parameter(&t, name);
        assert_eq!(p["Type"], "Number", "{name}");
        let default = p["Default"].as_u64().expect("a numeric default");
        assert!(sane.contains(&default), "{name} default {default}");
    }
    let rate = parameter(&t, "ThrottleRateLimit")["Default"]
        .as_u64()
        .unwrap();
    let burst = parameter(&t, "ThrottleBurstLimit")["Default"]
        .as_u64()
        .unwrap();
    assert!(
        burst >= rate,
        "the burst bucket holds at least a second of the rate"
    );

    let reserved = parameter(&t, "ReservedConcurrency");
    let pattern = reserved["AllowedPattern"].as_str().unwrap();
    assert!(
        pattern == "[0-9]*" || pattern == "^[0-9]*$",
        "digits or empty: {pattern}"
    );
    let default: u32 = reserved["Default"].as_str().unwrap().parse().unwrap();
    assert!((1..=100).contains(&default));
    // "0" and "" both mean: do not reserve (a small account cannot reserve anything).
    let unreserved = &t.root["Conditions"]["Unreserved"]["Fn::Or"];
    let cases: Vec<&Value> = unreserved
        .as_array()
        .expect("Unreserved: Fn::Or")
        .iter()
        .collect();
    for empty in ["", "0"] {
        assert!(
            cases
                .iter()
                .any(|c| c["Fn::Equals"]
                    == serde_json::json!([{"Ref": "ReservedConcurrency"}, empty])),
            "Unreserved when ReservedConcurrency is {empty:?}"
        );
    }
    for f in t.functions().unwrap() {
        let rc = &t.resources()[&f.logical_id]["Properties"]["ReservedConcurrentExecutions"];
        assert_eq!(
            rc,
            &serde_json::json!({"Fn::If": ["Unreserved", {"Ref": "AWS::NoValue"}, {"Ref": "ReservedConcurrency"}]}),
            "{}",
            f.logical_id
        );
    }
}

/// What API Gateway answers by itself follows the functions' error contract: JSON
/// `{"error", "status"}` with the status repeated, CORS so a page can read it, nosniff, never
/// cached; the path is never echoed.
#[test]
fn gateway_answers_are_json_errors_with_cors() {
    let t = template();
    let responses = api_property(&t, "GatewayResponses").as_object().unwrap();
    for needed in [
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "THROTTLED",
        "MISSING_AUTHENTICATION_TOKEN",
        "INTEGRATION_TIMEOUT",
        "INTEGRATION_FAILURE",
    ] {
        assert!(
            responses.contains_key(needed),
            "no gateway response {needed}"
        );
    }
    for (kind, response) in responses {
        let status = response["StatusCode"]
            .as_u64()
            .unwrap_or_else(|| panic!("{kind}: a fixed StatusCode, so the body can repeat it"));
        let expected_class = if kind == "DEFAULT_5XX"
            || kind.starts_with("INTEGRATION")
            || kind == "API_CONFIGURATION_ERROR"
        {
            500..600
        } else {
            400..500
        };
        assert!(expected_class.contains(&status), "{kind}: {status}");
        let body = gateway_body(response);
        assert_eq!(body["status"], status, "{kind}: body status");
        assert!(body["error"].is_string(), "{kind}: error text");
        let headers = &response["ResponseParameters"]["Headers"];
        assert_eq!(
            headers["Access-Control-Allow-Origin"], "'*'",
            "{kind}: CORS"
        );
        assert_eq!(headers["X-Content-Type-Options"], "'nosniff'", "{kind}");
        assert_eq!(headers["Cache-Control"], "'no-store'", "{kind}");
        if status == 429 {
            let retry = headers["Retry-After"]
                .as_str()
                .expect("429 with Retry-After");
            let secs: u32 = retry.trim_matches('\'').parse().unwrap();
            assert!(secs >= 1, "{kind}");
        }
    }
    assert_eq!(responses["THROTTLED"]["StatusCode"], 429);
}

/// Every function logs to a log group of the stack with a retention, and the API writes an
/// access log (JSON lines) to one too.
#[test]
fn every_function_and_the_api_log_with_a_retention() {
    let t = template();
    let retention = parameter(&t, "LogRetentionDays");
    assert_eq!(retention["Type"], "Number");
    let allowed: Vec<u64> = retention["AllowedValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let default = retention["Default"].as_u64().unwrap();
    assert!(allowed.contains(&default) && (7..=400).contains(&default));
    let check_group = |id: &str, what: &str| {
        let group = t
            .resources()
            .get(id)
            .unwrap_or_else(|| panic!("{what}: no resource {id}"));
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{what}");
        assert!(
            is_ref_to(&group["Properties"]["RetentionInDays"], "LogRetentionDays"),
            "{what}: {id} keeps logs for LogRetentionDays"
        );
        assert!(
            group["Properties"]["LogGroupName"].is_object(),
            "{what}: a stack-specific name"
        );
    };
    let mut groups = BTreeSet::new();
    for f in t.functions().unwrap() {
        let props = &t.resources()[&f.logical_id]["Properties"];
        let ids = referenced_ids(&props["LoggingConfig"]["LogGroup"]);
        assert_eq!(ids.len(), 1, "{}: LoggingConfig.LogGroup", f.logical_id);
        let id = ids.into_iter().next().unwrap();
        check_group(&id, &f.logical_id);
        assert!(
            groups.insert(id),
            "{}: a log group of its own",
            f.logical_id
        );
    }
    let access = api_property(&t, "AccessLogSetting");
    let ids = referenced_ids(&access["DestinationArn"]);
    assert_eq!(ids.len(), 1, "the access log's destination");
    check_group(ids.iter().next().unwrap(), "access log");
    let format = access["Format"].as_str().expect("an access log format");
    let sample: Value = serde_json::from_str(&format.replace('$', "x"))
        .unwrap_or_else(|e| panic!("the access log format is not one JSON object ({e}): {format}"));
    for needed in [
        "$context.requestId",
        "$context.status",
        "$context.identity.sourceIp",
        "$context.path",
    ] {
        assert!(format.contains(needed), "access log lacks {needed}");
    }
    assert!(sample.is_object());
    // API Gateway needs the account's CloudWatch role before a stage may log: either the stack
    // sets it (kept on deletion, other APIs may use it) or the deployer says it exists.
    let role_param = parameter(&t, "ApiGatewayLogsRole");
    assert_eq!(role_param["Default"], "create");
    let account = &t.resources()["ApiGatewayAccount"];
    assert_eq!(account["Type"], "AWS::ApiGateway::Account");
    assert_eq!(account["DeletionPolicy"], "Retain");
    let api_id = t.resources_of_type("AWS::Serverless::Api")[0].0.to_string();
    let depends: Vec<String> = match &t.resources()[&api_id]["DependsOn"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    let waits_for_account = depends.iter().any(|d| {
        d == "ApiGatewayAccount" || referenced_ids(&t.resources()[d]).contains("ApiGatewayAccount")
    });
    assert!(
        waits_for_account,
        "the API waits for the account's CloudWatch role: {depends:?}"
    );
}
