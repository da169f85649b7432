//! The pages' `MM.spotifyEmbed` (static/js/common.js) run in Node with a minimal DOM: only a
//! 22-character base-62 Spotify id becomes a player URL; anything else from the data or a shared
//! link gets a note instead of a frame. Node.js is one of the project's prerequisites (README).

use std::process::Command;

const SCRIPT: &str = r##"
// With `node -e`, process.argv[1] is the first argument after the script.
const vm = require("vm");
const fs = require("fs");
function node(tag) {
  return {
    tag, attrs: {}, children: [], textContent: "",
    setAttribute(k, v) { this.attrs[k] = v; },
    getAttribute(k) { return this.attrs[k]; },
    appendChild(c) { this.children.push(c); return c; },
    addEventListener() {},
  };
}
const document = {
  createElement: node,
  createTextNode: (t) => ({ tag: "#text", text: t }),
  querySelector: () => null,
  querySelectorAll: () => [],
};
const window = { addEventListener() {} };
const context = { window, document, console, setTimeout, clearTimeout };
vm.createContext(context);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8") + "\n;this.MM = MM;", context);
const MM = context.MM;
const ids = JSON.parse(process.argv[2]);
const out = ids.map((id) => {
  const n = MM.spotifyEmbed(id, "t", 80);
  return { tag: n.tag, src: n.attrs.src === undefined ? null : n.attrs.src };
});
process.stdout.write(JSON.stringify(out));
"##;

#[test]
fn only_spotify_ids_become_player_urls() {
    let common =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/static/js/common.js");
    let good = "4uLU6hMCjMI75M1A2tKUQC";
    let bad = [
        "",
        "4uLU6hMCjMI75M1A2tKUQ",   // 21
        "4uLU6hMCjMI75M1A2tKUQCx", // 23
        "../../../album/1",
        "4uLU6hMCjMI75M1A2tKUQC?autoplay=1",
        "4uLU6hMCjMI75M1A2tKU/C",
        "4uLU6hMCjMI75M1A2tKU%2F",
        "\"><script>alert(1)</script>",
        "4uLU6hMCjMI75M1A2tKUQ\u{0430}", // a Cyrillic letter
        "4uLU6hMCjMI75M1A2tKUQC\n",
    ];
    let mut ids: Vec<serde_json::Value> = vec![good.into()];
    ids.extend(bad.iter().map(|s| serde_json::Value::from(*s)));
    ids.push(serde_json::Value::Null);
    ids.push(serde_json::json!(12345));
    let output = Command::new("node")
        .arg("-e")
        .arg(SCRIPT)
        .arg(&common)
        .arg(serde_json::Value::Array(ids.clone()).to_string())
        .output()
        .expect("node is installed (a prerequisite of the project, see README)");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers.len(), ids.len());
    assert_eq!(answers[0]["tag"], "iframe");
    assert_eq!(
        answers[0]["src"],
        format!("https://open.spotify.com/embed/track/{good}")
    );
    for (id, answer) in ids.iter().zip(&answers).skip(1) {
        assert_eq!(
            answer["src"],
            serde_json::Value::Null,
            "{id} was put in a player URL: {answer}"
        );
        assert_ne!(answer["tag"], "iframe", "{id}");
    }
}
