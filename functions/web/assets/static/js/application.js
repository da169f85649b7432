/* The song picker and recommendations: an ARIA combobox over /api/v3/search, then the chosen
 * track's cluster, its player, ten recommendations (nearest, or the original's random ten) and a
 * play-all queue that steps through them in one player. */
"use strict";

(function () {
  var input = MM.$("#song-input");
  var listbox = MM.$("#song-options");
  var status = MM.$("#search-status");
  var result = MM.$("#result");
  var options = [];        // current suggestions (normalised hits)
  var active = -1;         // index of the highlighted suggestion
  var searchAbort = null;
  var debounce = null;
  var current = null;      // {track, cluster, clusterInfo}
  var recs = [];           // what the list shows now
  var loadSeq = 0;         // drops answers to superseded requests

  /* Search hits may be tracks or artists; keep what the picker needs. */
  function normaliseHit(h) {
    var kind = h.kind || h.type || (h.id || h.track_id ? "track" : "artist");
    var artists = MM.artists(h.artists || (h.artist ? [h.artist] : []));
    return {
      kind: kind === "artist" ? "artist" : "track",
      id: h.id || h.track_id || null,
      name: h.name || h.title || h.artist || "",
      artists: artists,
      cluster: h.cluster !== undefined ? h.cluster : h.Assignments,
      tracks: h.tracks || h.track_count || h.count
    };
  }

  function normaliseTrack(t) {
    var c = t.cluster !== undefined && t.cluster !== null && typeof t.cluster === "object" ? t.cluster : null;
    return {
      id: t.id || t.track_id,
      name: t.name || t.title || "",
      artists: MM.artists(t.artists),
      cluster: c ? (c.cluster !== undefined ? c.cluster : c.id) : t.cluster !== undefined ? t.cluster : t.Assignments,
      label: (c && c.label) || t.cluster_label || t.label || null,
      distance: t.distance !== undefined ? t.distance : t.distance_to_centroid,
      year: t.year
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

  function renderOptions(q) {
    MM.clear(listbox);
    options.forEach(function (o, i) {
      var right = o.kind === "artist" ? "artist · compare on the radar →" : o.cluster !== undefined && o.cluster !== null ? "cluster " + o.cluster : "";
      listbox.appendChild(MM.el("li", {
        id: "song-opt-" + i, role: "option", class: "combo-option", "aria-selected": "false", "data-kind": o.kind, "data-track-id": o.id,
        onmousedown: function (e) { e.preventDefault(); }, onclick: function () { choose(i); }
      }, MM.el("span", null, MM.el("span", { class: "title" }, o.name),
        o.kind === "track" && o.artists.length ? MM.el("span", { class: "artists" }, " — " + o.artists.join(", ")) : null),
      MM.el("span", { class: "small text-muted-2" }, right)));
    });
    if (!options.length) listbox.appendChild(MM.el("li", { class: "combo-empty", role: "presentation" }, "No song or artist matches “" + q + "”."));
    status.textContent = options.length ? options.length + " suggestions" : "No suggestions";
    setExpanded(true);
  }

  function search(q) {
    if (searchAbort) searchAbort.abort();
    searchAbort = new AbortController();
    var signal = searchAbort.signal;
    MM.api("api/v3/search?q=" + encodeURIComponent(q) + "&limit=8", { signal: signal }).then(function (body) {
      if (signal.aborted) return;
      // Songs first; an artist only when the data has songs of theirs (else it is noise here).
      options = MM.list(body).map(normaliseHit).filter(function (o) { return o.kind === "track" ? !!o.id : +o.tracks > 0; });
      options.sort(function (a, b) { return (a.kind === "track" ? 0 : 1) - (b.kind === "track" ? 0 : 1); });
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
    if (o.kind === "artist") {
      // The API finds songs by title; an artist is best seen on the radar page.
      location.href = "radar.html?artist1=" + encodeURIComponent(o.name);
      return;
    }
    input.value = o.name + (o.artists.length ? " — " + o.artists.join(", ") : "");
    setExpanded(false);
    loadTrack(o.id);
  }

  /* ---- the chosen track ---- */

  function loadTrack(id) {
    var seq = ++loadSeq;
    stopQueue();
    MM.$("#track-section").hidden = true;
    MM.$("#recs-section").hidden = true;
    MM.loading(result, "Finding the song and its neighbours…");
    var enc = encodeURIComponent(id);
    Promise.all([MM.api("api/v3/tracks/" + enc), MM.api("api/v3/tracks/" + enc + "/recommendations?n=10&scope=cluster")])
      .then(function (answers) {
        if (seq !== loadSeq) return null;
        var track = normaliseTrack(answers[0].track || answers[0]);
        var nearest = MM.list(answers[1]).map(normaliseTrack);
        current = { track: track, nearest: nearest, clusterInfo: null };
        history.replaceState(null, "", "?id=" + enc);
        MM.clear(result); MM.done(result);
        showTrack();
        showRecs();
        return MM.api("api/v3/clusters/" + encodeURIComponent(track.cluster)).then(function (info) {
          if (seq !== loadSeq) return;
          current.clusterInfo = info;
          showCluster(info);
        }, function (err) { MM.showError(MM.$("#bubbles"), "Could not load the cluster's genres", err); });
      })
      .catch(function (err) {
        if (seq !== loadSeq) return;
        MM.showError(result, err.status === 404 ? "Song not found" : "Could not load the song", err);
      });
  }

  function showTrack() {
    var t = current.track;
    MM.$("#track-section").hidden = false;
    var badge = MM.$("#cluster-badge");
    badge.textContent = t.cluster;
    badge.style.background = MM.clusterColour(t.cluster);
    MM.$("#track-title").textContent = t.name;
    if (!input.value.trim()) input.value = t.name + (t.artists.length ? " — " + t.artists.join(", ") : "");
    MM.$("#track-artists").textContent = t.artists.join(", ") + (t.year ? " · " + t.year : "");
    setClusterLine(t.label);
    MM.clear(MM.$("#track-player")).appendChild(MM.spotifyEmbed(t.id, t.name + " by " + t.artists.join(", "), 152));
    MM.loading(MM.$("#bubbles"), "Loading genres…");
  }

  function setClusterLine(labelText) {
    var t = current.track;
    var line = MM.clear(MM.$("#cluster-line"));
    line.appendChild(MM.el("span", { id: "cluster-text" }, "This song is in cluster " + t.cluster));
    if (labelText) line.appendChild(MM.el("span", null, ": ", MM.el("strong", { id: "cluster-label" }, labelText)));
    line.appendChild(MM.el("span", null, ". "));
    line.appendChild(MM.el("a", { href: "analysis.html?cluster=" + encodeURIComponent(t.cluster) }, "Explore this cluster"));
  }

  function showCluster(info) {
    if (!current.track.label && info.label) setClusterLine(info.label);
    var genres = MM.list(info.top_genres || info.genres).map(function (g) { return { name: g.genre || g.name, value: +g.count || +g.tracks || 0 }; });
    var box = MM.$("#bubbles");
    MM.done(box);
    if (!genres.length) { MM.clear(box).appendChild(MM.el("p", { class: "text-muted-2" }, "No genre data for this cluster.")); return; }
    var draw = function () { MMCharts.bubbles(box, genres, MM.clusterColour(current.track.cluster), "Top genres of cluster " + current.track.cluster); };
    draw();
    MM.onResize(box, draw);
  }

  /* ---- recommendations ---- */

  function mode() { return MM.$("#mode-random").checked ? "random" : "nearest"; }

  function showRecs() {
    MM.$("#recs-section").hidden = false;
    var list = MM.clear(MM.$("#recs"));
    var statusBox = MM.$("#recs-status");
    MM.clear(statusBox);
    stopQueue();
    if (mode() === "nearest") {
      MM.$("#recs-explain").textContent = "The songs of cluster " + current.track.cluster + " nearest to this one in the nine audio features (Euclidean distance, smaller is closer).";
      renderRecs(current.nearest, list);
      return;
    }
    MM.$("#recs-explain").textContent = "Ten songs drawn at random from cluster " + current.track.cluster + ", as the original site did. Switch again for another draw.";
    MM.loading(statusBox, "Drawing ten random songs…");
    var seq = loadSeq;
    MM.api("api/v2.1/Random_Song_Assignments/" + encodeURIComponent(current.track.cluster)).then(function (rows) {
      if (seq !== loadSeq || mode() !== "random") return;
      MM.clear(statusBox); MM.done(statusBox);
      renderRecs(MM.list(rows).map(normaliseTrack), list);
    }, function (err) { MM.showError(statusBox, "Could not draw random songs", err); });
  }

  function renderRecs(items, list) {
    recs = items;
    MM.$("#recs-heading").textContent = items.length + " recommendation" + (items.length === 1 ? "" : "s");
    MM.$("#play-all").disabled = items.length === 0;
    if (!items.length) { list.appendChild(MM.el("li", { class: "text-muted-2" }, "No other songs in this cluster.")); return; }
    items.forEach(function (r, i) {
      list.appendChild(MM.el("li", { class: "rec-item", "data-track-id": r.id, id: "rec-" + i },
        MM.el("h3", null, (i + 1) + ". " + r.name),
        MM.el("div", { class: "meta" }, r.artists.join(", ") + (r.distance !== undefined && r.distance !== null ? " · distance " + MM.fmt(r.distance, 3) : "")),
        MM.spotifyEmbed(r.id, r.name + " by " + r.artists.join(", "))));
    });
  }

  document.querySelectorAll("input[name=rec-mode]").forEach(function (radio) {
    radio.addEventListener("change", function () { if (current) showRecs(); });
  });

  /* ---- play-all queue: one player stepping through the recommendations ---- */
  var queuePos = -1, queueTimer = null;
  var PREVIEW_MS = 30000;

  function playAt(i) {
    if (!recs.length) return;
    queuePos = Math.max(0, Math.min(recs.length - 1, i));
    var r = recs[queuePos];
    MM.$("#queue").hidden = false;
    MM.$("#queue-pos").textContent = "(" + (queuePos + 1) + " of " + recs.length + ")";
    MM.$("#queue-title").textContent = r.name + " — " + r.artists.join(", ");
    MM.clear(MM.$("#queue-player")).appendChild(MM.spotifyEmbed(r.id, "Queue: " + r.name, 152));
    var frame = MM.$("#queue-player iframe");
    if (frame) frame.id = "queue-frame";
    document.querySelectorAll(".rec-item").forEach(function (li, j) { li.classList.toggle("playing", j === queuePos); });
    MM.$("#queue-prev").disabled = queuePos === 0;
    MM.$("#queue-next").disabled = queuePos === recs.length - 1;
    clearTimeout(queueTimer);
    if (MM.$("#queue-auto").checked && queuePos < recs.length - 1) queueTimer = setTimeout(function () { playAt(queuePos + 1); }, PREVIEW_MS);
  }

  function stopQueue() {
    clearTimeout(queueTimer);
    queuePos = -1;
    MM.$("#queue").hidden = true;
    MM.clear(MM.$("#queue-player"));
    document.querySelectorAll(".rec-item.playing").forEach(function (li) { li.classList.remove("playing"); });
  }

  MM.$("#play-all").addEventListener("click", function () { playAt(0); MM.$("#queue-next").focus(); });
  MM.$("#queue-next").addEventListener("click", function () { playAt(queuePos + 1); });
  MM.$("#queue-prev").addEventListener("click", function () { playAt(queuePos - 1); });
  MM.$("#queue-stop").addEventListener("click", function () { stopQueue(); MM.$("#play-all").focus(); });
  MM.$("#queue-auto").addEventListener("change", function () { if (queuePos >= 0) playAt(queuePos); });

  /* A shared link (?id=<spotify id>) opens straight on that song. */
  var shared = new URLSearchParams(location.search).get("id");
  if (shared) loadTrack(shared);
  else input.focus();
})();
