/* moderation: comment counts for article lists. Every element with data-moderation-count (its
   value the thread, data-site on it or on this script tag) gets "N comments"; one request per
   100 threads of a site. Plain JavaScript; the count goes in as text. */
(function () {
  "use strict";
  var script = document.currentScript ||
    [].slice.call(document.querySelectorAll("script[src*='count.js']")).pop();
  var BASE = (script ? script.src : location.href).replace(/count\.js([?#].*)?$/, "");
  var SITE = script ? script.getAttribute("data-site") : null;
  var SLUG = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$/;
  var PER_REQUEST = 100;
  var WORDS = { en: ["1 comment", "{n} comments"], de: ["1 Kommentar", "{n} Kommentare"] };

  function words(node) {
    var lang = (node.getAttribute("data-lang") || document.documentElement.lang || "en").slice(0, 2);
    return WORDS[lang] || WORDS.en;
  }
  function label(node, n) {
    var forms = words(node);
    return n === 1 ? forms[0] : forms[1].split("{n}").join(String(n));
  }

  function fill() {
    var nodes = [].slice.call(document.querySelectorAll("[data-moderation-count]"));
    var bySite = {};
    nodes.forEach(function (node) {
      var site = node.getAttribute("data-site") || SITE;
      var thread = node.getAttribute("data-moderation-count") || node.getAttribute("data-thread");
      if (!site || !thread || !SLUG.test(thread)) return;
      var threads = bySite[site] = bySite[site] || {};
      (threads[thread] = threads[thread] || []).push(node);
    });
    Object.keys(bySite).forEach(function (site) {
      var threads = Object.keys(bySite[site]);
      for (var start = 0; start < threads.length; start += PER_REQUEST) {
        request(site, threads.slice(start, start + PER_REQUEST), bySite[site]);
      }
    });
  }

  function request(site, threads, nodes) {
    var query = threads.map(function (t) { return "thread=" + encodeURIComponent(t); }).join("&");
    fetch(BASE + "v1/sites/" + encodeURIComponent(site) + "/counts?" + query, { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.counts) return;
        threads.forEach(function (thread) {
          var n = data.counts[thread];
          if (typeof n !== "number") return;
          nodes[thread].forEach(function (node) {
            node.textContent = label(node, n);
            node.setAttribute("data-count", String(n));
          });
        });
      })
      .catch(function () { /* counts are decoration: leave the page as it was */ });
  }

  window.ModerationCounts = { fill: fill };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
})();
