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

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use music_testkit::{encode, free_port, root as repo_root};
use serde_json::{json, Value};

type Result<T> = std::result::Result<T, String>;

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
                         // Offline from Spotify even on a machine with internet, so the players and
                         // the iFrame API fail the same way everywhere (the queue's fallback path);
                         // the iFrame API's own path is tested with a stub (see check_queue_*).
                         "--host-resolver-rules=MAP *.spotify.com ~NOTFOUND, MAP *.spotifycdn.com ~NOTFOUND",
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

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    /// A Chrome DevTools Protocol command through chromedriver (e.g. a script that runs before
    /// any page script of every new document).
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let body = json!({"cmd": cmd, "params": params});
        let answer = self.post("/goog/cdp/execute", body).await;
        answer.unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }

    async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await.unwrap();
    }

    async fn js(&self, script: &str, args: Value) -> Value {
        let body = json!({"script": script, "args": args});
        let answer = self.post("/execute/sync", body).await;
        answer.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// [`Browser::js`] for a script without arguments.
    async fn eval(&self, script: &str) -> Value {
        self.js(script, json!([])).await
    }

    /// How many elements `css` selects.
    async fn count(&self, css: &str) -> usize {
        let script = "return document.querySelectorAll(arguments[0]).length";
        let n = self.js(script, json!([css])).await;
        n.as_u64().unwrap_or_else(|| panic!("{css}: {n}")) as usize
    }

    /// The text of the first element `css` selects (a script error if there is none).
    async fn text(&self, css: &str) -> String {
        let script = "return document.querySelector(arguments[0]).textContent";
        let text = self.js(script, json!([css])).await;
        text.as_str()
            .unwrap_or_else(|| panic!("{css}: {text}"))
            .to_string()
    }

    /// Waits until `css` selects exactly `n` elements.
    async fn wait_for_count(&self, css: &str, n: usize) {
        let expr = format!("document.querySelectorAll({}).length === {n}", json!(css));
        self.wait_for(&format!("{n} of {css}"), &expr).await;
    }

    /// Waits until `css` selects some element (a chart drawn, a table filled).
    async fn wait_for_some(&self, css: &str) {
        let expr = format!("document.querySelectorAll({}).length > 0", json!(css));
        self.wait_for(&format!("some {css}"), &expr).await;
    }

    /// Polls `expr` (a JavaScript expression) until it is truthy; returns its value.
    async fn wait_for(&self, what: &str, expr: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self
                .eval(&format!(
                    "try {{ return ({expr}); }} catch (e) {{ return null; }}"
                ))
                .await;
            let truthy = !(v.is_null() || v == json!(false) || v == json!(0) || v == json!(""));
            if truthy {
                return v;
            }
            if Instant::now() > deadline {
                let errors = self.eval("return (window.__mmErrors || []).concat([document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 600) : ''])").await;
                panic!("timed out waiting for {what} ({expr}); page state: {errors}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .post("/element", json!({"using": "css selector", "value": css}))
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
        let path = format!("/element/{el}/value");
        self.post(&path, json!({ "text": text })).await.unwrap();
    }

    async fn click(&self, css: &str) {
        let el = self.element(css).await;
        self.js(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})",
            json!([{ "element-6066-11e4-a52e-4f735466cecf": el }]),
        )
        .await;
        if let Err(e) = self.post(&format!("/element/{el}/click"), json!({})).await {
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
        self.post("/actions", actions).await.unwrap();
    }

    async fn resize(&self, width: u32, height: u32) {
        let rect = json!({"width": width, "height": height});
        self.post("/window/rect", rect).await.unwrap();
    }

    /// The whole page: the window is grown to the document's height first.
    async fn screenshot(&self, name: &str, width: u32) {
        let height = self
            .eval("return Math.ceil(document.documentElement.scrollHeight)")
            .await
            .as_u64()
            .unwrap_or(900)
            .clamp(600, 6000) as u32;
        self.resize(width, height + 120).await;
        self.eval("window.scrollTo({top: 0, behavior: 'instant'})")
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
        if let Ok(Value::Array(entries)) = self.post("/se/log", json!({"type": "browser"})).await {
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
            .eval("return window.__mmErrors || ['the error hook (common.js) is missing']")
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
    /// Ends with `/`.
    base: String,
    http: reqwest::Client,
    /// The in-process app's server (none for an external one), stopped when the test ends.
    _server: Option<music_testkit::TestServer>,
}

/// `MUSIC_ML_BROWSER_BASE_URL`, when set to a server to test instead of the in-process app.
fn external_base() -> Option<String> {
    std::env::var("MUSIC_ML_BROWSER_BASE_URL")
        .ok()
        .filter(|b| !b.is_empty())
}

/// True (and says so) when `MUSIC_ML_SKIP_BROWSER=1`.
fn browser_skipped() -> bool {
    let skipped = std::env::var_os("MUSIC_ML_SKIP_BROWSER").is_some_and(|v| v == "1");
    if skipped {
        eprintln!("MUSIC_ML_SKIP_BROWSER=1: browser tests skipped");
    }
    skipped
}

impl App {
    /// The server of `MUSIC_ML_BROWSER_BASE_URL` if set, else the local app (every family, as
    /// `music-ml-serve` merges them) in process on a free port.
    async fn start() -> App {
        let http = reqwest::Client::new();
        if let Some(base) = external_base() {
            return App {
                base: format!("{}/", base.trim_end_matches('/')),
                http,
                _server: None,
            };
        }
        let server = common::serve_local_app().await;
        App {
            base: format!("{}/", server.base),
            http,
            _server: Some(server),
        }
    }

    /// `path` (no leading `/`) on this server.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    async fn api(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// The ids of the tracks the API answers `path` with, in order.
    async fn ids(&self, path: &str) -> Vec<String> {
        ids_of(&self.api(path).await)
    }

    /// The API's ten recommendations for the song `seed`.
    async fn recommended(&self, seed: &str) -> Vec<String> {
        self.ids(&format!(
            "api/v3/recommendations?seed_tracks={seed}&limit=10"
        ))
        .await
    }

    async fn track(&self, id: &str) -> Value {
        self.api(&format!("api/v3/tracks/{id}")).await
    }

    /// The genres the API takes as seeds.
    async fn genres(&self) -> Vec<String> {
        let answer = self
            .api("api/v3/recommendations/available-genre-seeds")
            .await;
        serde_json::from_value(answer["genres"].clone()).unwrap()
    }
}

fn db() -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        music_testkit::built_db(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

/// The first column of every row `sql` selects.
fn db_column<T: rusqlite::types::FromSql>(sql: &str) -> Vec<T> {
    let conn = db();
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.map(|r| r.unwrap()).collect()
}

/// The one value `sql` selects with `param` as its `?1`.
fn db_value<T: rusqlite::types::FromSql>(sql: &str, param: impl rusqlite::ToSql) -> T {
    db().query_row(sql, [param], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The one row `sql` selects, its columns as a tuple.
fn db_row<T>(sql: &str) -> T
where
    T: for<'a> TryFrom<&'a rusqlite::Row<'a>, Error = rusqlite::Error>,
{
    db().query_row(sql, [], |r| T::try_from(r))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
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

/// A track's Spotify player, as the pages embed it.
fn embed_url(id: &str) -> String {
    format!("https://open.spotify.com/embed/track/{id}")
}

/// The application page, once the song box has the focus it gets on load.
async fn open_application(app: &App, browser: &Browser) {
    browser.goto(&app.url("application.html")).await;
    let focused = "document.activeElement && document.activeElement.id === 'song-input'";
    browser.wait_for("the focused song box", focused).await;
}

/// The application page with `seed` as its song seed.
async fn open_seeded(app: &App, browser: &Browser, seed: &str) {
    let page = format!("application.html?seed_tracks={seed}");
    browser.goto(&app.url(&page)).await;
}

/// A page's screenshot at the desktop width, then no console errors on it.
async fn finish_page(browser: &Browser, page: &str) {
    browser.screenshot(page, 1280).await;
    assert_clean(browser, page).await;
}

/// The parameter `name` of the page's address (null when it has none).
async fn address_param(browser: &Browser, name: &str) -> Value {
    let script = "return new URLSearchParams(location.search).get(arguments[0])";
    browser.js(script, json!([name])).await
}

/// `key` of every row.
fn column(rows: &[Value], key: &str) -> Vec<f64> {
    rows.iter().map(|r| r[key].as_f64().unwrap()).collect()
}

/// The page's correlation line shows `r` to three places.
async fn assert_shows_correlation(browser: &Browser, r: f64) {
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
}

async fn check_application(app: &App, browser: &Browser) {
    // The song to find, straight from the SQLite file; the query misspells and truncates it.
    let (expected_id, expected_cluster, expected_label): (String, i64, String) = db_row(
        "SELECT t.id, t.cluster, c.label FROM tracks t JOIN clusters c ON c.cluster = t.cluster WHERE t.name = 'Blinding Lights'",
    );
    open_application(app, browser).await;
    browser.type_keys("#song-input", "blindng lig").await;
    // The box searches as the user types; wait for the answer to the whole query.
    browser
        .wait_for(
            "the suggestion for the misspelt title",
            &format!("Array.from(document.querySelectorAll('#song-options [role=option]')).some(function (o) {{ return o.dataset.trackId === '{expected_id}'; }})"),
        )
        .await;
    let state = browser
        .eval("var i = document.getElementById('song-input'); return [i.getAttribute('aria-expanded'), i.getAttribute('role'), document.getElementById('song-options').getAttribute('role')]")
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
    let active = browser.eval("var i = document.getElementById('song-input'); var a = document.getElementById(i.getAttribute('aria-activedescendant')); return a && a.dataset.trackId").await;
    assert_eq!(
        active,
        json!(expected_id),
        "aria-activedescendant follows the arrow keys"
    );
    browser.type_keys("#song-input", "\u{E007}").await; // Enter
    browser.wait_for("the chosen track", "!document.getElementById('track-section').hidden && document.querySelector('#track-player iframe')").await;
    let player = browser
        .eval("return document.querySelector('#track-player iframe').getAttribute('src')")
        .await;
    assert_eq!(player, json!(embed_url(&expected_id)));
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
    let want = app.recommended(&expected_id).await;
    assert_eq!(want.len(), 10, "the API has ten neighbours for this track");
    browser.wait_for_count("#recs .rec-item iframe", 10).await;
    let shown = browser.eval("return Array.from(document.querySelectorAll('#recs .rec-item iframe')).map(function (f) { return f.getAttribute('src').split('/').pop(); })").await;
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
    browser.wait_for_some("#bubbles svg").await;
    let bubbles = browser.count("#bubbles svg circle").await;
    assert_eq!(bubbles, genres, "one bubble per top genre");

    // Play all: one player that steps through the queue.
    browser.click("#play-all").await;
    let first = browser.wait_for("the queue player", "document.querySelector('#queue-frame') && document.querySelector('#queue-frame').getAttribute('src')").await;
    assert_eq!(first, json!(embed_url(&want[0])));
    browser.click("#queue-next").await;
    let second = browser.wait_for("the queue to advance", &format!("document.querySelector('#queue-frame').getAttribute('src').endsWith('{}') && document.querySelector('#queue-frame').getAttribute('src')", want[1])).await;
    assert_eq!(second, json!(embed_url(&want[1])));
    let playing = browser.eval("return [document.querySelectorAll('#queue-player iframe').length, document.querySelector('.rec-item.playing').dataset.trackId, document.getElementById('queue-pos').textContent]").await;
    assert_eq!(playing, json!([1, want[1], "(2 of 10)"]));
    browser.screenshot("application", 1280).await;

    // The original's random ten: every one from the same cluster, per the tracks table.
    browser.click("label[for=mode-random]").await;
    browser.wait_for("random recommendations", "document.getElementById('recs-explain').textContent.indexOf('random') >= 0 && document.querySelectorAll('#recs .rec-item').length > 0").await;
    let random: Vec<String> = serde_json::from_value(browser.eval("return Array.from(document.querySelectorAll('#recs .rec-item')).map(function (li) { return li.dataset.trackId; })").await).unwrap();
    let in_cluster: i64 = db_value(
        "SELECT COUNT(*) FROM songAssignments_randomTable WHERE Assignments = ?1",
        expected_cluster,
    );
    assert_eq!(random.len() as i64, in_cluster.min(10));
    for id in &random {
        let c: i64 = db_value(
            "SELECT Assignments FROM songAssignments_randomTable WHERE id = ?1",
            id,
        );
        assert_eq!(
            c, expected_cluster,
            "random recommendation {id} is from another cluster"
        );
    }
    assert_clean(browser, "application").await;

    // A phone: nothing wider than the screen.
    browser.resize(390, 844).await;
    let page = format!("application.html?id={expected_id}");
    browser.goto(&app.url(&page)).await;
    browser.wait_for_count("#recs .rec-item", 10).await;
    let overflow = browser
        .eval("return document.documentElement.scrollWidth - window.innerWidth")
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
    let rows = app.api("api/v1.0/top_51_genres").await;
    let rows = rows.as_array().unwrap();
    browser.goto(&app.url("scatter.html")).await;
    browser.wait_for_some("#scatter circle.genre").await;
    assert_eq!(browser.count("#scatter circle.genre").await, rows.len());
    // Changing an axis redraws with the same marks and a new r, computed here from the data.
    browser.eval("var s = document.getElementById('y-select'); s.value = 'acousticness'; s.dispatchEvent(new Event('change'));").await;
    let r = pearson(&column(rows, "energy"), &column(rows, "acousticness"));
    assert_shows_correlation(browser, r).await;
    assert_eq!(browser.count("#scatter circle.genre").await, rows.len());
    finish_page(browser, "scatter").await;

    // multiLine: two series, each through every year.
    let years = app.api("api/v1.0/data_by_year").await;
    let years = years.as_array().unwrap();
    browser.goto(&app.url("multiLine.html")).await;
    browser.wait_for_count("#lines path.series", 2).await;
    let points = browser.eval("return Array.from(document.querySelectorAll('#lines path.series')).map(function (p) { return p.getAttribute('d').split(/[ML]/).filter(Boolean).length; })").await;
    assert_eq!(
        points,
        json!([years.len(), years.len()]),
        "each line has one point per year"
    );
    let r = pearson(&column(years, "acousticness"), &column(years, "energy"));
    assert_shows_correlation(browser, r).await;
    finish_page(browser, "multiLine").await;

    // radar: two known artists (from the SQLite file) give two polygons over eight axes; an
    // unknown artist gives a message, not an error.
    let names: Vec<String> =
        db_column("SELECT artists FROM Clean_Artists ORDER BY count DESC LIMIT 2");
    let (first, second) = (encode(&names[0]), encode(&names[1]));
    let page = format!("radar.html?artist1={first}&artist2={second}");
    browser.goto(&app.url(&page)).await;
    browser.wait_for_count("#radar polygon.series", 2).await;
    let vertices = browser.count("#radar circle.vertex").await;
    assert_eq!(vertices, 16, "two series over eight axes");
    let cards = browser.eval("return [document.querySelector('#artist1-card h2').textContent, document.querySelector('#artist2-card h2').textContent]").await;
    assert_eq!(cards, json!(names));
    browser.screenshot("radar", 1280).await;
    browser
        .eval("document.getElementById('artist2-name').value = 'No Such Artist \"%/ 😀'")
        .await;
    browser.click("#artist-form button[type=submit]").await;
    let message = browser.wait_for("the unknown-artist message", "document.querySelector('#radar-status .alert') && document.querySelector('#radar-status .alert').textContent").await;
    assert!(
        message.as_str().unwrap().contains("No Such Artist"),
        "{message}"
    );
    assert_eq!(browser.count("#radar polygon.series").await, 1);
    browser.screenshot("radar-unknown", 1280).await;
    let unknown = Some("data_by_artist_clean/No%20Such%20Artist");
    assert_clean_except(browser, "radar", unknown).await;

    // method: one point per k of the elbow, one table row per cluster.
    let elbow = app.api("api/v3/elbow").await.as_array().unwrap().len();
    let clusters = app.api("api/v3/clusters").await;
    let clusters = clusters.as_array().unwrap();
    browser.goto(&app.url("method.html")).await;
    browser.wait_for_some("#elbow circle.elbow-point").await;
    browser.wait_for_some("#centroid-table tr").await;
    assert_eq!(browser.count("#elbow circle.elbow-point").await, elbow);
    assert_eq!(browser.count("#centroid-table tr").await, clusters.len());
    let first_nearest = browser.text("#centroid-table tr td:nth-child(4)").await;
    let c0 = clusters.iter().find(|c| c["cluster"] == 0).unwrap();
    assert_eq!(first_nearest, c0["nearest"][0]["name"]);
    finish_page(browser, "method").await;

    // analysis: one bar per cluster; a chosen cluster's genres, nearest tracks and features.
    let pick = clusters[clusters.len() - 1]["cluster"].as_i64().unwrap();
    let detail = app.api(&format!("api/v3/clusters/{pick}")).await;
    let listed = |key: &str| detail[key].as_array().unwrap().len();
    browser
        .goto(&app.url(&format!("analysis.html?cluster={pick}")))
        .await;
    browser.wait_for_some("#sizes rect.bar").await;
    browser.wait_for_some("#nearest tr").await;
    assert_eq!(browser.count("#sizes rect.bar").await, clusters.len());
    assert_eq!(browser.count("#nearest tr").await, listed("nearest"));
    let genres = listed("top_genres").min(10);
    assert_eq!(browser.count("#genres li").await, genres);
    assert_eq!(browser.count("#features rect.bar").await, 9);
    let label = detail["label"].as_str().unwrap();
    let title = browser.text("#detail-title").await;
    assert_eq!(title, format!("Cluster {pick}: {label}"));
    browser.screenshot("analysis", 1280).await;
    browser.click("label[for=view-radar]").await;
    browser.wait_for_count("#features polygon.series", 2).await;
    // Keyboard: a focused bar opens its cluster with Enter.
    let other = clusters[0]["cluster"].as_i64().unwrap();
    browser
        .eval("document.querySelector('#sizes rect.bar').focus()")
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
    browser.goto(&app.url("data.html")).await;
    browser.wait_for_some("#api-docs article.endpoint").await;
    let documented = browser.count("#api-docs article.endpoint").await;
    assert_eq!(documented, operations);
    // Try the artist route with its example: the answer appears on the page.
    let tried = browser
        .eval(
            "var a = Array.from(document.querySelectorAll('#api-docs article.endpoint')).find(function (x) { return x.querySelector('code.path').textContent.indexOf('data_by_artist_clean') >= 0; });
             a.querySelector('details').open = true; a.querySelector('form button').click(); return a.id;",
        )
        .await;
    let tried = tried.as_str().unwrap();
    let out = browser.wait_for("a try-it answer", &format!("document.querySelector('#{tried} pre.try-output') && document.querySelector('#{tried} pre.try-output').textContent")).await;
    assert!(
        out.as_str().unwrap().contains("\"artists\""),
        "try-it answer: {out}"
    );
    finish_page(browser, "data").await;

    for page in ["index", "observations", "about"] {
        browser.goto(&app.url(&format!("{page}.html"))).await;
        browser
            .wait_for(
                page,
                "document.readyState === 'complete' && document.querySelector('main h1')",
            )
            .await;
        let current = browser.eval("var a = document.querySelector('nav [aria-current=page]'); return a && a.getAttribute('href')").await;
        assert_eq!(
            current,
            json!(format!("{page}.html")),
            "{page}: the nav marks the page"
        );
        finish_page(browser, page).await;
    }
    browser.goto(&app.base).await;
    browser
        .wait_for(
            "the home page at /",
            "document.documentElement.dataset.page === 'index'",
        )
        .await;
    browser.goto(&app.url("no-such-page.html")).await;
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

/// The ids of an answer's tracks (`/api/v3/recommendations`), in order.
fn ids_of(answer: &Value) -> Vec<String> {
    answer["tracks"]
        .as_array()
        .unwrap_or_else(|| panic!("no tracks in {answer}"))
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

/// The list the page shows once it shows the answer to a request for which `cond` (a JavaScript
/// expression over `r`, the request's path, and `q`, its parsed query) holds: (request, ids).
async fn shown_list(browser: &Browser, what: &str, cond: &str) -> (String, Vec<String>) {
    let v = browser
        .wait_for(
            what,
            &format!(
                "(function () {{ var l = document.getElementById('recs'); var r = l.dataset.request; \
                 if (!r) return null; var q = new URLSearchParams(r.split('?')[1] || ''); \
                 if (!({cond})) return null; \
                 return [r, Array.from(l.querySelectorAll('.rec-item')).map(function (li) {{ return li.dataset.trackId; }})]; }})()"
            ),
        )
        .await;
    let (request, ids): (String, Vec<String>) = serde_json::from_value(v).unwrap();
    (request, ids)
}

/// As [`shown_list`], and the list must be the API's own answer to the request the page made.
async fn shown_api_list(
    app: &App,
    browser: &Browser,
    what: &str,
    cond: &str,
) -> (String, Vec<String>) {
    let (request, ids) = shown_list(browser, what, cond).await;
    assert_eq!(ids, app.ids(&request).await, "{what}: {request}");
    (request, ids)
}

/// The chips as (kind, id, shown name).
async fn chips(browser: &Browser) -> Vec<(String, String, String)> {
    serde_json::from_value(
        browser
            .eval(
                "return Array.from(document.querySelectorAll('#seed-chips .seed-chip')).map(function (c) { \
                 return [c.dataset.kind, c.dataset.id, c.querySelector('.seed-name').textContent]; })",
            )
            .await,
    )
    .unwrap()
}

/// Types `query` into the seed box and picks the suggestion of `kind` with `id` (clicked in the
/// same script that finds it, so a re-rendered list cannot swap it).
async fn add_seed(browser: &Browser, query: &str, kind: &str, id: &str) {
    browser
        .eval("var i = document.getElementById('song-input'); i.focus(); i.value = ''; i.dispatchEvent(new Event('input'));")
        .await;
    browser.type_keys("#song-input", query).await;
    let pick = format!(
        "(function () {{ var box = document.getElementById('song-options'); if (box.hidden) return false; \
         var o = Array.from(box.querySelectorAll('[role=option]')).find(function (o) {{ return o.dataset.kind === {kind} && o.dataset.id === {id}; }}); \
         if (!o) return false; o.click(); return true; }})()",
        kind = json!(kind),
        id = json!(id)
    );
    browser
        .wait_for(&format!("the {kind} suggestion {id} for {query:?}"), &pick)
        .await;
}

/// The first track of `candidates` (ids) whose ten recommendations, by the API, satisfy `keep`.
async fn seed_where(
    app: &App,
    candidates: &[String],
    what: &str,
    keep: impl Fn(&[Value]) -> bool,
) -> String {
    for id in candidates {
        let mut details = Vec::new();
        for t in app.recommended(id).await {
            details.push(app.track(&t).await);
        }
        if keep(&details) {
            return id.clone();
        }
    }
    panic!(
        "no seed among {} candidates whose list has {what}",
        candidates.len()
    );
}

fn popular_tracks(sql_where: &str, n: usize) -> Vec<String> {
    db_column(&format!(
        "SELECT id FROM tracks WHERE {sql_where} ORDER BY popularity DESC, id LIMIT {n}"
    ))
}

/// Sets a control's value as a user would leave it, with the events a user's change fires.
async fn set_control(browser: &Browser, css: &str, value: Value) {
    browser
        .js(
            "var e = document.querySelector(arguments[0]); \
             if (e.type === 'checkbox') e.checked = arguments[1]; else e.value = String(arguments[1]); \
             e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([css, value]),
        )
        .await;
}

/// Only songs of `decade`, none explicit: the decade filter and hide-explicit set as a user would.
async fn only_clean_songs_of(browser: &Browser, decade: i64) {
    set_control(browser, "#decade", json!(decade.to_string())).await;
    set_control(browser, "#hide-explicit", json!(true)).await;
}

/// Waits until every timer the page set with a delay shorter than 50 ms has run: a timer set
/// later with a longer delay runs after them.
async fn let_short_timers_run(browser: &Browser) {
    browser
        .eval("window.__mmTick = false; setTimeout(function () { window.__mmTick = true; }, 50);")
        .await;
    browser.wait_for("a 50 ms timer", "window.__mmTick").await;
}

/// Chips: songs, artists and genres (found through the box) up to five; a sixth is refused with
/// a message; a removed chip leaves the request and the address; an artist without a Spotify id
/// is not offered.
async fn check_seed_chips(app: &App, browser: &Browser) {
    let genres = app.genres().await;
    assert!(genres.len() >= 4, "the API lists {} genres", genres.len());
    let picked = [
        genres[0].clone(),
        genres[genres.len() / 2].clone(),
        genres[genres.len() - 1].clone(),
        genres[genres.len() / 3].clone(),
    ];
    let (song_id, song_name): (String, String) =
        db_row("SELECT id, name FROM tracks ORDER BY popularity DESC, id LIMIT 1");
    let (artist_name, artist_id): (String, String) = db_row(
        "SELECT name, spotify_id FROM artists WHERE spotify_id IS NOT NULL AND tracks > 0 ORDER BY tracks DESC, name LIMIT 1",
    );

    open_application(app, browser).await;
    assert!(chips(browser).await.is_empty());
    add_seed(browser, &song_name, "track", &song_id).await;
    add_seed(browser, &artist_name, "artist", &artist_id).await;
    for g in &picked[..3] {
        add_seed(browser, g, "genre", g).await;
    }
    let five = chips(browser).await;
    let kinds: Vec<(&str, &str)> = five
        .iter()
        .map(|(k, i, _)| (k.as_str(), i.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("track", song_id.as_str()),
            ("artist", artist_id.as_str()),
            ("genre", picked[0].as_str()),
            ("genre", picked[1].as_str()),
            ("genre", picked[2].as_str())
        ]
    );
    assert!(
        five[0].2.starts_with(&format!("{song_name} — ")),
        "song chip {:?}: its name and artists",
        five[0]
    );
    assert_eq!(five[1].2, artist_name, "artist chip");
    assert_eq!(five[2].2, picked[0], "genre chip");
    // The request and the address name the five seeds.
    let genres_csv = picked[..3].join(",");
    let (request, _) = shown_api_list(
        app,
        browser,
        "the list for five seeds",
        &format!(
            "q.get('seed_tracks') === {} && q.get('seed_artists') === {} && q.get('seed_genres') === {}",
            json!(song_id),
            json!(artist_id),
            json!(genres_csv)
        ),
    )
    .await;
    let address = browser
        .eval("var q = new URLSearchParams(location.search); return [q.get('seed_tracks'), q.get('seed_artists'), q.get('seed_genres')]")
        .await;
    assert_eq!(address, json!([song_id, artist_id, genres_csv]));

    // A sixth seed is refused, with a message, and changes nothing.
    add_seed(browser, &picked[3], "genre", &picked[3]).await;
    let message = browser
        .wait_for("the refusal", "document.getElementById('seed-message').textContent.indexOf('At most 5 seeds') >= 0 && document.getElementById('seed-message').textContent")
        .await;
    assert!(message.as_str().unwrap().contains(&picked[3]), "{message}");
    assert_eq!(chips(browser).await, five, "a sixth seed was added");
    let still = browser
        .eval("return document.getElementById('recs').dataset.request")
        .await;
    assert_eq!(still, json!(request));

    // Removing a genre: four chips, the request and the address without it; then a fifth fits.
    let remove = format!(
        "Array.from(document.querySelectorAll('#seed-chips .seed-chip')).find(function (c) {{ return c.dataset.id === {}; }}).querySelector('.seed-remove').click()",
        json!(picked[1])
    );
    browser.eval(&remove).await;
    let rest = format!("{},{}", picked[0], picked[2]);
    let without = format!("q.get('seed_genres') === {}", json!(rest));
    shown_list(browser, "the list without the removed genre", &without).await;
    assert_eq!(chips(browser).await.len(), 4);
    assert_eq!(address_param(browser, "seed_genres").await, json!(rest));
    add_seed(browser, &picked[3], "genre", &picked[3]).await;
    browser.wait_for_count("#seed-chips .seed-chip", 5).await;

    // An artist the API knows by name only (no Spotify id) is not offered as a seed.
    let nameless: Option<String> = db()
        .query_row(
            "SELECT name FROM artists WHERE spotify_id IS NULL AND tracks > 0 ORDER BY tracks DESC, name LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok();
    if let Some(name) = nameless {
        let hits = app
            .api(&format!("api/v3/search?q={}&limit=8", encode(&name)))
            .await;
        let listed = hits["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind"] == "artist" && h["id"].is_null() && h["name"] == json!(name));
        assert!(
            listed,
            "search lists {name} as an artist without an id: {hits}"
        );
        browser
            .eval("var i = document.getElementById('song-input'); i.value = ''; i.dispatchEvent(new Event('input'));")
            .await;
        browser.type_keys("#song-input", &name).await;
        browser
            .wait_for(
                "suggestions for the id-less artist's name",
                &format!(
                    "!document.getElementById('song-options').hidden && document.getElementById('song-options').dataset.query === {}",
                    json!(name)
                ),
            )
            .await;
        let offered = browser
            .js(
                "return Array.from(document.querySelectorAll('#song-options [role=option][data-kind=artist]')).filter(function (o) { return o.querySelector('.title').textContent === arguments[0]; }).length",
                json!([name]),
            )
            .await;
        assert_eq!(
            offered,
            json!(0),
            "{name} has no Spotify id and cannot be a seed"
        );
    }
    browser.screenshot("application-seeds", 1280).await;
    assert_clean(browser, "application (seeds)").await;
}

/// Target sliders: moving one adds its target to the request and the list becomes the API's
/// answer to it; unticking drops it.
async fn check_targets(app: &App, browser: &Browser) {
    let seed = popular_tracks("1", 1).remove(0);
    let energy = app.track(&seed).await["features"]["energy"]
        .as_f64()
        .unwrap();
    // A target far from the seed's own energy, so it must change the list.
    let target = if energy > 0.5 { 0.05 } else { 0.95 };
    let plain = app.recommended(&seed).await;
    let tuned_request =
        format!("api/v3/recommendations?seed_tracks={seed}&limit=10&target_energy={target}");
    let tuned = app.ids(&tuned_request).await;
    assert_ne!(
        plain, tuned,
        "the API gives the same list with target_energy={target}"
    );

    open_seeded(app, browser, &seed).await;
    let untargeted = "!q.has('target_energy')";
    let (_, before) = shown_list(browser, "the list without targets", untargeted).await;
    assert_eq!(before, plain);
    set_control(browser, "#target-energy", json!(target)).await;
    let (request, after) = shown_list(
        browser,
        "the list with an energy target",
        &format!("q.get('target_energy') === '{target}'"),
    )
    .await;
    assert_eq!(after, tuned, "{request}");
    let ui = browser
        .eval("return [document.getElementById('use-energy').checked, document.getElementById('target-energy-out').textContent, new URLSearchParams(location.search).get('target_energy')]")
        .await;
    assert_eq!(ui, json!([true, format!("{target}"), format!("{target}")]));
    // A second slider adds its own target; the first stays.
    set_control(browser, "#target-tempo", json!(90)).await;
    let both = format!("q.get('target_energy') === '{target}' && q.get('target_tempo') === '90'");
    shown_api_list(
        app,
        browser,
        "the list with energy and tempo targets",
        &both,
    )
    .await;
    // Unticking drops the target again.
    set_control(browser, "#use-energy", json!(false)).await;
    let tempo_only = "!q.has('target_energy') && q.get('target_tempo') === '90'";
    shown_api_list(
        app,
        browser,
        "the list without the energy target",
        tempo_only,
    )
    .await;
    assert_eq!(browser.text("#target-energy-out").await, "any");
    assert_clean(browser, "application (targets)").await;
}

/// Decade and hide-explicit: every track shown is of the decade and not explicit, by the track
/// route; the seed is one whose plain list has explicit songs and songs of other decades.
async fn check_filters(app: &App, browser: &Browser) {
    let candidates = popular_tracks("explicit = 1", 8);
    let seed = seed_where(app, &candidates, "an explicit song", |ts| {
        ts.iter().any(|t| t["explicit"] == json!(true))
    })
    .await;
    let seed_year = app.track(&seed).await["year"].as_i64().unwrap();
    // A decade other than the seed's, so the filter must change the list.
    let decade = if seed_year >= 2000 { 1990 } else { 2010 };

    open_seeded(app, browser, &seed).await;
    shown_list(browser, "the plain list", "!q.has('min_year')").await;
    only_clean_songs_of(browser, decade).await;
    let filtered = format!("q.get('min_year') === '{decade}' && q.get('max_year') === '{}' && q.get('explicit') === 'false'", decade + 9);
    let (request, ids) = shown_api_list(app, browser, "the filtered list", &filtered).await;
    assert!(
        !ids.is_empty(),
        "no song of the {decade}s for {seed}: {request}"
    );
    for id in &ids {
        let t = app.track(id).await;
        let year = t["year"].as_i64().unwrap();
        assert!(
            (decade..decade + 10).contains(&year),
            "{id} is from {year}, not the {decade}s"
        );
        assert_eq!(t["explicit"], json!(false), "{id} is explicit");
    }
    let address = browser
        .eval("var q = new URLSearchParams(location.search); return [q.get('decade'), q.get('explicit')]")
        .await;
    assert_eq!(address, json!([decade.to_string(), "false"]));

    // Hide-explicit alone: the seed's list without its explicit songs.
    set_control(browser, "#decade", json!("")).await;
    let explicit_only = "!q.has('min_year') && q.get('explicit') === 'false'";
    let (_, ids) = shown_api_list(
        app,
        browser,
        "the list without explicit songs",
        explicit_only,
    )
    .await;
    for id in &ids {
        let t = app.track(id).await;
        assert_eq!(t["explicit"], json!(false), "{id} is explicit");
    }
    browser.screenshot("application-filters", 1280).await;
    assert_clean(browser, "application (filters)").await;
}

/// Under each suggestion, the reason the API gave for it.
async fn check_why(app: &App, browser: &Browser) {
    let seed = popular_tracks("1", 2).remove(1);
    let genre = encode(&app.genres().await[0]);
    let page = format!("application.html?seed_tracks={seed}&seed_genres={genre}");
    browser.goto(&app.url(&page)).await;
    let (request, ids) = shown_list(browser, "the list", "q.get('seed_tracks')").await;
    let answer = app.api(&request).await;
    assert_eq!(ids, ids_of(&answer));
    assert!(!ids.is_empty());
    let shown: Vec<String> = serde_json::from_value(
        browser
            .eval("return Array.from(document.querySelectorAll('#recs .rec-item')).map(function (li) { var w = li.querySelector('.why'); return w ? w.textContent : ''; })")
            .await,
    )
    .unwrap();
    for (t, why) in answer["tracks"].as_array().unwrap().iter().zip(&shown) {
        let text = t["reason"]["text"].as_str().unwrap();
        assert!(!text.is_empty(), "the API gave {} no reason", t["id"]);
        assert_eq!(why, &format!("Why: {text}"), "{}", t["id"]);
    }
    assert_clean(browser, "application (why)").await;
}

/// An error from the recommendations route (here a genre the API does not know, from a link)
/// is shown with the API's own message.
async fn check_api_error_shown(app: &App, browser: &Browser) {
    let genre = encode("no such genre 😀");
    let request = format!("api/v3/recommendations?seed_genres={genre}&limit=10");
    let response = app.get(&request).await;
    assert_eq!(response.status(), 400, "{request}");
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let page = format!("application.html?seed_genres={genre}");
    browser.goto(&app.url(&page)).await;
    let shown = browser
        .wait_for(
            "the API's error",
            "document.querySelector('#recs-status .alert') && document.querySelector('#recs-status .alert').textContent",
        )
        .await;
    assert_eq!(
        shown,
        json!(format!("Could not get recommendations: {message}"))
    );
    let failed = Some("api/v3/recommendations");
    assert_clean_except(browser, "application (error)", failed).await;
}

/// A click on a suggestion makes it the only seed (targets and filters stay); Back returns to
/// the list before.
async fn check_reseed(app: &App, browser: &Browser) {
    let seed = popular_tracks("1", 3).remove(2);
    let genre = encode(&app.genres().await[1]);
    let page =
        format!("application.html?seed_tracks={seed}&seed_genres={genre}&target_valence=0.8");
    browser.goto(&app.url(&page)).await;
    let (first_request, first) =
        shown_list(browser, "the first list", "q.get('seed_tracks')").await;
    assert!(first.len() >= 3);
    let pick = first[2].clone();
    browser.click("#rec-2 .rec-seed").await;
    shown_api_list(
        app,
        browser,
        "the list for the clicked song",
        &format!("q.get('seed_tracks') === {} && !q.has('seed_genres') && q.get('target_valence') === '0.8'", json!(pick)),
    )
    .await;
    let now = chips(browser).await;
    assert_eq!(now.len(), 1);
    assert_eq!(
        (now[0].0.as_str(), now[0].1.as_str()),
        ("track", pick.as_str())
    );
    let name = app.track(&pick).await["name"].as_str().unwrap().to_string();
    let title = format!(
        "document.getElementById('track-title').textContent === {}",
        json!(name)
    );
    browser.wait_for("the new seed's card", &title).await;
    assert_eq!(address_param(browser, "seed_tracks").await, json!(pick));
    // Back: the previous seeds and list.
    browser.post("/back", json!({})).await.unwrap();
    let (request, ids) = shown_list(
        browser,
        "the list before the click",
        &format!(
            "q.get('seed_tracks') === {} && q.has('seed_genres')",
            json!(seed)
        ),
    )
    .await;
    assert_eq!(request, first_request);
    assert_eq!(ids, first);
    assert_clean(browser, "application (re-seed)").await;
}

/// Random mode: ten songs of the first song seed's cluster; "new draw" draws again.
async fn check_new_draw(app: &App, browser: &Browser) {
    let seed = popular_tracks("1", 4).remove(3);
    let cluster = app.track(&seed).await["cluster"].as_i64().unwrap();
    open_seeded(app, browser, &seed).await;
    shown_list(browser, "the nearest list", "q.get('seed_tracks')").await;
    let hidden = browser
        .eval("return document.getElementById('new-draw').hidden")
        .await;
    assert_eq!(hidden, json!(true));
    browser.click("label[for=mode-random]").await;
    let draw = browser
        .wait_for("a random draw", "document.getElementById('recs').dataset.request && document.getElementById('recs').dataset.request.indexOf('Random_Song_Assignments') >= 0 && +document.getElementById('recs').dataset.draw")
        .await;
    let n = draw.as_i64().unwrap();
    let (request, first) = shown_list(browser, "the first draw", "true").await;
    assert_eq!(
        request,
        format!("api/v2.1/Random_Song_Assignments/{cluster}")
    );
    let state = browser
        .eval("return [document.getElementById('new-draw').hidden, document.getElementById('targets').disabled, new URLSearchParams(location.search).get('mode')]")
        .await;
    assert_eq!(state, json!([false, true, "random"]));
    browser.click("#new-draw").await;
    browser
        .wait_for("the next draw", &format!("+document.getElementById('recs').dataset.draw === {} && document.getElementById('recs').dataset.request", n + 1))
        .await;
    let (_, second) = shown_list(browser, "the second draw", "true").await;
    assert_eq!(second.len(), first.len());
    assert_ne!(
        second, first,
        "a new draw from cluster {cluster} gave the same ten songs"
    );
    for id in first.iter().chain(&second) {
        let c = app.track(id).await["cluster"].as_i64().unwrap();
        assert_eq!(c, cluster, "random song {id} is from cluster {c}");
    }
    assert_clean(browser, "application (new draw)").await;
}

/// The state made through the page (seeds of every kind, a target, a decade, hide-explicit) is
/// in the address; opening that address shows the same chips, controls and list.
async fn check_url_round_trip(app: &App, browser: &Browser) {
    let (song_id, song_name, year): (String, String, i64) = db_row(
        "SELECT id, name, year FROM tracks WHERE explicit = 0 ORDER BY popularity DESC, id LIMIT 1",
    );
    let (artist_name, artist_id): (String, String) = db_row(
        "SELECT name, spotify_id FROM artists WHERE spotify_id IS NOT NULL AND tracks > 0 ORDER BY tracks DESC, name LIMIT 1 OFFSET 1",
    );
    let genre = app.genres().await[2].clone();
    open_application(app, browser).await;
    add_seed(browser, &song_name, "track", &song_id).await;
    add_seed(browser, &artist_name, "artist", &artist_id).await;
    add_seed(browser, &genre, "genre", &genre).await;
    set_control(browser, "#target-danceability", json!(0.7)).await;
    let decade = year / 10 * 10;
    only_clean_songs_of(browser, decade).await;
    let tuned = format!("q.get('seed_genres') === {} && q.get('target_danceability') === '0.7' && q.get('min_year') === '{decade}' && q.get('explicit') === 'false'", json!(genre));
    let (request, ids) = shown_api_list(app, browser, "the tuned list", &tuned).await;
    assert!(!ids.is_empty(), "{request} is empty");
    let url = browser.eval("return location.href").await;
    let url = url.as_str().unwrap().to_string();
    let before_chips = chips(browser).await;
    let controls = "return [document.getElementById('use-danceability').checked, document.getElementById('target-danceability').value, \
                    document.getElementById('decade').value, document.getElementById('hide-explicit').checked, document.getElementById('mode-nearest').checked]";
    let before_controls = browser.eval(controls).await;
    assert_eq!(
        before_controls,
        json!([true, "0.7", decade.to_string(), true, true])
    );

    browser.goto("about:blank").await;
    browser.goto(&url).await;
    let (again_request, again) =
        shown_list(browser, "the list from the address", "q.get('seed_tracks')").await;
    assert_eq!(again_request, request);
    assert_eq!(again, ids, "{url} shows another list");
    browser
        .wait_for("the song chip's name", "Array.from(document.querySelectorAll('#seed-chips .seed-name')).every(function (n) { return n.textContent !== '…'; })")
        .await;
    assert_eq!(chips(browser).await, before_chips, "{url}");
    assert_eq!(browser.eval(controls).await, before_controls, "{url}");
    assert_clean(browser, "application (address)").await;
}

/// The iFrame API path, with a stub of Spotify's API installed before the page's scripts: the
/// queue loads each track into one controller and moves on when a playback update reaches the
/// track's end, not before, and never by the timer.
async fn check_queue_moves_on_at_track_end(app: &App, browser: &Browser) {
    const STUB: &str = r#"(function () {
      var calls = [], listeners = [];
      var api = {
        createController: function (element, options, callback) {
          calls.push(["createController", options.uri]);
          var player = document.createElement("div");
          player.id = "stub-player";
          element.replaceWith(player);
          var controller = {
            loadUri: function (uri) { calls.push(["loadUri", uri]); player.dataset.uri = uri; },
            play: function () { calls.push(["play"]); },
            addListener: function (name, fn) { if (name === "playback_update") listeners.push(fn); },
            destroy: function () { calls.push(["destroy"]); listeners = []; }
          };
          setTimeout(function () { callback(controller); }, 0);
        }
      };
      window.__stub = { calls: calls, emit: function (data) { listeners.slice().forEach(function (fn) { fn({ data: data }); }); } };
      Object.defineProperty(window, "onSpotifyIframeApiReady", { configurable: true, get: function () { return undefined; }, set: function (fn) { fn(api); } });
    })();"#;
    let installed = browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": STUB }),
        )
        .await;
    let seed = popular_tracks("1", 5).remove(4);
    // A timer would move on after 1 ms: the API path must not set one.
    let want = play_all(app, browser, &seed, 1).await;
    assert!(want.len() >= 3);
    browser
        .wait_for("the queue on the iFrame API", &format!("document.getElementById('queue').dataset.advance === 'api' && document.getElementById('stub-player') && document.getElementById('stub-player').dataset.uri === 'spotify:track:{}'", want[0]))
        .await;
    let uri = |i: usize| format!("spotify:track:{}", want[i]);
    let pos = |k: usize| json!(format!("({k} of {})", want.len()));
    let_short_timers_run(browser).await;
    assert_eq!(json!(browser.text("#queue-pos").await), pos(1));
    // Playing, then halfway: still the first track.
    let mid = browser
        .eval(
            "__stub.emit({position: 0, duration: 30000, isPaused: false, isBuffering: false}); \
             __stub.emit({position: 15000, duration: 30000, isPaused: false, isBuffering: false}); \
             return document.getElementById('queue-pos').textContent",
        )
        .await;
    assert_eq!(mid, pos(1));
    // The end: the second track, in the same player.
    let end = browser
        .eval(
            "__stub.emit({position: 30000, duration: 30000, isPaused: true, isBuffering: false}); \
             return [document.getElementById('queue-pos').textContent, document.getElementById('stub-player').dataset.uri, document.querySelector('.rec-item.playing').dataset.trackId]",
        )
        .await;
    assert_eq!(end, json!([pos(2), uri(1), want[1]]));
    // A late end of the first track (before the second was seen playing) does not skip the second.
    let stale = browser
        .eval("__stub.emit({position: 30000, duration: 30000, isPaused: true, isBuffering: false}); return document.getElementById('queue-pos').textContent")
        .await;
    assert_eq!(stale, pos(2));
    // The second plays to its end (a player that pauses back at 0): the third.
    let third = browser
        .eval(
            "__stub.emit({position: 0, duration: 29000, isPaused: false, isBuffering: false}); \
             __stub.emit({position: 28000, duration: 29000, isPaused: false, isBuffering: false}); \
             __stub.emit({position: 0, duration: 29000, isPaused: true, isBuffering: false}); \
             return [document.getElementById('queue-pos').textContent, document.getElementById('stub-player').dataset.uri]",
        )
        .await;
    assert_eq!(third, json!([pos(3), uri(2)]));
    let calls = browser.eval("return __stub.calls").await;
    let of = |name: &str| -> Vec<Value> {
        let calls = calls.as_array().unwrap().iter();
        calls.filter(|c| c[0] == name).cloned().collect()
    };
    assert_eq!(
        of("createController").len(),
        1,
        "one player for the whole queue: {calls}"
    );
    let loads: Vec<Value> = of("loadUri").iter().map(|c| c[1].clone()).collect();
    assert_eq!(
        loads,
        [json!(uri(0)), json!(uri(1)), json!(uri(2))],
        "{calls}"
    );
    // With "move on" off, the end of a track does not move the queue.
    set_control(browser, "#queue-auto", json!(false)).await;
    let held = browser
        .eval(
            "__stub.emit({position: 0, duration: 30000, isPaused: false}); __stub.emit({position: 30000, duration: 30000, isPaused: true}); \
             return document.getElementById('queue-pos').textContent",
        )
        .await;
    assert_eq!(held, pos(3));
    browser
        .cdp(
            "Page.removeScriptToEvaluateOnNewDocument",
            json!({ "identifier": installed["identifier"] }),
        )
        .await;
    assert_clean(browser, "application (queue, iFrame API)").await;
}

/// The application page with `seed` as its song seed: once its list is shown, the queue's
/// preview length is set to `preview_ms` and "play all" clicked. The list's track ids.
async fn play_all(app: &App, browser: &Browser, seed: &str, preview_ms: u32) -> Vec<String> {
    open_seeded(app, browser, seed).await;
    let (_, want) = shown_list(browser, "the list", "q.get('seed_tracks')").await;
    browser
        .js(
            "document.getElementById('queue').dataset.previewMs = String(arguments[0])",
            json!([preview_ms]),
        )
        .await;
    browser.click("#play-all").await;
    want
}

/// Where the iFrame API cannot load (this browser cannot reach Spotify), the queue moves on by
/// the timer.
async fn check_queue_timer_fallback(app: &App, browser: &Browser) {
    let seed = popular_tracks("1", 6).remove(5);
    // The preview's length, shortened so the test need not wait 30 seconds.
    let want = play_all(app, browser, &seed, 500).await;
    assert!(want.len() >= 2);
    let first = browser
        .wait_for("the queue on the timer", "document.getElementById('queue').dataset.advance === 'timer' && document.getElementById('queue-frame') && document.getElementById('queue-frame').getAttribute('src')")
        .await;
    assert_eq!(first, json!(embed_url(&want[0])));
    // The timer moved it on: a later track, shown in the player and marked in the list.
    let moved = browser
        .wait_for(
            "the timer to move the queue on",
            &format!(
                "document.getElementById('queue-pos').textContent !== '(1 of {0})' && \
                 [document.getElementById('queue-pos').textContent, document.getElementById('queue-frame').getAttribute('src'), \
                  document.querySelector('.rec-item.playing').dataset.trackId]",
                want.len()
            ),
        )
        .await;
    let (pos, src, playing): (String, String, String) = serde_json::from_value(moved).unwrap();
    let k: usize = pos
        .trim_start_matches('(')
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("queue position {pos:?}"));
    assert!(k >= 2, "{pos}");
    assert_eq!(src, embed_url(&want[k - 1]));
    assert_eq!(playing, want[k - 1]);
    let label = browser.text("#queue-auto-label").await;
    assert_eq!(label, "Move on after each 30-second preview");
    assert_clean(browser, "application (queue, timer)").await;
}

fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let syy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

/// The application page's behaviours (issue 12), each on a fresh page, in one browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_page_in_a_real_browser() {
    if browser_skipped() {
        return;
    }
    let app = App::start().await;
    let driver = Driver::start();
    let browser = Browser::open(&driver).await;
    check_seed_chips(&app, &browser).await;
    check_targets(&app, &browser).await;
    check_filters(&app, &browser).await;
    check_why(&app, &browser).await;
    check_api_error_shown(&app, &browser).await;
    check_reseed(&app, &browser).await;
    check_new_draw(&app, &browser).await;
    check_url_round_trip(&app, &browser).await;
    check_queue_moves_on_at_track_end(&app, &browser).await;
    check_queue_timer_fallback(&app, &browser).await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_in_a_real_browser() {
    if browser_skipped() {
        return;
    }
    // MUSIC_ML_BROWSER_BASE_URL=http://host:port/ runs the application flow alone against that
    // server instead of the in-process app (scripts/test.d/post-45-sam-local.sh points it at
    // `sam local start-api`); it must serve the data of data/build/.
    let external = external_base();
    let app = App::start().await;
    let driver = Driver::start();
    let browser = Browser::open(&driver).await;
    check_application(&app, &browser).await;
    if external.is_none() {
        check_charts(&app, &browser).await;
        check_text_pages(&app, &browser).await;
    }
    browser.quit().await;
}
