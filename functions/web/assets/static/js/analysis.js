/* The cluster explorer (replacing the original's Tableau dashboards): sizes of all ten clusters
 * from /api/v3/clusters, then one cluster's mean features, top genres and most typical tracks. */
"use strict";

(function () {
  var clusters = [];
  var overall = {};
  var selected = null;
  var detail = null;
  var detailSeq = 0;

  function num(c) { return c.cluster !== undefined ? c.cluster : c.id !== undefined ? c.id : c.n; }
  function means(c) { return c.means || c.mean || c.centroid || {}; }

  /* Mean of every feature over all tracks = size-weighted mean of the cluster means. */
  function overallMeans() {
    var total = d3.sum(clusters, function (c) { return +c.size || 0; });
    var out = {};
    MM.FEATURES.forEach(function (f) { out[f] = total ? d3.sum(clusters, function (c) { return (+c.size || 0) * (+means(c)[f] || 0); }) / total : 0; });
    return out;
  }

  function drawSizes() {
    var box = MM.$("#sizes");
    MMCharts.bars(box, clusters.map(function (c) {
      return { label: "Cluster " + num(c), value: +c.size, colour: MM.clusterColour(num(c)), n: num(c) };
    }), { label: "Tracks per cluster", height: 260, bottom: 64, focusable: true, format: function (v) { return v + " tracks"; }, onSelect: function (d) { select(d.n); } });
  }

  function drawPicker() {
    var picker = MM.clear(MM.$("#cluster-picker"));
    clusters.forEach(function (c) {
      var n = num(c);
      picker.appendChild(MM.el("button", {
        type: "button", class: "btn btn-outline-secondary" + (String(n) === String(selected) ? " active" : ""),
        "aria-pressed": String(n) === String(selected) ? "true" : "false", "data-cluster": n, title: c.label || null,
        onclick: function () { select(n); }
      }, String(n)));
    });
  }

  function drawFeatures(c) {
    var box = MM.$("#features");
    var m = means(c);
    var radar = MM.$("#view-radar").checked;
    MM.$("#compare-note").hidden = radar;
    if (radar) {
      MMCharts.radar(box, MM.FEATURES, [
        { name: "All tracks", colour: "#9aa5ad", values: overall },
        { name: "Cluster " + num(c), colour: MM.clusterColour(num(c)), values: m }
      ], { label: "Radar of cluster " + num(c) + "'s average features against all tracks" });
    } else {
      MMCharts.bars(box, MM.FEATURES.map(function (f) { return { label: MM.label(f), value: +m[f] || 0, colour: MM.clusterColour(num(c)) }; }), {
        label: "Average features of cluster " + num(c), max: 1, height: 300, bottom: 96,
        compare: MM.FEATURES.map(function (f) { return { label: MM.label(f), value: overall[f] }; })
      });
    }
  }

  function drawGenres(c) {
    var list = MM.clear(MM.$("#genres"));
    var genres = MM.list(c.top_genres || c.genres).slice(0, 10);
    if (!genres.length) { list.appendChild(MM.el("li", { class: "text-muted-2" }, "No genre data.")); return; }
    var max = d3.max(genres, function (g) { return +g.count; }) || 1;
    genres.forEach(function (g) {
      var pct = Math.round((100 * +g.count) / max);
      list.appendChild(MM.el("li", { class: "mb-2" },
        MM.el("div", { class: "d-flex justify-content-between small" }, MM.el("span", null, g.genre || g.name), MM.el("span", { class: "text-muted-2" }, g.count + " tracks")),
        MM.el("div", { class: "progress", style: "height: .5rem", role: "presentation" },
          MM.el("div", { class: "progress-bar", style: "width:" + pct + "%; background:" + MM.clusterColour(num(c)) }))));
    });
  }

  function drawNearest(c) {
    var body = MM.clear(MM.$("#nearest"));
    MM.list(c.nearest).forEach(function (t, i) {
      body.appendChild(MM.el("tr", null,
        MM.el("td", null, String(i + 1)),
        MM.el("td", null, t.name),
        MM.el("td", null, MM.artists(t.artists).join(", ")),
        MM.el("td", { class: "text-end" }, MM.fmt(t.distance, 3)),
        MM.el("td", null, MM.el("a", { href: "application.html?id=" + encodeURIComponent(t.id) }, "Similar songs"))));
    });
  }

  function show(c) {
    MM.$("#detail").hidden = false;
    var badge = MM.$("#detail-badge");
    badge.textContent = num(c);
    badge.style.background = MM.clusterColour(num(c));
    MM.$("#detail-title").textContent = "Cluster " + num(c) + (c.label ? ": " + c.label : "");
    MM.$("#detail-sub").textContent = MM.fmt(c.size, 0) + " tracks";
    drawFeatures(c);
    drawGenres(c);
    drawNearest(c);
  }

  function select(n) {
    selected = n;
    drawPicker();
    history.replaceState(null, "", "?cluster=" + encodeURIComponent(n));
    var seq = ++detailSeq;
    var statusBox = MM.$("#detail-status");
    MM.loading(statusBox, "Loading cluster " + n + "…");
    MM.api("api/v3/clusters/" + encodeURIComponent(n)).then(function (c) {
      if (seq !== detailSeq) return;
      MM.clear(statusBox); MM.done(statusBox);
      detail = c.cluster !== null && typeof c.cluster === "object" ? c.cluster : c;
      show(detail);
    }, function (err) { if (seq === detailSeq) MM.showError(statusBox, "Could not load cluster " + n, err); });
  }

  document.querySelectorAll("input[name=feature-view]").forEach(function (radio) {
    radio.addEventListener("change", function () { if (detail) drawFeatures(detail); });
  });

  var sizes = MM.$("#sizes");
  MM.loading(sizes, "Loading the clusters…");
  MM.api("api/v3/clusters").then(function (body) {
    clusters = MM.list(body).slice().sort(function (a, b) { return num(a) - num(b); });
    overall = overallMeans();
    MM.done(sizes);
    drawSizes();
    MM.onResize(sizes, drawSizes);
    var wanted = new URLSearchParams(location.search).get("cluster");
    var start = clusters.some(function (c) { return String(num(c)) === wanted; }) ? wanted : num(clusters[0]);
    if (clusters.length) select(start);
  }, function (err) { MM.showError(sizes, "Could not load the clusters", err); });
})();
