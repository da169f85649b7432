/* Shared helpers for every page: calling the API (same origin, relative URLs), loading and error
 * states, safe DOM building (text only, never HTML from data), numbers, and chart basics.
 * Loaded synchronously in <head> so the error hook below sees every later script. */
"use strict";

/* Every uncaught error or rejected promise is kept here (the browser tests read it) and logged. */
window.__mmErrors = [];
window.addEventListener("error", function (e) {
  window.__mmErrors.push(String(e.message || e.error || "error") + " @ " + (e.filename || "") + ":" + (e.lineno || 0));
});
window.addEventListener("unhandledrejection", function (e) {
  var r = e.reason;
  window.__mmErrors.push("unhandled rejection: " + (r && r.message ? r.message : String(r)));
});

var MM = (function () {
  /* The nine clustering features, in the model's order, with readable names. */
  var FEATURES = ["energy", "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "loudness_scale", "tempo_scale", "duration_scale"];
  var LABELS = {
    acousticness: "Acousticness", danceability: "Danceability", duration_ms: "Duration (ms)", energy: "Energy",
    instrumentalness: "Instrumentalness", liveness: "Liveness", loudness: "Loudness (dB)", speechiness: "Speechiness",
    tempo: "Tempo (BPM)", valence: "Valence", popularity: "Popularity", loudness_scale: "Loudness (scaled)",
    tempo_scale: "Tempo (scaled)", duration_scale: "Duration (scaled)", popularity_scale: "Popularity (scaled)",
    duration_min: "Duration (min)", key: "Key", mode: "Mode", year: "Year"
  };
  /* Ten distinct, colour-blind-friendlier colours, one per cluster. */
  var CLUSTER_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#c49a00", "#a6761d", "#1f78b4", "#e31a1c", "#5f6b73"];

  function label(key) { return LABELS[key] || key.replace(/_/g, " "); }
  function clusterColour(n) { return CLUSTER_COLOURS[((+n % 10) + 10) % 10]; }

  /* el("div", {class: "x", onclick: f}, "text", child): builds DOM; strings become text nodes. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k.slice(0, 2) === "on" && typeof v === "function") node.addEventListener(k.slice(2), v);
        else if (k === "text") node.textContent = v;
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function $(sel, root) { return (root || document).querySelector(sel); }

  function ApiError(message, status) { this.message = message; this.status = status; this.name = "ApiError"; }
  ApiError.prototype = Object.create(Error.prototype);

  /* GET a relative API path and parse its JSON; failures become ApiError with a readable message
   * (the API's own `error` text when it sent one). */
  function api(path, options) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, (options && options.timeout) || 15000);
    if (options && options.signal) options.signal.addEventListener("abort", function () { controller.abort(); });
    return fetch(path, { headers: { Accept: "application/json" }, signal: controller.signal })
      .then(function (response) {
        return response.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          if (!response.ok) {
            // Errors come as {"error": "..."} or, from the Spotify-shaped routes,
            // {"error": {"status": 400, "message": "..."}}.
            var e = body && body.error;
            var msg = e && typeof e === "object" ? e.message : e;
            if (!msg || typeof msg !== "string") msg = "the server answered " + response.status;
            throw new ApiError(msg, response.status);
          }
          if (body === null) throw new ApiError("the server sent something that is not JSON", response.status);
          return body;
        });
      }, function (err) {
        if (options && options.signal && options.signal.aborted) throw err;
        throw new ApiError(err && err.name === "AbortError" ? "the server took too long to answer" : "could not reach the server", 0);
      })
      .finally(function () { clearTimeout(timer); });
  }

  function loading(target, text) {
    clear(target);
    target.setAttribute("aria-busy", "true");
    target.appendChild(el("div", { class: "loading", role: "status" },
      el("span", { class: "spinner-border spinner-border-sm", "aria-hidden": "true" }), text || "Loading…"));
  }
  function done(target) { target.removeAttribute("aria-busy"); }
  function showError(target, what, err) {
    clear(target);
    done(target);
    target.appendChild(el("div", { class: "alert alert-warning mb-0", role: "alert" },
      el("strong", null, what + ": "), err && err.message ? err.message : String(err)));
  }

  /* Lists may arrive bare or wrapped ({results: [...]}); accept both so a page survives either. */
  function list(value) {
    if (Array.isArray(value)) return value;
    if (value && typeof value === "object") {
      var keys = ["results", "hits", "items", "data", "recommendations", "clusters", "tracks", "elbow", "points"];
      for (var i = 0; i < keys.length; i++) if (Array.isArray(value[keys[i]])) return value[keys[i]];
    }
    return [];
  }

  /* Artists arrive as a JSON array or, from the original's tables, as a Python-list string
   * like "['A', \"B's\"]". */
  function artists(value) {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value !== "string") return [];
    var out = [], re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g, m;
    while ((m = re.exec(value)) !== null) out.push((m[1] !== undefined ? m[1] : m[2]).replace(/\\(.)/g, "$1"));
    return out.length ? out : [value.replace(/^\[|\]$/g, "")];
  }

  function fmt(x, digits) {
    if (x === null || x === undefined || Number.isNaN(+x)) return "–";
    return (+x).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 3 : digits, minimumFractionDigits: 0 });
  }
  function sig(x, n) { return x === null || x === undefined ? "–" : (+x).toPrecision(n || 3); }

  /* Pearson's r over paired numbers (pairs with a missing value skipped). */
  function pearson(xs, ys) {
    var pairs = [];
    for (var i = 0; i < xs.length; i++) if (Number.isFinite(+xs[i]) && Number.isFinite(+ys[i]) && xs[i] !== null && ys[i] !== null) pairs.push([+xs[i], +ys[i]]);
    var n = pairs.length;
    if (n < 2) return NaN;
    var mx = 0, my = 0;
    pairs.forEach(function (p) { mx += p[0]; my += p[1]; });
    mx /= n; my /= n;
    var sxy = 0, sxx = 0, syy = 0;
    pairs.forEach(function (p) { var dx = p[0] - mx, dy = p[1] - my; sxy += dx * dy; sxx += dx * dx; syy += dy * dy; });
    return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
  }
  function describeR(r) {
    if (!Number.isFinite(r)) return "no correlation can be computed";
    var a = Math.abs(r);
    var strength = a >= 0.7 ? "strong" : a >= 0.4 ? "moderate" : a >= 0.2 ? "weak" : "little or no";
    return strength + (a >= 0.2 ? (r > 0 ? " positive" : " negative") : "") + " correlation";
  }

  /* A Spotify track id is 22 base-62 characters. Only such an id is put in a player URL: any
   * other value from the data (or a shared link) could steer the frame to another Spotify page. */
  var SPOTIFY_ID = /^[A-Za-z0-9]{22}$/;
  function isSpotifyId(id) { return typeof id === "string" && SPOTIFY_ID.test(id); }

  /* The player frame for a track, or a short note in its place when the id is not a Spotify id. */
  function spotifyEmbed(id, title, height) {
    if (!isSpotifyId(id)) {
      return el("p", { class: "spotify-frame spotify-missing text-muted small", "data-track-id": String(id) },
        "No Spotify player for this track.");
    }
    return el("iframe", {
      class: "spotify-frame", src: "https://open.spotify.com/embed/track/" + id,
      title: "Spotify player: " + (title || id), height: height || 80, loading: "lazy",
      allow: "encrypted-media; clipboard-write", "data-track-id": id
    });
  }

  /* A tooltip div positioned inside a chart's wrapper; works for mouse and keyboard focus. */
  function tooltip(wrap) {
    var tip = el("div", { class: "mm-tooltip", role: "tooltip", hidden: true });
    wrap.appendChild(tip);
    return {
      show: function (lines, x, y) {
        clear(tip);
        lines.forEach(function (line, i) { tip.appendChild(i === 0 ? el("strong", null, line) : el("div", null, line)); });
        tip.hidden = false;
        var w = wrap.clientWidth, tw = tip.offsetWidth;
        tip.style.left = Math.max(0, Math.min(w - tw, x + 12)) + "px";
        tip.style.top = Math.max(0, y - tip.offsetHeight - 8) + "px";
      },
      hide: function () { tip.hidden = true; }
    };
  }

  /* Redraws a chart when its container's width changes (phones rotate; windows resize). */
  function onResize(node, draw) {
    var last = node.clientWidth;
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) return;
      pending = setTimeout(function () {
        pending = null;
        if (node.clientWidth !== last) { last = node.clientWidth; draw(); }
      }, 150);
    });
  }

  /* Axis ticks: SI prefixes only for big numbers (200k ms), never "100m" for 0.1. */
  function tickFormat(scale) {
    var d = scale.domain(), big = Math.max(Math.abs(d[0]), Math.abs(d[1])) >= 10000;
    return big ? d3.format("~s") : d3.format("~g");
  }

  function fillSelect(select, keys, chosen) {
    clear(select);
    keys.forEach(function (k) { select.appendChild(el("option", { value: k, selected: k === chosen }, label(k))); });
  }

  return {
    FEATURES: FEATURES, label: label, clusterColour: clusterColour, el: el, clear: clear, $: $, api: api,
    ApiError: ApiError, loading: loading, done: done, showError: showError, list: list, artists: artists,
    fmt: fmt, sig: sig, pearson: pearson, describeR: describeR, spotifyEmbed: spotifyEmbed, isSpotifyId: isSpotifyId, tooltip: tooltip,
    onResize: onResize, fillSelect: fillSelect, tickFormat: tickFormat
  };
})();
