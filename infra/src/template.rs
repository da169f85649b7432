//! `template.yaml` as data. CloudFormation's short tags (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) are
//! rewritten into their long JSON forms (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, ...) so
//! that the checks can walk one plain `serde_json::Value` and see every reference.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{Map, Value};

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    pub root: Value,
}

/// One `AWS::Serverless::Function`, reduced to what the checks compare.
#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    pub code_uri: Option<String>,
    pub build_method: Option<String>,
    pub routes: Vec<ApiRoute>,
    /// The function's own variables merged over `Globals.Function.Environment.Variables`.
    pub env: BTreeMap<String, Value>,
    pub layers: Vec<Value>,
    /// Inline policy documents' statements.
    pub statements: Vec<Statement>,
    /// Policy entries that are not inline documents (SAM policy templates, managed policy names).
    pub other_policies: Vec<Value>,
}

/// An `HttpApi` or `Api` event of a function.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiRoute {
    pub event_name: String,
    pub method: String,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub effect: String,
    pub actions: Vec<String>,
    pub resources: Vec<Value>,
}

impl Template {
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_yaml(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn from_yaml(text: &str) -> Result<Self> {
        let yaml: serde_yaml::Value = serde_yaml::from_str(text)?;
        Ok(Self {
            root: to_json(yaml)?,
        })
    }

    pub fn resources(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.root
            .get("Resources")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// Logical ids of the resources of one type, in template order.
    pub fn resources_of_type(&self, ty: &str) -> Vec<(&str, &Value)> {
        self.resources()
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(ty))
            .map(|(id, r)| (id.as_str(), r))
            .collect()
    }

    pub fn global_function(&self) -> Option<&Value> {
        self.root.pointer("/Globals/Function")
    }

    pub fn functions(&self) -> Result<Vec<Function>> {
        let global_env = self
            .root
            .pointer("/Globals/Function/Environment/Variables")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        self.resources_of_type("AWS::Serverless::Function")
            .into_iter()
            .map(|(id, res)| function(id, res, &global_env))
            .collect()
    }

    pub fn function(&self, logical_id: &str) -> Result<Function> {
        self.functions()?
            .into_iter()
            .find(|f| f.logical_id == logical_id)
            .ok_or_else(|| anyhow!("no function {logical_id} in the template"))
    }
}

fn function(id: &str, res: &Value, global_env: &Map<String, Value>) -> Result<Function> {
    let props = res
        .get("Properties")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let meta = res.get("Metadata");
    let mut env: BTreeMap<String, Value> = global_env.clone().into_iter().collect();
    if let Some(vars) = props
        .pointer("/Environment/Variables")
        .and_then(Value::as_object)
    {
        env.extend(vars.clone());
    }
    let mut routes = Vec::new();
    if let Some(events) = props.get("Events").and_then(Value::as_object) {
        for (name, ev) in events {
            let ty = ev.get("Type").and_then(Value::as_str).unwrap_or_default();
            if ty != "HttpApi" && ty != "Api" {
                continue;
            }
            let p = ev
                .get("Properties")
                .ok_or_else(|| anyhow!("{id}.Events.{name} has no Properties"))?;
            let method = p
                .get("Method")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{id}.Events.{name}: no Method"))?;
            let path = p
                .get("Path")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{id}.Events.{name}: no Path"))?;
            routes.push(ApiRoute {
                event_name: name.clone(),
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
            });
        }
    }
    let mut statements = Vec::new();
    let mut other_policies = Vec::new();
    match props.get("Policies") {
        None => {}
        Some(Value::Array(list)) => {
            for p in list {
                match p.get("Statement") {
                    Some(Value::Array(sts)) => {
                        for st in sts {
                            statements.push(statement(id, st)?);
                        }
                    }
                    Some(st @ Value::Object(_)) => statements.push(statement(id, st)?),
                    _ => other_policies.push(p.clone()),
                }
            }
        }
        Some(other) => other_policies.push(other.clone()),
    }
    Ok(Function {
        logical_id: id.to_string(),
        code_uri: props
            .get("CodeUri")
            .and_then(Value::as_str)
            .map(str::to_string),
        build_method: meta
            .and_then(|m| m.get("BuildMethod"))
            .and_then(Value::as_str)
            .map(str::to_string),
        routes,
        env,
        layers: props
            .get("Layers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        statements,
        other_policies,
    })
}

fn one_or_many(v: Option<&Value>) -> Vec<Value> {
    match v {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(v) => vec![v.clone()],
    }
}

fn statement(id: &str, st: &Value) -> Result<Statement> {
    let effect = st
        .get("Effect")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{id}: a statement without Effect"))?;
    let actions = one_or_many(st.get("Action"))
        .into_iter()
        .map(|a| {
            a.as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("{id}: a non-string Action {a}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if st.get("NotAction").is_some() || st.get("NotResource").is_some() {
        bail!("{id}: NotAction/NotResource grant everything else; not allowed");
    }
    Ok(Statement {
        effect: effect.to_string(),
        actions,
        resources: one_or_many(st.get("Resource")),
    })
}

/// The logical ids a value refers to through `Ref`, `Fn::GetAtt` or `${...}` in `Fn::Sub`
/// (pseudo parameters such as `AWS::Region` excluded).
pub fn referenced_ids(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect_refs(value, &mut out);
    out
}

fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("Ref", Value::String(id)) if !id.starts_with("AWS::") => {
                        out.insert(id.clone());
                    }
                    ("Fn::GetAtt", Value::Array(parts)) => {
                        if let Some(Value::String(id)) = parts.first() {
                            out.insert(id.clone());
                        }
                    }
                    ("Fn::GetAtt", Value::String(s)) => {
                        out.insert(s.split('.').next().unwrap_or_default().to_string());
                    }
                    ("Fn::Sub", Value::String(s)) => sub_refs(s, out),
                    ("Fn::Sub", Value::Array(parts)) => {
                        if let Some(Value::String(s)) = parts.first() {
                            sub_refs(s, out);
                        }
                        for p in parts.iter().skip(1) {
                            collect_refs(p, out);
                        }
                    }
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn sub_refs(s: &str, out: &mut BTreeSet<String>) {
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        // `${!Literal}` is an escaped literal, not a reference.
        if !name.starts_with('!') && !name.starts_with("AWS::") {
            out.insert(name.split('.').next().unwrap_or_default().to_string());
        }
        rest = &after[end + 1..];
    }
}

/// YAML (with CloudFormation tags) to JSON in CloudFormation's long form.
fn to_json(v: serde_yaml::Value) -> Result<Value> {
    use serde_yaml::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n)?,
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(to_json).collect::<Result<_>>()?),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => bail!("unsupported mapping key {other:?}"),
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = to_json(tagged.value)?;
            let (key, value) = match name {
                "Ref" => ("Ref".to_string(), inner),
                "Condition" => ("Condition".to_string(), inner),
                "GetAtt" => {
                    let parts = match inner {
                        Value::String(s) => match s.split_once('.') {
                            Some((res, attr)) => vec![Value::from(res), Value::from(attr)],
                            None => bail!("!GetAtt {s}: expected Resource.Attribute"),
                        },
                        other => other
                            .as_array()
                            .cloned()
                            .ok_or_else(|| anyhow!("!GetAtt needs a string or a list"))?,
                    };
                    ("Fn::GetAtt".to_string(), Value::Array(parts))
                }
                other => (format!("Fn::{other}"), inner),
            };
            let mut out = Map::new();
            out.insert(key, value);
            Value::Object(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_long_forms_and_references_are_found() {
        let t = Template::from_yaml(
            "Resources:\n  F:\n    Type: X\n    Properties:\n      A: !Ref Table\n      B: !GetAtt Other.Arn\n      C: !Sub \"${Third.Arn}/index/i-${AWS::Region}${!Lit}\"\n      D: !Join [\"\", [!Ref Fourth]]\n      E: !Ref AWS::Region\n",
        )
        .unwrap();
        let props = t.root.pointer("/Resources/F/Properties").unwrap();
        assert_eq!(props["A"], serde_json::json!({"Ref": "Table"}));
        assert_eq!(
            props["B"],
            serde_json::json!({"Fn::GetAtt": ["Other", "Arn"]})
        );
        let ids: Vec<_> = referenced_ids(props).into_iter().collect();
        assert_eq!(ids, ["Fourth", "Other", "Table", "Third"]);
    }

    #[test]
    fn inline_and_template_policies_are_told_apart() {
        let t = Template::from_yaml(
            "Globals:\n  Function:\n    Environment:\n      Variables:\n        G: one\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment:\n        Variables:\n          L: two\n      Policies:\n        - DynamoDBReadPolicy:\n            TableName: !Ref T\n        - Statement:\n            - Effect: Allow\n              Action: dynamodb:GetItem\n              Resource: !GetAtt T.Arn\n",
        )
        .unwrap();
        let f = t.function("F").unwrap();
        assert_eq!(f.env.keys().collect::<Vec<_>>(), ["G", "L"]);
        assert_eq!(f.statements.len(), 1);
        assert_eq!(f.statements[0].actions, ["dynamodb:GetItem"]);
        assert_eq!(f.other_policies.len(), 1);
    }
}
