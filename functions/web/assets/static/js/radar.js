/* Two artists' average sound on one radar (from /api/v1.0/data_by_artist_clean/<name>). An
 * unknown artist gets a message in place of its card; the other one stays drawn. */
"use strict";

(function () {
  var AXES = ["acousticness", "danceability", "energy", "instrumentalness", "liveness", "speechiness", "valence", "loudness_scale"];
  var COLOURS = ["#e4572e", "#2e86de"];
  var form = MM.$("#artist-form"), statusBox = MM.$("#radar-status"), chart = MM.$("#radar");
  var shown = [null, null];

  function card(slot, artist) {
    var box = MM.clear(MM.$("#artist" + (slot + 1) + "-card"));
    if (!artist) return;
    box.appendChild(MM.el("div", { class: "card artist-card h-100", style: "border-top: 4px solid " + COLOURS[slot] },
      MM.el("div", { class: "card-body" },
        MM.el("h2", { class: "h5 mb-3" }, artist.artists),
        MM.el("dl", { class: "row mb-0 small" },
          MM.el("dt", { class: "col-7" }, "Songs"), MM.el("dd", { class: "col-5 stat" }, MM.fmt(artist.count, 0)),
          MM.el("dt", { class: "col-7" }, "Popularity"), MM.el("dd", { class: "col-5 stat" }, MM.fmt(artist.popularity, 1)),
          MM.el("dt", { class: "col-7" }, "Avg song duration"), MM.el("dd", { class: "col-5 stat" }, MM.fmt(artist.duration_min, 2) + " min"),
          MM.el("dt", { class: "col-7" }, "Avg tempo"), MM.el("dd", { class: "col-5 stat" }, MM.fmt(artist.tempo, 0) + " bpm")))));
  }

  function draw() {
    var series = [];
    shown.forEach(function (a, i) { if (a) series.push({ name: a.artists, colour: COLOURS[i], values: a }); });
    if (!series.length) { MM.clear(chart); return; }
    MMCharts.radar(chart, AXES, series, { label: "Radar chart comparing " + series.map(function (s) { return s.name; }).join(" and ") });
  }

  function fetchArtist(name) {
    return MM.api("api/v1.0/data_by_artist_clean/" + encodeURIComponent(name)).then(function (rows) {
      var list = MM.list(rows);
      if (!list.length) throw new MM.ApiError("no artist named “" + name + "” in the data", 404);
      return list[0];
    });
  }

  function compare() {
    var names = [MM.$("#artist1-name").value.trim(), MM.$("#artist2-name").value.trim()];
    MM.loading(statusBox, "Loading both artists…");
    return Promise.all(names.map(function (name) {
      if (!name) return Promise.resolve({ error: "please type an artist's name" });
      return fetchArtist(name).then(function (a) { return { artist: a }; }, function (err) {
        return { error: err.status === 404 ? "We have no artist named “" + name + "”. Check the spelling, or try another artist." : err.message };
      });
    })).then(function (answers) {
      MM.clear(statusBox); MM.done(statusBox);
      answers.forEach(function (a, i) {
        if (a.artist) { shown[i] = a.artist; card(i, a.artist); }
        else {
          shown[i] = null;
          card(i, null);
          statusBox.appendChild(MM.el("div", { class: "alert alert-warning", role: "alert" }, MM.el("strong", null, (i === 0 ? "First" : "Second") + " artist: "), a.error));
        }
      });
      draw();
    });
  }

  // radar.html?artist1=…&artist2=… opens on those artists (the song picker links here).
  var params = new URLSearchParams(location.search);
  ["artist1", "artist2"].forEach(function (k) { if (params.get(k)) MM.$("#" + k + "-name").value = params.get(k).slice(0, 200); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    history.replaceState(null, "", "?artist1=" + encodeURIComponent(MM.$("#artist1-name").value.trim()) + "&artist2=" + encodeURIComponent(MM.$("#artist2-name").value.trim()));
    compare();
  });
  MM.onResize(chart, draw);
  compare();
})();
