/* The application: up to five seeds (songs, artists, genres) picked through an ARIA combobox over
 * /api/v3/search and the genre list, targets and filters, and ten recommendations from
 * /api/v3/recommendations, each with the reason it was chosen (or the original's random ten from
 * the first song seed's cluster). Everything the list depends on is kept in the address, so a
 * link reopens the same list. A play-all queue steps through the list in one player; it moves on
 * when a track ends through Spotify's iFrame API, or after a preview's length where that API
 * cannot load. */
"use strict";

(function () {
  var MAX_SEEDS = 5;
  var LIMIT = 10;
  /* The targets the page offers, in the API's names (target_<key>). "neutral" is where a slider
   * rests while its target is not used. */
  var TARGETS = [
    { key: "energy", label: "Energy", min: 0, max: 1, step: 0.05, neutral: 0.5, digits: 2 },
    { key: "valence", label: "Valence (cheerfulness)", min: 0, max: 1, step: 0.05, neutral: 0.5, digits: 2 },
    { key: "danceability", label: "Danceability", min: 0, max: 1, step: 0.05, neutral: 0.5, digits: 2 },
    { key: "tempo", label: "Tempo (BPM)", min: 40, max: 220, step: 1, neutral: 120, digits: 0 },
    { key: "acousticness", label: "Acousticness", min: 0, max: 1, step: 0.05, neutral: 0.5, digits: 2 }
  ];
  var KIND_LABEL = { track: "Song", artist: "Artist", genre: "Genre" };

  var input = MM.$("#song-input");
  var listbox = MM.$("#song-options");
  var status = MM.$("#search-status");
  var result = MM.$("#result");

  /* What the list depends on; the address holds exactly this (see toQuery / fromQuery).
   * A seed is {kind: "track"|"artist"|"genre", id, name, artists: [...] (songs only)}. */
  var state = { seeds: [], targets: {}, decade: null, hideExplicit: false, mode: "nearest" };

  var options = [];        // current suggestions
  var active = -1;         // index of the highlighted suggestion
  var searchAbort = null;
  var debounce = null;
  var genres = null;       // the API's genre seeds, once loaded
  var details = {};        // track id -> promise of /api/v3/tracks/{id}
  var shownTrack = null;   // id of the song seed whose cluster is shown
  var trackSeq = 0;        // drops answers for a song seed no longer first
  var listSeq = 0;         // drops answers to superseded list requests
  var draws = 0;           // random draws shown so far
  var recs = [];           // what the list shows now

  function fold(s) { return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim(); }
  function seedsOf(kind) { return state.seeds.filter(function (s) { return s.kind === kind; }); }
  function firstSong() { return seedsOf("track")[0] || null; }
  function seedName(s) { return s.kind === "track" && s.artists && s.artists.length ? s.name + " — " + s.artists.join(", ") : s.name; }

  function detail(id) {
    if (!details[id]) {
      details[id] = MM.api("api/v3/tracks/" + encodeURIComponent(id));
      details[id].catch(function () { delete details[id]; });
    }
    return details[id];
  }

  /* ---- the address: state <-> query string ---- */

  function toQuery() {
    var p = new URLSearchParams();
    var ids = function (kind) { return seedsOf(kind).map(function (s) { return s.id; }); };
    if (ids("track").length) p.set("seed_tracks", ids("track").join(","));
    if (ids("artist").length) {
      p.set("seed_artists", ids("artist").join(","));
      // An artist's name cannot be looked up by id; it travels with the link for its chip.
      seedsOf("artist").forEach(function (s) { p.append("artist_name", s.name); });
    }
    if (ids("genre").length) p.set("seed_genres", ids("genre").join(","));
    TARGETS.forEach(function (t) { if (state.targets[t.key] !== undefined) p.set("target_" + t.key, String(state.targets[t.key])); });
    if (state.decade !== null) p.set("decade", String(state.decade));
    if (state.hideExplicit) p.set("explicit", "false");
    if (state.mode === "random") p.set("mode", "random");
    return p;
  }

  /* The state a query string describes; what it cannot use is reported, not guessed. */
  function fromQuery(search) {
    var p = new URLSearchParams(search);
    var s = { seeds: [], targets: {}, decade: null, hideExplicit: false, mode: "nearest" };
    var dropped = [];
    var split = function (v) { return v ? v.split(",").map(function (x) { return x.trim(); }).filter(Boolean) : []; };
    var add = function (seed) {
      if (s.seeds.some(function (x) { return x.kind === seed.kind && x.id === seed.id; })) return;
      if (s.seeds.length >= MAX_SEEDS) dropped.push(seed.id); else s.seeds.push(seed);
    };
    // ?id= is the old page's shared link: one song.
    split(p.get("seed_tracks") || p.get("id")).forEach(function (id) {
      if (MM.isSpotifyId(id)) add({ kind: "track", id: id, name: null, artists: [] }); else dropped.push(id);
    });
    var names = p.getAll("artist_name");
    split(p.get("seed_artists")).forEach(function (id, i) {
      if (MM.isSpotifyId(id)) add({ kind: "artist", id: id, name: names[i] || "artist " + id }); else dropped.push(id);
    });
    split(p.get("seed_genres")).forEach(function (g) { add({ kind: "genre", id: g, name: g }); });
    TARGETS.forEach(function (t) {
      var raw = p.get("target_" + t.key);
      var v = raw === null || raw.trim() === "" ? NaN : +raw;
      if (Number.isFinite(v) && v >= t.min && v <= t.max) s.targets[t.key] = v;
      else if (raw !== null) dropped.push("target_" + t.key + "=" + raw);
    });
    var decade = p.get("decade");
    if (decade !== null) {
      if (/^\d{4}$/.test(decade) && +decade % 10 === 0 && MM.$("#decade option[value='" + decade + "']")) s.decade = +decade;
      else dropped.push("decade=" + decade);
    }
    s.hideExplicit = p.get("explicit") === "false";
    s.mode = p.get("mode") === "random" ? "random" : "nearest";
    return { state: s, dropped: dropped };
  }

  function writeAddress(how) {
    var q = toQuery().toString();
    var url = location.pathname + (q ? "?" + q : "");
    if (url === location.pathname + location.search) return;
    if (how === "push") history.pushState(null, "", url); else history.replaceState(null, "", url);
  }

  /* The recommendations request for the current state. */
  function recommendationsPath() {
    var p = new URLSearchParams();
    var ids = function (kind) { return seedsOf(kind).map(function (s) { return s.id; }).join(","); };
    if (ids("track")) p.set("seed_tracks", ids("track"));
    if (ids("artist")) p.set("seed_artists", ids("artist"));
    if (ids("genre")) p.set("seed_genres", ids("genre"));
    p.set("limit", String(LIMIT));
    TARGETS.forEach(function (t) { if (state.targets[t.key] !== undefined) p.set("target_" + t.key, String(state.targets[t.key])); });
    if (state.decade !== null) { p.set("min_year", String(state.decade)); p.set("max_year", String(state.decade + 9)); }
    if (state.hideExplicit) p.set("explicit", "false");
    return "api/v3/recommendations?" + p.toString();
  }

  /* ---- the combobox: songs and artists from search, genres from the genre list ---- */

  function loadGenres() {
    if (genres) return Promise.resolve(genres);
    return MM.api("api/v3/recommendations/available-genre-seeds").then(function (body) {
      genres = (body && Array.isArray(body.genres) ? body.genres : []).map(function (g) { return { name: String(g), folded: fold(g) }; });
      return genres;
    });
  }

  function matchGenres(q) {
    var words = fold(q).split(/\s+/).filter(Boolean);
    if (!genres || !words.length) return [];
    var f = fold(q);
    return genres.filter(function (g) { return words.every(function (w) { return g.folded.indexOf(w) >= 0; }); })
      .sort(function (a, b) {
        var ra = a.folded === f ? 0 : a.folded.indexOf(f) === 0 ? 1 : 2, rb = b.folded === f ? 0 : b.folded.indexOf(f) === 0 ? 1 : 2;
        return ra - rb || a.name.length - b.name.length || (a.name < b.name ? -1 : 1);
      })
      .slice(0, 4)
      .map(function (g) { return { kind: "genre", id: g.name, name: g.name, artists: [] }; });
  }

  function normaliseHit(h) {
    var kind = h.kind === "artist" ? "artist" : "track";
    return {
      kind: kind,
      id: h.id || null,
      name: h.name || "",
      artists: kind === "track" ? MM.artists(h.artists || []) : [],
      cluster: h.cluster,
      tracks: h.tracks
    };
  }

  function setExpanded(open) {
    listbox.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) { active = -1; input.removeAttribute("aria-activedescendant"); }
  }

  function highlight(i) {
    var items = listbox.querySelectorAll("[role=option]");
    if (!items.length) return;
    active = (i + items.length) % items.length;
    items.forEach(function (li, j) { li.setAttribute("aria-selected", j === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  function isSeed(o) { return state.seeds.some(function (s) { return s.kind === o.kind && s.id === o.id; }); }

  function renderOptions(q) {
    MM.clear(listbox);
    options.forEach(function (o, i) {
      var right = o.kind === "artist" ? "artist" + (o.tracks ? " · " + o.tracks + " songs" : "")
        : o.kind === "genre" ? "genre"
        : o.cluster !== undefined && o.cluster !== null ? "song · cluster " + o.cluster : "song";
      if (isSeed(o)) right += " · already a seed";
      listbox.appendChild(MM.el("li", {
        id: "song-opt-" + i, role: "option", class: "combo-option", "aria-selected": "false", "data-kind": o.kind,
        "data-track-id": o.kind === "track" ? o.id : null, "data-id": o.id,
        onmousedown: function (e) { e.preventDefault(); }, onclick: function () { choose(i); }
      }, MM.el("span", null, MM.el("span", { class: "title" }, o.name),
        o.kind === "track" && o.artists.length ? MM.el("span", { class: "artists" }, " — " + o.artists.join(", ")) : null),
      MM.el("span", { class: "small text-muted-2" }, right)));
    });
    if (!options.length) listbox.appendChild(MM.el("li", { class: "combo-empty", role: "presentation" }, "No song, artist or genre matches “" + q + "”."));
    status.textContent = options.length ? options.length + " suggestions" : "No suggestions";
    listbox.setAttribute("data-query", q);
    setExpanded(true);
  }

  function search(q) {
    if (searchAbort) searchAbort.abort();
    searchAbort = new AbortController();
    var signal = searchAbort.signal;
    // The genre list is optional here: without it, songs and artists are still offered.
    var genreList = loadGenres().catch(function () { return null; });
    Promise.all([MM.api("api/v3/search?q=" + encodeURIComponent(q) + "&limit=8", { signal: signal }), genreList]).then(function (answers) {
      if (signal.aborted) return;
      var hits = MM.list(answers[0]).map(normaliseHit).filter(function (o) {
        // An artist is a seed by its Spotify id; one without an id (or without songs here) cannot be.
        return o.kind === "track" ? !!o.id : MM.isSpotifyId(o.id) && +o.tracks > 0;
      });
      hits.sort(function (a, b) { return (a.kind === "track" ? 0 : 1) - (b.kind === "track" ? 0 : 1); });
      options = hits.concat(matchGenres(q));
      renderOptions(q);
    }, function (err) {
      if (signal.aborted) return;
      options = [];
      MM.clear(listbox);
      listbox.appendChild(MM.el("li", { class: "combo-empty", role: "presentation" }, "Search failed: " + err.message));
      setExpanded(true);
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(debounce);
    var q = input.value.trim();
    if (q.length < 2) { if (searchAbort) searchAbort.abort(); setExpanded(false); return; }
    debounce = setTimeout(function () { search(q); }, 120);
  });

  input.addEventListener("keydown", function (e) {
    var open = !listbox.hidden && options.length > 0;
    if (e.key === "ArrowDown") { e.preventDefault(); if (open) highlight(active + 1); else if (input.value.trim().length >= 2) search(input.value.trim()); }
    else if (e.key === "ArrowUp") { e.preventDefault(); if (open) highlight(active - 1); }
    else if (e.key === "Enter") { e.preventDefault(); if (open) choose(active >= 0 ? active : 0); }
    else if (e.key === "Escape") { setExpanded(false); }
  });
  input.addEventListener("blur", function () { setTimeout(function () { setExpanded(false); }, 150); });
  MM.$("#song-form").addEventListener("submit", function (e) { e.preventDefault(); });

  function choose(i) {
    var o = options[i];
    if (!o) return;
    if (addSeed({ kind: o.kind, id: o.id, name: o.name, artists: o.artists || [] })) {
      input.value = "";
      setExpanded(false);
    }
  }

  /* ---- seeds as chips ---- */

  function say(text, warn) {
    var box = MM.$("#seed-message");
    box.textContent = text;
    box.classList.toggle("text-danger", !!warn);
  }

  function addSeed(seed) {
    if (isSeed(seed)) { say("“" + seedName(seed) + "” is already a seed.", true); return false; }
    if (state.seeds.length >= MAX_SEEDS) {
      say("At most " + MAX_SEEDS + " seeds: remove one before adding “" + seedName(seed) + "”.", true);
      return false;
    }
    state.seeds.push(seed);
    say("Added “" + seedName(seed) + "”.");
    update();
    return true;
  }

  function removeSeed(i) {
    var gone = state.seeds.splice(i, 1)[0];
    say("Removed “" + seedName(gone) + "”.");
    update();
    var buttons = document.querySelectorAll("#seed-chips .seed-remove");
    (buttons[Math.min(i, buttons.length - 1)] || input).focus();
  }

  function renderChips() {
    var list = MM.clear(MM.$("#seed-chips"));
    state.seeds.forEach(function (s, i) {
      var name = s.name ? seedName(s) : "…";
      list.appendChild(MM.el("li", { class: "seed-chip", "data-kind": s.kind, "data-id": s.id },
        MM.el("span", { class: "seed-kind" }, KIND_LABEL[s.kind]),
        MM.el("span", { class: "seed-name" }, name),
        MM.el("button", { type: "button", class: "seed-remove", "aria-label": "Remove seed " + name, title: "Remove", onclick: function () { removeSeed(i); } }, "×")));
    });
    var n = state.seeds.length;
    MM.$("#seed-count").textContent = n === 0 ? "None yet: add up to " + MAX_SEEDS + "."
      : n + " of " + MAX_SEEDS + (n === MAX_SEEDS ? ": remove one to add another." : ".");
  }

  /* Song seeds from a link arrive as bare ids; their chips get names from the track route. */
  function nameSongSeeds() {
    seedsOf("track").forEach(function (s) {
      if (s.name) return;
      detail(s.id).then(function (t) {
        s.name = t.name; s.artists = MM.artists(t.artists);
        renderChips();
      }, function (err) {
        s.name = "song " + s.id;
        renderChips();
        say("Song seed " + s.id + ": " + err.message, true);
      });
    });
  }

  /* ---- targets and filters ---- */

  function buildTargets() {
    var box = MM.$("#target-rows");
    TARGETS.forEach(function (t) {
      var use = MM.el("input", { type: "checkbox", class: "form-check-input", id: "use-" + t.key, "aria-controls": "target-" + t.key });
      var slider = MM.el("input", { type: "range", class: "form-range", id: "target-" + t.key, min: t.min, max: t.max, step: t.step, value: t.neutral, "aria-label": "Target " + t.label.toLowerCase() });
      var out = MM.el("output", { id: "target-" + t.key + "-out", for: "target-" + t.key, class: "target-value" }, "any");
      box.appendChild(MM.el("div", { class: "target-row" },
        MM.el("div", { class: "form-check mb-0" }, use, MM.el("label", { class: "form-check-label", for: "use-" + t.key }, t.label)),
        slider, out));
      var timer = null;
      slider.addEventListener("input", function () {
        use.checked = true;
        out.textContent = MM.fmt(slider.value, t.digits);
      });
      slider.addEventListener("change", function () {
        state.targets[t.key] = +slider.value;
        clearTimeout(timer);
        timer = setTimeout(update, 150);
      });
      use.addEventListener("change", function () {
        if (use.checked) state.targets[t.key] = +slider.value; else delete state.targets[t.key];
        update();
      });
    });
  }

  function syncControls() {
    TARGETS.forEach(function (t) {
      var v = state.targets[t.key];
      MM.$("#use-" + t.key).checked = v !== undefined;
      MM.$("#target-" + t.key).value = String(v !== undefined ? v : t.neutral);
      MM.$("#target-" + t.key + "-out").textContent = v !== undefined ? MM.fmt(v, t.digits) : "any";
    });
    MM.$("#decade").value = state.decade === null ? "" : String(state.decade);
    MM.$("#hide-explicit").checked = state.hideExplicit;
    MM.$("#mode-random").checked = state.mode === "random";
    MM.$("#mode-nearest").checked = state.mode !== "random";
    var random = state.mode === "random";
    MM.$("#targets").disabled = random;
    MM.$("#filters").disabled = random;
    MM.$("#tuning-note").textContent = random
      ? "A random draw takes ten songs of the first song seed's cluster as they come: targets and filters apply to “Most similar”."
      : "A target asks for songs near a value (energy 0.9: energetic songs); move a slider to use it, untick it to drop it.";
    MM.$("#new-draw").hidden = !random;
  }

  MM.$("#decade").addEventListener("change", function (e) { state.decade = e.target.value ? +e.target.value : null; update(); });
  MM.$("#hide-explicit").addEventListener("change", function (e) { state.hideExplicit = e.target.checked; update(); });
  document.querySelectorAll("input[name=rec-mode]").forEach(function (radio) {
    radio.addEventListener("change", function () { state.mode = MM.$("#mode-random").checked ? "random" : "nearest"; update(); });
  });
  MM.$("#new-draw").addEventListener("click", function () { stopQueue(); loadList(); });

  /* ---- applying the state ---- */

  /* After any change: the address, the chips and controls, the first song seed's cluster, the
   * list. `how` is "push" for a change worth a Back step, "none" when the address already says it. */
  function update(how) {
    if (how !== "none") writeAddress(how);
    renderChips();
    syncControls();
    stopQueue();
    showSongSeed();
    loadList();
  }

  /* ---- the first song seed: its player, cluster and the cluster's genres ---- */

  function showSongSeed() {
    var song = firstSong();
    if (!song) { shownTrack = null; ++trackSeq; MM.$("#track-section").hidden = true; return; }
    if (song.id === shownTrack) return;
    shownTrack = song.id;
    var seq = ++trackSeq;
    MM.$("#track-section").hidden = true;
    detail(song.id).then(function (raw) {
      if (seq !== trackSeq) return null;
      var t = {
        id: raw.id, name: raw.name, artists: MM.artists(raw.artists), cluster: raw.cluster,
        label: raw.cluster_label || null, year: raw.year
      };
      MM.clear(result); MM.done(result);
      showTrack(t);
      return MM.api("api/v3/clusters/" + encodeURIComponent(t.cluster)).then(function (info) {
        if (seq !== trackSeq) return;
        showCluster(t, info);
      }, function (err) { MM.showError(MM.$("#bubbles"), "Could not load the cluster's genres", err); });
    }).catch(function (err) {
      if (seq !== trackSeq) return;
      shownTrack = null;
      MM.showError(result, err.status === 404 ? "Song not found" : "Could not load the song", err);
    });
  }

  function showTrack(t) {
    MM.$("#track-section").hidden = false;
    var badge = MM.$("#cluster-badge");
    badge.textContent = t.cluster;
    badge.style.background = MM.clusterColour(t.cluster);
    MM.$("#track-title").textContent = t.name;
    MM.$("#track-artists").textContent = t.artists.join(", ") + (t.year ? " · " + t.year : "");
    setClusterLine(t, t.label);
    MM.clear(MM.$("#track-player")).appendChild(MM.spotifyEmbed(t.id, t.name + " by " + t.artists.join(", "), 152));
    MM.loading(MM.$("#bubbles"), "Loading genres…");
  }

  function setClusterLine(t, labelText) {
    var line = MM.clear(MM.$("#cluster-line"));
    line.appendChild(MM.el("span", { id: "cluster-text" }, "This song is in cluster " + t.cluster));
    if (labelText) line.appendChild(MM.el("span", null, ": ", MM.el("strong", { id: "cluster-label" }, labelText)));
    line.appendChild(MM.el("span", null, ". "));
    line.appendChild(MM.el("a", { href: "analysis.html?cluster=" + encodeURIComponent(t.cluster) }, "Explore this cluster"));
  }

  function showCluster(t, info) {
    if (!t.label && info.label) setClusterLine(t, info.label);
    var items = MM.list(info.top_genres || info.genres).map(function (g) { return { name: g.genre || g.name, value: +g.count || +g.tracks || 0 }; });
    var box = MM.$("#bubbles");
    MM.done(box);
    if (!items.length) { MM.clear(box).appendChild(MM.el("p", { class: "text-muted-2" }, "No genre data for this cluster.")); return; }
    var draw = function () { MMCharts.bubbles(box, items, MM.clusterColour(t.cluster), "Top genres of cluster " + t.cluster); };
    draw();
    MM.onResize(box, draw);
  }

  /* ---- the list ---- */

  function normaliseTrack(t) {
    return {
      id: t.id,
      name: t.name || "",
      artists: Array.isArray(t.artists) ? t.artists.map(function (a) { return a && typeof a === "object" ? a.name : String(a); }) : MM.artists(t.artists),
      cluster: t.cluster !== undefined ? t.cluster : t.Assignments,
      year: t.year,
      explicit: t.explicit,
      distance: t.distance,
      why: t.reason && t.reason.text ? t.reason.text : null
    };
  }

  function describeTuning() {
    var parts = [];
    TARGETS.forEach(function (t) { if (state.targets[t.key] !== undefined) parts.push(t.label.replace(/ \(.*\)$/, "").toLowerCase() + " near " + MM.fmt(state.targets[t.key], t.digits)); });
    var out = parts.length ? " Targets: " + parts.join(", ") + "." : "";
    if (state.decade !== null) out += " Only the " + state.decade + "s.";
    if (state.hideExplicit) out += " No explicit songs.";
    return out;
  }

  function loadList() {
    var seq = ++listSeq;
    var list = MM.clear(MM.$("#recs"));
    list.removeAttribute("data-request");
    var statusBox = MM.clear(MM.$("#recs-status"));
    MM.done(statusBox);
    recs = [];
    if (!state.seeds.length) {
      MM.$("#recs-section").hidden = true;
      return;
    }
    MM.$("#recs-section").hidden = false;
    MM.$("#play-all").disabled = true;
    if (state.mode === "random") { loadRandom(seq, list, statusBox); return; }
    var path = recommendationsPath();
    MM.$("#recs-heading").textContent = "Recommendations";
    MM.$("#recs-explain").textContent = "The songs nearest to your seeds in the audio features; under each, why it was chosen." + describeTuning();
    MM.loading(statusBox, "Finding songs like your seeds…");
    MM.api(path).then(function (body) {
      if (seq !== listSeq) return;
      MM.clear(statusBox); MM.done(statusBox);
      renderRecs((body && Array.isArray(body.tracks) ? body.tracks : []).map(normaliseTrack), list, path,
        "No song matches these seeds with these filters: loosen a filter or change a seed.");
    }, function (err) {
      if (seq !== listSeq) return;
      MM.showError(statusBox, "Could not get recommendations", err);
      setApiLink(path);
    });
  }

  function loadRandom(seq, list, statusBox) {
    var song = firstSong();
    MM.$("#recs-heading").textContent = "Random songs";
    if (!song) {
      MM.$("#recs-explain").textContent = "";
      statusBox.appendChild(MM.el("div", { class: "alert alert-info mb-0", role: "status" },
        "A random draw takes ten songs from the first song seed's cluster: add a song as a seed, or switch to “Most similar”."));
      return;
    }
    MM.loading(statusBox, "Drawing ten random songs…");
    detail(song.id).then(function (t) {
      if (seq !== listSeq) return null;
      var path = "api/v2.1/Random_Song_Assignments/" + encodeURIComponent(t.cluster);
      MM.$("#recs-explain").textContent = "Ten songs drawn at random from cluster " + t.cluster + ", the cluster of “" + t.name + "”, as the original site did. “New draw” draws again.";
      return MM.api(path).then(function (rows) {
        if (seq !== listSeq) return;
        MM.clear(statusBox); MM.done(statusBox);
        draws += 1;
        list.setAttribute("data-draw", String(draws));
        var items = MM.list(rows).map(normaliseTrack);
        items.forEach(function (r) { r.why = "Drawn at random from cluster " + t.cluster + ", the cluster of “" + t.name + "”."; });
        renderRecs(items, list, path, "No other songs in this cluster.");
      });
    }).catch(function (err) {
      if (seq !== listSeq) return;
      MM.showError(statusBox, "Could not draw random songs", err);
    });
  }

  function setApiLink(path) { MM.$("#api-link").setAttribute("href", path); }

  function renderRecs(items, list, path, emptyText) {
    recs = items;
    setApiLink(path);
    MM.$("#recs-heading").textContent = items.length + (state.mode === "random" ? " random song" : " recommendation") + (items.length === 1 ? "" : "s");
    MM.$("#play-all").disabled = items.length === 0;
    if (!items.length) list.appendChild(MM.el("li", { class: "text-muted-2" }, emptyText));
    items.forEach(function (r, i) {
      var meta = [r.artists.join(", ")];
      if (r.year) meta.push(String(r.year));
      if (r.explicit === true) meta.push("explicit");
      if (r.distance !== undefined && r.distance !== null) meta.push("distance " + MM.fmt(r.distance, 3));
      list.appendChild(MM.el("li", {
        class: "rec-item", "data-track-id": r.id, id: "rec-" + i,
        "data-year": r.year, "data-explicit": r.explicit === undefined ? null : String(r.explicit),
        onclick: function (e) { if (!e.target.closest("a, iframe")) reseed(r); }
      },
      MM.el("h3", null, MM.el("button", { type: "button", class: "rec-seed", title: "Use this song as the only seed" }, (i + 1) + ". " + r.name)),
      MM.el("div", { class: "meta" }, meta.join(" · ")),
      r.why ? MM.el("p", { class: "why" }, MM.el("span", { class: "visually-hidden" }, "Why: "), r.why) : null,
      MM.spotifyEmbed(r.id, r.name + " by " + r.artists.join(", "))));
    });
    // Set last: a test (or a script) that sees this attribute sees the whole list.
    list.setAttribute("data-request", path);
  }

  /* A click on a suggestion makes it the only seed; targets, filters and mode stay. */
  function reseed(r) {
    if (!MM.isSpotifyId(r.id)) return;
    state.seeds = [{ kind: "track", id: r.id, name: r.name, artists: r.artists }];
    say("“" + seedName(state.seeds[0]) + "” is now the seed.");
    update("push");
    window.scrollTo({ top: 0, behavior: "smooth" });
  }

  /* ---- play-all queue ---- */

  /* Spotify's iFrame API, loaded once. The queue uses it when it has loaded; when it has not
   * within a few seconds (offline, blocked), the queue moves on by a timer instead. */
  var Spotify = (function () {
    var api = null, failed = false, waiters = [];
    function settle() { var w = waiters; waiters = []; w.forEach(function (fn) { fn(); }); }
    window.onSpotifyIframeApiReady = function (IFrameAPI) { api = IFrameAPI; settle(); };
    var script = document.createElement("script");
    script.src = "https://open.spotify.com/embed/iframe-api/v1";
    script.async = true;
    script.onerror = function () { failed = true; settle(); };
    document.head.appendChild(script);
    setTimeout(function () { if (!api) { failed = true; settle(); } }, 4000);
    return {
      /* Calls fn once the API has loaded or is known not to. */
      settled: function (fn) { if (api || failed) fn(); else waiters.push(fn); },
      api: function () { return api; }
    };
  })();

  var queuePos = -1, queueTimer = null, queueWay = null;  // queueWay: "api" or "timer"
  var controller = null, controllerGen = 0, playback = null;

  /* A preview's length, from the page (#queue's data-preview-ms; the browser tests shorten it). */
  function previewMs() { return +MM.$("#queue").dataset.previewMs || 30000; }

  function startQueue() {
    if (!recs.length) return;
    var items = recs;
    MM.$("#play-all").disabled = true;
    Spotify.settled(function () {
      MM.$("#play-all").disabled = recs.length === 0;
      if (items !== recs) return;  // the list changed while the API was loading
      setQueueWay(Spotify.api() ? "api" : "timer");
      playAt(0);
      MM.$("#queue-next").focus();
    });
  }

  function setQueueWay(way) {
    queueWay = way;
    MM.$("#queue").dataset.advance = way;
    MM.$("#queue-auto-label").textContent = way === "api" ? "Move on when each track ends" : "Move on after each 30-second preview";
  }

  function playAt(i) {
    if (!recs.length || !queueWay) return;
    queuePos = Math.max(0, Math.min(recs.length - 1, i));
    var r = recs[queuePos];
    MM.$("#queue").hidden = false;
    MM.$("#queue-pos").textContent = "(" + (queuePos + 1) + " of " + recs.length + ")";
    MM.$("#queue-title").textContent = r.name + " — " + r.artists.join(", ");
    document.querySelectorAll(".rec-item").forEach(function (li, j) { li.classList.toggle("playing", j === queuePos); });
    MM.$("#queue-prev").disabled = queuePos === 0;
    MM.$("#queue-next").disabled = queuePos === recs.length - 1;
    clearTimeout(queueTimer);
    if (queueWay === "api" && MM.isSpotifyId(r.id)) { apiPlay(r); return; }
    // The timer way (or a track the API cannot play): one embed per track, moved on by time.
    destroyController();
    MM.clear(MM.$("#queue-player")).appendChild(MM.spotifyEmbed(r.id, "Queue: " + r.name, 152));
    var frame = MM.$("#queue-player iframe");
    if (frame) frame.id = "queue-frame";
    if (MM.$("#queue-auto").checked && queuePos < recs.length - 1) queueTimer = setTimeout(function () { playAt(queuePos + 1); }, previewMs());
  }

  function apiPlay(r) {
    var uri = "spotify:track:" + r.id;
    playback = { pos: queuePos, started: false, ended: false, last: 0 };
    if (controller) { controller.loadUri(uri); controller.play(); return; }
    var gen = ++controllerGen;
    var host = MM.el("div", { id: "queue-embed" });
    MM.clear(MM.$("#queue-player")).appendChild(host);
    // A script that loaded but cannot make a player (blocked by the browser, changed by Spotify)
    // must not leave the queue silent: without a player in a few seconds, the timer takes over.
    setTimeout(function () {
      if (gen === controllerGen && !controller && queuePos >= 0) { setQueueWay("timer"); playAt(queuePos); }
    }, 5000);
    Spotify.api().createController(host, { uri: uri, width: "100%", height: 152 }, function (c) {
      if (gen !== controllerGen) { if (c && typeof c.destroy === "function") c.destroy(); return; }
      controller = c;
      c.addListener("playback_update", function (e) { onPlayback(gen, e); });
      // The queue may have moved while the player was being made: play where it is now.
      var now = recs[queuePos];
      if (!now) return;
      c.loadUri("spotify:track:" + now.id);
      c.play();
    });
  }

  /* The end of a track: its position reaches its duration (or, as some players report it, the
   * player pauses back at 0 right after being near the end). Only after the track was seen playing,
   * so a late update about the previous track cannot skip this one. */
  function onPlayback(gen, e) {
    if (gen !== controllerGen || queuePos < 0 || !playback || playback.pos !== queuePos) return;
    var d = (e && e.data) || {};
    var pos = +d.position || 0, dur = +d.duration || 0;
    if (!(dur > 0)) return;
    var nearEnd = pos >= dur - 500;
    var pausedAfterEnd = d.isPaused && pos === 0 && playback.last >= dur - 1500;
    if (!nearEnd && !pausedAfterEnd) playback.started = true;
    else if (playback.started && !playback.ended) {
      playback.ended = true;
      if (MM.$("#queue-auto").checked && queuePos < recs.length - 1) playAt(queuePos + 1);
    }
    playback.last = pos;
  }

  function destroyController() {
    controllerGen += 1;
    if (controller && typeof controller.destroy === "function") { try { controller.destroy(); } catch (err) { /* already gone */ } }
    controller = null;
    playback = null;
  }

  function stopQueue() {
    clearTimeout(queueTimer);
    destroyController();
    queuePos = -1;
    MM.$("#queue").hidden = true;
    MM.clear(MM.$("#queue-player"));
    document.querySelectorAll(".rec-item.playing").forEach(function (li) { li.classList.remove("playing"); });
  }

  MM.$("#play-all").addEventListener("click", startQueue);
  MM.$("#queue-next").addEventListener("click", function () { playAt(queuePos + 1); });
  MM.$("#queue-prev").addEventListener("click", function () { playAt(queuePos - 1); });
  MM.$("#queue-stop").addEventListener("click", function () { stopQueue(); MM.$("#play-all").focus(); });
  MM.$("#queue-auto").addEventListener("change", function () {
    if (queuePos < 0) return;
    clearTimeout(queueTimer);
    if (queueWay === "timer") playAt(queuePos);
  });

  /* ---- start: the state the address describes ---- */

  function restore() {
    var parsed = fromQuery(location.search);
    state = parsed.state;
    say(parsed.dropped.length ? "Left out of the link (not valid here, or more than " + MAX_SEEDS + " seeds): " + parsed.dropped.join(", ") + "." : "", parsed.dropped.length > 0);
    nameSongSeeds();
    // The address is rewritten in this page's own form (an old ?id= link becomes seed_tracks=).
    update("replace");
  }

  window.addEventListener("popstate", restore);
  buildTargets();
  restore();
  if (!state.seeds.length) input.focus();
})();
