//! The real pages in a real browser: the local app (every family's router, in process, on
//! 127.0.0.1:0) driven through headless Chromium by chromedriver, over the W3C WebDriver protocol.
//!
//! What each page must draw is computed from the API or the SQLite file, never written down here,
//! so a page that draws the wrong number of marks, or the wrong songs, fails. Every page must end
//! with no uncaught JavaScript error and no console error of its own (the Spotify players cannot
//! load without internet; their errors are the only ones ignored). Screenshots of every page go to
//! `target/screenshots/`.
//!
//! Needs `chromium` and `chromedriver` (installed by `scripts/test.d/pre-30-chromium.sh`); set
//! `MUSIC_ML_SKIP_BROWSER=1` to skip on a machine without them. `MUSIC_ML_BROWSER_BASE_URL`
//! runs only the application flow, against another server (see the test function).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

type Result<T> = std::result::Result<T, String>;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver on a free port, killed when dropped (also when an assertion fails).
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver not found: run scripts/test.d/pre-30-chromium.sh (or set MUSIC_ML_SKIP_BROWSER=1)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal W3C WebDriver client: only the commands these tests use.
struct Browser {
    http: reqwest::Client,
    session: String,
    _profile: tempdir::Dir,
}

mod tempdir {
    /// A directory removed when dropped (Chromium's throw-away profile).
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let path = std::env::temp_dir().join(format!(
                "music-ml-chromium-{}-{}",
                std::process::id(),
                super::free_port()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Browser {
    async fn open(driver: &Driver) -> Browser {
        let profile = tempdir::Dir::new();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium_binary(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", "--window-size=1280,900", "--hide-scrollbars",
                         format!("--user-data-dir={}", profile.0.display())]
            }
        }}});
        let answer: Value = http
            .post(format!("http://127.0.0.1:{}/session", driver.port))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_string();
        Browser {
            http,
            session: format!("http://127.0.0.1:{}/session/{session}", driver.port),
            _profile: profile,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        if let Some(err) = answer["value"]["error"].as_str() {
            return Err(format!(
                "{err}: {}",
                answer["value"]["message"].as_str().unwrap_or("")
            ));
        }
        Ok(answer["value"].clone())
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .unwrap();
    }

    async fn js(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `expr` (a JavaScript expression) until it is truthy; returns its value.
    async fn wait_for(&self, what: &str, expr: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self
                .js(
                    &format!("try {{ return ({expr}); }} catch (e) {{ return null; }}"),
                    json!([]),
                )
                .await;
            let truthy = !(v.is_null() || v == json!(false) || v == json!(0) || v == json!(""));
            if truthy {
                return v;
            }
            if Instant::now() > deadline {
                let errors = self.js("return (window.__mmErrors || []).concat([document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 600) : ''])", json!([])).await;
                panic!("timed out waiting for {what} ({expr}); page state: {errors}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap()
            .to_string()
    }

    async fn type_keys(&self, css: &str, text: &str) {
        let el = self.element(css).await;
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        )
        .await
        .unwrap();
    }

    async fn click(&self, css: &str) {
        let el = self.element(css).await;
        self.js(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})",
            json!([{ "element-6066-11e4-a52e-4f735466cecf": el }]),
        )
        .await;
        if let Err(e) = self
            .cmd(
                reqwest::Method::POST,
                &format!("/element/{el}/click"),
                Some(json!({})),
            )
            .await
        {
            let cover = self
                .js(
                    "var r = arguments[0].getBoundingClientRect(); var t = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2); \
                     return [r.x, r.y, window.innerWidth, window.innerHeight, window.scrollY, t ? t.outerHTML.slice(0, 300) : null]",
                    json!([{ "element-6066-11e4-a52e-4f735466cecf": el }]),
                )
                .await;
            panic!("click {css}: {e}; covered by: {cover}");
        }
    }

    /// A key pressed and released wherever the focus is (W3C actions), e.g. "\u{E007}" = Enter.
    async fn press(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]});
        self.cmd(reqwest::Method::POST, "/actions", Some(actions))
            .await
            .unwrap();
    }

    async fn resize(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await
        .unwrap();
    }

    /// The whole page: the window is grown to the document's height first.
    async fn screenshot(&self, name: &str, width: u32) {
        let height = self
            .js(
                "return Math.ceil(document.documentElement.scrollHeight)",
                json!([]),
            )
            .await
            .as_u64()
            .unwrap_or(900)
            .clamp(600, 6000) as u32;
        self.resize(width, height + 120).await;
        self.js("window.scrollTo({top: 0, behavior: 'instant'})", json!([]))
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self
            .cmd(reqwest::Method::GET, "/screenshot", None)
            .await
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = repo_root().join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
        self.resize(1280, 900).await;
    }

    /// Console messages at error level since the last call, minus the Spotify players' (they
    /// need internet), plus anything the page's own error hook caught.
    async fn own_errors(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(Value::Array(entries)) = self
            .cmd(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({"type": "browser"})),
            )
            .await
        {
            for e in entries {
                let msg = e["message"].as_str().unwrap_or("").to_string();
                if e["level"] == "SEVERE"
                    && !msg.contains("open.spotify.com")
                    && !msg.contains("spotify")
                {
                    out.push(msg);
                }
            }
        }
        if let Value::Array(hooked) = self
            .js(
                "return window.__mmErrors || ['the error hook (common.js) is missing']",
                json!([]),
            )
            .await
        {
            out.extend(
                hooked
                    .into_iter()
                    .map(|v| v.as_str().unwrap_or("").to_string()),
            );
        }
        out
    }

    async fn quit(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

fn chromium_binary() -> String {
    for candidate in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if Path::new(candidate).exists() {
            return candidate.to_string();
        }
    }
    "chromium".to_string()
}

struct App {
    base: String,
    http: reqwest::Client,
}

impl App {
    async fn start() -> App {
        let root = repo_root();
        let config = music_local::Config {
            db: root.join("data/build/musicData.sqlite"),
            data_dir: root.join("data/build"),
            dynamodb_endpoint: None,
        };
        let app = music_local::app_from(&config)
            .await
            .expect("the local app loads data/build (run the pipeline first)");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        App {
            base: format!("http://{addr}/"),
            http: reqwest::Client::new(),
        }
    }

    async fn api(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
}

fn db() -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        repo_root().join("data/build/musicData.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

async fn assert_clean(browser: &Browser, page: &str) {
    assert_clean_except(browser, page, None).await;
}

/// As [`assert_clean`], but a console line that names `expected` (a request the test made fail
/// on purpose, e.g. an unknown artist's 404) is allowed.
async fn assert_clean_except(browser: &Browser, page: &str, expected: Option<&str>) {
    let errors: Vec<String> = browser
        .own_errors()
        .await
        .into_iter()
        .filter(|e| !expected.is_some_and(|x| e.contains(x)))
        .collect();
    assert!(errors.is_empty(), "{page}: console errors: {errors:#?}");
}

async fn check_application(app: &App, browser: &Browser) {
    // The song to find, straight from the SQLite file; the query misspells and truncates it.
    let (expected_id, expected_cluster, expected_label): (String, i64, String) = db()
        .query_row(
            "SELECT t.id, t.cluster, c.label FROM tracks t JOIN clusters c ON c.cluster = t.cluster WHERE t.name = 'Blinding Lights'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    browser.goto(&format!("{}application.html", app.base)).await;
    browser
        .wait_for(
            "the song box",
            "document.activeElement && document.activeElement.id === 'song-input'",
        )
        .await;
    browser.type_keys("#song-input", "blindng lig").await;
    // The box searches as the user types; wait for the answer to the whole query.
    browser
        .wait_for(
            "the suggestion for the misspelt title",
            &format!("Array.from(document.querySelectorAll('#song-options [role=option]')).some(function (o) {{ return o.dataset.trackId === '{expected_id}'; }})"),
        )
        .await;
    let state = browser
        .js("var i = document.getElementById('song-input'); return [i.getAttribute('aria-expanded'), i.getAttribute('role'), document.getElementById('song-options').getAttribute('role')]", json!([]))
        .await;
    assert_eq!(
        state,
        json!(["true", "combobox", "listbox"]),
        "ARIA combobox state while suggestions are open"
    );
    // Keyboard only: arrow down to the suggestion for the expected id, then Enter.
    let position = browser.js("var id = arguments[0]; return Array.from(document.querySelectorAll('#song-options [role=option]')).findIndex(function (o) { return o.dataset.trackId === id; })", json!([expected_id])).await;
    let position = position.as_i64().unwrap();
    assert!(
        position >= 0,
        "the misspelt query did not suggest track {expected_id}"
    );
    for _ in 0..=position {
        browser.type_keys("#song-input", "\u{E015}").await; // ArrowDown
    }
    let active = browser.js("var i = document.getElementById('song-input'); var a = document.getElementById(i.getAttribute('aria-activedescendant')); return a && a.dataset.trackId", json!([])).await;
    assert_eq!(
        active,
        json!(expected_id),
        "aria-activedescendant follows the arrow keys"
    );
    browser.type_keys("#song-input", "\u{E007}").await; // Enter
    browser.wait_for("the chosen track", "!document.getElementById('track-section').hidden && document.querySelector('#track-player iframe')").await;
    let player = browser
        .js(
            "return document.querySelector('#track-player iframe').getAttribute('src')",
            json!([]),
        )
        .await;
    assert_eq!(
        player,
        json!(format!(
            "https://open.spotify.com/embed/track/{expected_id}"
        ))
    );
    let cluster_text = browser.wait_for("the cluster label", "document.getElementById('cluster-label') && document.getElementById('cluster-line').textContent").await;
    let cluster_text = cluster_text.as_str().unwrap();
    assert!(
        cluster_text.contains(&format!("cluster {expected_cluster}")),
        "{cluster_text}"
    );
    assert!(
        cluster_text.contains(&expected_label),
        "{cluster_text} lacks the label {expected_label}"
    );

    // The ten recommendations are the API's, in its order.
    let recs = app
        .api(&format!(
            "api/v3/tracks/{expected_id}/recommendations?n=10&scope=cluster"
        ))
        .await;
    let want: Vec<String> = recs["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(want.len(), 10, "the API has ten neighbours for this track");
    browser
        .wait_for(
            "ten recommendations",
            "document.querySelectorAll('#recs .rec-item iframe').length === 10",
        )
        .await;
    let shown = browser.js("return Array.from(document.querySelectorAll('#recs .rec-item iframe')).map(function (f) { return f.getAttribute('src').split('/').pop(); })", json!([])).await;
    assert_eq!(
        shown,
        json!(want),
        "recommendation embeds are the API's nearest, in order"
    );

    // The genre bubbles: one circle per top genre of the cluster.
    let cluster = app
        .api(&format!("api/v3/clusters/{expected_cluster}"))
        .await;
    let genres = cluster["top_genres"].as_array().unwrap().len();
    browser
        .wait_for(
            "the genre bubbles",
            "document.querySelector('#bubbles svg')",
        )
        .await;
    let bubbles = browser
        .js(
            "return document.querySelectorAll('#bubbles svg circle').length",
            json!([]),
        )
        .await;
    assert_eq!(bubbles, json!(genres), "one bubble per top genre");

    // Play all: one player that steps through the queue.
    browser.click("#play-all").await;
    let first = browser.wait_for("the queue player", "document.querySelector('#queue-frame') && document.querySelector('#queue-frame').getAttribute('src')").await;
    assert_eq!(
        first,
        json!(format!("https://open.spotify.com/embed/track/{}", want[0]))
    );
    browser.click("#queue-next").await;
    let second = browser.wait_for("the queue to advance", &format!("document.querySelector('#queue-frame').getAttribute('src').endsWith('{}') && document.querySelector('#queue-frame').getAttribute('src')", want[1])).await;
    assert_eq!(
        second,
        json!(format!("https://open.spotify.com/embed/track/{}", want[1]))
    );
    let playing = browser.js("return [document.querySelectorAll('#queue-player iframe').length, document.querySelector('.rec-item.playing').dataset.trackId, document.getElementById('queue-pos').textContent]", json!([])).await;
    assert_eq!(playing, json!([1, want[1], "(2 of 10)"]));
    browser.screenshot("application", 1280).await;

    // The original's random ten: every one from the same cluster, per the tracks table.
    browser.click("label[for=mode-random]").await;
    browser.wait_for("random recommendations", "document.getElementById('recs-explain').textContent.indexOf('random') >= 0 && document.querySelectorAll('#recs .rec-item').length > 0").await;
    let random: Vec<String> = serde_json::from_value(browser.js("return Array.from(document.querySelectorAll('#recs .rec-item')).map(function (li) { return li.dataset.trackId; })", json!([])).await).unwrap();
    let in_cluster: i64 = db()
        .query_row(
            "SELECT COUNT(*) FROM songAssignments_randomTable WHERE Assignments = ?1",
            [expected_cluster],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(random.len() as i64, in_cluster.min(10));
    for id in &random {
        let c: i64 = db()
            .query_row(
                "SELECT Assignments FROM songAssignments_randomTable WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            c, expected_cluster,
            "random recommendation {id} is from another cluster"
        );
    }
    assert_clean(browser, "application").await;

    // A phone: nothing wider than the screen.
    browser.resize(390, 844).await;
    browser
        .goto(&format!("{}application.html?id={expected_id}", app.base))
        .await;
    browser
        .wait_for(
            "recommendations on a phone",
            "document.querySelectorAll('#recs .rec-item').length === 10",
        )
        .await;
    let overflow = browser
        .js(
            "return document.documentElement.scrollWidth - window.innerWidth",
            json!([]),
        )
        .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "the application page is wider than a phone by {overflow}px"
    );
    browser.screenshot("application-phone", 390).await;
    assert_clean(browser, "application (phone)").await;
}

async fn check_charts(app: &App, browser: &Browser) {
    // scatter: one circle per genre the API returns.
    let genres = app
        .api("api/v1.0/top_51_genres")
        .await
        .as_array()
        .unwrap()
        .len();
    browser.goto(&format!("{}scatter.html", app.base)).await;
    browser
        .wait_for(
            "the scatter plot",
            "document.querySelectorAll('#scatter circle.genre').length > 0",
        )
        .await;
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#scatter circle.genre').length",
                json!([])
            )
            .await,
        json!(genres)
    );
    // Changing an axis redraws with the same marks and a new r, computed here from the data.
    browser.js("var s = document.getElementById('y-select'); s.value = 'acousticness'; s.dispatchEvent(new Event('change'));", json!([])).await;
    let rows = app.api("api/v1.0/top_51_genres").await;
    let xs: Vec<f64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["energy"].as_f64().unwrap())
        .collect();
    let ys: Vec<f64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["acousticness"].as_f64().unwrap())
        .collect();
    let r = pearson(&xs, &ys);
    let text = browser
        .wait_for(
            "the correlation",
            "document.getElementById('correlation').textContent",
        )
        .await;
    assert!(
        text.as_str().unwrap().contains(&format!("{r:.3}")),
        "{text} should show r = {r:.3}"
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#scatter circle.genre').length",
                json!([])
            )
            .await,
        json!(genres)
    );
    browser.screenshot("scatter", 1280).await;
    assert_clean(browser, "scatter").await;

    // multiLine: two series, each through every year.
    let years = app.api("api/v1.0/data_by_year").await;
    let years = years.as_array().unwrap();
    browser.goto(&format!("{}multiLine.html", app.base)).await;
    browser
        .wait_for(
            "the year chart",
            "document.querySelectorAll('#lines path.series').length === 2",
        )
        .await;
    let points = browser.js("return Array.from(document.querySelectorAll('#lines path.series')).map(function (p) { return p.getAttribute('d').split(/[ML]/).filter(Boolean).length; })", json!([])).await;
    assert_eq!(
        points,
        json!([years.len(), years.len()]),
        "each line has one point per year"
    );
    let xs: Vec<f64> = years
        .iter()
        .map(|r| r["acousticness"].as_f64().unwrap())
        .collect();
    let ys: Vec<f64> = years
        .iter()
        .map(|r| r["energy"].as_f64().unwrap())
        .collect();
    let r = pearson(&xs, &ys);
    let text = browser
        .js(
            "return document.getElementById('correlation').textContent",
            json!([]),
        )
        .await;
    assert!(
        text.as_str().unwrap().contains(&format!("{r:.3}")),
        "{text} should show r = {r:.3}"
    );
    browser.screenshot("multiLine", 1280).await;
    assert_clean(browser, "multiLine").await;

    // radar: two known artists (from the SQLite file) give two polygons over eight axes; an
    // unknown artist gives a message, not an error.
    let names: Vec<String> = {
        let conn = db();
        let mut stmt = conn
            .prepare("SELECT artists FROM Clean_Artists ORDER BY count DESC LIMIT 2")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let url = format!(
        "{}radar.html?artist1={}&artist2={}",
        app.base,
        encode(&names[0]),
        encode(&names[1])
    );
    browser.goto(&url).await;
    browser
        .wait_for(
            "two radar polygons",
            "document.querySelectorAll('#radar polygon.series').length === 2",
        )
        .await;
    let vertices = browser
        .js(
            "return document.querySelectorAll('#radar circle.vertex').length",
            json!([]),
        )
        .await;
    assert_eq!(vertices, json!(16), "two series over eight axes");
    let cards = browser.js("return [document.querySelector('#artist1-card h2').textContent, document.querySelector('#artist2-card h2').textContent]", json!([])).await;
    assert_eq!(cards, json!(names));
    browser.screenshot("radar", 1280).await;
    browser
        .js(
            "document.getElementById('artist2-name').value = 'No Such Artist \"%/ 😀'",
            json!([]),
        )
        .await;
    browser.click("#artist-form button[type=submit]").await;
    let message = browser.wait_for("the unknown-artist message", "document.querySelector('#radar-status .alert') && document.querySelector('#radar-status .alert').textContent").await;
    assert!(
        message.as_str().unwrap().contains("No Such Artist"),
        "{message}"
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#radar polygon.series').length",
                json!([])
            )
            .await,
        json!(1)
    );
    browser.screenshot("radar-unknown", 1280).await;
    assert_clean_except(
        browser,
        "radar",
        Some("data_by_artist_clean/No%20Such%20Artist"),
    )
    .await;

    // method: one point per k of the elbow, one table row per cluster.
    let elbow = app.api("api/v3/elbow").await.as_array().unwrap().len();
    let clusters = app.api("api/v3/clusters").await;
    let clusters = clusters.as_array().unwrap();
    browser.goto(&format!("{}method.html", app.base)).await;
    browser.wait_for("the elbow curve", "document.querySelectorAll('#elbow circle.elbow-point').length > 0 && document.querySelectorAll('#centroid-table tr').length > 0").await;
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#elbow circle.elbow-point').length",
                json!([])
            )
            .await,
        json!(elbow)
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#centroid-table tr').length",
                json!([])
            )
            .await,
        json!(clusters.len())
    );
    let first_nearest = browser
        .js(
            "return document.querySelector('#centroid-table tr td:nth-child(4)').textContent",
            json!([]),
        )
        .await;
    let c0 = clusters.iter().find(|c| c["cluster"] == 0).unwrap();
    assert_eq!(first_nearest, c0["nearest"][0]["name"]);
    browser.screenshot("method", 1280).await;
    assert_clean(browser, "method").await;

    // analysis: one bar per cluster; a chosen cluster's genres, nearest tracks and features.
    let pick = clusters[clusters.len() - 1]["cluster"].as_i64().unwrap();
    let detail = app.api(&format!("api/v3/clusters/{pick}")).await;
    browser
        .goto(&format!("{}analysis.html?cluster={pick}", app.base))
        .await;
    browser.wait_for("the cluster explorer", "document.querySelectorAll('#sizes rect.bar').length > 0 && document.querySelectorAll('#nearest tr').length > 0").await;
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#sizes rect.bar').length",
                json!([])
            )
            .await,
        json!(clusters.len())
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#nearest tr').length",
                json!([])
            )
            .await,
        json!(detail["nearest"].as_array().unwrap().len())
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#genres li').length",
                json!([])
            )
            .await,
        json!(detail["top_genres"].as_array().unwrap().len().min(10))
    );
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#features rect.bar').length",
                json!([])
            )
            .await,
        json!(9)
    );
    let title = browser
        .js(
            "return document.getElementById('detail-title').textContent",
            json!([]),
        )
        .await;
    assert_eq!(
        title,
        json!(format!(
            "Cluster {pick}: {}",
            detail["label"].as_str().unwrap()
        ))
    );
    browser.screenshot("analysis", 1280).await;
    browser.click("label[for=view-radar]").await;
    browser
        .wait_for(
            "the feature radar",
            "document.querySelectorAll('#features polygon.series').length === 2",
        )
        .await;
    // Keyboard: a focused bar opens its cluster with Enter.
    let other = clusters[0]["cluster"].as_i64().unwrap();
    browser
        .js(
            "document.querySelector('#sizes rect.bar').focus()",
            json!([]),
        )
        .await;
    browser.press("\u{E007}").await;
    browser.wait_for("cluster chosen by keyboard", &format!("document.getElementById('detail-title').textContent.indexOf('Cluster {other}:') === 0")).await;
    assert_clean(browser, "analysis").await;
}

async fn check_text_pages(app: &App, browser: &Browser) {
    // data: one documented operation per path+method of the OpenAPI document, each with a live link.
    let doc = app.api("api/v3/openapi.json").await;
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            ["get", "head", "post", "put", "delete", "patch"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .count()
        })
        .sum();
    browser.goto(&format!("{}data.html", app.base)).await;
    browser
        .wait_for(
            "the API documentation",
            "document.querySelectorAll('#api-docs article.endpoint').length > 0",
        )
        .await;
    assert_eq!(
        browser
            .js(
                "return document.querySelectorAll('#api-docs article.endpoint').length",
                json!([])
            )
            .await,
        json!(operations)
    );
    // Try the artist route with its example: the answer appears on the page.
    let tried = browser
        .js(
            "var a = Array.from(document.querySelectorAll('#api-docs article.endpoint')).find(function (x) { return x.querySelector('code.path').textContent.indexOf('data_by_artist_clean') >= 0; });
             a.querySelector('details').open = true; a.querySelector('form button').click(); return a.id;",
            json!([]),
        )
        .await;
    let tried = tried.as_str().unwrap();
    let out = browser.wait_for("a try-it answer", &format!("document.querySelector('#{tried} pre.try-output') && document.querySelector('#{tried} pre.try-output').textContent")).await;
    assert!(
        out.as_str().unwrap().contains("\"artists\""),
        "try-it answer: {out}"
    );
    browser.screenshot("data", 1280).await;
    assert_clean(browser, "data").await;

    for page in ["index", "observations", "about"] {
        browser.goto(&format!("{}{page}.html", app.base)).await;
        browser
            .wait_for(
                page,
                "document.readyState === 'complete' && document.querySelector('main h1')",
            )
            .await;
        let current = browser.js("var a = document.querySelector('nav [aria-current=page]'); return a && a.getAttribute('href')", json!([])).await;
        assert_eq!(
            current,
            json!(format!("{page}.html")),
            "{page}: the nav marks the page"
        );
        browser.screenshot(page, 1280).await;
        assert_clean(browser, page).await;
    }
    browser.goto(&app.base).await;
    browser
        .wait_for(
            "the home page at /",
            "document.documentElement.dataset.page === 'index'",
        )
        .await;
    browser
        .goto(&format!("{}no-such-page.html", app.base))
        .await;
    let h1 = browser
        .wait_for(
            "the 404 page",
            "document.querySelector('main h1') && document.querySelector('main h1').textContent",
        )
        .await;
    assert_eq!(h1, json!("Page not found"));
    browser.screenshot("not-found", 1280).await;
    // The 404 itself is a console "Failed to load resource" message: expected here, so drained.
    let _ = browser.own_errors().await;
}

fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let syy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_in_a_real_browser() {
    if std::env::var_os("MUSIC_ML_SKIP_BROWSER").is_some_and(|v| v == "1") {
        eprintln!("MUSIC_ML_SKIP_BROWSER=1: browser tests skipped");
        return;
    }
    // MUSIC_ML_BROWSER_BASE_URL=http://host:port/ runs the application flow alone against that
    // server instead of the in-process app (scripts/test.d/post-45-sam-local.sh points it at
    // `sam local start-api`); it must serve the data of data/build/.
    let external = std::env::var("MUSIC_ML_BROWSER_BASE_URL")
        .ok()
        .filter(|b| !b.is_empty());
    let app = match &external {
        Some(base) => App {
            base: format!("{}/", base.trim_end_matches('/')),
            http: reqwest::Client::new(),
        },
        None => App::start().await,
    };
    let driver = Driver::start();
    let browser = Browser::open(&driver).await;
    check_application(&app, &browser).await;
    if external.is_none() {
        check_charts(&app, &browser).await;
        check_text_pages(&app, &browser).await;
    }
    browser.quit().await;
}
